"""Reads of key-account identification; each is a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, OuterRef, Prefetch, QuerySet, Subquery, Sum
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
from kam.sales.models import POSITION_ORDER, CompetitorShare, MonthlyRollup, SupplierPosition

from .engine import ScoreResult, data_end, score_population
from .filters import NominationFilter, ScoreFilter
from .inputs import collect_inputs, model_spec
from .models import (
    AccountScore,
    Criterion,
    ModelStatus,
    Nomination,
    NominationEvent,
    RunStatus,
    ScoringModel,
    ScoringRun,
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
    qs = AccountScore.objects.filter(run=run).select_related("account").order_by("rank")
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


def portfolio_matrix(
    *, run: ScoringRun | None = None, key_only: bool = False
) -> list[dict[str, Any]]:
    """One bubble per scored account, ready for an ECharts scatter (``value`` = [R, A, revenue]).

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
    if run is None:
        return []
    config = run.model
    w_share, w_position, w_stage = (
        config.matrix_share_weight,
        config.matrix_position_weight,
        config.matrix_stage_weight,
    )
    today = timezone.localdate()
    latest_position = (
        SupplierPosition.objects.filter(account_id=OuterRef("account_id"), since__lte=today)
        .order_by("-since", "-recorded_at")
        .values("position")[:1]
    )
    confirmed_stage = (
        StageAssessment.objects.filter(account_id=OuterRef("account_id"))
        .order_by("-decided_at", "-id")
        .values("confirmed")[:1]
    )
    qs = AccountScore.objects.filter(run=run).annotate(
        position=Subquery(latest_position), stage=Subquery(confirmed_stage)
    )
    if key_only:
        qs = qs.exclude(account__tier=Tier.TRANSACTIONAL)
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
            "position",
            "stage",
        )
    )
    best_competitor = dict(
        CompetitorShare.objects.filter(account_id__in=[r["account_id"] for r in rows])
        .values("account_id")
        .annotate(m=Max("share_pct"))
        .order_by()
        .values_list("account_id", "m")
    )
    top_revenue = max((float(r["revenue_12m"]) for r in rows), default=0.0) or 1.0
    points = []
    for r in rows:
        sow = r["share_of_wallet"]
        own_share = sow or 0.0
        if r["account_id"] in best_competitor:
            comp_share = float(best_competitor[r["account_id"]]) / 100
        elif sow is not None:
            comp_share = 1 - sow
        else:
            comp_share = 0.5
        stage_index = relationship_stage_index(r["stage"])  # the confirmed stage
        s_own = 10 * (
            w_share * own_share + w_position * position_index(r["position"]) + w_stage * stage_index
        )
        s_comp = 10 * (w_share * comp_share + w_position * config.matrix_competitor_position)
        rel = s_own / max(s_comp, 0.1)
        attractiveness = r["total"] / 10
        quadrant = quadrant_of(attractiveness, rel, model=config)
        label, policy, stage = QUADRANTS[quadrant]
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
                "quadrant_label": str(label),
                "policy": str(policy),
                "target_stage": str(stage),
                "revenue": revenue,
                "symbol_size": round(8 + 42 * math.sqrt(max(revenue, 0) / top_revenue), 1),
                "tier": r["account__tier"],
                "scope": r["scope"],
                "recommendation": r["recommendation"],
                "position": r["position"] or "",
            }
        )
    return points


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
    *, as_of: dt.date, horizon_months: int = 12, top: int = 10, model: ScoringModel | None = None
) -> dict[str, Any]:
    """Score on data up to ``as_of`` and measure the revenue of the following ``horizon_months``
    delivered by the model's top-K, by the naive top-K (last-12-month revenue) and by the best
    possible top-K (hindsight)."""
    if top <= 0:
        raise DomainError(_("K must be a positive number."), field="top")
    if horizon_months <= 0:
        raise DomainError(_("The horizon must be at least one month."), field="horizon_months")
    model = model or scoring_model_active()
    if model is None:
        raise DomainError(_("No scoring model is active."), code="no_model")
    spec = model_spec(ScoringModel.objects.prefetch_related("criteria").get(pk=model.pk))
    skipped: dict[int, str] = {}
    inputs = collect_inputs(as_of=as_of, skipped=skipped)
    if not inputs:
        raise DomainError(_("There are no accounts to score."), code="no_accounts")
    results = score_population(inputs, spec)
    start = data_end(as_of)
    end = add_months(start, horizon_months)
    future = {
        account_id: amount or Decimal("0")
        for account_id, amount in MonthlyRollup.objects.filter(month__gte=start, month__lt=end)
        .values("account_id")
        .annotate(amount=Sum("net_amount"))
        .order_by()
        .values_list("account_id", "amount")
    }
    total = sum((future.get(r.account_id, Decimal("0")) for r in results), Decimal("0"))

    def pick(ordered: list[ScoreResult]) -> dict[str, Any]:
        chosen = ordered[:top]
        amount = sum((future.get(r.account_id, Decimal("0")) for r in chosen), Decimal("0"))
        return {
            "accounts": [r.name for r in chosen],
            "account_ids": [r.account_id for r in chosen],
            "amount": amount,
            "pct": round(float(100 * amount / total), 2) if total else 0.0,
        }

    by_name = sorted(results, key=lambda r: (r.name, r.account_id))
    naive = sorted(by_name, key=lambda r: -r.revenue_12m)
    best = sorted(by_name, key=lambda r: -future.get(r.account_id, Decimal("0")))
    return {
        "as_of": as_of,
        "period": (start, end),
        "top": top,
        "accounts": len(results),
        "total": total,
        "model": pick(results),
        "naive": pick(naive),
        "best": pick(best),
        # accounts left out for bad stored data (facts.load): account id → reason
        "skipped": skipped,
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
