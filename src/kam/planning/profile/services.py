"""Writes of the account profile: the customer's goals and their buying process.

Each function checks ``kam.change_account`` on the account, validates, and writes in one
transaction; history rows name the author (django-simple-history).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.core.permissions import require
from kam.core.services import model_update
from kam.core.validation import check_date
from kam.customers.models import Contact, Employment, Unit, account_q
from kam.people.models import User

from .models import BUYING_PROCESS_MAX, GOAL_TEXT_MAX, BuyingProcess, CustomerGoal, GoalKind

GOAL_FIELDS = {"kind", "text", "source_contact", "confirmed", "confirmed_on"}


def _account(account: Unit) -> Unit:
    if not account.is_account:
        raise DomainError(
            _("Goals and the buying process belong to an account."), code="not_account"
        )
    return account


def _check_goal(goal: CustomerGoal) -> None:
    if goal.kind not in GoalKind.values:
        raise DomainError(_("Choose strategy, goal or initiative."), field="kind")
    goal.text = (goal.text or "").strip()
    if not goal.text:
        raise DomainError(_("Write what the customer aims at."), field="text")
    if len(goal.text) > GOAL_TEXT_MAX:
        raise DomainError(_("At most %(max)s characters.") % {"max": GOAL_TEXT_MAX}, field="text")
    if goal.source_contact_id is not None:
        works_here = Employment.objects.filter(
            account_q(goal.account, "unit__"), contact_id=goal.source_contact_id
        ).exists()
        if not works_here:
            raise DomainError(
                _("The person who told us must be a contact of this account."),
                field="source_contact",
            )
    if goal.confirmed_on is not None and not goal.confirmed:
        raise DomainError(
            _("A confirmation date needs the customer's confirmation."), field="confirmed_on"
        )
    check_date(goal.confirmed_on, "confirmed_on")
    if goal.confirmed and goal.confirmed_on is None:
        goal.confirmed_on = timezone.localdate()


def _author(instance: CustomerGoal | BuyingProcess, user: User) -> None:
    # simple_history records this (undeclared) attribute as the author of the change
    instance._history_user = user  # type: ignore[union-attr]


@transaction.atomic
def customer_goal_create(
    *,
    account: Unit,
    user: User,
    kind: str,
    text: str,
    source_contact: Contact | None = None,
    confirmed: bool = False,
    confirmed_on: dt.date | None = None,
) -> CustomerGoal:
    """Record a strategy, goal or initiative of the customer, with who told us."""
    require(user, "kam.change_account", account)
    goal = CustomerGoal(
        account=_account(account),
        kind=kind,
        text=text,
        source_contact=source_contact,
        confirmed=confirmed,
        confirmed_on=confirmed_on,
        created_by=user,
    )
    _check_goal(goal)
    _author(goal, user)
    goal.save()
    return goal


@transaction.atomic
def customer_goal_update(*, goal: CustomerGoal, user: User, **fields: Any) -> CustomerGoal:
    """Change a recorded goal (any of kind, text, source_contact, confirmed, confirmed_on)."""
    require(user, "kam.change_account", goal.account)
    goal = CustomerGoal.objects.select_for_update().select_related("account").get(pk=goal.pk)
    if fields.get("confirmed") is False and "confirmed_on" not in fields:
        fields["confirmed_on"] = None  # unconfirming clears the date
    if fields.get("confirmed") and not fields.get("confirmed_on") and goal.confirmed_on is None:
        fields["confirmed_on"] = timezone.localdate()
    if isinstance(fields.get("text"), str):
        fields["text"] = fields["text"].strip()
    _author(goal, user)
    goal, _changed = model_update(
        instance=goal, fields=GOAL_FIELDS, data=fields, validate=_check_goal
    )
    return goal


@transaction.atomic
def customer_goal_delete(*, goal: CustomerGoal, user: User) -> None:
    require(user, "kam.change_account", goal.account)
    _author(goal, user)
    goal.delete()


@transaction.atomic
def buying_process_set(*, account: Unit, user: User, text: str) -> BuyingProcess:
    """Write how the account buys (one text per account; its history keeps earlier texts)."""
    require(user, "kam.change_account", account)
    text = (text or "").strip()
    if len(text) > BUYING_PROCESS_MAX:
        raise DomainError(
            _("At most %(max)s characters.") % {"max": BUYING_PROCESS_MAX}, field="text"
        )
    process = BuyingProcess.objects.select_for_update().filter(
        account=_account(account)
    ).first() or BuyingProcess(account=account)
    process.text = text
    process.updated_by = user
    _author(process, user)
    process.save()
    return process
