"""Each registered rule's trigger and non-trigger, through the engine (so the intensity flag
and the keys are exercised as in production)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from kam.alerts.models import Alert
from kam.alerts.rules import rules
from kam.alerts.services import alerts_refresh
from kam.planning.models import AccountPlan, Action, PlanStatus
from kam.relationships.models import BuyingRole, ContactStance, StageAssessment
from kam.relationships.selectors import stage_suggestions
from kam.testing.factories import UserFactory, make_unit

from .conftest import TODAY, employ, meet, sell


def kinds(account) -> set[str]:
    alerts_refresh(account_ids=[account.pk], as_of=TODAY)
    return set(Alert.objects.filter(account=account, status="open").values_list("kind", flat=True))


@pytest.fixture
def kam(db):
    return UserFactory(username="kam1", role="kam")


@pytest.fixture
def account(kam):
    return make_unit("Key Co", tier="key", account_manager=kam)


def test_every_rule_of_the_issue_is_registered():
    assert {r.kind for r in rules.all()} >= {
        "relationships.decider_silence",
        "relationships.single_point",
        "relationships.champion_left",
        "relationships.stage_mismatch",
        "planning.plan_review_overdue",
        "planning.actions_overdue",
        "sales.revenue_drop",
    }
    assert not rules.get("sales.revenue_drop").intensity
    assert rules.get("relationships.decider_silence").intensity


def test_decider_not_met_for_60_days(account, kam):
    cfo = employ(None, account)
    BuyingRole.objects.create(account=account, contact=cfo, role="decider")
    meet(account, TODAY - dt.timedelta(days=61), [kam], [cfo])
    assert "relationships.decider_silence" in kinds(account)
    alert = Alert.objects.get(kind="relationships.decider_silence")
    assert str(cfo) in alert.text and "60" in alert.text
    assert alert.evidence["deciders"][0]["contact_id"] == cfo.pk


def test_decider_met_recently_raises_nothing(account, kam):
    cfo = employ(None, account)
    BuyingRole.objects.create(account=account, contact=cfo, role="decider")
    meet(account, TODAY - dt.timedelta(days=20), [kam], [cfo])
    assert "relationships.decider_silence" not in kinds(account)


def test_a_decider_who_left_is_not_a_silent_decider(account, kam):
    cfo = employ(None, account, end_date=TODAY - dt.timedelta(days=5))
    BuyingRole.objects.create(account=account, contact=cfo, role="decider")
    assert "relationships.decider_silence" not in kinds(account)


def test_single_point_of_failure(account, kam):
    a, b = employ(None, account), employ(None, account)
    meet(account, TODAY - dt.timedelta(days=10), [kam], [a, b])
    assert "relationships.single_point" in kinds(account)


def test_ties_spread_over_people_are_no_single_point(account, kam):
    others = [UserFactory(username=f"u{i}", role="specialist") for i in range(3)]
    for user in others:
        meet(account, TODAY - dt.timedelta(days=10), [user], [employ(None, account)])
    assert "relationships.single_point" not in kinds(account)


def test_champion_left_without_replacement_for_90_days(account):
    champ = employ(None, account, end_date=TODAY - dt.timedelta(days=100))
    ContactStance.objects.create(account=account, contact=champ, attitude="champion")
    assert "relationships.champion_left" in kinds(account)


def test_champion_left_recently_or_replaced_raises_nothing(account, kam):
    champ = employ(None, account, end_date=TODAY - dt.timedelta(days=30))
    ContactStance.objects.create(account=account, contact=champ, attitude="champion")
    assert "relationships.champion_left" not in kinds(account)
    other = make_unit("Other Co", tier="key", account_manager=kam)
    gone = employ(None, other, end_date=TODAY - dt.timedelta(days=200))
    ContactStance.objects.create(account=other, contact=gone, attitude="champion")
    successor = employ(None, other)
    ContactStance.objects.create(account=other, contact=successor, attitude="champion")
    assert "relationships.champion_left" not in kinds(other)


def test_stage_mismatch(account, kam):
    suggested = stage_suggestions([account.pk], timezone.localdate())[account.pk].stage
    other = "synergistic" if suggested != "synergistic" else "pre"
    StageAssessment.objects.create(
        account=account,
        suggested=suggested,
        confirmed=other,
        decided_by=kam,
        decided_at=timezone.now(),
    )
    assert "relationships.stage_mismatch" in kinds(account)
    StageAssessment.objects.create(
        account=account,
        suggested=suggested,
        confirmed=suggested,
        decided_by=kam,
        decided_at=timezone.now() + dt.timedelta(seconds=1),
    )
    assert "relationships.stage_mismatch" not in kinds(account)


def _plan(account, **fields):
    return AccountPlan.objects.create(
        account=account,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        **fields,
    )


def test_plan_overdue_for_review(account):
    _plan(account, status=PlanStatus.APPROVED, next_review_due=TODAY - dt.timedelta(days=3))
    assert "planning.plan_review_overdue" in kinds(account)


def test_plan_with_review_ahead_raises_nothing(account):
    _plan(account, status=PlanStatus.APPROVED, next_review_due=TODAY + dt.timedelta(days=3))
    assert "planning.plan_review_overdue" not in kinds(account)


def test_actions_overdue(account, kam):
    plan = _plan(account)
    Action.objects.create(plan=plan, title="Visit", owner=kam, due_date=TODAY - dt.timedelta(1))
    Action.objects.create(plan=plan, title="Call", owner=kam, due_date=TODAY + dt.timedelta(9))
    assert "planning.actions_overdue" in kinds(account)
    alert = Alert.objects.get(kind="planning.actions_overdue")
    assert alert.params["count"] == 1


def test_done_or_future_actions_raise_nothing(account, kam):
    plan = _plan(account)
    Action.objects.create(
        plan=plan, title="Visit", owner=kam, due_date=TODAY - dt.timedelta(1), status="done"
    )
    Action.objects.create(plan=plan, title="Call", owner=kam, due_date=TODAY + dt.timedelta(9))
    assert "planning.actions_overdue" not in kinds(account)


def _two_years(unit, before: int, after: int) -> None:
    sell(unit, {dt.date(2025, 3, 10): Decimal(before), dt.date(2026, 3, 10): Decimal(after)})


def test_revenue_fell_20_percent_on_any_account(db):
    small = make_unit("Small Co")  # transactional: revenue is a sales KPI of both modes
    _two_years(small, 1000, 790)
    assert "sales.revenue_drop" in kinds(small)
    alert = Alert.objects.get(kind="sales.revenue_drop")
    assert alert.params["drop"] == "21"
    assert alert.owner is None


def test_revenue_fell_less_raises_nothing(db):
    small = make_unit("Small Co")
    _two_years(small, 1000, 810)
    assert "sales.revenue_drop" not in kinds(small)


def test_transactional_accounts_get_no_intensity_alert_from_real_rules(kam):
    small = make_unit("Small Co", account_manager=kam)
    cfo = employ(None, small)
    BuyingRole.objects.create(account=small, contact=cfo, role="decider")
    meet(small, TODAY - dt.timedelta(days=100), [kam], [cfo])
    _plan(small, status=PlanStatus.APPROVED, next_review_due=TODAY - dt.timedelta(days=3))
    assert kinds(small) == set()


def test_a_stage_mismatch_reason_names_the_stages_in_the_readers_language(account, kam):
    StageAssessment.objects.create(
        account=account,
        suggested="early",
        confirmed="synergistic",
        decided_by=kam,
        decided_at=timezone.now(),
    )
    alerts_refresh(account_ids=[account.pk], as_of=TODAY)
    alert = Alert.objects.get(kind="relationships.stage_mismatch", account=account)
    assert alert.params["confirmed"] == "synergistic"  # the code is stored
    assert "“Synergistic”" in alert.text
    assert "“synergistic”" not in alert.text
    with translation.override("ru"):
        shown = alert.text
    assert "Синергетическ" in shown
    assert "synergistic" not in shown.lower()
