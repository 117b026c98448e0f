"""Demo alerts: the nightly refresh run on the demo's day, then a few handled by their KAMs (one
acknowledged, one snoozed, one resolved with a note) and a daily digest asked for by one KAM,
so the inbox, the alerts list and ``kam alerts-digest`` (console backend) have something true
to show. Plans, the buying centre, roll-ups and stages of the earlier stages are what trigger
them: nothing here invents a condition."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kam.alerts.models import Alert, AlertEvent, AlertEventKind, AlertStatus, InboxState
from kam.alerts.services import alerts_refresh


def make_alerts(builder: Any) -> dict[str, int]:
    """Raise the demo's alerts as of ``builder.today`` and handle a few; returns counts."""
    today: dt.date = builder.today
    result = alerts_refresh(as_of=today, notify_owners=False)
    live = list(
        Alert.objects.filter(status=AlertStatus.OPEN, owner__isnull=False)
        .select_related("owner")
        .order_by("kind", "account__name", "pk")
    )
    by_kind: dict[str, list[Alert]] = {}
    for alert in live:
        by_kind.setdefault(alert.kind, []).append(alert)
    now = timezone.now()
    # one alert of three different kinds gets handled, the rest stays open for the inbox
    handled = [alerts[-1] for alerts in by_kind.values() if len(alerts) > 1][:3]
    steps = [
        (AlertStatus.ACKNOWLEDGED, AlertEventKind.ACKNOWLEDGED, "Discussed in the team meeting"),
        (AlertStatus.SNOOZED, AlertEventKind.SNOOZED, "After the trade fair"),
        (AlertStatus.RESOLVED, AlertEventKind.RESOLVED, "Met the new buyer; relationship set up"),
    ]
    until = max(today, timezone.localdate()) + dt.timedelta(days=14)
    for alert, (status, event, note) in zip(handled, steps, strict=False):
        alert.status, alert.note = status, note
        if status == AlertStatus.SNOOZED:
            alert.snoozed_until = until
        if status == AlertStatus.RESOLVED:
            alert.resolved_at = now
        alert.save(update_fields=["status", "note", "snoozed_until", "resolved_at"])
        AlertEvent.objects.create(alert=alert, kind=event, actor=alert.owner, at=now, note=note)
    owner = live[0].owner if live else None
    if owner is not None:
        InboxState.objects.update_or_create(user=owner, defaults={"digest": "daily"})
    return {"alerts": result.raised, "alert_kinds": len(by_kind)}
