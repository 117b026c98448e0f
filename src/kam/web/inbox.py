"""The KAM's inbox on My accounts (PRODUCT §8): open alerts, due actions, cooling
relationships and what changed on my accounts since my last visit.

It sits in ``web`` (the top layer) because it reads every app at once: alerts, planning,
interactions, relationships, sales and teams. Every part is one bounded query (a few with a
limit), whatever the number of accounts and rows: the "what changed" lines are computed from the
data's own timestamps and history rows, each linked to its record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.alerts.models import Alert, AlertStatus
from kam.alerts.selectors import alert_settings, alert_steps
from kam.customers.models import Unit, account_path_of
from kam.health.models import GRADE_RANK, AccountHealth, Grade
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.planning.models import OPEN_ACTION_STATUSES, Action, PlanEvent, PlanEventKind
from kam.relationships.models import Stage, StageAssessment
from kam.sales.models import Transaction
from kam.teams.models import TeamMember

LIMIT = 10  # lines per part of the inbox
ALERT_LIMIT = 20
COOLING_DAYS = 90  # the two windows compared for "cooling"
COOLING_RATIO = 0.5  # interactions in the last window at most half of the window before


@dataclass(frozen=True)
class Change:
    at: dt.datetime
    kind: str  # interaction, stage, plan, order, team, alert
    label: str  # the kind, translated
    account_id: int
    account: str
    text: str
    link: str


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def inbox_alerts(*, user: User, account_ids: list[int]) -> list[tuple[Alert, list[str]]]:
    """Open and acknowledged alerts of my accounts and those I own, with the steps I may take
    (one query: the account and its manager come with each alert)."""
    alerts = list(
        Alert.objects.filter(
            Q(account_id__in=account_ids) | Q(owner=user),
            status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED],
        )
        .select_related("account__account_manager", "owner")
        .order_by("status", "-raised_on", "-pk")[:ALERT_LIMIT]
    )
    return [(a, alert_steps(user=user, alert=a)) for a in alerts]


def due_actions(*, user: User, account_ids: list[int], as_of: dt.date) -> list[Action]:
    """Open plan actions of my accounts or mine, overdue or due within a week (one query)."""
    return list(
        Action.objects.filter(
            Q(plan__account_id__in=account_ids) | Q(owner=user),
            status__in=OPEN_ACTION_STATUSES,
            due_date__lte=as_of + dt.timedelta(days=7),
        )
        .select_related("plan__account", "owner")
        .order_by("due_date", "pk")[:LIMIT]
    )


def cooling_accounts(*, account_ids: list[int], as_of: dt.date) -> list[dict[str, Any]]:
    """My accounts whose interactions in the last 90 days fell to half or less of the 90 days
    before (one query)."""
    if not account_ids:
        return []
    accounts = Unit.objects.filter(pk__in=account_ids)
    now = _aware(as_of + dt.timedelta(days=1))
    mid = now - dt.timedelta(days=COOLING_DAYS)
    start = mid - dt.timedelta(days=COOLING_DAYS)
    rows = (
        Interaction.objects.filter(
            unit__in=Unit.objects.in_accounts_of(accounts).values("pk"),
            occurred_at__gte=start,
            occurred_at__lt=now,
        )
        .annotate(acc=account_path_of("unit__path"))
        .order_by()
        .values("acc")
        .annotate(
            last=Count("pk", filter=Q(occurred_at__gte=mid)),
            before=Count("pk", filter=Q(occurred_at__lt=mid)),
        )
    )
    by_path = {u.path: u for u in accounts.only("pk", "name", "path")}
    out = []
    for r in rows:
        if r["before"] >= 2 and r["last"] <= r["before"] * COOLING_RATIO and r["acc"] in by_path:
            unit = by_path[r["acc"]]
            out.append(
                {"account": unit, "last": r["last"], "before": r["before"], "days": COOLING_DAYS}
            )
    out.sort(key=lambda r: (r["last"] / r["before"], r["account"].name))
    return out[:LIMIT]


def changes_since(*, account_ids: list[int], since: dt.datetime) -> list[Change]:
    """What changed on my accounts after ``since``: new interactions, confirmed stages, plan
    approvals, big orders, team changes, new alerts and health grades that rose or fell (seven
    queries, newest first)."""
    if not account_ids:
        return []
    accounts = Unit.objects.filter(pk__in=account_ids)
    rows = list(accounts.values_list("pk", "name", "path"))
    names = {pk: name for pk, name, _path in rows}
    paths = {path: pk for pk, _name, path in rows}
    units = Unit.objects.in_accounts_of(accounts).values("pk")
    out: list[Change] = []
    for pk, summary, created, acc in (
        Interaction.objects.filter(unit__in=units, created_at__gt=since)
        .annotate(acc=account_path_of("unit__path"))
        .order_by("-created_at", "-pk")
        .values_list("pk", "summary", "created_at", "acc")[:LIMIT]
    ):
        account_id = paths[acc]
        out.append(
            Change(
                created,
                "interaction",
                _("Interaction"),
                account_id,
                names[account_id],
                summary,
                reverse("web:account", args=[account_id]) + f"#interaction-{pk}",
            )
        )
    stages = dict(Stage.choices)
    for a in (
        StageAssessment.objects.filter(account_id__in=account_ids, decided_at__gt=since)
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")[:LIMIT]
    ):
        out.append(
            Change(
                a.decided_at,
                "stage",
                _("Stage"),
                a.account_id,
                names[a.account_id],
                _("Stage confirmed: %(stage)s") % {"stage": stages.get(a.confirmed, a.confirmed)},
                reverse("relationships:buying_centre", args=[a.account_id]),
            )
        )
    for e in (
        PlanEvent.objects.filter(
            plan__account_id__in=account_ids, kind=PlanEventKind.APPROVED, at__gt=since
        )
        .select_related("plan", "actor")
        .order_by("-at", "-pk")[:LIMIT]
    ):
        who = str(e.actor) if e.actor else "—"
        out.append(
            Change(
                e.at,
                "plan",
                _("Plan"),
                e.plan.account_id,
                names[e.plan.account_id],
                _("Plan approved by %(who)s") % {"who": who},
                reverse("planning:plan", args=[e.plan_id]),
            )
        )
    big = alert_settings().big_order_amount
    for _pk, day, amount, acc in (
        Transaction.objects.filter(unit__in=units, date__gte=since.date(), net_amount__gte=big)
        .annotate(acc=account_path_of("unit__path"))
        .order_by("-date", "-pk")
        .values_list("pk", "date", "net_amount", "acc")[:LIMIT]
    ):
        account_id = paths[acc]
        out.append(
            Change(
                _aware(day),
                "order",
                _("Big order"),
                account_id,
                names[account_id],
                _("An order of %(amount)s") % {"amount": f"{amount:,.0f}"},
                reverse("web:account_transactions", args=[account_id]),
            )
        )
    for m in (
        TeamMember.objects.filter(account_id__in=account_ids, updated_at__gt=since)
        .select_related("user")
        .order_by("-updated_at", "-pk")[:LIMIT]
    ):
        text = (
            _("%(who)s left the team") % {"who": m.user}
            if m.end is not None
            else _("%(who)s joined the team as %(role)s")
            % {"who": m.user, "role": m.get_role_display()}
        )
        out.append(
            Change(
                m.updated_at,
                "team",
                _("Team"),
                m.account_id,
                names[m.account_id],
                text,
                reverse("teams:account_team", args=[m.account_id]),
            )
        )
    for alert in Alert.objects.filter(account_id__in=account_ids, created_at__gt=since).order_by(
        "-created_at", "-pk"
    )[:LIMIT]:
        out.append(
            Change(
                alert.created_at,
                "alert",
                _("Alert"),
                alert.account_id,
                names[alert.account_id],
                alert.text,
                alert.link or reverse("alerts:list") + f"?account={alert.account_id}",
            )
        )
    grades = dict(Grade.choices)
    for account_id, grade, previous, changed_at in (
        AccountHealth.objects.filter(
            account_id__in=account_ids, grade_changed_at__gt=since, grade_changed_at__isnull=False
        )
        .exclude(previous_grade="")
        .order_by("-grade_changed_at", "-pk")
        .values_list("account_id", "grade", "previous_grade", "grade_changed_at")[:LIMIT]
    ):
        if changed_at is None:  # excluded by the filter; says so to the type checker
            continue
        rose = GRADE_RANK.get(grade, 0) > GRADE_RANK.get(previous, 0)
        words = (
            _("Health rose from %(before)s to %(after)s")
            if rose
            else _("Health fell from %(before)s to %(after)s")
        )
        out.append(
            Change(
                changed_at,
                "health",
                _("Health"),
                account_id,
                names[account_id],
                words
                % {"before": grades.get(previous, previous), "after": grades.get(grade, grade)},
                reverse("health:account", args=[account_id]),
            )
        )
    out.sort(key=lambda c: c.at, reverse=True)
    return out


def inbox(*, user: User, account_ids: list[int], since: dt.datetime | None) -> dict[str, Any]:
    today = timezone.localdate()
    since = since or timezone.now() - dt.timedelta(days=7)
    return {
        "alerts": inbox_alerts(user=user, account_ids=account_ids),
        "actions": due_actions(user=user, account_ids=account_ids, as_of=today),
        "cooling": cooling_accounts(account_ids=account_ids, as_of=today),
        "changes": changes_since(account_ids=account_ids, since=since),
        "since": since,
    }
