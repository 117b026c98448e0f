"""Pages of account teams: the team of an account (with suggestions) and the workload view."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kam.core import pages
from kam.core.errors import DomainError
from kam.core.filters import FilterError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, is_executive, require, visible
from kam.customers.models import Unit
from kam.people.models import Function, Role, User

from . import selectors, services
from .forms import AcceptForm, CommentForm, DeclineForm, EndForm, MemberForm, NoteForm, RequestForm
from .models import RequestStatus, ResourceRequest, TeamMember
from .workflows import REQUEST_WORKFLOW, STEPS

VIEW, CHANGE = "kam.view_account", "kam.change_account"


def _account(request: AuthedHttpRequest, pk: int) -> Unit:
    unit: Unit = get_for_user(
        Unit.objects.select_related("account_manager"), request.user, VIEW, pk=pk
    )
    return unit


def _form_errors(form: MemberForm, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def account_team(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk)
    if not account.is_account:
        return redirect("teams:account_team", account.account.pk)
    can_change = request.user.has_perm(CHANGE, account)
    form = MemberForm(account=account)
    if request.method == "POST":
        require(request.user, CHANGE, account)
        form = MemberForm(request.POST, account=account)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.team_member_add(account=account, actor=request.user, **data)
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("%(user)s joined the team.") % {"user": data["user"]})
                return redirect("teams:account_team", account.pk)
        status = 400
    else:
        status = 200
    return render(
        request,
        "teams/account_team.html",
        {
            "account": account,
            "team": selectors.team_of(account=account),
            "history": selectors.team_history(account=account),
            "suggestions": selectors.member_suggestions(account=account) if can_change else [],
            "form": form,
            "can_change": can_change,
        },
        status=status,
    )


@login_required
@require_POST
def suggestion_accept(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk)
    require(request.user, CHANGE, account)
    if not account.is_account:
        return redirect("teams:account_team", account.account.pk)
    user = User.objects.filter(pk=request.POST.get("user") or 0, is_active=True).first()
    if user is None:
        messages.error(request, _("Choose a person to add."))
        return redirect("teams:account_team", account.pk)
    role = request.POST.get("role") or selectors.role_for(user)
    try:
        services.team_member_add(account=account, user=user, role=role, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(user)s joined the team.") % {"user": user})
    return redirect("teams:account_team", account.pk)


def _member(request: AuthedHttpRequest, pk: int) -> TeamMember:
    member: TeamMember = get_for_user(
        TeamMember.objects.select_related("account", "user", "unit"), request.user, VIEW, pk=pk
    )
    require(request.user, CHANGE, member.account)
    return member


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    member = _member(request, pk)
    form = MemberForm(instance=member, account=member.account)
    status = 200
    if request.method == "POST":
        form = MemberForm(request.POST, instance=member, account=member.account)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "user"}
            try:
                services.team_member_update(member=member, data=data, actor=request.user)
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The membership was saved."))
                return redirect("teams:account_team", member.account_id)
        status = 400
    return render(
        request, "teams/member_edit.html", {"member": member, "form": form}, status=status
    )


@login_required
@require_POST
def member_end(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    member = _member(request, pk)
    form = EndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The end date is not valid."))
        return redirect("teams:account_team", member.account_id)
    try:
        services.team_member_end(member=member, end=form.cleaned_data["end"], actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(user)s left the team.") % {"user": member.user})
    return redirect("teams:account_team", member.account_id)


WORKLOAD_ACCOUNTS_SHOWN = 6
WORKLOAD_PAGE = 100


def _workload_rows(loads: list[selectors.Load]) -> list[dict[str, Any]]:
    """Each person's row with labels and links ready (hundreds of people, thousands of
    memberships): the largest allocations first, the rest counted (decision 113)."""
    roles, functions = dict(Role.choices), dict(Function.choices)
    link = pages.link_maker("teams:account_team")
    return [
        {
            "load": x,
            "role": roles.get(x.user.role, x.user.role),
            "function": functions.get(x.user.function, ""),
            "accounts": [
                {"name": m.name, "link": link(m.account_id), "allocation": m.allocation}
                for m in x.memberships[:WORKLOAD_ACCOUNTS_SHOWN]
            ],
            "more": max(len(x.memberships) - WORKLOAD_ACCOUNTS_SHOWN, 0),
        }
        for x in loads
    ]


def _account_links(accounts: Any) -> list[dict[str, Any]]:
    """Accounts with the link to their team and their KAM (hundreds at the large scale)."""
    link = pages.link_maker("teams:account_team")
    return [{"name": a.name, "link": link(a.pk), "manager": a.account_manager} for a in accounts]


@login_required
def workload(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    function = request.GET.get("function", "")
    if function and function not in Function.values:
        function = ""
    users = selectors.workload_users(viewer=request.user, function=function)
    loads = selectors.workload(users=users, viewer=request.user)
    # the people are listed a page at a time; the warnings and the function totals count all
    page = Paginator(loads, WORKLOAD_PAGE).get_page(_page_number(request))
    return render(
        request,
        "teams/workload.html",
        {
            "loads": loads,
            "rows": _workload_rows(list(page.object_list)),
            "page": page,
            "functions": selectors.function_load(loads=loads),
            "function": function,
            "function_choices": Function.choices,
            "over": [x for x in loads if x.over_allocated],
            "over_capacity": [x for x in loads if x.over_capacity],
            "without_sponsor": (
                _account_links(visible(request.user, selectors.accounts_without_sponsor()))
                if is_executive(request.user) or request.user.has_perm("kam.administer")
                else None
            ),
        },
    )


# --- Resource requests and the coordination feed (issue 14) ------------------------------------

COORDINATE = "kam.coordinate"
REQUESTS_PAGE = 25


def _page_number(request: AuthedHttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1


@login_required
def requests_list(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    try:
        qs = selectors.request_list(user=request.user, filters=request.GET)
    except FilterError as exc:
        messages.error(request, exc.message)
        qs = selectors.request_list(user=request.user)
    paginator = Paginator(visible(request.user, qs), REQUESTS_PAGE)
    page = paginator.get_page(_page_number(request))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "teams/requests.html",
        {
            "page": page,
            "statuses": RequestStatus.choices,
            "function_choices": Function.choices,
            "chosen_status": request.GET.getlist("status"),
            "chosen_function": request.GET.get("function", ""),
            "mine": request.GET.get("mine", "") in ("true", "on", "1", "True"),
            "overdue": request.GET.get("overdue", "") in ("true", "on", "1", "True"),
            "query": query.urlencode(),
            "programme": selectors.programme_indicators(),
            "function_labels": dict(Function.choices),
        },
    )


def _request(request: AuthedHttpRequest, pk: int) -> ResourceRequest:
    obj: ResourceRequest = get_for_user(
        ResourceRequest.objects.select_related("account", "unit", "requester", "assignee"),
        request.user,
        VIEW,
        pk=pk,
    )
    return obj


def _request_context(
    request: AuthedHttpRequest, obj: ResourceRequest, **forms: Any
) -> dict[str, Any]:
    return {
        "req": obj,
        "steps": REQUEST_WORKFLOW.allowed(request.user, obj),
        "accept_form": forms.get("accept_form") or AcceptForm(function=obj.function),
        "decline_form": forms.get("decline_form") or DeclineForm(),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "head": services.function_head(obj.function),
        **selectors.request_detail(request=obj),
    }


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """A request with its history and comments; POST adds a comment."""
    obj = _request(request, pk)
    status = 200
    form = CommentForm()
    if request.method == "POST":
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                services.request_comment_add(
                    request=obj, author=request.user, text=form.cleaned_data["text"]
                )
            except DomainError as exc:
                form.add_error("text", exc.message)
            else:
                return redirect("teams:request", obj.pk)
        status = 400
    return render(
        request,
        "teams/request.html",
        _request_context(request, obj, comment_form=form),
        status=status,
    )


@login_required
@require_POST
def request_step(request: AuthedHttpRequest, pk: int, step: str) -> HttpResponseBase:
    obj = _request(request, pk)
    if step not in STEPS:
        raise Http404
    transition = REQUEST_WORKFLOW[step]
    if not transition.permitted(request.user, obj):
        raise PermissionDenied
    assignee, reason = None, ""
    forms_: dict[str, Any] = {}
    if step == "accept":
        accept = AcceptForm(request.POST, function=obj.function)
        if not accept.is_valid():
            forms_["accept_form"] = accept
        else:
            assignee = accept.cleaned_data["assignee"]
    elif step == "decline":
        decline = DeclineForm(request.POST)
        if not decline.is_valid():
            forms_["decline_form"] = decline
        else:
            reason = decline.cleaned_data["reason"]
    if not forms_:
        try:
            services.request_step(
                request=obj, step=step, actor=request.user, assignee=assignee, reason=reason
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(request, "teams/request.html", _request_context(request, obj), status=409)
        messages.success(request, _("Done: %(step)s.") % {"step": transition.label})
        return redirect("teams:request", obj.pk)
    return render(
        request, "teams/request.html", _request_context(request, obj, **forms_), status=400
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """“Ask for help”: file a resource request for the account."""
    account = _account(request, pk).account
    require(request.user, COORDINATE, account)
    form = RequestForm(account=account)
    status = 200
    if request.method == "POST":
        form = RequestForm(request.POST, account=account)
        if form.is_valid():
            try:
                obj = services.request_create(
                    account=account, requester=request.user, **form.cleaned_data
                )
            except DomainError as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.message)
            else:
                messages.success(request, _("Your request was sent."))
                return redirect("teams:request", obj.pk)
        status = 400
    return render(
        request, "teams/request_new.html", {"account": account, "form": form}, status=status
    )


def _feed_args(request: AuthedHttpRequest) -> tuple[list[str], int]:
    kinds = [k for k in request.GET.getlist("kind") if k in selectors.FeedKind.values]
    return kinds, _page_number(request)


@login_required
@require_http_methods(["GET", "POST"])
def account_feed(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The coordination feed of one account, with a note form."""
    account = _account(request, pk)
    if not account.is_account:
        return redirect("teams:feed", account.account.pk)
    can_write = request.user.has_perm(COORDINATE, account)
    form = NoteForm(account=account)
    status = 200
    if request.method == "POST":
        require(request.user, COORDINATE, account)
        form = NoteForm(request.POST, account=account)
        if form.is_valid():
            try:
                services.feed_note_add(account=account, author=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error("text", exc.message)
            else:
                messages.success(request, _("Your note was added."))
                return redirect("teams:feed", account.pk)
        status = 400
    kinds, page = _feed_args(request)
    unit = None
    unit_id = request.GET.get("unit") or ""
    if unit_id.isdigit():
        unit = Unit.objects.in_account(account).filter(pk=int(unit_id)).first()
    items, more = selectors.feed(account_ids=[account.pk], kinds=kinds, unit=unit, page=page)
    indicators = selectors.request_indicators(account_ids=[account.pk]).get(account.pk)
    counts = selectors.team_counts(account_ids=[account.pk]).get(account.pk, {})
    return render(
        request,
        "teams/feed.html",
        {
            "account": account,
            "items": items,
            "more": more,
            "page": page,
            "kinds": selectors.FeedKind.choices,
            "chosen_kinds": kinds,
            "units": Unit.objects.in_account(account).order_by("path")[:200],
            "chosen_unit": unit,
            "form": form,
            "can_write": can_write,
            "indicators": indicators,
            "specialists": counts.get("specialists", 0),
            "sponsors": counts.get("sponsors", 0),
        },
        status=status,
    )


@login_required
def my_feed(request: AuthedHttpRequest) -> HttpResponseBase:
    """The feed of every account whose team the user is on or that they manage."""
    require(request.user, VIEW)
    account_ids = selectors.feed_account_ids(user=request.user)
    account_ids = list(
        visible(request.user, Unit.objects.filter(pk__in=account_ids)).values_list("pk", flat=True)
    )
    kinds, page = _feed_args(request)
    items, more = selectors.feed(account_ids=account_ids, kinds=kinds, page=page)
    return render(
        request,
        "teams/my_feed.html",
        {
            "items": items,
            "more": more,
            "page": page,
            "kinds": selectors.FeedKind.choices,
            "chosen_kinds": kinds,
            "accounts": len(account_ids),
        },
    )
