"""Reads of key-account identification; each is a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.db.models import Count, Max, Prefetch, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.errors import DomainError
from kam.core.filters import filter_queryset
from kam.core.periods import add_months
from kam.customers.models import Tier, Unit
from kam.people.models import User
from kam.relationships.models import StageAssessment
from kam.relationships.stage import stage_index as relationship_stage_index
from kam.sales.models import (
    POSITION_ORDER,
    CompetitorShare,
    MonthlyRollup,
    SupplierPosition,
    Transaction,
)

from .backtesting import Outcome, compare
from .engine import ScoreResult, data_end, score_population
from .filters import NominationFilter, ScoreFilter
from .inputs import attach_forecast, collect_inputs, model_spec
from .models import (
    AccountAssessment,
    AccountScore,
    BuyingCriterion,
    Criterion,
    ModelStatus,
    Nomination,
    NominationEvent,
    RunStatus,
    ScoringModel,
    ScoringRun,
    SelectionBacktest,
    WalletConfidence,
)

# --------------------------------------------------------------------------------------------
# Models and runs


def scoring_model_active() -> ScoringModel | None:
    return (
        ScoringModel.objects.filter(status=ModelStatus.ACTIVE)
        .prefetch_related(Prefetch("criteria", queryset=Criterion.objects.order_by("order")))
        .first()
    )


def scoring_model_by_version(*, version: int) -> ScoringModel | None:
    return ScoringModel.objects.prefetch_related("criteria").filter(version=version).first()


def scoring_run_latest(*, model: ScoringModel | None = None) -> ScoringRun | None:
    """The newest finished run of ``model`` (default: the active model)."""
    qs = ScoringRun.objects.filter(status=RunStatus.DONE).select_related("model")
    qs = qs.filter(model=model) if model else qs.filter(model__status=ModelStatus.ACTIVE)
    return qs.order_by("-finished_at", "-pk").first()


def run_scores(*, run: ScoringRun, candidates_only: bool = False) -> QuerySet[AccountScore]:
    qs = (
        AccountScore.objects.filter(run=run)
        .select_related("account", "account__account_manager")
        .order_by("rank")
    )
    if candidates_only:
        qs = qs.filter(recommendation="key_candidate")
    return qs


def score_list(
    *, run: ScoringRun, filters: Mapping[str, Any] | None = None
) -> QuerySet[AccountScore]:
    """The run's scores matching the list filters (:class:`ScoreFilter`), in rank order.

    The scores page, its export and ``GET /identification/scores`` all read this.
    """
    return filter_queryset(ScoreFilter, filters, run_scores(run=run))


def account_score_latest(*, account: Unit) -> AccountScore | None:
    """The account's score in the latest finished run of the active model."""
    return (
        AccountScore.objects.filter(
            account=account, run__status=RunStatus.DONE, run__model__status=ModelStatus.ACTIVE
        )
        .select_related("run__model")
        .order_by("-run__finished_at", "-run_id")
        .first()
    )


# --------------------------------------------------------------------------------------------
# What-if


def what_if(*, draft_model: ScoringModel, as_of: dt.date | None = None) -> dict[str, Any]:
    """Score every account with ``draft_model`` in memory (nothing saved) and compare it with
    the active model's latest run: who enters and who leaves the candidate list, rank shifts.

    The preview uses the same ``as_of`` as that run (so only the model differs), or today.
    """
    base = scoring_run_latest()
    as_of = as_of or (base.as_of if base else timezone.localdate())
    spec = model_spec(ScoringModel.objects.prefetch_related("criteria").get(pk=draft_model.pk))
    results = score_population(collect_inputs(as_of=as_of), spec)
    before: dict[int, tuple[int, str, float]] = {}
    if base is not None:
        before = {
            account_id: (rank, recommendation, total)
            for account_id, rank, recommendation, total in AccountScore.objects.filter(
                run=base
            ).values_list("account_id", "rank", "recommendation", "total")
        }
    entering, leaving, shifts = [], [], []
    for r in results:
        old = before.get(r.account_id)
        was_candidate = bool(old and old[1] == "key_candidate")
        if r.is_candidate and not was_candidate:
            entering.append(_brief(r))
        elif was_candidate and not r.is_candidate:
            leaving.append(_brief(r))
        if old is not None:
            shifts.append(
                {
                    **_brief(r),
                    "old_rank": old[0],
                    "shift": old[0] - r.rank,
                    "old_total": old[2],
                    "delta": round(r.total - old[2], 2),
                }
            )
    shifts.sort(key=lambda s: (-abs(s["shift"]), s["rank"]))
    return {
        "as_of": as_of,
        "base_run": base,
        "scores": results,
        "entering": entering,
        "leaving": leaving,
        "shifts": shifts,
    }


def _brief(r: ScoreResult) -> dict[str, Any]:
    return {"account_id": r.account_id, "name": r.name, "rank": r.rank, "total": r.total}


# --------------------------------------------------------------------------------------------
# Portfolio matrix (DOMAIN §4)

QUADRANTS = {
    "strategic": (
        gettext_lazy("Strategic"),
        gettext_lazy("Invest: build a partnership or synergistic relationship."),
        gettext_lazy("partnership / synergistic"),
    ),
    "star": (
        gettext_lazy("Star"),
        gettext_lazy("Invest selectively to build our position."),
        gettext_lazy("mid → partnership"),
    ),
    "status": (
        gettext_lazy("Status"),
        gettext_lazy("Maintain efficiently."),
        gettext_lazy("mid"),
    ),
    "streamline": (
        gettext_lazy("Streamline"),
        gettext_lazy("Reduce the cost to serve."),
        gettext_lazy("early / transactional"),
    ),
}


def quadrant_of(
    attractiveness: float, relative_strength: float, *, model: ScoringModel | None = None
) -> str:
    """The quadrant by the cut-offs of ``model`` (default: the documented defaults)."""
    config = model or ScoringModel()
    high_a = attractiveness >= config.matrix_attractiveness_cutoff
    high_s = relative_strength >= config.matrix_strength_cutoff
    if high_a:
        return "strategic" if high_s else "star"
    return "status" if high_s else "streamline"


def position_index(position: str | None) -> float:
    if not position or position not in POSITION_ORDER:
        return 0.0
    return POSITION_ORDER.index(position) / (len(POSITION_ORDER) - 1)


def _first_per_account(rows: Any) -> dict[int, Any]:
    """The first value of each account among rows ordered by account, newest first."""
    out: dict[int, Any] = {}
    for account_id, value in rows:
        out.setdefault(account_id, value)
    return out


def portfolio_matrix(
    *,
    run: ScoringRun | None = None,
    key_only: bool = False,
    account_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """One bubble per scored account (``matrix_bubbles`` without a limit)."""
    return matrix_bubbles(run=run, key_only=key_only, account_ids=account_ids)[0]


def matrix_bubbles(
    *,
    run: ScoringRun | None = None,
    key_only: bool = False,
    account_ids: Sequence[int] | None = None,
    limit: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The bubbles of the first ``limit`` scored accounts by rank (all without a limit) and
    how many of all the accounts fall in each quadrant: at 100k units the page draws 2,000 of
    20,800 and counts them all, and writing every bubble took half of its time.

    One bubble per scored account, ready for an ECharts scatter (``value`` = [R, A, revenue]).

    A = score / 10. Data proxy for relative strength *(ours)*: S_own = 10 × (w_share·share of
    wallet + w_position·supplier position index + w_stage·stage index), the stage index being
    the confirmed relationship stage (``relationships.stage.stage_index``); the best competitor
    is rated with the same formula from
    its recorded share (else the wallet we don't hold) and the model's competitor position.
    R = S_own / max(S_comp, 0.1), clipped to the model's axis for ``value``. The weights,
    cut-offs and axis are those of the run's scoring model (defaults 0.5/0.3/0.2, A ≥ 5, R ≥ 1,
    0.33–3, competitor position 0.5).
    """
    run = run or scoring_run_latest()
    counts = dict.fromkeys(QUADRANTS, 0)
    if run is None:
        return [], counts
    config = run.model
    w_share, w_position, w_stage = (
        config.matrix_share_weight,
        config.matrix_position_weight,
        config.matrix_stage_weight,
    )
    today = timezone.localdate()
    qs = AccountScore.objects.filter(run=run)
    if key_only:
        qs = qs.exclude(account__tier=Tier.TRANSACTIONAL)
    if account_ids is not None:
        qs = qs.filter(account_id__in=account_ids)
    rows = list(
        qs.order_by("rank").values(
            "account_id",
            "account__name",
            "account__tier",
            "total",
            "share_of_wallet",
            "revenue_12m",
            "scope",
            "recommendation",
        )
    )
    # the run's accounts as a subquery: 20,800 ids in an IN list took 0.17 s to prepare; the
    # latest position and confirmed stage of the accounts that have one are read newest first
    # (two queries; a subquery per bubble cost 20,800 × 2 lookups at 100k units)
    accounts = qs.order_by().values("account_id")
    position_of = _first_per_account(
        SupplierPosition.objects.filter(account_id__in=accounts, since__lte=today)
        .order_by("account_id", "-since", "-recorded_at")
        .values_list("account_id", "position")
    )
    stage_of = _first_per_account(
        StageAssessment.objects.filter(account_id__in=accounts)
        .order_by("account_id", "-decided_at", "-id")
        .values_list("account_id", "confirmed")
    )
    best_competitor = dict(
        CompetitorShare.objects.filter(account_id__in=accounts)
        .values("account_id")
        .annotate(m=Max("share_pct"))
        .order_by()
        .values_list("account_id", "m")
    )
    top_revenue = max((float(r["revenue_12m"]) for r in rows), default=0.0) or 1.0
    # the quadrants' texts translated once, not three lazy strings per bubble (20,800 bubbles
    # at 100k units spent more time translating than computing)
    texts = {
        q: (str(label), str(policy), str(stage)) for q, (label, policy, stage) in QUADRANTS.items()
    }
    points = []
    for n, r in enumerate(rows):
        sow = r["share_of_wallet"]
        own_share = sow or 0.0
        if r["account_id"] in best_competitor:
            comp_share = float(best_competitor[r["account_id"]]) / 100
        elif sow is not None:
            comp_share = 1 - sow
        else:
            comp_share = 0.5
        position = position_of.get(r["account_id"])
        stage_index = relationship_stage_index(stage_of.get(r["account_id"]))  # confirmed
        s_own = 10 * (
            w_share * own_share + w_position * position_index(position) + w_stage * stage_index
        )
        s_comp = 10 * (w_share * comp_share + w_position * config.matrix_competitor_position)
        rel = s_own / max(s_comp, 0.1)
        attractiveness = r["total"] / 10
        quadrant = quadrant_of(attractiveness, rel, model=config)
        counts[quadrant] += 1
        if limit is not None and n >= limit:
            continue
        label, policy, stage = texts[quadrant]
        revenue = float(r["revenue_12m"])
        points.append(
            {
                "account_id": r["account_id"],
                "name": r["account__name"],
                "value": [
                    round(min(max(rel, config.matrix_axis_min), config.matrix_axis_max), 3),
                    round(attractiveness, 2),
                    revenue,
                ],
                "attractiveness": round(attractiveness, 2),
                "strength_own": round(s_own, 2),
                "strength_competitor": round(s_comp, 2),
                "relative_strength": round(rel, 3),
                "quadrant": quadrant,
                "quadrant_label": label,
                "policy": policy,
                "target_stage": stage,
                "revenue": revenue,
                "symbol_size": round(8 + 42 * math.sqrt(max(revenue, 0) / top_revenue), 1),
                "tier": r["account__tier"],
                "scope": r["scope"],
                "recommendation": r["recommendation"],
                "position": position or "",
            }
        )
    return points, counts


# --------------------------------------------------------------------------------------------
# Capacity guard


def capacity_warnings(*, model: ScoringModel | None = None) -> dict[str, Any]:
    """Key accounts per KAM against their capacity, and the total against the model's limit."""
    model = model or scoring_model_active()
    default_capacity = model.kam_capacity if model else 5
    total_limit = model.max_key_accounts if model else 50
    per_manager = dict(
        Unit.objects.accounts()
        .exclude(tier=Tier.TRANSACTIONAL)
        .values("account_manager_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("account_manager_id", "n")
    )
    total = sum(per_manager.values())
    managers = User.objects.filter(pk__in=[k for k in per_manager if k is not None])
    over = []
    for user in managers:
        capacity = user.capacity or default_capacity
        if per_manager[user.pk] > capacity:
            over.append({"user": user, "key_accounts": per_manager[user.pk], "capacity": capacity})
    over.sort(key=lambda o: (-(o["key_accounts"] - o["capacity"]), str(o["user"])))
    messages = [
        _("%(user)s manages %(n)d key accounts; their capacity is %(capacity)d.")
        % {"user": o["user"], "n": o["key_accounts"], "capacity": o["capacity"]}
        for o in over
    ]
    if total > total_limit:
        messages.append(
            _(
                "There are %(n)d key accounts, more than the limit of %(limit)d: choose them "
                "on potential, not size."
            )
            % {"n": total, "limit": total_limit}
        )
    return {
        "total": total,
        "total_limit": total_limit,
        "total_exceeded": total > total_limit,
        "unassigned": per_manager.get(None, 0),
        "over_capacity": over,
        "messages": messages,
    }


# --------------------------------------------------------------------------------------------
# Backtest


def backtest(
    *,
    as_of: dt.date,
    horizon_months: int = 12,
    tops: Sequence[int] = (20, 50, 100),
    model: ScoringModel | None = None,
) -> dict[str, Any]:
    """Score the accounts that existed at the cut-off on data up to ``as_of`` and compare, for
    every K in ``tops``, the model's top K with the naive and the best possible picks over the
    following ``horizon_months`` (``backtesting.py``, decision 85). Saves nothing.

    An account existed at the cut-off when it was created by then or has sales before it (an
    import creates every account on the day it runs).
    """
    tops = sorted({int(k) for k in tops})
    if not tops or tops[0] <= 0:
        raise DomainError(_("K must be a positive number."), field="top")
    if horizon_months <= 0:
        raise DomainError(_("The horizon must be at least one month."), field="horizon_months")
    model = model or scoring_model_active()
    if model is None:
        raise DomainError(_("No scoring model is active."), code="no_model")
    spec = model_spec(ScoringModel.objects.prefetch_related("criteria").get(pk=model.pk))
    skipped: dict[int, str] = {}
    inputs = collect_inputs(as_of=as_of, skipped=skipped)
    start = data_end(as_of)
    end = add_months(start, horizon_months)
    before = add_months(start, -horizon_months)
    moment = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    created = dict(Unit.objects.accounts().values_list("pk", "created_at"))
    sold_before = set(
        MonthlyRollup.objects.filter(month__lt=start)
        .values_list("account_id", flat=True)
        .distinct()
    )
    inputs = [a for a in inputs if a.id in sold_before or created.get(a.id, moment) < moment]
    if not inputs:
        raise DomainError(_("There are no accounts to score."), code="no_accounts")
    forecast = attach_forecast(inputs, as_of=as_of, accuracy=False)
    results = score_population(inputs, spec)

    def sums(low: dt.date, high: dt.date) -> dict[int, float]:
        return {
            account_id: float(amount or 0)
            for account_id, amount in MonthlyRollup.objects.filter(month__gte=low, month__lt=high)
            .values("account_id")
            .annotate(amount=Sum("net_amount"))
            .order_by()
            .values_list("account_id", "amount")
        }

    future, past = sums(start, end), sums(before, start)
    external = dict(
        Unit.objects.filter(pk__in=[a.id for a in inputs]).values_list("pk", "external_id")
    )
    population = [
        Outcome(
            key=a.id,
            name=a.name,
            external_id=external.get(a.id) or "",
            revenue_12m=a.revenue_12m_cents / 100,
            past=past.get(a.id, 0.0),
            future=future.get(a.id, 0.0),
        )
        for a in inputs
    ]
    return {
        "as_of": as_of,
        "period": (start, end),
        "horizon_months": horizon_months,
        "population": len(population),
        "total": round(sum(o.future for o in population), 2),
        "model": model,
        "forecast": forecast,
        "results": compare(population, [r.account_id for r in results], tops),
        # accounts left out for bad stored data (facts.load): account id → reason
        "skipped": skipped,
    }


def backtest_json(result: dict[str, Any]) -> dict[str, Any]:
    """The backtest in the shape of ``kam backtest --json`` and the API (issue 11)."""
    return {
        "as_of": result["as_of"].isoformat(),
        "horizon_months": result["horizon_months"],
        "population": result["population"],
        "results": [
            {
                "top": r["top"],
                "overlap": r["overlap"],
                "picks": {
                    name: {
                        "revenue_capture": pick["revenue_capture"],
                        "growth_capture": pick["growth_capture"],
                        "accounts": pick["accounts"],
                    }
                    for name, pick in r["picks"].items()
                },
            }
            for r in result["results"]
        ],
    }


# --------------------------------------------------------------------------------------------
# Nominations and notifications


def nomination_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Nomination]:
    """Nominations matching the list filters (:class:`NominationFilter`), newest first.

    The nominations queue and ``GET /identification/nominations`` both read this.
    """
    qs = Nomination.objects.select_related("account", "nominated_by", "decided_by", "score")
    return filter_queryset(NominationFilter, filters, qs).order_by("-created_at", "-pk")


def nomination_history(*, nomination: Nomination) -> QuerySet[NominationEvent]:
    return NominationEvent.objects.filter(nomination=nomination).select_related("actor")


def account_nominations(*, account: Unit) -> QuerySet[Nomination]:
    return (
        Nomination.objects.filter(account=account)
        .select_related("nominated_by", "decided_by")
        .prefetch_related(
            Prefetch("events", queryset=NominationEvent.objects.select_related("actor"))
        )
        .order_by("-created_at", "-pk")
    )


def account_manager_candidates(*, model: ScoringModel | None = None) -> list[dict[str, Any]]:
    """Who may manage a key account being approved: active KAMs with capacity left first (most
    room first), then KAMs at or over capacity, then sales managers and executives; each with
    the key accounts they manage and their capacity. Two queries."""
    model = model or scoring_model_active()
    default_capacity = model.kam_capacity if model else 5
    managed = dict(
        Unit.objects.accounts()
        .exclude(tier=Tier.TRANSACTIONAL)
        .exclude(account_manager=None)
        .values("account_manager_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("account_manager_id", "n")
    )
    people = User.objects.filter(is_active=True, role__in=("kam", "sales_manager", "executive"))
    rows = []
    for user in people:
        capacity = user.capacity or default_capacity
        key_accounts = managed.get(user.pk, 0)
        rows.append(
            {
                "user": user,
                "key_accounts": key_accounts,
                "capacity": capacity,
                "free": capacity - key_accounts,
                "is_kam": user.role == "kam",
            }
        )
    rows.sort(
        key=lambda r: (
            not r["is_kam"],
            r["free"] <= 0,
            -r["free"],
            str(r["user"]),
        )
    )
    return rows


# --------------------------------------------------------------------------------------------
# Relational inputs

ASSESSMENT_HISTORY_FIELDS = (
    "willingness",
    "agreement_horizon_months",
    "joint_initiatives",
    "buying_criteria_count",
    "wallet_estimate",
    "wallet_source",
    "wallet_confidence",
    "note",
)


def assessment_of(*, account: Unit) -> AccountAssessment | None:
    return AccountAssessment.objects.select_related("updated_by").filter(account=account).first()


def buying_criteria_of(*, account: Unit, limit: int = 100) -> list[BuyingCriterion]:
    return list(BuyingCriterion.objects.filter(account=account)[:limit])


def _shown(name: str, value: Any) -> Any:
    if value is None:
        return ""
    if name == "wallet_confidence" and value:
        return WalletConfidence(value).label
    return value


def assessment_history(*, account: Unit, limit: int = 20) -> list[dict[str, Any]]:
    """The changes of an account's relational inputs, newest first: who changed what from what
    to what (two queries whatever the length)."""
    records = list(
        AccountAssessment.history.filter(account_id=account.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    changes: list[dict[str, Any]] = []
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if len(changes) == limit:
            break
        fields = []
        for name in ASSESSMENT_HISTORY_FIELDS:
            new = getattr(newer, name)
            old = getattr(older, name) if older is not None else None
            if new == old or (older is None and new in (None, "")):
                continue
            fields.append(
                {
                    "field": str(cast(Any, AccountAssessment._meta.get_field(name)).verbose_name),
                    "old": _shown(name, old),
                    "new": _shown(name, new),
                }
            )
        changes.append({"when": newer.history_date, "who": newer.history_user, "fields": fields})
    return changes


def scoring_window(*, as_of: dt.date) -> dict[str, Any]:
    """The 12 full months a run as of ``as_of`` reads, whether any sales fall in them, and the
    date of the latest transaction (``kam score`` warns before scoring on no data)."""
    end = data_end(as_of)
    start = add_months(end, -12)
    in_window = MonthlyRollup.objects.filter(month__gte=start, month__lt=end).exists()
    latest = None if in_window else Transaction.objects.aggregate(m=Max("date"))["m"]
    return {"start": start, "end": end, "has_sales": in_window, "latest": latest}


def backtest_latest() -> SelectionBacktest | None:
    """The summary of the newest selection backtest that was run (None: never run)."""
    return SelectionBacktest.objects.order_by("-created_at", "-pk").first()
