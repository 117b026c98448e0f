"""The alert engine: one live alert per key, snooze and wake, auto-resolve, intensity only for
key accounts, owners, events (a test rule registered for the test)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence

import pytest
from django.db import IntegrityError, transaction

from kam.alerts.models import Alert, AlertEventKind, AlertStatus
from kam.alerts.rules import AlertRule, Finding, rules
from kam.alerts.services import alert_step, alerts_refresh
from kam.alerts.workflows import ALERT_WORKFLOW
from kam.core.errors import DomainError
from kam.people.models import Notification
from kam.testing.factories import UserFactory, make_unit

from .conftest import TODAY

FLAGGED: set[int] = set()


def _flagged(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    return [
        Finding(account_id=pk, reason="Flag on %(day)s", params={"day": as_of}, link="/x/")
        for pk in account_ids
        if pk in FLAGGED
    ]


@pytest.fixture
def test_rules() -> Iterator[None]:
    """Only two test rules: one intensity rule, one for every account."""
    saved = dict(rules._rules)
    rules._rules.clear()
    rules.register(AlertRule("test.intense", "Intense", True, _flagged))
    rules.register(AlertRule("test.sales", "Sales", False, _flagged))
    FLAGGED.clear()
    yield
    rules._rules.clear()
    rules._rules.update(saved)
    FLAGGED.clear()


@pytest.fixture
def key(db: None):
    kam = UserFactory(username="kam1", role="kam")
    return make_unit("Key Co", tier="key", account_manager=kam)


@pytest.fixture
def transactional(db: None):
    return make_unit("Small Co")


def test_it_raises_once_per_key(test_rules, key):
    FLAGGED.add(key.pk)
    first = alerts_refresh(as_of=TODAY)
    again = alerts_refresh(as_of=TODAY)
    assert (first.raised, again.raised) == (2, 0)
    alerts = Alert.objects.filter(account=key)
    assert alerts.count() == 2
    alert = alerts.get(kind="test.intense")
    assert alert.owner == key.account_manager
    assert alert.text == f"Flag on {TODAY.isoformat()}"
    assert [e.kind for e in alert.events.all()] == [AlertEventKind.OPENED]
    # the owner heard of it once, with the count
    assert Notification.objects.filter(user=key.account_manager).count() == 1


def test_the_database_refuses_a_second_live_alert_with_a_key(test_rules, key):
    FLAGGED.add(key.pk)
    alerts_refresh(as_of=TODAY)
    alert = Alert.objects.get(kind="test.intense")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(kind=alert.kind, account=key, reason="x", key=alert.key)


def test_transactional_accounts_get_no_intensity_alerts(test_rules, transactional):
    FLAGGED.add(transactional.pk)
    alerts_refresh(as_of=TODAY)
    assert list(Alert.objects.values_list("kind", flat=True)) == ["test.sales"]


def test_it_resolves_when_the_condition_clears(test_rules, key):
    FLAGGED.add(key.pk)
    alerts_refresh(as_of=TODAY)
    FLAGGED.clear()
    result = alerts_refresh(as_of=TODAY)
    assert result.cleared == 2
    alert = Alert.objects.get(kind="test.intense")
    assert alert.status == AlertStatus.RESOLVED
    last = alert.events.last()
    assert last is not None and last.kind == AlertEventKind.CLEARED
    assert "cleared" in last.note
    # raised again later: a new alert, the resolved one stays as it was
    FLAGGED.add(key.pk)
    alerts_refresh(as_of=TODAY)
    assert Alert.objects.filter(kind="test.intense").count() == 2


def test_a_demoted_account_loses_its_intensity_alerts(test_rules, key):
    FLAGGED.add(key.pk)
    alerts_refresh(as_of=TODAY)
    key.tier = "transactional"
    key.save(update_fields=["tier"])
    alerts_refresh(account_ids=[key.pk], as_of=TODAY)
    assert Alert.objects.get(kind="test.intense").status == AlertStatus.RESOLVED
    assert Alert.objects.get(kind="test.sales").status == AlertStatus.OPEN


def test_snooze_sleeps_until_the_day_then_wakes(test_rules, key, monkeypatch):
    FLAGGED.add(key.pk)
    alerts_refresh(as_of=TODAY)
    alert = Alert.objects.get(kind="test.intense")
    until = dt.date.today() + dt.timedelta(days=10)
    alert_step(alert=alert, step="snooze", actor=key.account_manager, until=until)
    alerts_refresh(as_of=until - dt.timedelta(days=1))
    alert.refresh_from_db()
    assert (alert.status, alert.snoozed_until) == (AlertStatus.SNOOZED, until)
    assert Alert.objects.filter(kind="test.intense").count() == 1  # no duplicate while asleep
    result = alerts_refresh(as_of=until)
    alert.refresh_from_db()
    assert result.woke == 1
    assert (alert.status, alert.snoozed_until) == (AlertStatus.OPEN, None)
    assert [e.kind for e in alert.events.all()] == ["opened", "snoozed", "woke"]


def test_steps_need_the_right_state_and_input(test_rules, key):
    FLAGGED.add(key.pk)
    alerts_refresh(as_of=TODAY)
    alert = Alert.objects.get(kind="test.intense")
    kam = key.account_manager
    with pytest.raises(DomainError):
        alert_step(alert=alert, step="resolve", actor=kam, note="  ")
    with pytest.raises(DomainError):
        alert_step(alert=alert, step="snooze", actor=kam, until=dt.date.today())
    with pytest.raises(DomainError):
        alert_step(alert=alert, step="snooze", actor=kam)
    alert = alert_step(alert=alert, step="acknowledge", actor=kam, note="On it")
    assert alert.status == AlertStatus.ACKNOWLEDGED
    with pytest.raises(DomainError):
        alert_step(alert=alert, step="acknowledge", actor=kam)
    alert = alert_step(alert=alert, step="resolve", actor=kam, note="Called the CFO")
    assert (alert.status, alert.note) == (AlertStatus.RESOLVED, "Called the CFO")
    event = alert.events.last()
    assert event is not None and event.actor == kam and event.note == "Called the CFO"


def test_another_kam_may_not_handle_the_alert(test_rules, key):
    FLAGGED.add(key.pk)
    alerts_refresh(as_of=TODAY)
    alert = Alert.objects.get(kind="test.intense")
    other = UserFactory(username="kam2", role="kam")
    assert ALERT_WORKFLOW.allowed(other, alert) == []
    assert [t.name for t in ALERT_WORKFLOW.allowed(key.account_manager, alert)] == [
        "acknowledge",
        "snooze",
        "resolve",
    ]


def test_refresh_queries_do_not_grow_with_accounts(test_rules, db, django_assert_max_num_queries):
    kam = UserFactory(username="kam3", role="kam")
    accounts = [make_unit(f"Co {i}", tier="key", account_manager=kam) for i in range(3)]
    FLAGGED.update(a.pk for a in accounts)
    with django_assert_max_num_queries(20):
        alerts_refresh(as_of=TODAY)
    more = [make_unit(f"Co {i}", tier="key", account_manager=kam) for i in range(3, 30)]
    FLAGGED.update(a.pk for a in more)
    with django_assert_max_num_queries(20):
        alerts_refresh(as_of=TODAY)
    assert Alert.objects.count() == 60


def test_the_nightly_step_runs_once_a_day(test_rules, key):
    from django.utils import timezone

    from kam.alerts.services import alerts_nightly

    FLAGGED.add(key.pk)
    now = timezone.now()
    first = alerts_nightly(now=now)
    assert first is not None and first.raised == 2
    assert alerts_nightly(now=now) is None
    assert alerts_nightly(now=now + dt.timedelta(days=1)) is not None
