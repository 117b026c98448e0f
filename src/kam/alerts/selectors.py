"""Reads of alerts: settings, the list (one FilterSet), counts per account, the digest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from django.db.models import Count, QuerySet

from kam.core.filters import FilterError
from kam.core.metrics import MetricValue
from kam.people.models import User

from .filters import AlertFilter
from .models import LIVE_STATUSES, Alert, AlertEvent, AlertSettings, AlertStatus, InboxState
from .rules import rules
from .workflows import ALERT_WORKFLOW


def alert_settings() -> AlertSettings:
    """The settings row (seeded by a migration); the documented defaults, unsaved, when it is
    missing, so that a read never writes."""
    return AlertSettings.objects.order_by("pk").first() or AlertSettings()


def alert_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Alert]:
    """Alerts matching the list filters (:class:`AlertFilter`), newest first; the page and
    ``GET /alerts`` both read this (callers narrow it to what the user may see)."""
    qs = Alert.objects.select_related("account__account_manager", "owner", "unit")
    filterset = AlertFilter(filters or None, queryset=qs, request=SimpleNamespace(user=user))
    if filterset.is_bound and not filterset.form.is_valid():
        raise FilterError(filterset.form)
    result: QuerySet[Alert] = filterset.qs.order_by("-raised_on", "-pk")
    return result


def live_alerts(*, account_ids: Sequence[int], limit: int = 50) -> list[Alert]:
    """Open and acknowledged alerts (snoozed ones sleep) of these accounts, open first."""
    return list(
        Alert.objects.filter(
            account_id__in=list(account_ids),
            status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED],
        )
        .select_related("account__account_manager", "owner")
        .order_by("status", "-raised_on", "-pk")[:limit]
    )


def alert_events(*, alert: Alert) -> list[AlertEvent]:
    return list(alert.events.select_related("actor").order_by("at", "pk"))


def alert_steps(*, user: User, alert: Alert) -> list[str]:
    """The names of the steps ``user`` may take on ``alert`` now."""
    return [t.name for t in ALERT_WORKFLOW.allowed(user, alert)]


def open_alert_values(account_ids: Sequence[int], as_of: dt.date) -> dict[int, MetricValue]:
    """Metric ``alerts.open``: live alerts (open, acknowledged, snoozed) per account (one
    query; ``as_of`` is ignored: the store keeps today's state only)."""
    out: dict[int, MetricValue] = dict.fromkeys(account_ids, 0)
    rows = (
        Alert.objects.filter(account_id__in=list(account_ids), status__in=LIVE_STATUSES)
        .order_by()
        .values("account_id")
        .annotate(n=Count("pk"))
    )
    for r in rows:
        out[r["account_id"]] = r["n"]
    return out


def rule_label(kind: str) -> str:
    rule = rules.get(kind)
    return str(rule.label) if rule is not None else kind


def inbox_state(*, user: User) -> InboxState | None:
    return InboxState.objects.filter(user=user).first()


def digest_recipients(*, frequency: str) -> QuerySet[InboxState]:
    return (
        InboxState.objects.filter(digest=frequency, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
    )


def digest_alerts(*, user: User, since: dt.datetime | None, limit: int = 50) -> dict[str, Any]:
    """What a user's digest lists: alerts raised since ``since`` on accounts they own, and how
    many of theirs are open in all (two queries)."""
    mine = Alert.objects.filter(owner=user)
    new = mine.filter(status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED])
    if since is not None:
        new = new.filter(created_at__gte=since)
    return {
        "new": list(new.select_related("account").order_by("-created_at", "-pk")[:limit]),
        "open": mine.filter(status=AlertStatus.OPEN).count(),
    }
