"""Pages of account teams: the team of an account (with suggestions) and the workload view."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, is_executive, require, visible
from kam.customers.models import Unit
from kam.people.models import Function, User

from . import selectors, services
from .forms import EndForm, MemberForm
from .models import TeamMember

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


@login_required
def workload(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    function = request.GET.get("function", "")
    if function and function not in Function.values:
        function = ""
    users = selectors.workload_users(viewer=request.user, function=function)
    loads = selectors.workload(users=users)
    return render(
        request,
        "teams/workload.html",
        {
            "loads": loads,
            "functions": selectors.function_load(loads=loads),
            "function": function,
            "function_choices": Function.choices,
            "over": [x for x in loads if x.over_allocated],
            "over_capacity": [x for x in loads if x.over_capacity],
            "without_sponsor": (
                list(visible(request.user, selectors.accounts_without_sponsor()))
                if is_executive(request.user) or request.user.has_perm("kam.administer")
                else None
            ),
        },
    )
