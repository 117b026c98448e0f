"""Editing the account profile (the customer's goals, their buying process) and the contact
page the profile's contact list links to."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kam.core import pages
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require, visible
from kam.customers.models import Contact, Unit
from kam.customers.selectors import contact_positions
from kam.identification import services as identification_services
from kam.interactions.models import Interaction
from kam.planning.profile.forms import BuyingProcessForm, CustomerGoalForm
from kam.planning.profile.models import CustomerGoal
from kam.planning.profile.selectors import (
    buying_process,
    customer_goals,
    goal_source_choices,
    goal_source_search,
)
from kam.planning.profile.services import (
    buying_process_set,
    customer_goal_create,
    customer_goal_delete,
    customer_goal_update,
)

VIEW, CHANGE = "kam.view_account", "kam.change_account"
# Who takes a step on a key account from its page (the workflow checks it again)
KEY_ACCOUNT_STEPS = {
    "review": CHANGE,
    "keep": "kam.decide_nomination",
    "demote": "kam.decide_nomination",
}
NOTE_MAX = 5000
CONTACT_INTERACTIONS = 20


def _account(request: AuthedHttpRequest, pk: int) -> Unit:
    account: Unit = get_for_user(Unit.objects.accounts(), request.user, VIEW, pk=pk)
    require(request.user, CHANGE, account)
    return account


def _goals_page(
    request: AuthedHttpRequest, account: Unit, form: CustomerGoalForm, status: int = 200
) -> HttpResponseBase:
    return render(
        request,
        "web/account_goals.html",
        {"unit": account, "goals": customer_goals(account=account), "form": form},
        status=status,
    )


def _save_goal(
    request: AuthedHttpRequest, form: CustomerGoalForm, account: Unit, goal: CustomerGoal | None
) -> bool:
    if not form.is_valid():
        return False
    data: dict[str, Any] = dict(form.cleaned_data)
    try:
        if goal is None:
            customer_goal_create(account=account, user=request.user, **data)
        else:
            customer_goal_update(goal=goal, user=request.user, **data)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True


@login_required
def account_goals(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The customer's strategy, goals and initiatives: the list, and a form to add one."""
    account = _account(request, pk)
    if request.method == "POST":
        form = CustomerGoalForm(request.POST, account=account)
        if _save_goal(request, form, account, None):
            messages.success(request, _("Saved."))
            return redirect("web:account_goals", pk=account.pk)
        return _goals_page(request, account, form, status=400)
    return _goals_page(request, account, CustomerGoalForm(account=account))


@login_required
@require_GET
def account_goal_sources(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """Who told us, found by name (HTMX, decision 115): ``?q=`` answers the matches among the
    account's people, ``?pick=<id>`` the chosen one (empty: none) for the goal form."""
    account = _account(request, pk)
    return pages.picker_answer(
        request,
        field="source_contact",
        url=reverse("web:account_goal_sources", args=[account.pk]),
        choices=goal_source_choices(account=account),
        search=lambda q: goal_source_search(account=account, q=q),
        not_a_choice=_("Choose a person from the list."),
    )


@login_required
def account_goal_edit(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    goal: CustomerGoal = get_for_user(
        CustomerGoal.objects.select_related("account"), request.user, VIEW, pk=pk
    )
    account = goal.account
    require(request.user, CHANGE, account)
    if request.method == "POST":
        if request.POST.get("delete"):
            customer_goal_delete(goal=goal, user=request.user)
            messages.success(request, _("Deleted."))
            return redirect("web:account_goals", pk=account.pk)
        form = CustomerGoalForm(request.POST, account=account)
        if _save_goal(request, form, account, goal):
            messages.success(request, _("Saved."))
            return redirect("web:account_goals", pk=account.pk)
        status = 400
    else:
        form = CustomerGoalForm(
            account=account,
            initial={
                "kind": goal.kind,
                "text": goal.text,
                "source_contact": goal.source_contact_id,
                "confirmed": goal.confirmed,
                "confirmed_on": goal.confirmed_on,
            },
        )
        status = 200
    return render(
        request,
        "web/account_goal_edit.html",
        {"unit": account, "goal": goal, "form": form},
        status=status,
    )


@login_required
def account_buying_process(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk)
    status = 200
    if request.method == "POST":
        form = BuyingProcessForm(request.POST)
        if form.is_valid():
            try:
                buying_process_set(
                    account=account, user=request.user, text=form.cleaned_data["text"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("web:account", pk=account.pk)
        status = 400
    else:
        process = buying_process(account=account)
        form = BuyingProcessForm(initial={"text": process.text if process else ""})
    return render(
        request, "web/account_buying_process.html", {"unit": account, "form": form}, status=status
    )


@login_required
@require_GET
def contact(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """A person of the customer: where they work (and worked), their recent interactions."""
    person: Contact = get_for_user(Contact.objects.all(), request.user, VIEW, pk=pk)
    interactions = visible(request.user, Interaction.objects.filter(contacts=person))
    interactions = interactions.select_related("unit").order_by("-occurred_at")[
        :CONTACT_INTERACTIONS
    ]
    return render(
        request,
        "web/contact.html",
        {
            "contact": person,
            "positions": visible(request.user, contact_positions(contact=person)),
            "interactions": interactions,
        },
    )


@login_required
@require_POST
def key_account_step(request: AuthedHttpRequest, pk: int, step: str) -> HttpResponseBase:
    """Start the review of, keep or demote a key account, whether its tier came through a
    nomination in the app or not (decision 45)."""
    if step not in KEY_ACCOUNT_STEPS:
        raise Http404
    account: Unit = get_for_user(
        Unit.objects.accounts().select_related("account_manager"), request.user, VIEW, pk=pk
    )
    require(request.user, KEY_ACCOUNT_STEPS[step], account)
    text = (request.POST.get("reason") or request.POST.get("note") or "").strip()
    if len(text) > NOTE_MAX:
        return pages.bad_request(request, _("At most %(max)s characters.") % {"max": NOTE_MAX})
    try:
        identification_services.key_account_step(
            account=account, user=request.user, step=step, text=text
        )
    except DomainError as exc:
        return pages.bad_request(request, exc.message)
    done = {
        "review": _("The review of %(account)s has started."),
        "keep": _("%(account)s stays a key account."),
        "demote": _("%(account)s is a transactional account again."),
    }[step]
    messages.success(request, done % {"account": account.name})
    return redirect("web:account", pk=account.pk)
