"""The planning app's alert rules (DOMAIN §6), registered in ``kam.alerts.rules``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from kam.alerts.rules import AlertRule, Finding, register_rule

from .models import OPEN_ACTION_STATUSES, Action, PlanStatus
from .selectors import current_plans, effective_status


def plan_review_overdue(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """The account's current plan is approved and its review date has passed (one query)."""
    out = []
    for acc, plan in current_plans(account_ids, as_of).items():
        if effective_status(plan, as_of) != PlanStatus.REVIEW_DUE or plan.next_review_due is None:
            continue
        out.append(
            Finding(
                account_id=acc,
                reason=gettext_noop("Plan overdue for review since %(due)s"),
                params={"due": plan.next_review_due.isoformat()},
                evidence={"plan_id": plan.pk, "next_review_due": plan.next_review_due},
                link=reverse("planning:plan", args=[plan.pk]),
            )
        )
    return out


def actions_overdue(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """Open actions of the current plan past their due date (two queries): one finding for the
    account's own actions and one per unit below the account, so the alert of a field unit's
    actions goes to whoever answers for that unit (the sales manager of its rep)."""
    plans = current_plans(account_ids, as_of)
    account_of = {p.pk: acc for acc, p in plans.items()}
    late: dict[tuple[int, int | None], list[dict[str, object]]] = defaultdict(list)
    for plan_id, pk, title, due, unit_id in (
        Action.objects.filter(
            plan_id__in=list(account_of), status__in=OPEN_ACTION_STATUSES, due_date__lt=as_of
        )
        .order_by("due_date", "pk")
        .values_list("plan_id", "pk", "title", "due_date", "unit_id")
    ):
        below = unit_id if unit_id not in (None, account_of[plan_id]) else None
        late[(plan_id, below)].append({"action_id": pk, "title": title, "due": due})
    return [
        Finding(
            account_id=account_of[plan_id],
            reason=gettext_noop("%(count)s plan actions are overdue, the oldest since %(since)s"),
            params={"count": len(rows), "since": str(rows[0]["due"])},
            evidence={"actions": rows[:20], "count": len(rows)},
            link=reverse("planning:plan", args=[plan_id]),
            subject="" if unit_id is None else f"unit:{unit_id}",
            unit_id=unit_id,
        )
        for (plan_id, unit_id), rows in late.items()
    ]


def register_alert_rules() -> None:
    register_rule(
        AlertRule(
            kind="planning.plan_review_overdue",
            label=_("Plan overdue for review"),
            intensity=True,
            evaluate=plan_review_overdue,
        )
    )
    register_rule(
        AlertRule(
            kind="planning.actions_overdue",
            label=_("Plan actions overdue"),
            intensity=True,
            evaluate=actions_overdue,
        )
    )
