"""Account metrics computed from sales data, registered in the metric registry (decision 37).

Every compute answers for many accounts in a bounded number of queries, from the monthly
roll-ups (never raw transactions), positions and opportunities. "Last 12 full months" as of a
day is the window identification's scoring uses: a month counts once it has ended, and on a
month's last day that month counts (``full_months_window``).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from kam.core.metrics import Metric, MetricUnit, MetricValue, memoized, register
from kam.core.periods import add_months, month_start
from kam.customers.models import Unit, account_path_of

from .models import (
    CostToServe,
    CurrencyRate,
    ListPrice,
    MonthlyRollup,
    Opportunity,
    OpportunityStage,
    SupplierPosition,
    Transaction,
    reporting_currency,
)
from .models import SupplierPositionLevel as Level

HUNDRED = Decimal(100)
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


def revenue_12m_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
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


class _Prices:
    """The list prices of some products and the currency rates they need, read once, looked up
    per sale date in memory (the latest start on or before the date wins)."""

    def __init__(self, product_ids: set[int]) -> None:
        self.starts: dict[int, list[dt.date]] = defaultdict(list)
        self.prices: dict[int, list[tuple[Decimal, str]]] = defaultdict(list)
        for p in ListPrice.objects.filter(product_id__in=product_ids).order_by(
            "product_id", "valid_from"
        ):
            self.starts[p.product_id].append(p.valid_from)
            self.prices[p.product_id].append((p.price, p.currency))
        currencies = {c for ps in self.prices.values() for _p, c in ps} - {reporting_currency()}
        self.rates: dict[str, list[CurrencyRate]] = defaultdict(list)
        if currencies:
            for r in CurrencyRate.objects.filter(currency__in=currencies).order_by("valid_from"):
                self.rates[r.currency].append(r)

    def _rate(self, currency: str, day: dt.date) -> Decimal | None:
        if currency == reporting_currency():
            return Decimal(1)
        found = None
        for r in self.rates.get(currency, []):
            if r.valid_from <= day and (r.valid_to is None or day <= r.valid_to):
                found = r.rate
        return found

    def at(self, product_id: int, day: dt.date) -> Decimal | None:
        """The list price in the reporting currency on ``day``; None when none is valid then."""
        i = bisect.bisect_right(self.starts.get(product_id, []), day) - 1
        if i < 0:
            return None
        price, currency = self.prices[product_id][i]
        rate = self._rate(currency, day)
        return None if rate is None else price * rate


def discount_pct_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    """Discount % of each account over the last 12 full months against the list prices:
    100 × (1 − Σ net amount ÷ Σ quantity × list price valid on the sale's date), over the sales of
    the account's subtree whose product had a list price then (none: no value).

    Unlike the other sales metrics this one reads raw transactions, not the roll-ups: a list
    price applies per product and day. It reads the transactions of a year of the accounts asked
    (grouped per account, product and day in the database), so ask it for the key accounts
    (programme risks, an account's page), not for pages that list every unit. Four queries
    whatever the number of accounts.
    """
    start, end = full_months_window(as_of)
    paths = dict(Unit.objects.filter(pk__in=account_ids).values_list("path", "pk"))
    units = (
        Unit.objects.annotate(account_path=account_path_of("path"))
        .filter(account_path__in=list(paths))
        .values("pk")
    )
    rows = list(
        Transaction.objects.filter(unit_id__in=units, date__gte=start, date__lt=end, quantity__gt=0)
        .annotate(account_path=account_path_of("unit__path"))
        .order_by()
        .values("account_path", "product_id", "date")
        .annotate(qty=Sum("quantity"), net=Sum("net_amount"))
    )
    if not rows:
        return {}
    prices = _Prices({r["product_id"] for r in rows})
    net: dict[int, Decimal] = defaultdict(Decimal)
    listed: dict[int, Decimal] = defaultdict(Decimal)
    for r in rows:
        day = r["date"].date() if isinstance(r["date"], dt.datetime) else r["date"]
        price = prices.at(r["product_id"], day)
        if price is None:
            continue
        pk = paths[r["account_path"]]
        net[pk] += Decimal(r["net"] or 0)
        listed[pk] += Decimal(r["qty"] or 0) * price
    return {
        pk: (HUNDRED * (1 - net[pk] / listed[pk])).quantize(CENT) for pk in listed if listed[pk] > 0
    }


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
