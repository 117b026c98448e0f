"""The health rule of the alert engine: a key account whose grade fell since last month gets an
alert; a steady or rising one does not, and a transactional account is not asked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kam.alerts.models import Alert
from kam.alerts.services import alerts_refresh
from kam.health.models import AccountHealth, HealthMonth
from kam.testing.factories import UserFactory, make_unit

TODAY = dt.date(2026, 11, 15)


def _health(account, now: str, before: str) -> None:
    AccountHealth.objects.create(account=account, as_of=TODAY, score=Decimal(50), grade=now)
    HealthMonth.objects.create(
        account=account, month=dt.date(2026, 10, 1), score=Decimal(70), grade=before
    )


def _open(account) -> list[Alert]:
    return list(Alert.objects.filter(account=account, kind="health.grade_fell", status="open"))


def test_a_key_account_whose_health_fell_a_grade_gets_an_alert(db):
    kam = UserFactory(role="kam")
    fell = make_unit("Fell Co", tier="key", account_manager=kam)
    steady = make_unit("Steady Co", tier="key", account_manager=kam)
    rose = make_unit("Rose Co", tier="key", account_manager=kam)
    _health(fell, "fair", "good")
    _health(steady, "fair", "fair")
    _health(rose, "good", "poor")
    alerts_refresh(account_ids=[fell.pk, steady.pk, rose.pk], as_of=TODAY)
    [alert] = _open(fell)
    assert (alert.params["was"], alert.params["now"]) == ("good", "fair")
    assert alert.link == f"/health/accounts/{fell.pk}/"
    assert _open(steady) == [] and _open(rose) == []


def test_a_transactional_account_gets_no_health_alert(db):
    small = make_unit("Small Co")
    _health(small, "poor", "good")
    alerts_refresh(account_ids=[small.pk], as_of=TODAY)
    assert _open(small) == []
