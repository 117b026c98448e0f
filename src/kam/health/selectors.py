"""Reads of health: profiles for accounts, kept grades and history, disagreements, pages."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone

from kam.core.filters import filter_queryset
from kam.core.metrics import UnknownMetric, get_metric
from kam.core.periods import last_full_months
from kam.core.permissions import visible
from kam.customers.models import Unit, ancestor_paths
from kam.sales.models import MonthlyRollup

from . import engine
from .engine import Params, month_starts
from .filters import HealthFilter
from .models import (
    GRADE_RANK,
    AccountHealth,
    BacktestResult,
    HealthMonth,
    HealthProfile,
    HealthProfileVersion,
    ProfileRule,
    Sentiment,
    StaleHealth,
    VersionStatus,
    default_weights,
)

DEFAULT_PARAMS = Params(weights={k: float(v) for k, v in default_weights().items()})


def disagreement_gap() -> int:
    """Grades between the score and the KAM's sentiment that make a flag (default 2)."""
    return int(getattr(settings, "KAM_HEALTH_DISAGREEMENT_GRADES", 2))


def active_versions() -> dict[int, HealthProfileVersion]:
    """profile id → its active version (one query)."""
    return {
        v.profile_id: v
        for v in HealthProfileVersion.objects.filter(status=VersionStatus.ACTIVE).select_related(
            "profile"
        )
    }


def params_for(
    account_ids: Sequence[int], tiers: dict[int, str], as_of: dt.date
) -> dict[int, Params]:
    """The parameters each account is judged by: the first matching rule's profile (by tier or
    quadrant), else the default profile, else the documented defaults (≤ 4 queries)."""
    versions = active_versions()
    params = {pid: Params.of(v) for pid, v in versions.items()}
    default_id = next((pid for pid, v in versions.items() if v.profile.is_default), None)
    fallback = params.get(default_id, DEFAULT_PARAMS) if default_id else DEFAULT_PARAMS
    rules = [r for r in ProfileRule.objects.all() if r.profile_id in params]
    quadrants: dict[int, Any] = {}
    if any(r.quadrant for r in rules) and account_ids:
        try:
            quadrants = dict(get_metric("identification.quadrant").values(account_ids, as_of))
        except UnknownMetric:
            quadrants = {}
    out: dict[int, Params] = {}
    for pk in account_ids:
        chosen = fallback
        for rule in rules:
            if rule.matches(tiers.get(pk, ""), quadrants.get(pk)):
                chosen = params[rule.profile_id]
                break
        out[pk] = chosen
    return out


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def account_grades(account_ids: Sequence[int], as_of: dt.date | None = None) -> dict[int, str]:
    """account id → health grade: the kept current grade, or for a past day the grade of that
    month's history row (one query). Accounts without a figure are absent."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    today = timezone.localdate()
    if as_of is None or _month(as_of) >= _month(today):
        return dict(
            AccountHealth.objects.filter(account_id__in=ids).values_list("account_id", "grade")
        )
    return dict(
        HealthMonth.objects.filter(account_id__in=ids, month=_month(as_of)).values_list(
            "account_id", "grade"
        )
    )


def account_scores(account_ids: Sequence[int]) -> dict[int, AccountHealth]:
    return {h.account_id: h for h in AccountHealth.objects.filter(account_id__in=list(account_ids))}


def grade_history(account_ids: Sequence[int], months: int = 12) -> dict[int, list[dict[str, Any]]]:
    """account id → its monthly rows, oldest first, over the last ``months`` months (one query):
    ``{"month", "score", "grade"}``."""
    ids = sorted(set(account_ids))
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return {}
    first = month_starts(timezone.localdate(), max(months, 1))[-1]
    for acc, month, score, grade in (
        HealthMonth.objects.filter(account_id__in=ids, month__gte=first)
        .order_by("account_id", "month")
        .values_list("account_id", "month", "score", "grade")
    ):
        out[acc].append({"month": month, "score": score, "grade": grade})
    return dict(out)


def latest_sentiments(account_ids: Sequence[int]) -> dict[int, Sentiment]:
    """account id → the KAM's latest sentiment (one query)."""
    out: dict[int, Sentiment] = {}
    for s in Sentiment.objects.filter(account_id__in=list(account_ids)).order_by(
        "account_id", "-on", "-pk"
    ):
        out.setdefault(s.account_id, s)
    return out


def sentiment_disagreements(
    account_ids: Sequence[int] | None = None, min_gap: int | None = None
) -> list[dict[str, Any]]:
    """Accounts whose latest sentiment is ``min_gap`` grades or more away from the computed
    grade (two queries): ``{"account_id", "grade", "sentiment", "on", "note", "gap"}``."""
    gap_needed = disagreement_gap() if min_gap is None else min_gap
    healths = AccountHealth.objects.all()
    if account_ids is not None:
        healths = healths.filter(account_id__in=list(account_ids))
    grades = dict(healths.values_list("account_id", "grade"))
    sentiments = latest_sentiments(list(grades))
    out = []
    for acc, s in sorted(sentiments.items()):
        gap = abs(GRADE_RANK[grades[acc]] - GRADE_RANK[s.grade])
        if gap >= gap_needed:
            out.append(
                {
                    "account_id": acc,
                    "grade": grades[acc],
                    "sentiment": s.grade,
                    "on": s.on,
                    "note": s.note,
                    "gap": gap,
                }
            )
    return out


def stale_count() -> int:
    return StaleHealth.objects.count()


def health_list(*, user: Any, params: Any = None) -> QuerySet[AccountHealth]:
    """The portfolio health list the user may see, filtered by :class:`HealthFilter`."""
    accounts = visible(user, Unit.objects.accounts())
    qs = AccountHealth.objects.filter(account__in=accounts.order_by().values("pk")).select_related(
        "account", "account__account_manager", "version__profile"
    )
    return filter_queryset(HealthFilter, params, qs.order_by("score", "account__name"))


def latest_backtest() -> BacktestResult | None:
    return BacktestResult.objects.order_by("-created_at").first()


def account_health(*, account: Unit) -> dict[str, Any]:
    """What the health page of one account shows (bounded queries)."""
    health = (
        AccountHealth.objects.filter(account=account).select_related("version__profile").first()
    )
    history = grade_history([account.pk], 24).get(account.pk, [])
    sentiments = list(Sentiment.objects.filter(account=account).select_related("author")[:10])
    latest = sentiments[0] if sentiments else None
    disagreement = None
    if health and latest:
        gap = abs(GRADE_RANK[health.grade] - GRADE_RANK[latest.grade])
        if gap >= disagreement_gap():
            disagreement = gap
    return {
        "health": health,
        "history": history,
        "sentiments": sentiments,
        "sentiment": latest,
        "disagreement": disagreement,
        "stale": StaleHealth.objects.filter(account_path=account.account_path).exists(),
        "backtest": latest_backtest(),
    }


def profiles() -> list[HealthProfile]:
    return list(
        HealthProfile.objects.prefetch_related("versions", "rules").order_by("-is_default", "name")
    )


def profile_versions(profile: HealthProfile) -> list[HealthProfileVersion]:
    return list(profile.versions.order_by("-number"))


def as_decimal(value: float) -> Decimal:
    return Decimal(str(round(value, 1)))


def group_rollup(*, account: Unit, as_of: dt.date | None = None) -> dict[str, Any]:
    """A group's health rolled up from its companies (the units directly below the account):
    each company's own score by the account's profile, the group figure as their average
    weighted by revenue of the last 12 full months (plain average when none bought), and the
    companies left out named with the reason (no contact in 12 months and no buying-centre
    member there: nothing to judge). Nine queries."""
    as_of = as_of or timezone.localdate()
    raw, companies = engine.load_companies(account, as_of)
    if not companies:
        return {"companies": [], "excluded": [], "score": None, "grade": None}
    params = params_for([account.pk], {account.pk: account.tier}, as_of)[account.pk]
    start, end = last_full_months(as_of, 12)
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    paths = {c.path: pk for pk, c in companies.items()}
    for path, net in (
        MonthlyRollup.objects.filter(account=account, month__gte=start, month__lt=end)
        .values("unit__path")
        .annotate(net=Sum("net_amount"))
        .order_by()
        .values_list("unit__path", "net")
    ):
        for step in (*ancestor_paths(path), path):
            if step in paths:
                revenue[paths[step]] += net or Decimal(0)
                break
    rows: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    for pk, company in sorted(companies.items(), key=lambda kv: kv[1].name):
        r = raw[pk]
        if not r.months and not r.dmu:
            excluded.append({"unit": company, "revenue": revenue.get(pk, Decimal(0))})
            continue
        result = engine.score_of(r, params, as_of)
        rows.append(
            {
                "unit": company,
                "score": result.score,
                "grade": result.grade,
                "revenue": revenue.get(pk, Decimal(0)),
            }
        )
    if not rows:
        return {"companies": [], "excluded": excluded, "score": None, "grade": None}
    revenues = [float(row["revenue"]) for row in rows]
    scores = [float(row["score"]) for row in rows]
    total = sum(revenues)
    if total > 0:
        score = sum(r * s for r, s in zip(revenues, scores, strict=True)) / total
    else:
        score = sum(scores) / len(scores)
    score = round(score, 1)
    return {
        "companies": rows,
        "excluded": excluded,
        "score": score,
        "grade": params.grade_of(score),
        "weighted_by_revenue": total > 0,
    }
