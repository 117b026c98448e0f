"""Suggested relationship stage (DOMAIN §7): the first rule that matches, with its evidence.

A rule has inputs; an input is *present* when its data exist and *met* when it holds. A rule
matches when at least ``min_present`` of its inputs are present and every present input is met
(uncoupling: when any present input is met); its confidence is the share of inputs present.
Rules are tried in the order uncoupling, synergistic, partnership, mid, early; pre matches
otherwise (decision record 50).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from kam.sales.models import POSITION_ORDER

from .models import Stage

# Rank of the stages along progress for the metric registry: uncoupling lowest (record 50).
STAGE_PROGRESS = ["uncoupling", "pre", "early", "mid", "partnership", "synergistic"]

# Stage index of the portfolio matrix (DOMAIN §4): pre 0 … synergistic 1; uncoupling 0.
STAGE_INDEX = {"pre": 0.0, "early": 0.25, "mid": 0.5, "partnership": 0.75, "synergistic": 1.0}


def stage_index(stage: str | None) -> float:
    """A confirmed stage as the 0–1 index of the matrix's relative strength (0 when none)."""
    return STAGE_INDEX.get(stage or "", 0.0)


INPUT_LABELS = {
    "revenue_drop": _("Revenue fell year on year by at least the threshold"),
    "agreement_ended": _("Agreement ended without renewal"),
    "trust_breach": _("Trust breach or major complaint logged"),
    "champion_left": _("Champion or decider left without replacement"),
    "position_primary": _("Supplier position primary, sole or strategic partner"),
    "sharing_4": _("Information sharing: strategy and open books"),
    "sharing_3": _("Information sharing: plans and costs or more"),
    "systems_integration": _("Systems integration"),
    "joint_plan": _("Joint business plan"),
    "board_functions": _("Customer functions reached, board level included"),
    "agreement_length": _("Agreement running long enough"),
    "functions": _("Customer functions reached"),
    "diamond": _("Contact structure is a diamond"),
    "wallet": _("Share of wallet"),
    "position_or_wallet": _("Position preferred or better, or share of wallet"),
    "senior": _("Senior management reached"),
    "revenue": _("Revenue in the last 12 months"),
    "bow_tie": _("Bow-tie structure or few functions"),
    "open_opportunity": _("An open opportunity"),
}


@dataclass
class StageInputs:
    """What the rules read for one account; None where the data do not exist."""

    revenue_12m: Decimal | None = None
    revenue_prior_12m: Decimal | None = None
    agreement_ended: bool | None = None
    agreement_months: int | None = None
    trust_breach: bool | None = None
    champion_left: bool | None = None
    position: str | None = None
    sharing: int | None = None
    systems_integration: bool | None = None
    joint_plan: bool | None = None
    functions_reached: int | None = None
    board_reached: bool | None = None
    senior_reached: bool | None = None
    structure: str | None = None
    wallet_pct: float | None = None
    open_opportunity: bool | None = None


@dataclass
class Suggestion:
    stage: str
    confidence: Decimal
    evidence: dict[str, Any] = field(default_factory=dict)


def _input(name: str, value: Any, present: bool, met: bool) -> dict[str, Any]:
    if isinstance(value, Decimal):
        value = str(value)
    return {"name": name, "value": value, "present": present, "met": bool(present and met)}


def _pos_rank(position: str | None) -> int:
    return POSITION_ORDER.index(position) if position in POSITION_ORDER else -1


def _confidence(inputs: list[dict[str, Any]]) -> Decimal:
    if not inputs:
        return Decimal("1.00")
    share = Decimal(sum(1 for i in inputs if i["present"])) / Decimal(len(inputs))
    return share.quantize(Decimal("0.01"))


def _all_met(inputs: list[dict[str, Any]], min_present: float) -> bool:
    present = [i for i in inputs if i["present"]]
    if not present or len(present) / len(inputs) < min_present:
        return False
    return all(i["met"] for i in present)


def suggest(x: StageInputs, rules: Mapping[str, float]) -> Suggestion:
    """The suggested stage of one account from its inputs and the rule thresholds."""
    min_present = float(rules.get("min_present", 0.5))
    primary = _pos_rank("primary")
    candidates: list[tuple[str, list[dict[str, Any]], bool]] = []

    # uncoupling: any of its present inputs holds
    drop = None
    if x.revenue_12m is not None and x.revenue_prior_12m:
        drop = float((x.revenue_prior_12m - x.revenue_12m) / x.revenue_prior_12m * 100)
    unc = [
        _input(
            "revenue_drop",
            None if drop is None else round(drop, 1),
            drop is not None,
            drop is not None and drop >= rules["uncoupling_revenue_drop_pct"],
        ),
        _input(
            "agreement_ended",
            x.agreement_ended,
            x.agreement_ended is not None,
            bool(x.agreement_ended),
        ),
        _input("trust_breach", x.trust_breach, x.trust_breach is not None, bool(x.trust_breach)),
        _input(
            "champion_left", x.champion_left, x.champion_left is not None, bool(x.champion_left)
        ),
    ]
    candidates.append((Stage.UNCOUPLING, unc, any(i["met"] for i in unc)))

    functions = x.functions_reached
    syn = [
        _input(
            "position_primary", x.position, x.position is not None, _pos_rank(x.position) >= primary
        ),
        _input("sharing_4", x.sharing, x.sharing is not None, x.sharing == 4),
        _input(
            "systems_integration",
            x.systems_integration,
            x.systems_integration is not None,
            bool(x.systems_integration),
        ),
        _input("joint_plan", x.joint_plan, x.joint_plan is not None, bool(x.joint_plan)),
        _input(
            "board_functions",
            functions,
            functions is not None and x.board_reached is not None,
            functions is not None
            and functions >= rules["synergistic_min_functions"]
            and bool(x.board_reached),
        ),
    ]
    candidates.append((Stage.SYNERGISTIC, syn, _all_met(syn, min_present)))

    part = [
        _input(
            "position_primary", x.position, x.position is not None, _pos_rank(x.position) >= primary
        ),
        _input(
            "agreement_length",
            x.agreement_months,
            x.agreement_months is not None,
            x.agreement_months is not None
            and x.agreement_months >= rules["partnership_agreement_months"],
        ),
        _input(
            "sharing_3",
            x.sharing,
            x.sharing is not None,
            x.sharing is not None and x.sharing >= rules["partnership_min_sharing"],
        ),
        _input(
            "functions",
            functions,
            functions is not None,
            functions is not None and functions >= rules["partnership_min_functions"],
        ),
        _input("diamond", x.structure, x.structure is not None, x.structure == "diamond"),
        _input(
            "wallet",
            x.wallet_pct,
            x.wallet_pct is not None,
            x.wallet_pct is not None and x.wallet_pct >= rules["partnership_min_wallet_pct"],
        ),
    ]
    candidates.append((Stage.PARTNERSHIP, part, _all_met(part, min_present)))

    pos_ok = _pos_rank(x.position) >= _pos_rank("preferred")
    wallet_ok = x.wallet_pct is not None and x.wallet_pct >= rules["mid_min_wallet_pct"]
    mid = [
        _input(
            "position_or_wallet",
            {"position": x.position, "wallet_pct": x.wallet_pct},
            x.position is not None or x.wallet_pct is not None,
            pos_ok or wallet_ok,
        ),
        _input(
            "functions",
            functions,
            functions is not None,
            functions is not None and functions >= rules["mid_min_functions"],
        ),
        _input("senior", x.senior_reached, x.senior_reached is not None, bool(x.senior_reached)),
    ]
    candidates.append((Stage.MID, mid, _all_met(mid, min_present)))

    few = functions is not None and functions <= rules["early_max_functions"]
    early = [
        _input(
            "revenue",
            None if x.revenue_12m is None else x.revenue_12m,
            x.revenue_12m is not None,
            x.revenue_12m is not None and x.revenue_12m > 0,
        ),
        _input(
            "bow_tie",
            x.structure,
            x.structure is not None or functions is not None,
            x.structure == "bow_tie" or few,
        ),
    ]
    candidates.append((Stage.EARLY, early, _all_met(early, 1.0)))

    for stage, inputs, matched in candidates:
        if matched:
            return Suggestion(
                stage=str(stage),
                confidence=_confidence(inputs),
                evidence={"rule": str(stage), "inputs": inputs},
            )
    pre = [
        _input("revenue", x.revenue_12m, x.revenue_12m is not None, not x.revenue_12m),
        _input(
            "open_opportunity",
            x.open_opportunity,
            x.open_opportunity is not None,
            bool(x.open_opportunity),
        ),
    ]
    return Suggestion(
        stage=str(Stage.PRE), confidence=_confidence(pre), evidence={"rule": "pre", "inputs": pre}
    )


def input_label(name: str) -> str:
    return str(INPUT_LABELS.get(name, name))
