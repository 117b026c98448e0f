"""Each indicator of the six conditions on hand-built data (DOMAIN §10)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kam.core.metrics import Metric, MetricUnit, registry
from kam.identification.models import (
    AccountScore,
    Nomination,
    NominationStatus,
    ScoringModel,
    ScoringRun,
)
from kam.interactions.models import Interaction
from kam.planning.models import AccountPlan, Objective
from kam.programme import selectors
from kam.programme.selectors import FIELD_KEYS, indicator
from kam.sales.models import Opportunity
from kam.teams.models import ResourceRequest
from kam.teams.services import team_member_add
from kam.testing.factories import UserFactory, make_unit

from .helpers import AS_OF, key, revenue

pytestmark = pytest.mark.django_db
START = dt.date(2026, 1, 1)


@pytest.fixture
def two_keys() -> tuple[Any, Any]:
    """Key accounts A (the well-run one) and C, and a transactional account B."""
    return key("A corp"), key("C corp")


def test_share_of_revenue_in_key_accounts(two_keys: tuple[Any, Any]) -> None:
    a, c = two_keys
    b = make_unit("B corp")
    revenue(a, 300)
    revenue(b, 700)
    found = indicator(key="key_revenue_share", as_of=AS_OF)
    assert found is not None
    assert found.figure == 30.0
    assert found.score == 60.0  # 30 % of a 50 % target
    assert found.accounts == [a.pk, c.pk]  # largest first


def test_key_account_targets_in_the_pipeline(two_keys: tuple[Any, Any]) -> None:
    a, c = two_keys
    site = make_unit("A plant", parent=a, kind="site")
    Opportunity.objects.create(unit=site, name="Line 2", stage="propose")
    Opportunity.objects.create(unit=c, name="Old", stage="won")
    found = indicator(key="key_pipeline", as_of=AS_OF)
    assert found is not None and found.figure == 50.0 and found.accounts == [c.pk]


def test_executive_sponsor_share_and_sponsor_interactions(two_keys: tuple[Any, Any]) -> None:
    a, c = two_keys
    boss = UserFactory(username="boss", role="executive")
    team_member_add(account=a, user=boss, role="executive_sponsor", start=START)
    share = indicator(key="sponsor_share", as_of=AS_OF)
    assert share is not None and share.figure == 50.0 and share.accounts == [c.pk]

    met = Interaction.objects.create(
        unit=a, type="meeting", occurred_at=dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    )
    met.participants.add(boss)
    old = Interaction.objects.create(
        unit=a, type="meeting", occurred_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    )
    old.participants.add(boss)
    found = indicator(key="sponsor_interactions", as_of=AS_OF)
    assert found is not None
    assert found.figure == 0.5  # one interaction in the quarter, two key accounts
    assert found.score == 50.0  # target: one per account per quarter
    assert found.accounts == [c.pk]


def test_resource_requests_done_on_time(two_keys: tuple[Any, Any]) -> None:
    a, c = two_keys
    asker = UserFactory(username="asker", role="kam")
    common = {"requester": asker, "function": "service", "what": "x", "status": "done"}
    ResourceRequest.objects.create(
        account=a,
        needed_by=dt.date(2026, 10, 10),
        done_at=dt.datetime(2026, 10, 5, tzinfo=dt.UTC),
        **common,
    )
    ResourceRequest.objects.create(
        account=c,
        needed_by=dt.date(2026, 10, 10),
        done_at=dt.datetime(2026, 10, 20, tzinfo=dt.UTC),
        **common,
    )
    found = indicator(key="requests_on_time", as_of=AS_OF)
    assert found is not None and found.figure == 50.0 and found.accounts == [c.pk]


def test_no_done_request_is_no_data(two_keys: tuple[Any, Any]) -> None:
    found = indicator(key="requests_on_time", as_of=AS_OF)
    assert found is not None and found.score is None


def test_specialists_per_team(two_keys: tuple[Any, Any]) -> None:
    a, c = two_keys
    team_member_add(account=a, user=UserFactory(username="svc"), role="service", start=START)
    found = indicator(key="specialists", as_of=AS_OF)
    assert found is not None
    assert found.figure == 0.5 and found.score == 25.0 and found.accounts == [c.pk]


def _plan(account: Any, mission: str = "Be their partner", status: str = "approved") -> Any:
    return AccountPlan.objects.create(
        account=account,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        mission=mission,
        status=status,
    )


def test_approved_plan_with_mission_and_measurable_objective(two_keys: tuple[Any, Any]) -> None:
    a, c = two_keys
    Objective.objects.create(
        plan=_plan(a), title="Grow", target_value=Decimal(10), deadline=dt.date(2026, 12, 31)
    )
    no_mission = _plan(c, mission="")
    Objective.objects.create(
        plan=no_mission, title="Grow", target_value=Decimal(10), deadline=dt.date(2026, 12, 31)
    )
    found = indicator(key="plan_share", as_of=AS_OF)
    assert found is not None and found.figure == 50.0 and found.accounts == [c.pk]


def test_objectives_on_track(two_keys: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    a, c = two_keys
    monkeypatch.setattr(
        selectors, "objective_counts", lambda plans, as_of: {a.pk: (1, 3), c.pk: (1, 1)}
    )
    found = indicator(key="objectives_on_track", as_of=AS_OF)
    assert found is not None and found.figure == 50.0 and found.accounts == [a.pk]


def test_objectives_none_is_no_data(two_keys: tuple[Any, Any]) -> None:
    found = indicator(key="objectives_on_track", as_of=AS_OF)
    assert found is not None and found.score is None


def test_field_figures_absent_are_no_data_and_left_out_of_the_score(
    two_keys: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for k in FIELD_KEYS:  # restored after the test: later tests read the field metrics
        monkeypatch.delitem(registry._metrics, k, raising=False)
    found = [i for i in selectors.indicators(as_of=AS_OF) if i.condition == 5]
    assert {i.key for i in found} == set(FIELD_KEYS)
    assert all(i.score is None and i.figure is None for i in found)
    [five] = [s for s in selectors.condition_scores(as_of=AS_OF) if s.condition == 5]
    assert five.indicator is None and five.score is None and five.basis == "none"


def test_field_figures_when_registered(two_keys: tuple[Any, Any]) -> None:
    a, c = two_keys
    saved = {k: registry.get(k) for k in FIELD_KEYS if k in registry}
    counts = Metric(
        key="field.units_without_rep",
        label="units without rep",
        unit=MetricUnit.COUNT,
        compute=lambda ids, as_of: {a.pk: 0, c.pk: 2},
    )
    share = Metric(
        key="field.linked_share",
        label="linked",
        unit=MetricUnit.PERCENT,
        compute=lambda ids, as_of: {a.pk: 80, c.pk: 20},
    )
    for k in FIELD_KEYS:
        registry.unregister(k)
    registry.register(counts)
    registry.register(share)
    try:
        units = indicator(key="field.units_without_rep", as_of=AS_OF)
        linked = indicator(key="field.linked_share", as_of=AS_OF)
        missed = indicator(key="field.missed_visits", as_of=AS_OF)
    finally:
        for k in FIELD_KEYS:
            registry.unregister(k)
        for m in saved.values():
            registry.register(m)
    assert units is not None and units.figure == 2 and units.score == 50.0
    assert units.accounts == [c.pk]
    assert linked is not None and linked.figure == 50.0 and linked.accounts == [c.pk]
    assert missed is not None and missed.score is None


def test_an_active_scoring_model() -> None:
    found = indicator(key="active_model", as_of=AS_OF)
    assert found is not None and found.score == 100.0
    ScoringModel.objects.update(status="archived")
    found = indicator(key="active_model", as_of=AS_OF)
    assert found is not None and found.score == 0.0


def test_key_accounts_meeting_the_criteria(two_keys: tuple[Any, Any]) -> None:
    a, c = two_keys
    none_yet = indicator(key="key_meeting_criteria", as_of=AS_OF)
    assert none_yet is not None and none_yet.score is None
    model = ScoringModel.objects.get(status="active")
    run = ScoringRun.objects.create(
        model=model, status="done", as_of=AS_OF, accounts_count=2, finished_at=timezone.now()
    )
    for unit, rec, rank in ((a, "key_candidate", 1), (c, "transactional", 2)):
        AccountScore.objects.create(
            run=run,
            account=unit,
            total=60,
            rank=rank,
            scope="local",
            completeness=80,
            recommendation=rec,
        )
    found = indicator(key="key_meeting_criteria", as_of=AS_OF)
    assert found is not None and found.figure == 50.0 and found.accounts == [c.pk]


def test_nominations_waiting_over_30_days(two_keys: tuple[Any, Any]) -> None:
    a, c = two_keys
    old = Nomination.objects.create(account=a, status=NominationStatus.NOMINATED)
    Nomination.objects.create(account=c, status=NominationStatus.NOMINATED)
    Nomination.objects.filter(pk=old.pk).update(created_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    found = indicator(key="nominations_waiting", as_of=AS_OF)
    assert found is not None
    assert found.figure == 1 and found.accounts == [a.pk] and found.score == 50.0


def test_objectives_on_track_on_hand_built_plans(two_keys: tuple[Any, Any]) -> None:
    """Objectives of the key accounts' current plans, judged by their recorded values against
    the time gone (AS_OF is 11 months into the plans' year)."""
    a, c = two_keys
    year: dict[str, Any] = {
        "target_value": Decimal(10),
        "baseline": Decimal(0),
        "deadline": dt.date(2026, 12, 31),
    }
    plan_a, plan_c = _plan(a), _plan(c)
    Objective.objects.create(plan=plan_a, title="Reached", current_value=Decimal(10), **year)
    Objective.objects.create(plan=plan_a, title="Stalled", current_value=Decimal(2), **year)
    Objective.objects.create(plan=plan_a, title="Nothing yet", current_value=Decimal(0), **year)
    Objective.objects.create(plan=plan_c, title="Ahead", current_value=Decimal(10), **year)
    old = AccountPlan.objects.create(
        account=c, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31)
    )
    Objective.objects.create(  # an old plan's objective: not counted
        plan=old,
        title="Old",
        target_value=Decimal(10),
        baseline=Decimal(0),
        current_value=Decimal(0),
        deadline=dt.date(2025, 12, 31),
    )
    b = make_unit("B corp")  # transactional: not counted
    Objective.objects.create(plan=_plan(b), title="Off", current_value=Decimal(0), **year)
    found = indicator(key="objectives_on_track", as_of=AS_OF)
    assert found is not None
    assert found.figure == 50.0 and found.score == 50.0  # 2 of 4 objectives
    assert found.accounts == [a.pk]
