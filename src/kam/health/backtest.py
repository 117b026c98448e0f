"""Is the health grade worth anything? ``kam health-backtest`` computes health with the data
up to a day and checks how well it predicted a revenue fall of ≥ 20 % over the following
months, next to a baseline of recency alone (DOMAIN §6, issue 16).

Revenue comes from the monthly roll-ups: the ``horizon`` full months after the month of
``as_of`` against the same number of months up to and including it. Only accounts with revenue
in the months before count (a fall needs something to fall from).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from kam.customers.models import Tier, Unit
from kam.sales.models import MonthlyRollup

from . import engine, selectors

FALL = Decimal("0.8")  # revenue after ≤ 80 % of revenue before: a fall of ≥ 20 %


def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def auc(labels: list[bool], risk: list[float]) -> float | None:
    """Area under the ROC curve of ``risk`` (higher = more likely to fall); None with one class.

    The Mann–Whitney form with ties counted half: the same figure as scikit-learn's
    ``roc_auc_score``, without needing it at run time.
    """
    pos = [r for r, y in zip(risk, labels, strict=True) if y]
    neg = [r for r, y in zip(risk, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    ranked = sorted((r, i) for i, r in enumerate(risk))
    ranks = [0.0] * len(risk)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[ranked[k][1]] = (i + j) / 2 + 1
        i = j + 1
    pos_ranks = sum(ranks[i] for i, y in enumerate(labels) if y)
    return (pos_ranks - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def revenue_windows(
    as_of: dt.date, horizon: int
) -> tuple[dict[int, Decimal], dict[int, Decimal], dt.date]:
    """account id → revenue before, after; and the first month after ``as_of``'s month."""
    boundary = _shift(as_of.replace(day=1), 1)
    start, end = _shift(boundary, -horizon), _shift(boundary, horizon)
    before: dict[int, Decimal] = defaultdict(Decimal)
    after: dict[int, Decimal] = defaultdict(Decimal)
    rows = (
        MonthlyRollup.objects.filter(month__gte=start, month__lt=end)
        .order_by()
        .values("account_id", "month")
        .annotate(net=Sum("net_amount"))
        .values_list("account_id", "month", "net")
    )
    for acc, month, net in rows:
        (before if month < boundary else after)[acc] += net or Decimal(0)
    return dict(before), dict(after), boundary


def run(*, as_of: dt.date, horizon_months: int = 6, key_only: bool = False) -> dict[str, Any]:
    """The backtest's figures as a JSON-ready dict."""
    before, after, boundary = revenue_windows(as_of, horizon_months)
    results = engine.compute(None, as_of, selectors.params_for)
    if key_only:
        keys = set(
            Unit.objects.accounts().exclude(tier=Tier.TRANSACTIONAL).values_list("pk", flat=True)
        )
        results = {pk: r for pk, r in results.items() if pk in keys}
    rows = []
    for pk, r in results.items():
        prior = before.get(pk, Decimal(0))
        if prior <= 0:
            continue
        later = after.get(pk, Decimal(0))
        rows.append(
            {
                "account_id": pk,
                "score": r.score,
                "grade": r.grade,
                "recency": r.components["recency"]["value"],
                "fell": later <= prior * FALL,
                "change": float((later - prior) / prior * 100),
            }
        )
    labels = [row["fell"] for row in rows]
    by_grade = []
    for grade in ("poor", "fair", "good"):
        group = [row for row in rows if row["grade"] == grade]
        fell = sum(1 for row in group if row["fell"])
        by_grade.append(
            {
                "grade": grade,
                "accounts": len(group),
                "fell": fell,
                "fall_rate": round(fell / len(group), 3) if group else None,
            }
        )
    poor = [row for row in rows if row["grade"] == "poor"]
    precision_poor = round(sum(1 for r in poor if r["fell"]) / len(poor), 3) if poor else None
    # the baseline flags as many accounts as "poor" does: those least recently in touch
    by_recency = sorted(rows, key=lambda row: row["recency"])[: len(poor)]
    precision_recency = (
        round(sum(1 for r in by_recency if r["fell"]) / len(by_recency), 3) if by_recency else None
    )
    health_auc = auc(labels, [-row["score"] for row in rows])
    recency_auc = auc(labels, [-row["recency"] for row in rows])
    complete = _shift(boundary, horizon_months) <= timezone.localdate().replace(day=1)
    if health_auc is None or recency_auc is None:
        verdict = "undecided"
    elif health_auc > recency_auc:
        verdict = "health_better"
    elif health_auc == recency_auc:
        verdict = "tie"
    else:
        verdict = "recency_better"
    return {
        "as_of": as_of.isoformat(),
        "horizon_months": horizon_months,
        "first_month_after": boundary.isoformat(),
        "horizon_complete": complete,
        "accounts": len(rows),
        "fell": sum(labels),
        "auc": None if health_auc is None else round(health_auc, 3),
        "precision_poor": precision_poor,
        "poor": len(poor),
        "by_grade": by_grade,
        "baseline": {
            "name": "recency",
            "auc": None if recency_auc is None else round(recency_auc, 3),
            "precision_lowest": precision_recency,
        },
        "verdict": verdict,
    }
