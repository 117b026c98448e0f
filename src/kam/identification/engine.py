"""The scoring engine: every account scored against a model, in memory, column by column.

Pure Python on plain data (:class:`AccountInputs`, :class:`ModelSpec`): no database, no Django
ORM. ``inputs.py`` collects the inputs from the database, ``explain.py`` puts a result into
words, ``services.py`` writes a run.

Rules (DOMAIN §2–§3); the figures behind them are kept per account by ``facts.py``:

* revenue = net amount of the last 12 months; growth = last 12 / prior 12 − 1 (gap when there
  was no prior revenue); margin % = (costed amount − cost) / costed amount of the last 12 months
  (gap without cost data); purchase continuity = months with purchases in the last 24 / 24.
  Money is summed in whole cents, so that every database gives the same figures.
* DMU size: the contacts with a buying-centre role at the account (relationships app) whose
  position there is current; an account without any role recorded yet counts its current
  contacts (anywhere in its subtree), as before (decision 51); functional areas = the distinct
  functions of the current contacts ("other" is not a function). Gap when there are none.
* operating units = units of the subtree with revenue in the last 12 months or current contacts;
  geographic spread = distinct countries + distinct regions among those units and the sites.
* Normalisation: percentile rank in the scored population (mid-rank of ties / population size;
  a zero, negative or missing value is 0), capped linear min(value / cap, 1), rubric value / 10.
* score = 100 × Σ w·n / Σ w; group sub-scores likewise; missing data counts 0 and is listed as a
  data gap; completeness = share of the model's weight that is backed by data.
* Data-aware weights (decision 84): a criterion for which no account of the scored population
  has data, or whose normalised value is the same for almost everyone (``constant_share`` of
  the population, or of the accounts with a positive value: it would add the same points to
  everyone with data), is left out of the run. Its weight moves to the other criteria of its
  group (in proportion to their weights), and when a whole group is left out the remaining
  groups share the total. The run keeps the effective weights and what was left out and why.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import polars as pl
from django.utils.translation import gettext as _

from kam.core.periods import full_months_end

from .wallet import floor_wallets, headroom, share_of_wallet, wallet_columns

# --------------------------------------------------------------------------------------------
# Vocabulary: the stored values of the scoring model's choices. ``models.py`` builds its
# choices (CriterionGroup, DataSource, Normalisation, Recommendation, Scope) from these and
# gives them their labels; the engine needs only the values.

# criterion groups, in the order of the sub-scores
POTENTIAL = "potential"
COMPLEXITY = "complexity"
RELATIONAL = "relational"
STRATEGIC = "strategic"
GROUPS = (POTENTIAL, COMPLEXITY, RELATIONAL, STRATEGIC)

# data sources: where a criterion's raw value comes from
REVENUE_12M = "revenue_12m"
WALLET = "wallet"
GROWTH = "growth"
MARGIN = "margin"
DMU_SIZE = "dmu_size"
FUNCTIONS = "functions"
OPERATING_UNITS = "operating_units"
GEO_SPREAD = "geo_spread"
BUYING_CRITERIA = "buying_criteria"
WILLINGNESS = "willingness"
AGREEMENT_HORIZON = "agreement_horizon"
PURCHASE_CONTINUITY = "purchase_continuity"
JOINT_INITIATIVES = "joint_initiatives"
EXPECTED_REVENUE = "expected_revenue"

# normalisations
PERCENTILE = "percentile"
CAPPED_LINEAR = "capped_linear"
RUBRIC = "rubric"

# recommendations
KEY_CANDIDATE = "key_candidate"
TRANSACTIONAL = "transactional"

# why a criterion was left out of a run
NO_DATA = "no_data"
CONSTANT = "constant"

# scopes
LOCAL = "local"
NATIONAL = "national"
GLOBAL = "global"

Progress = Callable[[int, str], None]


# --------------------------------------------------------------------------------------------
# Windows and memory


def data_end(as_of: dt.date) -> dt.date:
    """First day after the last full month of data up to ``as_of``.

    As of a date, only full months up to it count: the data window ends at the first day of
    the month after ``as_of`` when ``as_of`` is a month's last day, else at the first day of
    ``as_of``'s own month (a month still running is left out).
    """
    return full_months_end(as_of)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a whole-portfolio computation.

    Scoring allocates a few container objects per account and keeps them all alive until the
    end; with the collector on, every few hundred allocations it scans the growing heap again
    (a third of the scoring time at 20,000 accounts). Reference counting still frees what
    goes out of use; the collector runs again when the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --------------------------------------------------------------------------------------------
# Inputs and model, as plain data


@dataclass
class AccountInputs:
    """Everything the engine needs about one account, independent of the scoring model."""

    id: int
    path: str
    name: str
    industry: str = ""
    employees: int | None = None
    tier: str = "transactional"
    account_manager_id: int | None = None
    # money in whole cents (exact on every database)
    revenue_12m_cents: int = 0
    revenue_prior_12m_cents: int = 0
    cost_12m_cents: int = 0
    costed_12m_cents: int = 0
    purchase_months: int = 0
    contacts: int = 0
    # contacts with a buying-centre role (None: no role recorded at the account yet)
    dmu_members: int | None = None
    functions: int = 0
    operating_units: int = 0
    countries: int = 0
    regions: int = 0  # the most regions within one country
    region_total: int = 0  # distinct (country, region) pairs
    willingness: float | None = None
    agreement_horizon: float | None = None
    joint_initiatives: float | None = None
    buying_criteria: float | None = None
    manual_wallet: float | None = None
    # learned expected revenue of the next 12 months (predict.py; None: not predicted)
    expected_12m: float | None = None
    expected_basis: str = ""
    expected_drivers: list[list[Any]] = field(default_factory=list)

    @property
    def revenue_12m(self) -> Decimal:
        return Decimal(self.revenue_12m_cents).scaleb(-2)


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    name: str
    group: str
    source: str
    normalisation: str
    weight: float
    cap: float | None = None


class Thresholds(Protocol):
    """What a recommendation and a scope are decided by: a :class:`ModelSpec` or a model row."""

    @property
    def min_score(self) -> float: ...
    @property
    def min_potential(self) -> float: ...
    @property
    def min_willingness(self) -> float: ...
    @property
    def global_min_countries(self) -> int: ...
    @property
    def national_min_regions(self) -> int: ...


class Weighted(Protocol):
    """A criterion as a breakdown needs it: a :class:`CriterionSpec` or a model row."""

    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def weight(self) -> float | Decimal: ...


@dataclass(frozen=True)
class ModelSpec:
    """A scoring model as plain data, so a draft can be scored without touching a run."""

    id: int | None
    version: int
    criteria: tuple[CriterionSpec, ...]
    min_score: float = 60
    min_potential: float = 50
    min_willingness: float = 5
    global_min_countries: int = 3
    national_min_regions: int = 3
    peer_quantile: float = 0.8
    peer_min_count: int = 10
    # a criterion whose most common normalised value covers this share adds nothing (decision 84)
    constant_share: float = 0.95
    # below this many accounts (with data) no criterion is judged constant
    constant_min_accounts: int = 20


# --------------------------------------------------------------------------------------------
# Normalisation


def percentile_ranks(values: list[float | None]) -> list[float]:
    """Mid-rank of each value / population size; ties share their average rank.

    Missing, zero and negative values normalise to 0 (they still take part in the ranking).
    """
    n = len(values)
    if not n:
        return []
    filled = pl.Series(values, dtype=pl.Float64, strict=False).fill_null(0.0)
    ranks = filled.rank("average").to_list()  # 1-based, ties share their mean rank
    return [r / n if v > 0 else 0.0 for r, v in zip(ranks, filled.to_list(), strict=True)]


def normalise(values: list[float | None], spec: CriterionSpec) -> list[float]:
    if spec.normalisation == PERCENTILE:
        return percentile_ranks(values)
    if spec.normalisation == CAPPED_LINEAR:
        cap = spec.cap or 1.0
        return [min(max(v or 0.0, 0.0) / cap, 1.0) for v in values]
    if spec.normalisation == RUBRIC:
        return [min(max(v or 0.0, 0.0) / 10, 1.0) for v in values]
    raise ValueError(f"unknown normalisation {spec.normalisation!r}")


# --------------------------------------------------------------------------------------------
# Scoring


def breakdown_of(
    values: dict[str, list[Any]],
    criteria: Iterable[Weighted],
    weights: dict[str, float] | None = None,
) -> dict[str, dict]:
    """A score's split per criterion, from its stored ``values`` (key → [raw, normalised]).

    ``criteria``: the scoring model's criteria (model rows or :class:`CriterionSpec`), in the
    model's order; those without a value (weight 0, or left out of the run) took no part.
    ``weights``: the run's effective weights (key → weight, after data-aware re-normalisation);
    without them the model's weights. A contribution is the criterion's share of the score,
    100 × w·n / Σ w (points of the 0–100 score), so the contributions add up to the score. Raw
    and normalised values are shown to 4 decimals, contributions to 2.
    """
    taking_part = [c for c in criteria if c.key in values]

    def weight_of(c: Weighted) -> float:
        if weights and c.key in weights:
            return float(weights[c.key])
        return float(c.weight)

    total_weight = sum(weight_of(c) for c in taking_part)
    out: dict[str, dict] = {}
    for c in taking_part:
        raw, norm = values[c.key][:2]
        weight = weight_of(c)
        out[c.key] = {
            "name": c.name,
            "group": c.group,
            "raw": None if raw is None else round(raw, 4),
            "normalised": round(norm, 4),
            "weight": weight,
            "contribution": round(100 * weight * norm / total_weight, 2) if total_weight else 0.0,
            "gap": raw is None,
        }
    return out


class CriterionColumns:
    """Raw and normalised values of every criterion for every account, one list each."""

    def __init__(
        self,
        criteria: tuple[CriterionSpec, ...],
        raw: list[list[float | None]],
        norm: list[list[float]],
        n: int,
        weights: dict[str, float] | None = None,
    ) -> None:
        self.criteria, self.raw, self.norm, self.n = criteria, raw, norm, n
        # effective weights of the criteria taking part (key → weight)
        self.weights = weights if weights is not None else {c.key: c.weight for c in criteria}
        self._json: list[str] | None = None

    def all_json(self) -> list[str]:
        """Every account's values as JSON text, formatted column by column (polars).

        Values are kept to 6 decimals (pages show 4); a missing raw value is ``null``.
        """
        if self._json is not None:
            return self._json
        if not self.criteria:
            self._json = ["{}"] * self.n
            return self._json
        columns: dict[str, pl.Series] = {}
        for k, (raw, norm) in enumerate(zip(self.raw, self.norm, strict=True)):
            columns[f"r{k}"] = pl.Series(raw, dtype=pl.Float64, strict=False)
            columns[f"n{k}"] = pl.Series(norm, dtype=pl.Float64, strict=False)
        frame = pl.DataFrame(columns)

        def text(name: str) -> pl.Expr:
            return pl.col(name).round(6).cast(pl.String).fill_null("null")

        pieces: list[pl.Expr] = []
        for k, c in enumerate(self.criteria):
            pieces.append(pl.lit(("{" if k == 0 else ",") + json.dumps(c.key) + ":["))
            pieces += [text(f"r{k}"), pl.lit(","), text(f"n{k}"), pl.lit("]")]
        pieces.append(pl.lit("}"))
        self._json = frame.select(pl.concat_str(pieces).alias("json"))["json"].to_list()
        return self._json


@dataclass
class ScoreResult:
    account_id: int
    name: str
    total: float
    groups: dict[str, float | None]
    recommendation: str
    scope: str
    completeness: float
    countries: int
    regions: int
    willingness: float | None
    revenue_12m: Decimal
    wallet: float | None
    wallet_basis: str
    share_of_wallet: float | None
    headroom: float | None
    gaps: list[str]
    columns: CriterionColumns
    index: int  # this account's position in ``columns``
    rank: int = 0
    tier: str = "transactional"
    extra: dict = field(default_factory=dict)

    @property
    def is_candidate(self) -> bool:
        return self.recommendation == KEY_CANDIDATE

    @property
    def potential(self) -> float:
        return self.groups.get(POTENTIAL) or 0.0

    @property
    def criteria(self) -> tuple[CriterionSpec, ...]:
        return self.columns.criteria

    @property
    def values(self) -> dict[str, list[Any]]:
        """Criterion key → [raw value (None: a data gap), normalised value]."""
        i = self.index
        return {
            c.key: [raw[i], norm[i]]
            for c, raw, norm in zip(
                self.columns.criteria, self.columns.raw, self.columns.norm, strict=True
            )
        }

    @property
    def breakdown(self) -> dict[str, dict]:
        return breakdown_of(self.values, self.criteria, self.columns.weights)


def scope_of(countries: int, regions: int, spec: Thresholds) -> str:
    """global from ≥ N countries, else national from ≥ M regions in one country, else local."""
    if countries >= spec.global_min_countries:
        return GLOBAL
    if regions >= spec.national_min_regions:
        return NATIONAL
    return LOCAL


def is_key_candidate(
    total: float, potential: float, willingness: float | None, spec: Thresholds
) -> bool:
    return (
        total >= spec.min_score
        and potential >= spec.min_potential
        and willingness is not None
        and willingness >= spec.min_willingness
    )


def raw_column(
    source: str, inputs: list[AccountInputs], wallets: list[float | None]
) -> list[float | None]:
    """The raw values of one data source for every account (None is a data gap).

    Column by column, with the data rules of the module docstring.
    """
    if source == REVENUE_12M:
        return [a.revenue_12m_cents / 100 for a in inputs]
    if source == WALLET:
        return list(wallets)
    if source == GROWTH:
        return [
            (a.revenue_12m_cents / 100) / (a.revenue_prior_12m_cents / 100) - 1
            if a.revenue_prior_12m_cents > 0
            else None
            for a in inputs
        ]
    if source == MARGIN:
        return [
            (a.costed_12m_cents / 100 - a.cost_12m_cents / 100) / (a.costed_12m_cents / 100)
            if a.costed_12m_cents > 0
            else None
            for a in inputs
        ]
    if source == DMU_SIZE:
        return [
            float(n) if (n := a.contacts if a.dmu_members is None else a.dmu_members) else None
            for a in inputs
        ]
    if source == FUNCTIONS:
        return [float(a.functions) if a.contacts else None for a in inputs]
    if source == OPERATING_UNITS:
        return [float(a.operating_units) for a in inputs]
    if source == GEO_SPREAD:
        return [
            float(a.countries + a.region_total) if a.countries + a.region_total else None
            for a in inputs
        ]
    if source == PURCHASE_CONTINUITY:
        return [a.purchase_months / 24 for a in inputs]
    if source == EXPECTED_REVENUE:
        return [a.expected_12m for a in inputs]
    attribute = {
        BUYING_CRITERIA: "buying_criteria",
        WILLINGNESS: "willingness",
        AGREEMENT_HORIZON: "agreement_horizon",
        JOINT_INITIATIVES: "joint_initiatives",
    }.get(source)
    if attribute is None:
        return [None] * len(inputs)
    return [getattr(a, attribute) for a in inputs]


def left_out_criteria(
    criteria: tuple[CriterionSpec, ...],
    raw: list[list[float | None]],
    norm: list[list[float]],
    spec: ModelSpec,
) -> dict[str, str]:
    """The criteria a run leaves out: key → NO_DATA (no account of the population has data) or
    CONSTANT (the same normalised value for almost everyone, or for almost everyone with a
    positive value: it would add the same points to everyone with data).

    When every criterion would be left out, none is (the run then scores as the model says).
    """
    out: dict[str, str] = {}
    for c, raw_col, norm_col in zip(criteria, raw, norm, strict=True):
        if all(v is None for v in raw_col):
            out[c.key] = NO_DATA
        elif _nearly_constant(norm_col, spec):
            out[c.key] = CONSTANT
    if len(out) == len(criteria):
        return {}
    return out


def _nearly_constant(values: list[float], spec: ModelSpec) -> bool:
    def dominant_share(column: list[float]) -> float:
        counts: dict[float, int] = defaultdict(int)
        for v in column:
            counts[round(v, 9)] += 1
        return max(counts.values()) / len(column)

    if len(values) < spec.constant_min_accounts:
        return False
    if dominant_share(values) >= spec.constant_share:
        return True
    positive = [v for v in values if v > 0]
    return (
        len(positive) >= spec.constant_min_accounts
        and dominant_share(positive) >= spec.constant_share
    )


def effective_weights(
    criteria: tuple[CriterionSpec, ...], left_out: dict[str, str]
) -> dict[str, float]:
    """The weights of the criteria taking part: a left-out criterion's weight goes to the other
    criteria of its group in proportion to their weights; a group left out entirely gives its
    share to the other groups (the overall normalisation Σ w does that)."""
    group_total: dict[str, float] = defaultdict(float)
    group_kept: dict[str, float] = defaultdict(float)
    for c in criteria:
        group_total[c.group] += c.weight
        if c.key not in left_out:
            group_kept[c.group] += c.weight
    return {
        c.key: c.weight * group_total[c.group] / group_kept[c.group]
        for c in criteria
        if c.key not in left_out
    }


@dataclass
class ScoreTable:
    """A scored population, column by column: what a run writes and what results are made of.

    ``order`` lists the accounts' positions best first; every other list is by position.
    """

    inputs: list[AccountInputs]
    columns: CriterionColumns
    total: list[float]
    groups: dict[str, list[float | None]]
    completeness: list[float]
    recommendation: list[str]
    scope: list[str]
    wallet: list[float | None]
    wallet_basis: list[str]
    share_of_wallet: list[float | None]
    headroom: list[float | None]
    gaps: list[list[str]]
    order: list[int]
    # criteria left out of this run: key → NO_DATA or CONSTANT (decision 84)
    left_out: dict[str, str] = field(default_factory=dict)

    @property
    def weights(self) -> dict[str, float]:
        """The effective weights of the criteria taking part (key → weight)."""
        return self.columns.weights

    @property
    def candidates(self) -> int:
        return sum(1 for r in self.recommendation if r == KEY_CANDIDATE)

    def results(self) -> list[ScoreResult]:
        """One :class:`ScoreResult` per account, best first, ranked."""
        out = []
        for rank, i in enumerate(self.order, start=1):
            acc = self.inputs[i]
            out.append(
                ScoreResult(
                    account_id=acc.id,
                    name=acc.name,
                    total=self.total[i],
                    groups={g: col[i] for g, col in self.groups.items()},
                    recommendation=self.recommendation[i],
                    scope=self.scope[i],
                    completeness=self.completeness[i],
                    countries=acc.countries,
                    regions=acc.regions,
                    willingness=acc.willingness,
                    revenue_12m=acc.revenue_12m,
                    wallet=self.wallet[i],
                    wallet_basis=self.wallet_basis[i],
                    share_of_wallet=self.share_of_wallet[i],
                    headroom=self.headroom[i],
                    gaps=self.gaps[i],
                    columns=self.columns,
                    index=i,
                    rank=rank,
                    tier=acc.tier,
                )
            )
        return out


def score_table(
    inputs: list[AccountInputs], spec: ModelSpec, progress: Progress | None = None
) -> ScoreTable:
    """Score every account against the model, in memory, column by column."""
    n = len(inputs)
    revenue = [a.revenue_12m_cents / 100 for a in inputs]
    wallet, basis, _peers = wallet_columns(
        [a.industry for a in inputs],
        [a.employees for a in inputs],
        revenue,
        [a.manual_wallet for a in inputs],
        q=spec.peer_quantile,
        min_peers=spec.peer_min_count,
    )
    wallet, basis = floor_wallets(
        wallet,
        basis,
        revenue,
        [a.revenue_prior_12m_cents / 100 for a in inputs],
        [a.expected_12m for a in inputs],
    )
    criteria_all = tuple(c for c in spec.criteria if c.weight > 0)
    by_source: dict[str, list[float | None]] = {}
    raw_all: list[list[float | None]] = []
    norm_all: list[list[float]] = []
    for c in criteria_all:
        if c.source not in by_source:
            by_source[c.source] = raw_column(c.source, inputs, wallet)
        raw_all.append(by_source[c.source])
        norm_all.append(normalise(by_source[c.source], c))
    left_out = left_out_criteria(criteria_all, raw_all, norm_all, spec)
    weights = effective_weights(criteria_all, left_out)
    # completeness: the share of the model's own weights backed by data, per account
    full_weight = sum(c.weight for c in criteria_all)
    backed = [0.0] * n
    for c, raw in zip(criteria_all, raw_all, strict=True):
        backed = [t if r is None else t + c.weight for t, r in zip(backed, raw, strict=True)]

    criteria: tuple[CriterionSpec, ...] = ()
    raw_columns: list[list[float | None]] = []
    norm_columns: list[list[float]] = []
    for c, raw, norm in zip(criteria_all, raw_all, norm_all, strict=True):
        if c.key not in left_out:
            criteria += (c,)
            raw_columns.append(raw)
            norm_columns.append(norm)
    total_weight = sum(weights.values())
    group_weight: dict[str, float] = defaultdict(float)
    for c in criteria:
        group_weight[c.group] += weights[c.key]
    weighted = [0.0] * n
    by_group: dict[str, list[float]] = {g: [0.0] * n for g in group_weight}
    for index, (c, norm) in enumerate(zip(criteria, norm_columns, strict=True), start=1):
        w = weights[c.key]
        weighted = [t + w * x for t, x in zip(weighted, norm, strict=True)]
        by_group[c.group] = [t + w * x for t, x in zip(by_group[c.group], norm, strict=True)]
        if progress:
            progress(10 + int(50 * index / max(len(criteria), 1)), c.name)

    def points(values: list[float], weight: float) -> list[float]:
        return [round(100 * v / weight, 2) for v in values] if weight else [0.0] * n

    total = points(weighted, total_weight)
    groups: dict[str, list[float | None]] = {
        g: ([*points(by_group[g], group_weight[g])] if g in by_group else [None] * n)
        for g in GROUPS
    }
    potential = [v or 0.0 for v in groups[POTENTIAL]]
    recommendation = [
        KEY_CANDIDATE if is_key_candidate(t, p, a.willingness, spec) else TRANSACTIONAL
        for t, p, a in zip(total, potential, inputs, strict=True)
    ]
    gaps: list[list[str]] = [[] for _ in range(n)]
    for c, raw in zip(criteria, raw_columns, strict=True):
        for i in (i for i, v in enumerate(raw) if v is None):
            gaps[i].append(c.key)
    share = [share_of_wallet(w, r) for w, r in zip(wallet, revenue, strict=True)]
    room = [headroom(w, r) for w, r in zip(wallet, revenue, strict=True)]
    # best first; ties by revenue (as a float: cents are exact far beyond any revenue), name, id
    order = sorted(range(n), key=lambda i: (-total[i], -revenue[i], inputs[i].name, inputs[i].id))
    table = ScoreTable(
        inputs=inputs,
        columns=CriterionColumns(criteria, raw_columns, norm_columns, n, weights),
        total=total,
        groups=groups,
        completeness=points(backed, full_weight),
        recommendation=recommendation,
        scope=[scope_of(a.countries, a.regions, spec) for a in inputs],
        wallet=wallet,
        wallet_basis=basis,
        share_of_wallet=share,
        headroom=room,
        gaps=gaps,
        order=order,
        left_out=left_out,
    )
    if progress:
        progress(70, _("Scores computed"))
    return table


def score_population(
    inputs: list[AccountInputs], spec: ModelSpec, progress: Progress | None = None
) -> list[ScoreResult]:
    """Score every account against the model, in memory; ranked best first."""
    return score_table(inputs, spec, progress).results()
