"""DOMAIN §5 arithmetic on hand-built accounts, compared with values computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.relationships import coverage
from kam.relationships.coverage import AccountData, Settings

DAY = dt.date(2026, 11, 30)
KAM, ANNA, BORIS, CLARA = 1, 2, 3, 4
WEIGHTS = {"meeting": 3.0, "call": 1.0, "email": 0.5}


def _ia(n: int, ours: set[int], theirs: set[int], kind: str = "meeting"):
    return (n, kind, DAY, frozenset(ours), frozenset(theirs))


# --- decay ---------------------------------------------------------------------------------------


def test_decay_halves_after_one_half_life() -> None:
    assert coverage.decay_factor(0, 90) == 1.0
    assert coverage.decay_factor(90, 90) == pytest.approx(0.5)
    assert coverage.decay_factor(180, 90) == pytest.approx(0.25)


def test_strength_is_weights_times_decay() -> None:
    items = [("meeting", DAY - dt.timedelta(days=90)), ("call", DAY), ("email", DAY)]
    # 3 · ½ + 1 · 1 + 0.5 · 1 = 3.0
    assert coverage.strength_of(
        items, as_of=DAY, weights=WEIGHTS, half_life_days=90
    ) == pytest.approx(3.0)


def test_strength_ignores_interactions_after_the_day() -> None:
    items = [("meeting", DAY + dt.timedelta(days=1))]
    assert coverage.strength_of(items, as_of=DAY, weights=WEIGHTS, half_life_days=90) == 0.0


def test_a_kept_strength_decays_without_recomputation() -> None:
    items = [("meeting", DAY - dt.timedelta(days=10))]
    kept = coverage.strength_of(items, as_of=DAY, weights=WEIGHTS, half_life_days=90)
    later = DAY + dt.timedelta(days=45)
    direct = coverage.strength_of(items, as_of=later, weights=WEIGHTS, half_life_days=90)
    assert coverage.strength_on(kept, DAY, later, 90) == pytest.approx(direct)


def test_activity_levels_and_disagreement() -> None:
    bands = [0.5, 2.0, 5.0, 10.0]
    assert [coverage.activity_level(s, bands) for s in (0, 0.5, 1.9, 2, 5, 12)] == [
        0,
        1,
        1,
        2,
        3,
        4,
    ]
    assert coverage.disagrees(4, 1, 2) is True  # "advisor" but hardly any activity
    assert coverage.disagrees(2, 3, 2) is False
    assert coverage.disagrees(None, 4, 2) is False  # nothing judged: nothing to disagree with


def test_contact_coverage_classes() -> None:
    assert [coverage.contact_coverage(n) for n in (0, 1, 2, 5, 6)] == [
        "none",
        "brief",
        "multiple",
        "multiple",
        "in_depth",
    ]


# --- structure and SPOF --------------------------------------------------------------------------


def test_a_clear_bow_tie() -> None:
    """The KAM in all 10 interactions, two functions reached: K = 1.0, bow-tie."""
    data = AccountData(
        account_id=1,
        kam_id=KAM,
        contacts={ANNA: ("purchasing", "middle"), BORIS: ("finance", "senior")},
        interactions=[_ia(i, {KAM}, {ANNA if i % 2 else BORIS}) for i in range(10)],
    )
    got = coverage.metrics_of(data, Settings())
    assert got["structure"] == {
        "value": "bow_tie",
        "k": 1.0,
        "interactions": 10,
        "with_kam": 10,
        "functions_reached": 2,
    }
    # two ties, one through the KAM alone: 100 % on our side
    assert got["single_point_of_failure"]["value"] is True
    assert got["single_point_of_failure"]["our_share"] == 1.0
    assert got["function_coverage"]["value"] == 100.0
    assert got["level_coverage"]["value"] == 75.0  # senior = 3 of 4


def test_a_clear_diamond() -> None:
    """Four functions, the KAM in 4 of 10 interactions: K = 0.4, diamond, no SPOF."""
    ours = [10, 11, 12, 13, 14]
    theirs = {20: "purchasing", 21: "finance", 22: "production", 23: "quality", 24: "it"}
    interactions = []
    contacts = list(theirs)
    for i in range(10):
        people = {ours[i % 5]} | ({KAM} if i < 4 else set())
        interactions.append(_ia(i, people, {contacts[i % 5]}))
    data = AccountData(
        account_id=1,
        kam_id=KAM,
        contacts={c: (f, "board" if c == 20 else "middle") for c, f in theirs.items()},
        interactions=interactions,
    )
    got = coverage.metrics_of(data, Settings())
    assert got["structure"]["value"] == "diamond"
    assert got["structure"]["k"] == 0.4
    assert got["structure"]["functions_reached"] == 5
    # ties: 5 pairs (ours[i] × theirs[i]) + 4 KAM pairs = 9; the busiest has 2/9 on our side
    spof = got["single_point_of_failure"]
    assert spof["ties"] == 9
    assert spof["value"] is False
    assert spof["their_share"] == pytest.approx(2 / 9, abs=0.001)
    assert got["level_coverage"]["value"] == 100.0


def test_a_single_point_of_failure_on_their_side() -> None:
    """Three of ours all talk to Anna only; one also to Boris: Anna has 3 of 4 ties (75 %)."""
    data = AccountData(
        account_id=1,
        kam_id=KAM,
        contacts={ANNA: ("purchasing", "middle"), BORIS: ("finance", "middle")},
        interactions=[
            _ia(1, {10}, {ANNA}),
            _ia(2, {11}, {ANNA}),
            _ia(3, {12}, {ANNA, BORIS}),
        ],
    )
    spof = coverage.metrics_of(data, Settings())["single_point_of_failure"]
    assert spof["ties"] == 4
    assert spof["their_person"] == ANNA
    assert spof["their_share"] == 0.75
    assert spof["value"] is True


def test_transitional_in_between() -> None:
    data = AccountData(
        account_id=1,
        kam_id=KAM,
        contacts={ANNA: ("purchasing", "middle"), BORIS: ("finance", "middle"), CLARA: ("it", "x")},
        interactions=[_ia(i, {KAM, 10}, {ANNA, BORIS, CLARA}) for i in range(3)],
    )
    assert coverage.metrics_of(data, Settings())["structure"]["value"] == "transitional"


def test_role_coverage_counts_required_roles_and_a_champion() -> None:
    data = AccountData(
        account_id=1,
        contacts={ANNA: ("purchasing", "middle"), BORIS: ("finance", "senior")},
        roles={ANNA: {"decider", "buyer"}, BORIS: {"user"}, CLARA: {"influencer"}},
        attitudes={BORIS: "champion"},
        open_placeholders=["influencer"],
    )
    got = coverage.metrics_of(data, Settings())
    # CLARA is no current contact: her influencer role does not count; 4 of 5 required
    assert got["role_coverage"]["value"] == 80.0
    assert got["role_coverage"]["missing"] == ["influencer"]
    assert got["contact_coverage"] == {
        "unknown": 1,
        "none": 2,
        "brief": 0,
        "multiple": 0,
        "in_depth": 0,
    }
    assert got["structure"]["value"] is None  # no interactions: no structure to speak of
    assert got["single_point_of_failure"]["value"] is None
