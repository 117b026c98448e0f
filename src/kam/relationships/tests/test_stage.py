"""Stage rules of DOMAIN §7 at their boundaries, uncoupling included."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kam.relationships.models import default_stage_rules
from kam.relationships.stage import StageInputs, suggest

RULES = default_stage_rules()


def _stage(**kw: Any) -> str:
    return suggest(StageInputs(**kw), RULES).stage


def test_revenue_drop_of_30_percent_is_uncoupling_and_29_is_not() -> None:
    base: dict[str, Any] = {"functions_reached": 1, "structure": "bow_tie"}
    assert _stage(revenue_12m=Decimal(70), revenue_prior_12m=Decimal(100), **base) == "uncoupling"
    assert _stage(revenue_12m=Decimal(71), revenue_prior_12m=Decimal(100), **base) == "early"


def test_a_champion_who_left_without_replacement_is_uncoupling() -> None:
    got = suggest(
        StageInputs(revenue_12m=Decimal(100), revenue_prior_12m=Decimal(90), champion_left=True),
        RULES,
    )
    assert got.stage == "uncoupling"
    # revenue drop and champion present; agreement and trust breach have no data: 2 of 4
    assert got.confidence == Decimal("0.50")
    met = [i["name"] for i in got.evidence["inputs"] if i["met"]]
    assert met == ["champion_left"]


def test_synergistic_needs_sharing_4_and_five_functions_at_board_level() -> None:
    top: dict[str, Any] = {
        "revenue_12m": Decimal(100),
        "revenue_prior_12m": Decimal(100),
        "position": "sole",
        "sharing": 4,
        "functions_reached": 5,
        "board_reached": True,
        "structure": "diamond",
        "wallet_pct": 80.0,
    }
    got = suggest(StageInputs(**top), RULES)
    assert got.stage == "synergistic"
    assert got.confidence == Decimal("0.60")  # integration and joint plan unknown: 3 of 5
    assert _stage(**{**top, "functions_reached": 4}) == "partnership"
    assert _stage(**{**top, "sharing": 3}) == "partnership"


def test_partnership_boundaries() -> None:
    base: dict[str, Any] = {
        "revenue_12m": Decimal(100),
        "revenue_prior_12m": Decimal(100),
        "position": "primary",
        "sharing": 3,
        "functions_reached": 4,
        "structure": "diamond",
        "wallet_pct": 50.0,
        "senior_reached": True,
    }
    assert _stage(**base) == "partnership"
    assert _stage(**{**base, "wallet_pct": 49.9}) == "mid"
    assert _stage(**{**base, "position": "preferred"}) == "mid"
    assert _stage(**{**base, "structure": "transitional"}) == "mid"


def test_mid_boundaries() -> None:
    base: dict[str, Any] = {
        "revenue_12m": Decimal(100),
        "revenue_prior_12m": Decimal(100),
        "position": "approved",
        "wallet_pct": 25.0,
        "functions_reached": 3,
        "senior_reached": True,
        "structure": "transitional",
    }
    assert _stage(**base) == "mid"
    assert _stage(**{**base, "wallet_pct": 24.9}) == "pre"  # neither preferred nor 25 %
    assert _stage(**{**base, "functions_reached": 2}) == "early"  # ≤ 2 functions
    assert _stage(**{**base, "senior_reached": False}) == "pre"


def test_early_and_pre() -> None:
    assert (
        _stage(
            revenue_12m=Decimal(1),
            revenue_prior_12m=Decimal(0),
            structure="bow_tie",
            functions_reached=2,
        )
        == "early"
    )
    assert (
        _stage(
            revenue_12m=Decimal(0),
            revenue_prior_12m=Decimal(0),
            functions_reached=1,
            open_opportunity=True,
        )
        == "pre"
    )
    got = suggest(StageInputs(revenue_12m=Decimal(0), open_opportunity=True), RULES)
    assert got.confidence == Decimal("1.00")
