"""Pages of field coordination: assignments, the rep's phone pages, the week, the cadence, the
account's field tab, the coordination indicators and the calendar feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.core import pages
from kam.core.errors import DomainError
from kam.core.filters import FilterError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, is_internal, require, visible
from kam.customers.models import Contact, Tier, Unit, UnitKind
from kam.people.models import User
from kam.planning.models import Action
from kam.planning.services import action_update

from . import calendar, metrics, route, selectors, services
from .forms import ActionStatusForm, AssignForm, CadenceForm, GenerateForm, LogForm, VisitForm
from .models import Visit

VIEW, CHANGE = "kam.view_account", "kam.change_account"
LOG = "kam.log_interaction"
PAGE = 50


def _truthy(value: str | None) -> bool:
    return (value or "") in ("1", "true", "True", "on")


# --- assignments -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def assignments(request: AuthedHttpRequest) -> HttpResponseBase:
    """Units to be visited with their rep and the suggested one; select units, assign a rep or
    accept the suggestions."""
    require(request.user, VIEW)
    reps = selectors.field_reps()
    if request.method == "POST":
        form = AssignForm(request.POST, reps=reps)
        if not form.is_valid():
            messages.error(request, _("Choose units and a field rep."))
            return redirect(request.get_full_path())
        units = list(visible(request.user, form.cleaned_data["units"]))
        if len(units) != len(form.cleaned_data["units"]):
            raise Http404
        try:
            if "accept" in request.POST:
                changed = services.suggestions_accept(
                    suggestions=selectors.rep_suggestions(units), units=units, actor=request.user
                )
            else:
                changed = services.assignment_set(
                    units=units, rep=form.cleaned_data["rep"], actor=request.user
                )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(n)s units changed.") % {"n": changed})
        return redirect(request.get_full_path())
    try:
        qs = selectors.unit_rep_list(user=request.user, filters=request.GET)
    except FilterError as exc:
        messages.error(request, exc.message)
        qs = selectors.unit_rep_list(user=request.user)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    reps_now = selectors.current_reps([u.pk for u in rows])
    suggested = selectors.rep_suggestions([u for u in rows if u.pk not in reps_now])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "field/assignments.html",
        {
            "page": page,
            "rows": [(u, reps_now.get(u.pk), suggested.get(u.pk)) for u in rows],
            "reps": reps,
            "query": query.urlencode(),
            "without_rep": _truthy(request.GET.get("without_rep")),
            "chosen_rep": request.GET.get("rep", ""),
            "account_id": request.GET.get("account", ""),
        },
    )


# --- the rep's phone pages ---------------------------------------------------------------------


@login_required
@require_GET
def mine(request: AuthedHttpRequest) -> HttpResponseBase:
    """My field day: today's visits first, the coming and missed ones, my actions, my units and
    what happened at them."""
    require(request.user, LOG)
    today = timezone.localdate()
    units = selectors.rep_units(rep=request.user)
    link = pages.link_maker("web:account")  # one reverse for the list (decision 113)
    return render(
        request,
        "field/mine.html",
        {
            "visits": selectors.my_visits(rep=request.user, today=today),
            "actions": list(selectors.my_actions(user=request.user)[:50]),
            "units": [{"pk": u.pk, "name": u.name, "url": link(u.pk)} for u in units[:100]],
            "overdue": selectors.overdue_units(rep=request.user, today=today)[:20],
            "feed": selectors.units_feed(units=units, limit=20),
            "today": today,
            "status_form": ActionStatusForm(),
        },
    )


def _my_visit(request: AuthedHttpRequest, pk: int) -> Visit:
    """Only the visit's rep reaches it here: anyone else gets 404."""
    if not is_internal(request.user):
        raise PermissionDenied
    visit = Visit.objects.select_related("unit", "action").filter(pk=pk, rep=request.user).first()
    if visit is None:
        raise Http404
    return visit


@login_required
@require_POST
def check_in(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    visit = _my_visit(request, pk)
    try:
        services.visit_check_in(visit=visit, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("field:mine")
    messages.success(request, _("Checked in at %(unit)s.") % {"unit": visit.unit.name})
    return redirect(f"{reverse('field:log')}?visit={visit.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def log(request: AuthedHttpRequest) -> HttpResponseBase:
    """Log an interaction in under a minute (phone first)."""
    require(request.user, LOG)
    today = timezone.localdate()
    units = selectors.picker_units(rep=request.user, today=today)
    visit = None
    visit_id = request.POST.get("visit") or request.GET.get("visit")
    if visit_id:
        try:
            visit = _my_visit(request, int(visit_id))
        except ValueError as exc:
            raise Http404 from exc
    unit_id = request.POST.get("unit") or request.GET.get("unit")
    chosen: Unit | None = visit.unit if visit is not None else None
    if chosen is None and unit_id:
        try:
            chosen = visible(request.user, Unit.objects.all()).filter(pk=int(unit_id)).first()
        except ValueError:
            chosen = None
    if chosen is not None and all(u.pk != chosen.pk for u in units):
        units = [chosen, *units]
    accounts = {u.account_path for u in units}
    actions = [
        a
        for a in selectors.my_actions(user=request.user).filter(status__in=["open", "in_progress"])[
            :100
        ]
        if a.plan.account.path in accounts
    ]
    if chosen is not None and request.user.has_perm(CHANGE, chosen):
        extra = selectors.account_actions(unit=chosen)
        actions += [a for a in extra if a.pk not in {x.pk for x in actions}]
    initial: dict[str, Any] = {}
    if chosen is not None:
        initial["unit"] = chosen.pk
    if visit is not None:
        initial["visit"] = visit.pk
        if visit.action_id:
            initial["action"] = visit.action_id
    form = LogForm(
        request.POST or None,
        initial=initial,
        units=units,
        actions=actions,
        visits=[visit] if visit else [],
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.field_interaction_log(
                    user=request.user,
                    unit=data["unit"],
                    type=data["type"],
                    summary=data["summary"],
                    outcome=data["outcome"],
                    next_step=data["next_step"],
                    contacts=data["contacts"],
                    participants=data["participants"],
                    action=data["action"],
                    visit=data["visit"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The interaction is logged."))
                return redirect("field:mine")
        status = 400
    chosen_contacts = list(Contact.objects.filter(pk__in=form["contacts"].value() or [])[:20])
    chosen_people = list(User.objects.filter(pk__in=form["participants"].value() or [])[:20])
    return render(
        request,
        "field/log.html",
        {
            "form": form,
            "visit": visit,
            "chosen_contacts": chosen_contacts,
            "chosen_people": chosen_people,
        },
        status=status,
    )


@login_required
@require_GET
def contacts_search(request: AuthedHttpRequest) -> HttpResponseBase:
    """Type-ahead (HTMX): contacts of the chosen unit's account; ``pick`` answers one chip."""
    require(request.user, LOG)
    pick = request.GET.get("pick")
    if pick:
        contact = get_for_user(Contact.objects.all(), request.user, VIEW, pk=pick)
        return render(request, "field/_chip.html", {"name": "contacts", "obj": contact})
    unit = None
    unit_id = request.GET.get("unit")
    if unit_id and unit_id.isdigit():
        unit = visible(request.user, Unit.objects.all()).filter(pk=int(unit_id)).first()
    found = selectors.contacts_search(user=request.user, unit=unit, q=request.GET.get("q", ""))
    return render(
        request,
        "field/_results.html",
        {"found": found, "url": reverse("field:contacts_search"), "target": "#chosen-contacts"},
    )


@login_required
@require_GET
def people_search(request: AuthedHttpRequest) -> HttpResponseBase:
    """Type-ahead (HTMX) over our people; ``pick`` answers one chip."""
    require(request.user, LOG)
    pick = request.GET.get("pick")
    if pick:
        try:
            person = User.objects.filter(is_active=True).exclude(role="").get(pk=int(pick))
        except (User.DoesNotExist, ValueError) as exc:
            raise Http404 from exc
        return render(request, "field/_chip.html", {"name": "participants", "obj": person})
    found = selectors.people_search(q=request.GET.get("q", ""))
    return render(
        request,
        "field/_results.html",
        {"found": found, "url": reverse("field:people_search"), "target": "#chosen-people"},
    )


@login_required
@require_POST
def action_status(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The owner (or whoever may change the account) sets an action's status and note."""
    action: Action = get_for_user(
        Action.objects.select_related("plan__account"), request.user, "kam.update_action", pk=pk
    )
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("field:mine")
    fields = {"status": form.cleaned_data["status"]}
    if form.cleaned_data["note"]:
        fields["note"] = form.cleaned_data["note"]
    try:
        action_update(action=action, user=request.user, revision=None, **fields)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The action is updated."))
    return redirect("field:mine")


# --- a rep's week ------------------------------------------------------------------------------


def _monday(value: str | None) -> dt.date:
    try:
        day = dt.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return day - dt.timedelta(days=day.weekday())


@login_required
@require_GET
def rep_week(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """A rep's week: visits day by day, each day ordered into a route when sites have
    coordinates."""
    require(request.user, VIEW)
    rep = get_object_or_404(User, pk=pk, is_active=True)
    monday = _monday(request.GET.get("week"))
    sunday = monday + dt.timedelta(days=6)
    visits = list(visible(request.user, selectors.rep_visits(rep=rep, start=monday, end=sunday)))
    days = []
    for i in range(7):
        day = monday + dt.timedelta(days=i)
        ordered, minutes = route.order_visits([v for v in visits if v.planned_on == day])
        days.append((day, ordered, minutes))
    return render(
        request,
        "field/week.html",
        {
            "rep": rep,
            "days": days,
            "monday": monday,
            "previous": monday - dt.timedelta(days=7),
            "next": monday + dt.timedelta(days=7),
            "today": timezone.localdate(),
        },
    )


# --- cadence -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def cadence(request: AuthedHttpRequest) -> HttpResponseBase:
    """The visit cadence (tier × unit kind), and planned visits generated from it."""
    require(request.user, "kam.configure_field")
    current = selectors.cadence_map()
    cells = [(t, k, current.get((t, k))) for t in Tier.values for k in UnitKind.values]
    form = CadenceForm(request.POST or None, cells=cells)
    generate = GenerateForm(request.POST if "generate" in request.POST else None)
    status = 200
    if request.method == "POST":
        if "generate" in request.POST:
            if generate.is_valid():
                services.visits_mark_missed()
                made = services.visits_generate(weeks=generate.cleaned_data["weeks"])
                messages.success(request, _("%(n)s visits planned.") % {"n": len(made)})
                return redirect("field:cadence")
        elif form.is_valid():
            for tier, kind, _days in cells:
                services.cadence_set(
                    tier=tier,
                    kind=kind,
                    interval_days=form.cleaned_data[f"{tier}__{kind}"],
                    actor=request.user,
                )
            messages.success(request, _("The visit cadence is saved."))
            return redirect("field:cadence")
        status = 400
    grid = [
        (label, [(form[f"{tier}__{kind}"]) for kind in UnitKind.values])
        for tier, label in Tier.choices
    ]
    return render(
        request,
        "field/cadence.html",
        {"form": form, "grid": grid, "kinds": UnitKind.choices, "generate": generate},
        status=status,
    )


# --- the account's field tab and the indicators ------------------------------------------------


@login_required
@require_GET
def account_field(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    unit: Unit = get_for_user(
        Unit.objects.select_related("account_manager"), request.user, VIEW, pk=pk
    )
    account = unit.account
    today = timezone.localdate()
    data = selectors.account_field(account=account, today=today)
    table = metrics.indicator_table([account], today)
    return render(
        request,
        "field/account.html",
        {
            "account": account,
            "data": data,
            "rows": [(u, data.reps.get(u.pk)) for u in data.units],
            "indicators": table.total,
            "today": today,
            "can_change": request.user.has_perm(CHANGE, account),
            "can_plan": request.user.has_perm(CHANGE, account)
            or request.user in data.reps.values(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """Plan one visit at the account: whoever may change the account picks any field unit and
    rep; a rep plans their own visits to the units they are responsible for."""
    unit: Unit = get_for_user(Unit.objects.all(), request.user, VIEW, pk=pk)
    account = unit.account
    today = timezone.localdate()
    field_units, current = selectors.account_field_units(account=account)
    if request.user.has_perm(CHANGE, account):
        units, reps = field_units, selectors.field_reps()
    else:
        units = [u for u in field_units if current.get(u.pk) == request.user]
        reps = [request.user]
    if not units:
        raise PermissionDenied
    chosen = request.GET.get("unit")
    initial: dict[str, Any] = {"planned_on": today + dt.timedelta(days=1), "rep": request.user.pk}
    if chosen and chosen.isdigit() and any(u.pk == int(chosen) for u in units):
        initial["unit"] = int(chosen)
        rep = current.get(int(chosen))
        if rep is not None and rep in reps:
            initial["rep"] = rep.pk
    actions = selectors.account_actions(unit=account)
    form = VisitForm(request.POST or None, initial=initial, units=units, reps=reps, actions=actions)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                visit = services.visit_plan(
                    unit=d["unit"],
                    rep=d["rep"],
                    planned_on=d["planned_on"],
                    actor=request.user,
                    action=d["action"],
                    note=d["note"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    _("Visit to %(unit)s planned for %(day)s.")
                    % {"unit": visit.unit.name, "day": visit.planned_on.isoformat()},
                )
                return redirect("field:account", pk=account.pk)
        status = 400
    return render(
        request, "field/visit_new.html", {"account": account, "form": form}, status=status
    )


@login_required
@require_GET
def indicators(request: AuthedHttpRequest) -> HttpResponseBase:
    """Coordination indicators per key account and per sales manager."""
    require(request.user, VIEW)
    accounts = list(
        visible(request.user, Unit.objects.accounts())
        .exclude(tier=Tier.TRANSACTIONAL)
        .select_related("account_manager__manager")
        .order_by("name")[:200]
    )
    table = metrics.indicator_table(accounts, timezone.localdate())
    return render(request, "field/indicators.html", {"table": table})


# --- the calendar feed -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def feed_token(request: AuthedHttpRequest) -> HttpResponseBase:
    """My personal calendar feed URL; "new address" revokes the old one."""
    if not is_internal(request.user):
        raise PermissionDenied
    if request.method == "POST":
        services.feed_token_revoke(user=request.user)
        messages.success(request, _("A new address was made; the old one no longer works."))
        return redirect("field:feed_token")
    token = services.feed_token_get(user=request.user)
    url = request.build_absolute_uri(reverse("field:ics", args=[token.token]))
    return render(request, "field/feed_token.html", {"url": url})


@require_GET
def ics(request: Any, token: str) -> HttpResponseBase:
    """The rep's planned visits as an iCalendar feed; no login, the secret URL is the key."""
    found = selectors.feed_visits(token=token)
    if found is None:
        raise Http404
    user, visits = found
    body = calendar.visits_ics(user=user, visits=visits)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="visits.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
