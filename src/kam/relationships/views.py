"""Pages of the buying centre (PRODUCT §5, §8): the list of an account with inline edits,
placeholders, gaps, stage and information sharing; our links of a contact and of a user; the
panel on the account page.

Thin: the permission helper, then a selector or a service, then render. A domain error is a
form error with a 400.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.core.dbsessions import plans_per_value
from kam.core.errors import DomainError
from kam.core.filters import FilterError
from kam.core.http import AuthedHttpRequest
from kam.core.pages import BadQuery, bad_request, page_number, paginate, picker_answer
from kam.core.permissions import get_for_user, require, visibility_restricted, visible
from kam.customers.models import Contact, Employment, Unit
from kam.people.models import User
from kam.sales.models import Opportunity

from . import selectors, services
from .filters import BuyingCentreFilter
from .forms import (
    LinkForm,
    MemberForm,
    OpportunityRolesForm,
    PlaceholderForm,
    SharingForm,
    StageForm,
)
from .models import OpportunityRoleKind, OurLink, Placeholder, Stage
from .stage import input_label

VIEW, CHANGE, LINK = "kam.view_account", "kam.change_account", "kam.change_link"
PAGE_SIZE = 50


def _account(request: AuthedHttpRequest, pk: int, perm: str = VIEW) -> Unit:
    account: Unit = get_for_user(
        Unit.objects.accounts().select_related("account_manager"), request.user, perm, pk=pk
    )
    return account


def _error(form: forms.Form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _stage_context(
    account: Unit, metrics: dict[str, Any], left: dict[int, list[dict[str, Any]]] | None = None
) -> dict[str, Any]:
    suggestion = selectors.stage_suggestion(account=account, metrics=metrics, left=left)
    confirmed = selectors.confirmed_stages([account.pk]).get(account.pk)
    labels = dict(Stage.choices)
    return {
        "suggestion": suggestion,
        "suggested_label": labels.get(suggestion.stage, suggestion.stage),
        "evidence": [
            {**i, "label": input_label(i["name"])} for i in suggestion.evidence.get("inputs", [])
        ],
        "confirmed": confirmed,
        "confirmed_label": labels.get(confirmed or "", ""),
        "mismatch": confirmed is not None and confirmed != suggestion.stage,
    }


def _page_context(request: AuthedHttpRequest, account: Unit, **extra: Any) -> dict[str, Any]:
    # the metrics kept with the account's figures (decision 106; computed and kept when marked
    # or of another day): live, they read every contact and interaction of the account
    kept = services.gaps_current(account=account, keep=True)
    metrics, left = kept.metrics, kept.left
    filters = request.GET.dict()
    filters.pop("page", None)
    employments = selectors.buying_centre_contacts(account=account, filters=filters)
    rows, count, pages = paginate(employments, page_number(request), PAGE_SIZE, keys_first=True)
    can_change = request.user.has_perm(CHANGE, account)
    placeholders = selectors.placeholders_open(account=account)
    context: dict[str, Any] = {
        "account": account,
        "metrics": metrics,
        "rows": selectors.buying_centre_rows(account=account, employments=rows),
        "count": count,
        "page": page_number(request),
        "pages": pages,
        "filter": BuyingCentreFilter(filters or None),
        "query": request.GET.copy(),
        "can_change": can_change,
        "placeholders": list(placeholders),
        "gaps": kept.gaps,
        "notes": selectors.opportunity_notes(account=account),
        "history": list(selectors.stage_history(account=account)[:10]),
        "sharing": selectors.sharing_current(account=account),
        # only those who may add one see the form: no query for its units otherwise
        "placeholder_form": _placeholder_form(account) if can_change else None,
        "stage_form": StageForm(),
        "sharing_form": SharingForm(),
        **_stage_context(account, metrics, left),
    }
    context.update(extra)
    return context


def _placeholder_form(account: Unit, data: Any = None) -> PlaceholderForm:
    return PlaceholderForm(
        data,
        account=account,
        units=selectors.placeholder_units(account=account),
        listable=selectors.placeholder_units_listable(account=account),
    )


@login_required
@require_GET
def buying_centre(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk)
    # its queries cost what the account's size makes them cost (decision 136)
    with plans_per_value():
        try:
            context = _page_context(request, account)
        except (BadQuery, FilterError) as exc:
            return bad_request(request, str(exc))
        return render(request, "relationships/buying_centre.html", context)


def _member(request: AuthedHttpRequest, pk: int, contact_pk: int) -> tuple[Unit, Employment]:
    account = _account(request, pk)
    employment = (
        selectors.buying_centre_contacts(account=account).filter(contact_id=contact_pk).first()
    )
    if employment is None:
        raise Http404
    return account, employment


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: AuthedHttpRequest, pk: int, contact_pk: int) -> HttpResponseBase:
    """GET: the edit row of a contact; POST: save it, answer the row and the new coverage."""
    account, employment = _member(request, pk, contact_pk)
    require(request.user, CHANGE, account)
    placeholders = selectors.placeholders_open(account=account)
    row = selectors.buying_centre_rows(account=account, employments=[employment])[0]
    if request.method == "GET":
        stance = row["stance"]
        form = MemberForm(
            initial={
                "roles": row["roles"],
                "attitude": stance.attitude if stance else "neutral",
                "influence": stance.influence if stance else 3,
                "orientation": stance.orientation if stance else "",
                "note": stance.note if stance else "",
            },
            placeholders=placeholders,
        )
        return render(
            request,
            "relationships/_member_form.html",
            {"account": account, "row": row, "form": form},
        )
    form = MemberForm(request.POST, placeholders=placeholders)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.member_update(
                account=account,
                contact=employment.contact,
                actor=request.user,
                roles=data["roles"],
                fill=data["fill"],
                attitude=data["attitude"],
                influence=data["influence"],
                orientation=data["orientation"],
                note=data["note"],
            )
        except DomainError as exc:
            _error(form, exc)
        else:
            if not request.htmx:
                messages.success(request, _("Saved."))
                return redirect("relationships:buying_centre", pk=account.pk)
            row = selectors.buying_centre_rows(account=account, employments=[employment])[0]
            return render(
                request,
                "relationships/_member_saved.html",
                {
                    "account": account,
                    "row": row,
                    "can_change": True,
                    "metrics": selectors.account_metrics(account=account),
                },
            )
    return render(
        request,
        "relationships/_member_form.html",
        {"account": account, "row": row, "form": form},
        status=400,
    )


def _post_form(
    request: AuthedHttpRequest,
    account: Unit,
    form: forms.Form,
    save: Any,
    done: str,
    form_name: str,
) -> HttpResponseBase:
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except DomainError as exc:
            _error(form, exc)
        else:
            messages.success(request, done)
            return redirect("relationships:buying_centre", pk=account.pk)
    context = _page_context(request, account, **{form_name: form})
    return render(request, "relationships/buying_centre.html", context, status=400)


@login_required
@require_POST
def placeholder_add(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk, CHANGE)
    form = _placeholder_form(account, request.POST)
    return _post_form(
        request,
        account,
        form,
        lambda d: services.placeholder_create(
            account=account,
            role=d["role"],
            unit=d["unit"],
            function=d["function"],
            note=d["note"],
            actor=request.user,
        ),
        _("Placeholder added."),
        "placeholder_form",
    )


@login_required
@require_GET
def placeholder_units(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """A placeholder's unit found by name (HTMX, decision 140): ``?q=`` answers the matches
    among the account's units, ``?pick=<id>`` the chosen one (empty: none) for the form."""
    account = _account(request, pk, CHANGE)
    return picker_answer(
        request,
        field="unit",
        url=reverse("relationships:placeholder_units", args=[account.pk]),
        choices=selectors.placeholder_units(account=account),
        search=lambda q: selectors.placeholder_unit_search(account=account, q=q),
        not_a_choice=_("Choose a unit from the list."),
    )


@login_required
@require_POST
def placeholder_remove(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    placeholder = get_for_user(
        Placeholder.objects.select_related("account"), request.user, VIEW, pk=pk
    )
    require(request.user, CHANGE, placeholder.account)
    services.placeholder_delete(placeholder=placeholder)
    messages.success(request, _("Placeholder deleted."))
    return redirect("relationships:buying_centre", pk=placeholder.account_id)


@login_required
@require_POST
def stage_confirm(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk, CHANGE)
    return _post_form(
        request,
        account,
        StageForm(request.POST),
        lambda d: services.stage_confirm(
            account=account, stage=d["stage"], reason=d["reason"], actor=request.user
        ),
        _("Stage recorded."),
        "stage_form",
    )


@login_required
@require_POST
def sharing_set(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk, CHANGE)
    return _post_form(
        request,
        account,
        SharingForm(request.POST),
        lambda d: services.sharing_set(
            account=account,
            level=d["level"],
            since=d["since"],
            note=d["note"],
            actor=request.user,
        ),
        _("Information-sharing level recorded."),
        "sharing_form",
    )


@login_required
@require_GET
def account_panel(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The fragment on the account page: stage (and a mismatch), gaps, openings."""
    account = _account(request, pk)
    kept = services.gaps_current(account=account)
    return render(
        request,
        "relationships/_account_panel.html",
        {
            "account": account,
            "metrics": kept.metrics,
            "gaps": kept.gaps,
            "notes": selectors.opportunity_notes(account=account),
            **_stage_context(account, kept.metrics, kept.left),
        },
    )


# --- our links -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def contact_links(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """Which of our people know this contact, and how well; set one's own judged level."""
    contact = get_for_user(Contact.objects.all(), request.user, VIEW, pk=pk)
    own = OurLink.objects.filter(user=request.user, contact=contact).first()
    may_link = request.user.has_perm(LINK, own or OurLink(user=request.user, contact=contact))
    form = LinkForm(initial={"level": own.level if own else 0, "note": own.note if own else ""})
    status = 200
    if request.method == "POST":
        require(request.user, LINK, own or OurLink(user=request.user, contact=contact))
        form = LinkForm(request.POST)
        if form.is_valid():
            try:
                services.link_upsert(
                    user=request.user,
                    contact=contact,
                    level=form.cleaned_data["level"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except DomainError as exc:
                _error(form, exc)
            else:
                messages.success(request, _("Your link has been saved."))
                return redirect("relationships:contact_links", pk=contact.pk)
        status = 400
    positions = list(
        visible(request.user, Employment.objects.filter(contact=contact))
        .select_related("unit")
        .order_by("-start_date")[:20]
    )
    return render(
        request,
        "relationships/contact_links.html",
        {
            "contact": contact,
            "positions": positions,
            "links": selectors.links_of_contact(contact=contact),
            "form": form,
            "may_link": may_link,
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
@require_GET
def user_links(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """Which contacts one of our people knows, and how well."""
    require(request.user, VIEW)
    person = get_for_user(User.objects.filter(is_active=True), request.user, VIEW, pk=pk)
    contacts = (
        visible(request.user, Contact.objects.all())
        if visibility_restricted(request.user)
        else None
    )
    return render(
        request,
        "relationships/user_links.html",
        {"person": person, "links": selectors.links_of_user(user=person, contacts=contacts)},
    )


# --------------------------------------------------------------------------------------------
# Roles on one opportunity


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_roles(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    opportunity: Opportunity = get_for_user(
        Opportunity.objects.select_related("unit", "owner"), request.user, VIEW, pk=pk
    )
    account = opportunity.unit.account
    can_change = request.user.has_perm(CHANGE, account)
    contacts = visible(request.user, selectors.opportunity_role_candidates(opportunity=opportunity))
    status = 200
    form = OpportunityRolesForm(contacts=contacts)
    if request.method == "POST":
        require(request.user, CHANGE, account)
        form = OpportunityRolesForm(request.POST, contacts=contacts)
        if form.is_valid():
            try:
                services.opportunity_role_set(
                    opportunity=opportunity,
                    contact=form.cleaned_data["contact"],
                    roles=form.cleaned_data["roles"],
                )
            except DomainError as exc:
                _error(form, exc)
            else:
                messages.success(request, _("Roles on the opportunity saved."))
                return redirect("relationships:opportunity_roles", pk=opportunity.pk)
        status = 400
    held: dict[int, dict[str, Any]] = {}
    order = {value: n for n, value in enumerate(OpportunityRoleKind.values)}  # as in DOMAIN §5
    for role in sorted(
        selectors.opportunity_roles(opportunity=opportunity),
        key=lambda r: (r.contact.last_name, r.contact.first_name, r.contact_id, order[r.role]),
    ):
        row = held.setdefault(role.contact_id, {"contact": role.contact, "roles": []})
        row["roles"].append(role.get_role_display())
    context = {
        "opportunity": opportunity,
        "account": account,
        "rows": list(held.values()),
        "form": form,
        "can_change": can_change,
    }
    return render(request, "relationships/opportunity_roles.html", context, status=status)
