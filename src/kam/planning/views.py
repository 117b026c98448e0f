"""Pages of account plans, under ``/plans/``: thin, on the planning services and selectors.

An edit form sends back the plan's revision; a stale one answers 409 with the form as the user
filled it in and the message of :class:`~.services.PlanConflict` (decision 41).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.core.errors import DomainError
from kam.core.filters import FilterError
from kam.core.http import AuthedHttpRequest
from kam.core.pages import BadQuery, bad_request, page_number, paginate
from kam.core.permissions import get_for_user, require, visible
from kam.customers.models import Unit
from kam.people.models import User
from kam.sales.models import reporting_currency

from . import selectors, services
from .forms import (
    ActionForm,
    ActionInteractionForm,
    ActionStatusForm,
    ObjectiveForm,
    ObjectiveValueForm,
    PlanCreateForm,
    PlanForm,
    ReviewForm,
    SectionForm,
    StepForm,
)
from .models import (
    AccountPlan,
    Action,
    ActionStatus,
    CustomerObjective,
    Objective,
    PlanStatus,
    Risk,
    Strategy,
    SwotItem,
)
from .workflows import PLAN_WORKFLOW

VIEW, CHANGE = "kam.view_account", "kam.change_account"
PAGE_SIZE = 50
SECTION_ITEMS: dict[str, type[models.Model]] = {
    "customer_objectives": CustomerObjective,
    "swot": SwotItem,
    "strategies": Strategy,
    "risks": Risk,
}


def _plan(request: AuthedHttpRequest, pk: int) -> AccountPlan:
    plan: AccountPlan = get_for_user(selectors.plan_for_page(plan_id=pk), request.user, VIEW, pk=pk)
    return plan


def _changing(request: AuthedHttpRequest, pk: int) -> AccountPlan:
    plan = _plan(request, pk)
    require(request.user, CHANGE, plan.account)
    return plan


def _errors(form: forms.Form, exc: DomainError) -> int:
    """Put a service's error on the form; the status to answer (409 for a conflict)."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return 409 if exc.code == "conflict" else 400


def _plan_url(plan: AccountPlan, anchor: str = "") -> str:
    return reverse("planning:plan", args=[plan.pk]) + (f"#{anchor}" if anchor else "")


# --- lists ------------------------------------------------------------------------------------


@login_required
@require_GET
def plans(request: AuthedHttpRequest) -> HttpResponseBase:
    """The plans the user may see, filterable by status and account manager."""
    require(request.user, VIEW)
    try:
        rows, count, pages = paginate(
            visible(request.user, selectors.plan_list(filters=request.GET)),
            page_number(request),
            PAGE_SIZE,
        )
    except (BadQuery, FilterError) as exc:
        return bad_request(request, str(exc))
    today = timezone.localdate()
    for plan in rows:
        plan.shown_status = selectors.effective_status(plan, today)
    managers = (
        User.objects.filter(managed_units__plans__isnull=False)
        .distinct()
        .order_by("last_name", "first_name")
    )
    context = {
        "rows": rows,
        "count": count,
        "pages": pages,
        "page": page_number(request),
        "statuses": PlanStatus.choices,
        "managers": managers,
        "status": request.GET.get("status", ""),
        "owner": request.GET.get("owner", ""),
    }
    return render(request, "planning/plans.html", context)


@login_required
@require_GET
def actions(request: AuthedHttpRequest) -> HttpResponseBase:
    """Plan actions, by default the user's own open ones (the field rep's to-do list)."""
    require(request.user, VIEW)
    params = request.GET.copy()
    if "owner" not in params:
        params["owner"] = str(request.user.pk)
    if "open" not in params and "status" not in params:
        params["open"] = "true"
    try:
        rows, count, pages = paginate(
            visible(request.user, selectors.action_list(filters=params)),
            page_number(request),
            PAGE_SIZE,
        )
    except (BadQuery, FilterError) as exc:
        return bad_request(request, str(exc))
    return render(
        request,
        "planning/actions.html",
        _actions_context(request, rows, params)
        | {
            "count": count,
            "pages": pages,
            "page": page_number(request),
        },
    )


def _actions_context(request: AuthedHttpRequest, rows: list[Action], params: Any) -> dict[str, Any]:
    owners = (
        User.objects.filter(is_active=True).exclude(role="").order_by("last_name", "first_name")
    )
    return {
        "rows": _with_rights(request, rows),
        "owners": owners,
        "owner": params.get("owner", ""),
        "open": params.get("open", ""),
        "revisions": {},
        "today": timezone.localdate(),
    }


def _with_rights(request: AuthedHttpRequest, rows: list[Action]) -> list[Action]:
    for a in rows:
        a.may_update = request.user.has_perm("kam.update_action", a)  # type: ignore[attr-defined]
        a.may_edit = request.user.has_perm(CHANGE, a.plan.account)  # type: ignore[attr-defined]
    return rows


# --- the account's plan -----------------------------------------------------------------------


@login_required
@require_GET
def account_plan(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The account's current plan, or the page to start one."""
    account = get_for_user(Unit.objects.all(), request.user, VIEW, pk=pk)
    if not account.is_account:
        return redirect("planning:account_plan", pk=account.account.pk)
    plan = selectors.plan_current(account_id=account.pk)
    if plan is not None:
        return redirect("planning:plan", pk=plan.pk)
    return render(
        request,
        "planning/plan_new.html",
        {
            "account": account,
            "form": PlanCreateForm(),
            "can_change": request.user.has_perm(CHANGE, account),
        },
    )


@login_required
@require_POST
def plan_create(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = get_for_user(Unit.objects.all(), request.user, CHANGE, pk=pk)
    form = PlanCreateForm(request.POST)
    if form.is_valid():
        try:
            plan = services.plan_create(
                account=account,
                user=request.user,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                from_template=form.cleaned_data["from_template"],
            )
        except DomainError as exc:
            status = _errors(form, exc)
        else:
            messages.success(request, _("The plan was created as a draft."))
            return redirect("planning:plan", pk=plan.pk)
    else:
        status = 400
    return render(
        request,
        "planning/plan_new.html",
        {"account": account, "form": form, "can_change": True},
        status=status,
    )


def _page_context(request: AuthedHttpRequest, plan: AccountPlan) -> dict[str, Any]:
    page = selectors.plan_page(plan=plan)
    for a in page.actions:
        a.plan = plan  # the rights below read the plan's account, already loaded
    can_change = request.user.has_perm(CHANGE, plan.account)
    return {
        "p": page,
        "plan": plan,
        "can_change": can_change,
        "content_editable": can_change and plan.status == PlanStatus.DRAFT,
        "actions_editable": plan.status != PlanStatus.SUBMITTED,
        "steps": PLAN_WORKFLOW.allowed(request.user, plan),
        "rows": _with_rights(request, page.actions),
        "section_form": SectionForm(initial={"revision": plan.revision}),
        "review_form": ReviewForm(),
        "reviewable": can_change and plan.status in (PlanStatus.APPROVED, PlanStatus.REVIEW_DUE),
        "today": page.as_of,
        "currency": reporting_currency(),
    }


@login_required
@require_GET
def plan(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    plan = _plan(request, pk)
    return render(request, "planning/plan.html", _page_context(request, plan))


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    plan = _changing(request, pk)
    status = 200
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            revision = data.pop("revision")
            try:
                services.plan_update(plan=plan, user=request.user, revision=revision, **data)
            except DomainError as exc:
                status = _errors(form, exc)
            else:
                messages.success(request, _("The plan was saved."))
                return redirect(_plan_url(plan))
        else:
            status = 400
    else:
        form = PlanForm(initial=PlanForm.initial_for(plan))
    return render(
        request,
        "planning/form.html",
        {"plan": plan, "form": form, "title": _("Edit the plan")},
        status=status,
    )


@login_required
@require_POST
def plan_step(request: AuthedHttpRequest, pk: int, step: str) -> HttpResponseBase:
    if step not in PLAN_WORKFLOW.transitions:
        raise Http404
    plan = _plan(request, pk)
    form = StepForm(request.POST)
    if form.is_valid():
        try:
            services.plan_step(
                plan=plan,
                step=step,
                user=request.user,
                note=form.cleaned_data["note"],
                revision=form.cleaned_data["revision"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 409 if exc.code == "conflict" else 400
            context = _page_context(request, _plan(request, pk))
            return render(request, "planning/plan.html", context, status=status)
        messages.success(request, _("Done: %(step)s.") % {"step": PLAN_WORKFLOW[step].label})
    return redirect(_plan_url(plan))


@login_required
@require_POST
def plan_review(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    plan = _plan(request, pk)
    form = ReviewForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.plan_review_record(
                plan=plan,
                user=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                date=form.cleaned_data["date"],
            )
        except DomainError as exc:
            status = _errors(form, exc)
        else:
            messages.success(request, _("The review was recorded."))
            return redirect(_plan_url(plan, "reviews"))
    context = _page_context(request, plan) | {"review_form": form}
    return render(request, "planning/plan.html", context, status=status)


@login_required
@require_GET
def plan_diff(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """What changed since the last approved version (or, with ?version=n, in version n)."""
    plan = _plan(request, pk)
    number = request.GET.get("version")
    if number:
        if not number.isdigit() or not plan.versions.filter(number=int(number)).exists():
            return bad_request(request, _("There is no such version."))
        version, diff = selectors.version_diff(plan=plan, number=int(number))
        since = False
    else:
        found, found_diff = selectors.plan_diff_since_approved(plan=plan)
        version, diff, since = found, found_diff, True  # type: ignore[assignment]
    objective_titles = {str(o.pk): o.title for o in plan.objectives.all()}
    return render(
        request,
        "planning/diff.html",
        {
            "plan": plan,
            "version": version,
            "diff": diff,
            "since": since,
            "versions": selectors.plan_versions(plan=plan)[:50],
            "objective_titles": objective_titles,
        },
    )


# --- sections ---------------------------------------------------------------------------------


@login_required
@require_POST
def section_add(request: AuthedHttpRequest, pk: int, section: str) -> HttpResponseBase:
    if section not in SECTION_ITEMS:
        raise Http404
    plan = _changing(request, pk)
    form = SectionForm(request.POST)
    if form.is_valid():
        try:
            services.section_item_add(
                plan=plan,
                user=request.user,
                revision=form.cleaned_data["revision"],
                section=section,
                **form.data_for(section),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return _page_again(request, plan, 409 if exc.code == "conflict" else 400, form)
        return redirect(_plan_url(plan, section))
    return _page_again(request, plan, 400, form)


def _page_again(
    request: AuthedHttpRequest, plan: AccountPlan, status: int, form: SectionForm
) -> HttpResponse:
    for errors in form.errors.values():
        messages.error(request, " ".join(str(e) for e in errors))
    plan = _plan(request, plan.pk)
    context = _page_context(request, plan) | {"section_form": form}
    return render(request, "planning/plan.html", context, status=status)


@login_required
@require_POST
def section_delete(
    request: AuthedHttpRequest, pk: int, section: str, item: int
) -> HttpResponseBase:
    if section not in SECTION_ITEMS:
        raise Http404
    plan = _changing(request, pk)
    found = SECTION_ITEMS[section]._default_manager.filter(plan=plan, pk=item).first()
    if found is None:
        raise Http404
    form = StepForm(request.POST)
    revision = form.cleaned_data["revision"] if form.is_valid() else None
    if revision is None:
        return bad_request(request, _("The form is missing the plan's revision."))
    try:
        services.section_item_delete(item=found, user=request.user, revision=revision)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _page_again(
            request, _plan(request, pk), 409 if exc.code == "conflict" else 400, SectionForm()
        )
    return redirect(_plan_url(plan, section))


# --- objectives -------------------------------------------------------------------------------


def _objective(request: AuthedHttpRequest, pk: int) -> Objective:
    objective: Objective = get_for_user(
        Objective.objects.select_related("plan", "plan__account", "plan__account__account_manager"),
        request.user,
        VIEW,
        pk=pk,
    )
    require(request.user, CHANGE, objective.plan.account)
    return objective


def _objective_data(form: ObjectiveForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("revision")
    return data


@login_required
@require_http_methods(["GET", "POST"])
def objective_add(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    plan = _changing(request, pk)
    status = 200
    if request.method == "POST":
        form = ObjectiveForm(request.POST)
        if form.is_valid():
            try:
                services.objective_create(
                    plan=plan,
                    user=request.user,
                    revision=form.cleaned_data["revision"],
                    **_objective_data(form),
                )
            except DomainError as exc:
                status = _errors(form, exc)
            else:
                return redirect(_plan_url(plan, "objectives"))
        else:
            status = 400
    else:
        form = ObjectiveForm(initial={"revision": plan.revision, "deadline": plan.period_end})
    return render(
        request,
        "planning/form.html",
        {"plan": plan, "form": form, "title": _("Add an objective")},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def objective_edit(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    objective = _objective(request, pk)
    plan = objective.plan
    status = 200
    if request.method == "POST":
        if "delete" in request.POST:
            form = ObjectiveForm(request.POST)
            try:
                services.objective_delete(
                    objective=objective,
                    user=request.user,
                    revision=int(request.POST.get("revision") or 0) or None,
                )
            except DomainError as exc:
                form.is_valid()
                status = _errors(form, exc)
            else:
                return redirect(_plan_url(plan, "objectives"))
        else:
            form = ObjectiveForm(request.POST)
            if form.is_valid():
                try:
                    services.objective_update(
                        objective=objective,
                        user=request.user,
                        revision=form.cleaned_data["revision"],
                        **_objective_data(form),
                    )
                except DomainError as exc:
                    status = _errors(form, exc)
                else:
                    return redirect(_plan_url(plan, "objectives"))
            else:
                status = 400
    else:
        initial = {
            name: getattr(objective, name)
            for name in (
                "title",
                "metric_key",
                "baseline",
                "target_value",
                "target_level",
                "deadline",
            )
        }
        form = ObjectiveForm(initial=initial | {"revision": plan.revision})
    return render(
        request,
        "planning/form.html",
        {"plan": plan, "form": form, "title": _("Edit the objective"), "deletable": True},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def objective_value(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """Record the value of a manual objective."""
    objective = _objective(request, pk)
    plan = objective.plan
    status = 200
    if request.method == "POST":
        form = ObjectiveValueForm(request.POST)
        if form.is_valid():
            try:
                services.objective_update_record(
                    objective=objective, user=request.user, **form.cleaned_data
                )
            except DomainError as exc:
                status = _errors(form, exc)
            else:
                return redirect(_plan_url(plan, "objectives"))
        else:
            status = 400
    else:
        form = ObjectiveValueForm(initial={"revision": plan.revision, "date": timezone.localdate()})
    return render(
        request,
        "planning/form.html",
        {
            "plan": plan,
            "form": form,
            "title": _("Record a value: %(title)s") % {"title": objective.title},
            "updates": objective.updates.select_related("author")[:20],
        },
        status=status,
    )


# --- actions ----------------------------------------------------------------------------------


def _action(request: AuthedHttpRequest, pk: int) -> Action:
    action: Action = get_for_user(
        Action.objects.select_related(
            "plan", "plan__account", "plan__account__account_manager", "owner", "unit"
        ),
        request.user,
        VIEW,
        pk=pk,
    )
    return action


@login_required
@require_http_methods(["GET", "POST"])
def action_add(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    plan = _changing(request, pk)
    status = 200
    if request.method == "POST":
        form = ActionForm(request.POST, plan=plan)
        if form.is_valid():
            data = dict(form.cleaned_data)
            revision = data.pop("revision")
            try:
                services.action_create(plan=plan, user=request.user, revision=revision, **data)
            except DomainError as exc:
                status = _errors(form, exc)
            else:
                return redirect(_plan_url(plan, "actions"))
        else:
            status = 400
    else:
        initial = {"revision": plan.revision, "status": ActionStatus.OPEN}
        if request.GET.get("objective", "").isdigit():
            initial["objective"] = int(request.GET["objective"])
        form = ActionForm(initial=initial, plan=plan)
    return render(
        request,
        "planning/form.html",
        {"plan": plan, "form": form, "title": _("Add an action")},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The whole action for those who change the account; status and note for its owner.

    From a list (HTMX, ``origin``), the status form answers with the list again, so every row
    carries the plan's new revision."""
    action = _action(request, pk)
    require(request.user, "kam.update_action", action)
    plan = action.plan
    full = request.user.has_perm(CHANGE, plan.account)
    full_form = full and (request.method == "GET" or "title" in request.POST)
    if not full and set(request.POST) & (set(Action.DETAIL_FIELDS) - set(Action.OWNER_FIELDS)):
        raise PermissionDenied(_("You may change only the status and the note of your action."))
    status = 200
    if request.method == "POST":
        form: forms.Form = (
            ActionForm(request.POST, plan=plan) if full_form else ActionStatusForm(request.POST)
        )
        if "delete" in request.POST and full:
            try:
                services.action_delete(
                    action=action,
                    user=request.user,
                    revision=int(request.POST.get("revision") or 0) or None,
                )
            except DomainError as exc:
                form.is_valid()
                status = _errors(form, exc)
            else:
                return redirect(_plan_url(plan, "actions"))
        elif form.is_valid():
            data = dict(form.cleaned_data)
            revision = data.pop("revision")
            try:
                services.action_update(action=action, user=request.user, revision=revision, **data)
            except DomainError as exc:
                status = _errors(form, exc)
            else:
                origin = request.POST.get("origin", "")
                if request.htmx and origin in ("plan", "list"):
                    return _action_rows(request, plan, origin)
                messages.success(request, _("The action was saved."))
                return redirect(_plan_url(plan, "actions"))
        else:
            status = 400
        if request.htmx and request.POST.get("origin") in ("plan", "list"):
            messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
            return _action_rows(request, plan, request.POST["origin"], status=status)
    else:
        initial = {name: getattr(action, name) for name in Action.DETAIL_FIELDS}
        initial["revision"] = plan.revision
        form = (
            ActionForm(initial=initial, plan=plan)
            if full_form
            else ActionStatusForm(initial=initial)
        )
    return render(
        request,
        "planning/form.html",
        {
            "plan": plan,
            "form": form,
            "title": _("Action: %(title)s") % {"title": action.title},
            "deletable": full,
            "action": action,
        },
        status=status,
    )


def _action_rows(
    request: AuthedHttpRequest, plan: AccountPlan, origin: str, status: int = 200
) -> HttpResponse:
    """The list the status form came from, fresh (every row with the new revision)."""
    if origin == "plan":
        context = _page_context(request, _plan(request, plan.pk))
        return render(request, "planning/_plan_live.html", context, status=status)
    params = request.GET.copy()
    params.setdefault("owner", str(request.user.pk))
    params.setdefault("open", "true")
    rows = list(visible(request.user, selectors.action_list(filters=params))[:PAGE_SIZE])
    context = _actions_context(request, rows, params)
    return render(request, "planning/_action_list.html", context, status=status)


@login_required
@require_POST
def action_interaction(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """Log an interaction (a visit) against the action, which completes it."""
    action = _action(request, pk)
    form = ActionInteractionForm(request.POST)
    if not form.is_valid():
        return bad_request(request, _("Describe the interaction in at most 300 characters."))
    try:
        services.action_log_interaction(
            action=action, user=request.user, summary=form.cleaned_data["summary"]
        )
    except PermissionDenied:
        raise
    except DomainError as exc:
        return bad_request(request, exc.message)
    messages.success(request, _("The interaction was logged and the action is done."))
    if request.POST.get("origin") == "list":
        return redirect("planning:actions")
    return redirect(_plan_url(action.plan, "actions"))
