"""Kept health: stale marks by each kind of write, refresh of only the stale, history, trend,
profiles (rules, versions), sentiment and its disagreement flag."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kam.core.errors import DomainError
from kam.health import selectors, services
from kam.health.models import (
    AccountHealth,
    HealthMonth,
    HealthProfile,
    HealthProfileVersion,
    StaleHealth,
)
from kam.health.tasks import health_nightly_schedule
from kam.relationships.models import BuyingRole
from kam.teams.models import TeamMember, TeamRole
from kam.testing.factories import ContactFactory, UserFactory, make_unit

from .conftest import meet

pytestmark = pytest.mark.django_db


def stale_paths() -> set[str]:
    return set(StaleHealth.objects.values_list("account_path", flat=True))


def test_an_interaction_marks_its_account_stale_and_refresh_clears_it(
    world: dict[str, Any],
) -> None:
    other = make_unit("Other Group")
    services.health_refresh(everything=True)
    assert not stale_paths()
    meet(world["company"], timezone.localdate(), contacts=(world["contacts"][0],))
    assert stale_paths() == {world["group"].path}
    before = AccountHealth.objects.get(account=other).computed_at
    assert services.health_refresh() == 1  # only the stale account
    assert not stale_paths()
    assert AccountHealth.objects.get(account=other).computed_at == before
    assert AccountHealth.objects.get(account=world["group"]).components["recency"]["value"] > 90


def test_adding_a_contact_to_an_interaction_marks_the_account(world: dict[str, Any]) -> None:
    i = meet(world["company"], timezone.localdate())
    StaleHealth.objects.all().delete()
    i.contacts.add(world["contacts"][1])
    assert stale_paths() == {world["group"].path}


def test_a_buying_role_marks_the_account(world: dict[str, Any]) -> None:
    StaleHealth.objects.all().delete()
    BuyingRole.objects.create(account=world["group"], contact=ContactFactory(), role="decider")
    assert stale_paths() == {world["group"].path}
    StaleHealth.objects.all().delete()
    BuyingRole.objects.filter(role="decider").delete()
    assert stale_paths() == {world["group"].path}


def test_a_team_change_marks_the_account(world: dict[str, Any]) -> None:
    StaleHealth.objects.all().delete()
    member = TeamMember.objects.create(
        account=world["group"], user=UserFactory(role="specialist"), role=TeamRole.SERVICE
    )
    assert stale_paths() == {world["group"].path}
    StaleHealth.objects.all().delete()
    member.delete()
    assert stale_paths() == {world["group"].path}


def test_the_kept_figure_equals_a_direct_computation(world: dict[str, Any]) -> None:
    from kam.health import engine

    today = timezone.localdate()
    for d in (3, 40, 100):
        meet(world["company"], today - dt.timedelta(days=d), contacts=(world["contacts"][0],))
    services.health_refresh(everything=True)
    kept = AccountHealth.objects.get(account=world["group"])
    direct = engine.compute([world["group"].pk], today, selectors.params_for)[world["group"].pk]
    assert float(kept.score) == direct.score
    assert kept.grade == direct.grade


def test_history_is_kept_per_month_and_the_trend_compares_three_months_ago(
    world: dict[str, Any],
) -> None:
    today = timezone.localdate()
    for d in range(0, 60, 3):  # lots of recent contact, none before
        meet(world["company"], today - dt.timedelta(days=d), contacts=(world["contacts"][0],))
    services.health_history_build(months=4)
    months = list(HealthMonth.objects.filter(account=world["group"]).order_by("month"))
    assert len(months) == 5
    kept = AccountHealth.objects.get(account=world["group"])
    assert kept.trend == kept.score - months[1].score
    assert kept.trend > 0
    history = selectors.grade_history([world["group"].pk], 12)[world["group"].pk]
    assert [h["month"] for h in history] == [m.month for m in months]
    grades = selectors.account_grades([world["group"].pk])
    assert grades == {world["group"].pk: kept.grade}
    past = selectors.account_grades([world["group"].pk], months[0].month)
    assert past == {world["group"].pk: months[0].grade}


def test_a_rule_assigns_a_profile_by_tier(world: dict[str, Any]) -> None:
    strict = services.profile_create(code="global", name="Global accounts")
    draft = strict.versions.get()
    services.profile_version_update(
        version=draft, combine="worst_wins", weights={"continuity": 1, "recency": 1}
    )
    services.profile_version_activate(version=draft)
    services.profile_rule_add(profile=strict, tier="global")
    local = make_unit("Local Group", tier="key")
    params = selectors.params_for(
        [world["group"].pk, local.pk],
        {world["group"].pk: "global", local.pk: "key"},
        timezone.localdate(),
    )
    assert params[world["group"].pk].version_id == draft.pk
    assert params[world["group"].pk].combine == "worst_wins"
    assert params[local.pk].version_id != draft.pk


def test_activating_a_version_retires_the_old_one_and_marks_everything_stale(
    world: dict[str, Any],
) -> None:
    profile = HealthProfile.objects.get(is_default=True)
    old = profile.versions.get(status="active")
    StaleHealth.objects.all().delete()
    draft = services.profile_version_draft(profile=profile)
    assert draft.number == old.number + 1
    assert draft.weights == old.weights
    services.profile_version_activate(version=draft)
    old.refresh_from_db()
    assert old.status == "retired"
    assert world["group"].path in stale_paths()
    with pytest.raises(DomainError):
        services.profile_version_update(version=draft, good_from=70)


@pytest.mark.parametrize(
    "fields",
    [
        {"weights": {"frequency": -1}},
        {"weights": {"unknown": 5}},
        {"weights": dict.fromkeys(("frequency", "continuity"), 0)},
        {"good_from": 30, "fair_from": 50},
        {"combine": "median"},
        {"recency_half_life": 0},
    ],
)
def test_bad_version_values_are_refused(fields: dict[str, Any]) -> None:
    profile = HealthProfile.objects.get(is_default=True)
    draft = services.profile_version_draft(profile=profile)
    with pytest.raises(DomainError):
        services.profile_version_update(version=draft, **fields)
    draft.refresh_from_db()
    assert draft.weights == profile.versions.get(status="active").weights


def test_sentiment_is_kept_beside_the_score_and_a_big_gap_is_flagged(
    world: dict[str, Any],
) -> None:
    services.health_refresh(everything=True)
    kept = AccountHealth.objects.get(account=world["group"])
    assert kept.grade == "poor"
    services.sentiment_record(account=world["group"], grade="fair", note="ok", user=None)
    assert selectors.sentiment_disagreements() == []
    services.sentiment_record(account=world["group"], grade="good", note="great", user=None)
    flags = selectors.sentiment_disagreements([world["group"].pk])
    assert flags[0]["gap"] == 2 and flags[0]["sentiment"] == "good"
    # the score itself did not move
    assert AccountHealth.objects.get(account=world["group"]).score == kept.score


def test_sentiment_input_is_checked(world: dict[str, Any]) -> None:
    with pytest.raises(DomainError):
        services.sentiment_record(account=world["group"], grade="great", user=None)
    with pytest.raises(DomainError):
        services.sentiment_record(
            account=world["group"],
            grade="good",
            on=timezone.localdate() + dt.timedelta(days=2),
            user=None,
        )
    with pytest.raises(DomainError):
        services.sentiment_record(account=world["company"], grade="good", user=None)


def test_the_nightly_job_is_due_once_a_day(world: dict[str, Any]) -> None:
    assert services.health_nightly_due()
    services.health_refresh(everything=True)
    assert not services.health_nightly_due()
    AccountHealth.objects.update(as_of=timezone.localdate() - dt.timedelta(days=1))
    assert services.health_nightly_due()
    assert health_nightly_schedule()
    assert not health_nightly_schedule()  # queued already


def test_metrics_are_registered(world: dict[str, Any]) -> None:
    from kam.core.metrics import get_metric

    services.health_refresh(everything=True)
    pk = world["group"].pk
    today = timezone.localdate()
    assert get_metric("health.score").value(pk, today) == Decimal("0.0")
    assert get_metric("health.grade").value(pk, today) == "poor"
    assert get_metric("health.grade").level_rank("good") == 2
    assert "health.trend" in __import__("kam.core.metrics", fromlist=["registry"]).registry


def test_versions_keep_one_active_per_profile() -> None:
    assert HealthProfileVersion.objects.filter(status="active").count() == 1


def test_interactions_captured_in_bulk_mark_their_account(world: dict[str, Any]) -> None:
    from kam.interactions.signals import interactions_bulk_written

    i = meet(world["company"], timezone.localdate())
    StaleHealth.objects.all().delete()
    interactions_bulk_written.send(sender=None, interaction_ids=[i.pk])
    assert stale_paths() == {world["group"].path}
