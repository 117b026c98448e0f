"""The demo shows alerts of several kinds, some handled, none of intensity on a transactional
account, and a KAM who asked for the daily digest."""

from __future__ import annotations

import datetime as dt

from kam.alerts.models import Alert, AlertStatus, InboxState
from kam.alerts.rules import rules
from kam.demo.build import demo_build


def test_the_demo_has_alerts_of_several_kinds_some_handled(db):
    demo_build(scale="tiny", seed=7, today=dt.date(2026, 6, 15))
    kinds = set(Alert.objects.values_list("kind", flat=True))
    assert len(kinds) >= 3, kinds
    statuses = set(Alert.objects.values_list("status", flat=True))
    assert {AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED} <= statuses, statuses
    intensity = Alert.objects.filter(kind__in=[r.kind for r in rules.all() if r.intensity])
    assert not intensity.filter(account__tier="transactional").exists()
    assert InboxState.objects.filter(digest="daily").exists()
