"""Account metrics computed from sales data, registered in the metric registry (decision 37).

Every compute answers for many accounts in a bounded number of queries, from the monthly
roll-ups (never raw transactions), positions and opportunities. "Last 12 full months" as of a
day is the window identification's scoring uses: a month counts once it has ended, and on a
month's last day that month counts (``full_months_window``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.metrics import Metric, MetricUnit, MetricValue, memoized, register
from kam.core.periods import add_months, full_months_end, month_start
from kam.customers.models import Unit, account_path_of

from .discounts import discount_pct
from .models import (
    AccountRevenue,
    CostToServe,
    MonthlyRollup,
    Opportunity,
    OpportunityStage,
    SupplierPosition,
)
from .models import SupplierPositionLevel as Level

HUNDRED = Decimal(100)
IN_LIST_MAX = 2000  # ids per IN list
CENT = Decimal("0.01")


def full_months_window(as_of: dt.date, months: int = 12) -> tuple[dt.date, dt.date]:
    """First day of the window and the first day after it: ``months`` full months to ``as_of``."""
    end = month_start(as_of + dt.timedelta(days=1))
    return add_months(end, -months), end


def _money(field: str, condition: Q) -> Coalesce:
    out: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)
    return Coalesce(Sum(field, filter=condition), Decimal(0), output_field=out)


@memoized
def rollup_sums(account_ids: Sequence[int], as_of: dt.date) -> dict[int, dict[str, Decimal]]:
    """Revenue, prior-year revenue, cost and costed revenue per account over the last 12 full
    months and the 12 before them: one query, remembered while a page reads (the stage rules
    and the alerts read the same sums)."""
    start, end = full_months_window(as_of)
    prior = add_months(start, -12)
    last = Q(month__gte=start, month__lt=end)
    rows = (
        MonthlyRollup.objects.filter(account_id__in=account_ids, month__gte=prior, month__lt=end)
        .order_by()
        .values("account_id")
        .annotate(
            revenue=_money("net_amount", last),
            prior=_money("net_amount", Q(month__lt=start)),
            cost=_money("cost", last),
            costed=_money("costed_amount", last),
        )
    )
    return {r["account_id"]: r for r in rows}


def _kept_revenue(account_ids: Sequence[int], as_of: dt.date) -> dict[int, Decimal] | None:
    """The revenue of ``as_of``'s window from the kept sums (decision 111) when every account
    asked has a current kept row covering it: today's window (``revenue_12m``) or the one a
    year before (``prior_12m``); else None (the caller sums the roll-ups)."""
    _start, end = full_months_window(as_of)
    current = full_months_end(timezone.localdate())
    if end == current:
        column = "revenue_12m"
    elif end == add_months(current, -12):
        column = "prior_12m"
    else:
        return None
    ids = sorted(set(account_ids))
    found: dict[int, Decimal] = {}
    for first in range(0, len(ids), IN_LIST_MAX):
        found.update(
            AccountRevenue.objects.filter(pk__in=ids[first : first + IN_LIST_MAX], month=current)
            .order_by()
            .values_list("pk", column)
        )
    return found if len(found) == len(ids) else None


@memoized
def revenue_and_prior(account_ids: Sequence[int], as_of: dt.date) -> dict[int, dict[str, Decimal]]:
    """``revenue`` and ``prior`` (the 12 full months before ``as_of``'s window and the 12
    before them) per account: from the kept sums when every account has a current row for
    today's window (one primary-key read each), else summed from the roll-ups (``rollup_sums``).
    Remembered while a page reads: the account page's stage rules, share of wallet and revenue
    read it for the same account."""
    _start, end = full_months_window(as_of)
    current = full_months_end(timezone.localdate())
    ids = sorted(set(account_ids))
    if end == current and ids:
        found: dict[int, dict[str, Decimal]] = {}
        for first in range(0, len(ids), IN_LIST_MAX):
            for pk, revenue, prior in (
                AccountRevenue.objects.filter(
                    pk__in=ids[first : first + IN_LIST_MAX], month=current
                )
                .order_by()
                .values_list("pk", "revenue_12m", "prior_12m")
            ):
                found[pk] = {"revenue": revenue, "prior": prior}
        if len(found) == len(ids):
            return found
    return {
        pk: {"revenue": s["revenue"], "prior": s["prior"]}
        for pk, s in rollup_sums(ids, as_of).items()
    }


@memoized
def revenue_12m_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    _start, end = full_months_window(as_of)
    if end == full_months_end(timezone.localdate()):
        # today's window: the read of revenue_and_prior, so a page that needs both reads once
        both = revenue_and_prior(account_ids, as_of)
        return {pk: both[pk]["revenue"] if pk in both else Decimal(0) for pk in account_ids}
    kept = _kept_revenue(account_ids, as_of)
    if kept is not None:
        return dict(kept)
    sums = rollup_sums(account_ids, as_of)
    return {pk: sums[pk]["revenue"] if pk in sums else Decimal(0) for pk in account_ids}


def revenue_growth_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    out: dict[int, MetricValue] = {}
    for pk, s in rollup_sums(account_ids, as_of).items():
        if s["prior"] > 0:
            out[pk] = ((s["revenue"] - s["prior"]) / s["prior"] * HUNDRED).quantize(CENT)
    return out


def margin_12m_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    out: dict[int, MetricValue] = {}
    for pk, s in rollup_sums(account_ids, as_of).items():
        if s["costed"] > 0:
            out[pk] = ((s["costed"] - s["cost"]) / s["costed"] * HUNDRED).quantize(CENT)
    return out


def opportunities_won_values(
    account_ids: Sequence[int], as_of: dt.date
) -> Mapping[int, MetricValue]:
    """Opportunities won with an expected close in the last 12 full months (one query each)."""
    start, end = full_months_window(as_of)
    paths = dict(Unit.objects.filter(pk__in=account_ids).values_list("path", "pk"))
    rows = (
        Opportunity.objects.filter(
            stage=OpportunityStage.WON, expected_close__gte=start, expected_close__lt=end
        )
        .annotate(account_path=account_path_of("unit__path"))
        .filter(account_path__in=list(paths))
        .order_by()
        .values("account_path")
        .annotate(n=Count("pk"))
    )
    out: dict[int, MetricValue] = dict.fromkeys(account_ids, 0)
    for r in rows:
        out[paths[r["account_path"]]] = r["n"]
    return out


def supplier_position_values(
    account_ids: Sequence[int], as_of: dt.date
) -> Mapping[int, MetricValue]:
    """The position in force on ``as_of``: the newest row with ``since`` on or before it."""
    rows = (
        SupplierPosition.objects.filter(account_id__in=account_ids, since__lte=as_of)
        .order_by("account_id", "since", "recorded_at", "pk")
        .values_list("account_id", "position")
    )
    return dict(rows)  # the last row of each account wins


def cost_to_serve_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    """Cost to serve of each account's whole subtree over the last 12 full months: two queries.

    An account without a cost row in the window has no value (not 0): nobody entered its costs.
    """
    start, end = full_months_window(as_of)
    paths = dict(Unit.objects.filter(pk__in=account_ids).values_list("path", "pk"))
    rows = (
        CostToServe.objects.filter(month__gte=start, month__lt=end)
        .annotate(account_path=account_path_of("unit__path"))
        .filter(account_path__in=list(paths))
        .order_by()
        .values("account_path")
        .annotate(total=Sum("amount"))
    )
    return {paths[r["account_path"]]: r["total"] for r in rows}


def discount_pct_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    """Discount % of each account over the last 12 full months against the list prices:
    100 × (1 − Σ net amount ÷ Σ quantity × list price valid on the sale's date), over the sales of
    the account's subtree whose product had a list price then (none: no value).

    A list price applies per product and day, so the roll-ups cannot answer; the sums are kept
    per account and month (``kept discounts``, decision 122) and this adds twelve of them up."""
    start, end = full_months_window(as_of)
    return dict(discount_pct(account_ids, start, end))


def register_metrics() -> None:
    register(
        Metric(
            key="sales.revenue_12m",
            label=_("Revenue, last 12 full months"),
            unit=MetricUnit.MONEY,
            compute=revenue_12m_values,
            description=_("Net revenue of the whole account over the last 12 full months."),
        )
    )
    register(
        Metric(
            key="sales.revenue_growth",
            label=_("Revenue growth"),
            unit=MetricUnit.PERCENT,
            compute=revenue_growth_values,
            description=_("Revenue of the last 12 full months against the 12 months before."),
        )
    )
    register(
        Metric(
            key="sales.margin_12m",
            label=_("Margin, last 12 full months"),
            unit=MetricUnit.PERCENT,
            compute=margin_12m_values,
            description=_("Gross margin of the sales that carry a cost."),
        )
    )
    register(
        Metric(
            key="sales.opportunities_won_12m",
            label=_("Opportunities won, last 12 full months"),
            unit=MetricUnit.COUNT,
            compute=opportunities_won_values,
        )
    )
    register(
        Metric(
            key="sales.supplier_position",
            label=_("Supplier position"),
            unit=MetricUnit.LEVEL,
            compute=supplier_position_values,
            levels=tuple(Level.choices),
        )
    )
    register(
        Metric(
            key="sales.cost_to_serve",
            label=_("Cost to serve, last 12 full months"),
            unit=MetricUnit.MONEY,
            compute=cost_to_serve_values,
            higher_is_better=False,
            description=_(
                "Logistics, service hours, special terms and other costs of serving the whole "
                "account, as entered or imported per unit and month."
            ),
        )
    )
    register(
        Metric(
            key="sales.discount_pct",
            label=_("Discount from list price, last 12 full months"),
            unit=MetricUnit.PERCENT,
            compute=discount_pct_values,
            higher_is_better=False,
            description=_(
                "How far below the list prices valid on their dates the account's sales were, "
                "over the products that have a list price."
            ),
        )
    )
