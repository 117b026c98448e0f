"""The arithmetic of DOMAIN §5 on data already loaded: decay, coverage, SPOF, structure.

Pure functions over plain values, so that tests compare them with hand-computed numbers and
``selectors`` feed them from a bounded number of queries for many accounts at once.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kam.customers.models import Seniority

# Seniority ranks for level coverage: the highest reached over board (4).
SENIORITY_RANK = {
    Seniority.OPERATIONAL.value: 1,
    Seniority.MIDDLE.value: 2,
    Seniority.SENIOR.value: 3,
    Seniority.BOARD.value: 4,
}
BOARD_RANK = 4


class ContactCoverage:
    UNKNOWN = "unknown"
    NONE = "none"
    BRIEF = "brief"
    MULTIPLE = "multiple"
    IN_DEPTH = "in_depth"
    ORDER = ("unknown", "none", "brief", "multiple", "in_depth")


class Structure:
    BOW_TIE = "bow_tie"
    TRANSITIONAL = "transitional"
    DIAMOND = "diamond"


def decay_factor(age_days: float, half_life_days: float) -> float:
    """2^(−age / half-life): 1 today, ½ after one half-life (DOMAIN §5, ours)."""
    return math.pow(2.0, -max(age_days, 0.0) / half_life_days)


def strength_of(
    interactions: Iterable[tuple[str, dt.date]],
    *,
    as_of: dt.date,
    weights: Mapping[str, float],
    half_life_days: float,
) -> float:
    """Σ weight(type) · 2^(−(as_of − day) / half-life) over interactions on or before ``as_of``."""
    total = 0.0
    for kind, day in interactions:
        if day > as_of:
            continue
        total += float(weights.get(kind, 1.0)) * decay_factor((as_of - day).days, half_life_days)
    return total


def strength_on(strength: float, computed_on: dt.date, day: dt.date, half_life: float) -> float:
    """A kept strength read on a later ``day``: decay is multiplicative, no recomputation."""
    return strength * decay_factor((day - computed_on).days, half_life)


def activity_level(strength: float, bands: Sequence[float]) -> int:
    """The level 0–4 a strength stands for: how many band bounds it reaches (record 49)."""
    return sum(1 for bound in bands if strength >= bound)


def disagrees(judged: int | None, activity: int, gap: int) -> bool:
    """Judgement and activity disagree when a judged level exists and differs by ``gap``+."""
    return judged is not None and abs(judged - activity) >= gap


def contact_coverage(count: int, multiple_max: int = 5) -> str:
    """No contact (0), brief (1), multiple (2..multiple_max), in depth (more), DOMAIN §5."""
    if count <= 0:
        return ContactCoverage.NONE
    if count == 1:
        return ContactCoverage.BRIEF
    if count <= multiple_max:
        return ContactCoverage.MULTIPLE
    return ContactCoverage.IN_DEPTH


@dataclass
class AccountData:
    """What the metrics of one account need, loaded by ``selectors.account_data``.

    - ``contacts``: current contact id → (function, seniority) at this account.
    - ``interactions``: (id, type, day, our user ids, their contact ids) within the window.
    - ``roles``: contact id → set of buying roles; ``attitudes``: contact id → attitude.
    - ``kam_id``: the account manager (the KAM of K), or None.
    - ``open_placeholders``: roles of placeholders without a person yet.
    """

    account_id: int
    kam_id: int | None = None
    contacts: dict[int, tuple[str, str]] = field(default_factory=dict)
    interactions: list[tuple[int, str, dt.date, frozenset[int], frozenset[int]]] = field(
        default_factory=list
    )
    roles: dict[int, set[str]] = field(default_factory=dict)
    attitudes: dict[int, str] = field(default_factory=dict)
    open_placeholders: list[str] = field(default_factory=list)


@dataclass
class Settings:
    """The figures of ``RelationshipSettings`` that the metrics read (plain values)."""

    required_roles: Sequence[str] = ("decider", "buyer", "influencer", "user", "champion")
    multiple_max: int = 5
    spof_share: float = 0.6
    bowtie_min_k: float = 0.7
    bowtie_max_functions: int = 2
    diamond_max_k: float = 0.5
    diamond_min_functions: int = 4


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def metrics_of(data: AccountData, conf: Settings) -> dict[str, Any]:
    """Every DOMAIN §5 figure of one account, each with the numbers behind it."""
    current = data.contacts
    touches: Counter[int] = Counter()
    for _iid, _kind, _day, _ours, theirs in data.interactions:
        for contact in theirs:
            touches[contact] += 1

    # contact coverage: per current contact, plus placeholders as "unknown"
    classes: Counter[str] = Counter(
        contact_coverage(touches.get(c, 0), conf.multiple_max) for c in current
    )
    classes[ContactCoverage.UNKNOWN] += len(data.open_placeholders)
    contact_cov = {key: classes.get(key, 0) for key in ContactCoverage.ORDER}

    # role coverage over the required roles held by current contacts
    held: set[str] = set()
    for contact, roles in data.roles.items():
        if contact in current:
            held |= roles
    if any(a == "champion" for c, a in data.attitudes.items() if c in current):
        held.add("champion")
    required = list(conf.required_roles)
    filled = [r for r in required if r in held]
    role_cov = {
        "value": _pct(len(filled), len(required)),
        "filled": filled,
        "missing": [r for r in required if r not in held],
        "required": len(required),
    }

    # function and level coverage: functions/seniority of current contacts we reached
    reached = {c for c in current if touches.get(c, 0) > 0}
    functions_present = {current[c][0] for c in current}
    functions_reached = {current[c][0] for c in reached}
    function_cov = {
        "value": _pct(len(functions_reached), len(functions_present)),
        "reached": sorted(functions_reached),
        "present": sorted(functions_present),
    }
    top = max((SENIORITY_RANK.get(current[c][1], 1) for c in reached), default=0)
    level_cov = {
        "value": _pct(top, BOARD_RANK) if reached else (0.0 if current else None),
        "highest_rank": top,
        "highest": next((k for k, v in SENIORITY_RANK.items() if v == top), None),
    }

    # single point of failure: share of ties (our person × their contact pairs that shared an
    # interaction) through the busiest person on either side
    ties: set[tuple[int, int]] = set()
    for _iid, _kind, _day, ours, theirs in data.interactions:
        ties.update((u, c) for u in ours for c in theirs)
    ours_count: Counter[int] = Counter(u for u, _c in ties)
    theirs_count: Counter[int] = Counter(c for _u, c in ties)
    spof: dict[str, Any] = {"ties": len(ties), "value": None}
    if ties:
        user, user_ties = max(ours_count.items(), key=lambda kv: (kv[1], -kv[0]))
        contact, contact_ties = max(theirs_count.items(), key=lambda kv: (kv[1], -kv[0]))
        user_share = user_ties / len(ties)
        contact_share = contact_ties / len(ties)
        spof.update(
            our_person=user,
            our_share=round(user_share, 3),
            their_person=contact,
            their_share=round(contact_share, 3),
            value=user_share >= conf.spof_share or contact_share >= conf.spof_share,
        )

    # contact structure: K = share of interactions involving the KAM; functions reached
    total = len(data.interactions)
    with_kam = sum(1 for i in data.interactions if data.kam_id is not None and data.kam_id in i[3])
    k = None if total == 0 else with_kam / total
    n_functions = len(functions_reached)
    structure = None
    if k is not None:
        if k >= conf.bowtie_min_k and n_functions <= conf.bowtie_max_functions:
            structure = Structure.BOW_TIE
        elif n_functions >= conf.diamond_min_functions and k <= conf.diamond_max_k:
            structure = Structure.DIAMOND
        else:
            structure = Structure.TRANSITIONAL
    return {
        "contact_coverage": contact_cov,
        "role_coverage": role_cov,
        "function_coverage": function_cov,
        "level_coverage": level_cov,
        "single_point_of_failure": spof,
        "structure": {
            "value": structure,
            "k": None if k is None else round(k, 3),
            "interactions": total,
            "with_kam": with_kam,
            "functions_reached": n_functions,
        },
    }
