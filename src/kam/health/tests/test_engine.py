"""Health components on hand-built interaction histories (DOMAIN §6)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from kam.health import engine
from kam.health.models import Combine
from kam.health.selectors import DEFAULT_PARAMS, params_for

from .conftest import AS_OF, meet

pytestmark = pytest.mark.django_db


def health(account_id: int, as_of: dt.date = AS_OF, params: engine.Params = DEFAULT_PARAMS):
    return engine.compute([account_id], as_of, lambda ids, tiers, day: dict.fromkeys(ids, params))[
        account_id
    ]


def test_no_history_is_poor_with_zero_components(world: dict[str, Any]) -> None:
    r = health(world["group"].pk)
    assert r.score == 0
    assert r.grade == "poor"
    assert r.components["breadth"]["dmu_size"] == 4
    assert r.components["recency"]["days_since_decider"] is None


def test_continuity_counts_months_with_contact_in_the_last_twelve(world: dict[str, Any]) -> None:
    company = world["company"]
    # three contacts in March, one each in January 2026 and July 2025; one in June 2025 is
    # outside the twelve months (July 2025 … June 2026)
    for day in (dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 20)):
        meet(company, day)
    meet(company, dt.date(2026, 1, 15))
    meet(company, dt.date(2025, 7, 1))
    meet(company, dt.date(2025, 6, 30))
    meet(company, dt.date(2026, 7, 1))  # after the day: not counted
    c = health(world["group"].pk).components["continuity"]
    assert c["months_with_contact"] == 3
    assert c["value"] == pytest.approx(25.0)


def test_frequency_is_interactions_per_month_of_the_last_90_days_against_the_norm(
    world: dict[str, Any],
) -> None:
    for d in range(6):  # six in 90 days = 2 per month = half of the norm 4
        meet(world["company"], AS_OF - dt.timedelta(days=10 * d))
    meet(world["company"], AS_OF - dt.timedelta(days=95))
    f = health(world["group"].pk).components["frequency"]
    assert f["interactions_90d"] == 6
    assert f["value"] == pytest.approx(50.0)


def test_breadth_and_depth_count_contacts_touched_in_180_days(world: dict[str, Any]) -> None:
    board, senior, middle, _operational = world["contacts"]
    meet(world["company"], AS_OF - dt.timedelta(days=20), contacts=(board, middle))
    meet(world["company"], AS_OF - dt.timedelta(days=200), contacts=(senior,))  # too old
    comps = health(world["group"].pk).components
    assert comps["breadth"]["dmu_touched"] == 2
    assert comps["breadth"]["value"] == pytest.approx(50.0)
    assert comps["depth"]["senior_touched"] == 1
    assert comps["depth"]["value"] == pytest.approx(50.0)


def test_our_side_breadth_counts_distinct_functions(world: dict[str, Any]) -> None:
    meet(world["company"], AS_OF - dt.timedelta(days=5), people=(world["sales"],))
    meet(world["company"], AS_OF - dt.timedelta(days=6), people=(world["sales"], world["service"]))
    o = health(world["group"].pk).components["our_side"]
    assert o["functions"] == ["sales", "service"]
    assert o["value"] == pytest.approx(66.7)


@pytest.mark.parametrize(("days", "expected"), [(0, 100.0), (30, 50.0), (60, 25.0), (90, 12.5)])
def test_recency_halves_every_30_days_since_the_last_decider_contact(
    world: dict[str, Any], days: int, expected: float
) -> None:
    decider = world["contacts"][0]
    meet(world["company"], AS_OF - dt.timedelta(days=days), contacts=(decider,))
    # a non-decider met yesterday does not count
    meet(world["company"], AS_OF - dt.timedelta(days=1), contacts=(world["contacts"][2],))
    r = health(world["group"].pk).components["recency"]
    # the day's end is the clock: a meeting at 10:00 is 14 hours before it
    assert r["days_since_decider"] == days
    assert r["value"] == pytest.approx(expected, abs=0.1)
    assert expected == pytest.approx(100 * math.exp(-days / 30 * math.log(2)), abs=0.1)


def test_weighted_and_worst_wins_combine_differently(world: dict[str, Any]) -> None:
    decider = world["contacts"][0]
    for m in range(12):  # continuity full, frequency partial, recency fresh
        meet(world["company"], AS_OF - dt.timedelta(days=30 * m), contacts=(decider,))
    weighted = health(world["group"].pk)
    worst = engine.Params(weights=dict(DEFAULT_PARAMS.weights), combine=Combine.WORST_WINS)
    strict = health(world["group"].pk, params=worst)
    values = [c["value"] for c in weighted.components.values()]
    assert strict.score == min(values)
    assert weighted.score > strict.score
    assert strict.grade == "poor"  # our-side breadth is 0: any poor component makes it poor


def test_a_component_with_no_weight_is_left_out(world: dict[str, Any]) -> None:
    for m in range(12):
        meet(world["company"], engine.month_starts(AS_OF)[m] + dt.timedelta(days=14))
    only = engine.Params(weights={"continuity": 1.0}, combine=Combine.WORST_WINS)
    assert health(world["group"].pk, params=only).score == 100.0


def test_the_default_profile_of_the_migration_has_the_documented_weights(
    world: dict[str, Any],
) -> None:
    params = params_for([world["group"].pk], {world["group"].pk: "global"}, AS_OF)
    assert params[world["group"].pk].weights == DEFAULT_PARAMS.weights
    assert params[world["group"].pk].version_id is not None


def test_a_group_rolls_up_from_its_companies_and_names_the_ones_left_out(
    world: dict[str, Any],
) -> None:
    from kam.health.selectors import group_rollup
    from kam.testing.factories import make_unit

    quiet = make_unit("Quiet SA", parent=world["group"])
    plant = make_unit("Plant", parent=world["company"], kind="site")
    decider = world["contacts"][0]
    for m in range(12):
        meet(plant, engine.month_starts(AS_OF)[m] + dt.timedelta(days=3), contacts=(decider,))
    rollup = group_rollup(account=world["group"], as_of=AS_OF)
    assert [row["unit"].pk for row in rollup["companies"]] == [world["company"].pk]
    assert [row["unit"].pk for row in rollup["excluded"]] == [quiet.pk]
    company = rollup["companies"][0]
    assert rollup["score"] == company["score"]  # one company judged: the group is it
    # the company's own score equals the account's here: all the account's contact is there
    assert company["score"] == health(world["group"].pk).score


def test_many_days_at_once_give_each_day_what_it_gives_alone(world: dict[str, Any]) -> None:
    """The monthly history reads the data once for thirteen days: each day's figures must be
    those of that day computed on its own (windows of one day must not leak into another)."""
    import random

    from kam.testing.factories import ContactFactory, EmploymentFactory, make_unit

    rng = random.Random(7)
    company, other = world["company"], make_unit("Other AG", tier="national")
    board, senior, middle, operational = world["contacts"]
    late = ContactFactory()  # a senior who joins mid-year and one who leaves
    EmploymentFactory(
        contact=late, unit=company, seniority="senior", start_date=dt.date(2026, 1, 10)
    )
    gone = ContactFactory()
    EmploymentFactory(
        contact=gone,
        unit=company,
        seniority="board",
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2025, 11, 15),
    )
    people = [world["sales"], world["service"]]
    for _ in range(60):
        day = AS_OF - dt.timedelta(days=rng.randint(0, 700))
        unit = company if rng.random() < 0.8 else other
        met = tuple(rng.sample([board, senior, middle, operational, late, gone], rng.randint(0, 3)))
        meet(unit, day, contacts=met, people=tuple(rng.sample(people, rng.randint(0, 2))))
    days = [d.replace(day=1) - dt.timedelta(days=1) for d in engine.month_starts(AS_OF, 13)]
    days.append(dt.date(2026, 6, 17))  # and a day that is not a month end

    def params(ids: list[int], tiers: dict[int, str], day: dt.date) -> dict[int, engine.Params]:
        return dict.fromkeys(ids, DEFAULT_PARAMS)

    together = engine.compute_days(None, days, params)
    assert sorted(together) == sorted(days)
    varied = set()
    for day in days:
        alone = engine.compute(None, day, params)
        assert together[day] == alone, day
        varied.add(alone[world["group"].pk].score)
    assert len(varied) > 5  # the days differ: the comparison is not between empty figures
