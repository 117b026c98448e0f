"""Reads of sales figures. Account figures come from the monthly roll-ups, never raw lines."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from kam.core.filters import filter_queryset
from kam.core.pages import page_count
from kam.core.periods import last_full_months
from kam.customers.models import Unit, subtree_q

from .filters import TransactionFilter
from .models import (
    UNREADABLE_TRANSACTION,
    AccountRevenue,
    CostToServe,
    CurrencyRate,
    ListPrice,
    MonthlyRollup,
    Opportunity,
    OpportunityStage,
    ProductLine,
    SupplierPosition,
    Transaction,
)


def rollups_for(*, unit: Unit) -> QuerySet[MonthlyRollup]:
    """Roll-ups of the unit and its subtree (one indexed condition)."""
    if unit.is_account:
        return MonthlyRollup.objects.filter(account_id=unit.pk)
    return MonthlyRollup.objects.filter(subtree_q(unit, "unit__"))


def revenue_12m_subquery(*, today: dt.date) -> Coalesce:
    """Annotation: an account's revenue over the last 12 full months up to ``today``."""
    start, end = last_full_months(today, 12)
    total = (
        MonthlyRollup.objects.filter(account_id=OuterRef("pk"), month__gte=start, month__lt=end)
        .order_by()
        .values("account_id")
        .annotate(total=Sum("net_amount"))
        .values("total")
    )
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)
    return Coalesce(Subquery(total, output_field=money), Value(Decimal("0")), output_field=money)


def revenue_12m_kept() -> Coalesce:
    """Annotation: an account's kept revenue of the last 12 full months (decision 111); read
    it after ``services.account_revenue_current`` said every kept figure is current."""
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)
    return Coalesce(F("kept_revenue__revenue_12m"), Value(Decimal("0")), output_field=money)


def kept_sums_by_tier(*, accounts: QuerySet[Unit]) -> list[dict[str, Any]]:
    """Per tier of ``accounts``: the kept revenue, prior revenue, cost and costed revenue of
    their last 12 full months (decision 114); read after ``services.account_revenue_current``
    said every kept row is current (one query)."""
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)
    return list(
        AccountRevenue.objects.filter(account__in=accounts.values("pk"))
        .order_by()
        .values("account__tier")
        .annotate(
            revenue=Coalesce(Sum("revenue_12m"), Value(Decimal(0)), output_field=money),
            prior=Coalesce(Sum("prior_12m"), Value(Decimal(0)), output_field=money),
            cost=Coalesce(Sum("cost_12m"), Value(Decimal(0)), output_field=money),
            costed=Coalesce(Sum("costed_12m"), Value(Decimal(0)), output_field=money),
        )
    )


def account_revenue_by_year_and_line(
    *, unit: Unit
) -> tuple[dict[int, Decimal], dict[str, dict[int, Decimal]]]:
    """({year: revenue}, {product line name: {year: revenue}}) for the unit's subtree.

    One query of totals per line and month, summed to years here: grouping by a year the
    database must compute for every roll-up row (a function call per row on SQLite) took five
    times longer, and the index (account, month, line, amount) answers this one alone."""
    rows = (
        rollups_for(unit=unit)
        .values("product_line_id", "month")
        .annotate(total=Sum("net_amount"))
        .order_by()
    )
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    by_line_id: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in rows:
        total = r["total"] or Decimal("0")
        by_year[r["month"].year] += total
        by_line_id[r["product_line_id"]][r["month"].year] += total
    names = dict(ProductLine.objects.filter(pk__in=list(by_line_id)).values_list("pk", "name"))
    by_line = {
        names[pk]: dict(sorted(years.items()))
        for pk, years in sorted(by_line_id.items(), key=lambda item: names[item[0]])
    }
    return dict(sorted(by_year.items())), by_line


def account_revenue_by_year(*, unit: Unit) -> dict[int, Decimal]:
    return account_revenue_by_year_and_line(unit=unit)[0]


def unit_revenue_12m(*, unit: Unit, today: dt.date) -> dict[int, Decimal]:
    """Last-12-month revenue booked directly on each unit of the subtree: {unit id: amount}."""
    start, end = last_full_months(today, 12)
    rows = (
        rollups_for(unit=unit)
        .filter(month__gte=start, month__lt=end)
        .values("unit_id")
        .annotate(total=Sum("net_amount"))
        .order_by()
    )
    return {r["unit_id"]: r["total"] or Decimal("0") for r in rows}


def subtree_totals(*, units: list[Unit], own: dict[int, Decimal]) -> dict[int, Decimal]:
    """Roll figures booked on units up the tree: each unit's total is its own plus its subtree's."""
    totals: dict[int, Decimal] = {}
    by_path = {u.path: u for u in units}
    for u in units:
        totals[u.pk] = totals.get(u.pk, Decimal("0")) + own.get(u.pk, Decimal("0"))
    for u in sorted(units, key=lambda x: -x.depth):
        parent = by_path.get(u.parent_path or "")
        if parent is not None:
            totals[parent.pk] = totals.get(parent.pk, Decimal("0")) + totals[u.pk]
    return totals


def opportunity_list(
    *, unit: Unit | int | None = None, stage: str | None = None
) -> QuerySet[Opportunity]:
    """Opportunities of ``unit`` (a unit, or its id) or below it (none when it does not exist),
    of one ``stage``."""
    qs = Opportunity.objects.all()
    if unit:
        found = unit if isinstance(unit, Unit) else Unit.objects.filter(pk=unit).first()
        if found is None:
            return Opportunity.objects.none()
        qs = qs.filter(subtree_q(found, "unit__"))
    if stage:
        qs = qs.filter(stage=stage)
    return qs


def transaction_list(
    *, unit: Unit | None = None, filters: Mapping[str, Any] | None = None
) -> QuerySet[Transaction]:
    """The transactions of ``unit`` and its subtree (all without a unit), newest first, filtered
    (TransactionFilter)."""
    qs = Transaction.objects.select_related("unit", "product", "product_line").exclude(
        transactions_unreadable_q()
    )
    if unit is not None:
        qs = qs.filter(subtree_q(unit, "unit__"))
    return filter_queryset(TransactionFilter, filters, qs).order_by("-date", "-pk")


# Windows of days before today (or before ``date_to``) in which a page of a large list looks
# for its newest lines first, widest last (decision 128).
PAGE_WINDOWS = (31, 124, 496)
# Up to this many lines the list is sorted whole: cheaper than a window that finds too few.
WINDOWED_FROM = 2000
# Pages starting this far down are read by a whole sort: old lines lie outside the windows.
WINDOWED_UNTIL = 10_000


def transaction_page(
    *, unit: Unit, filters: Mapping[str, Any] | None, page: int, size: int
) -> tuple[list[Transaction], int, int, list[int]]:
    """Page ``page`` of ``transaction_list`` (rows, line count, page count and the ids of the
    unreadable lines left out, ``transactions_unreadable``; a page past the end is
    ``pages.BadQuery``) without sorting or reading every line of a large account
    (decision 128). The count is taken from the (unit, date) index alone, less the unreadable
    lines (their partial index); the page's rows are looked for among the newest lines first,
    a window of days at a time: a window that holds at least the lines up to the end of the
    page holds exactly the newest ones, since every line after its start is in it."""
    listed = transaction_list(unit=unit, filters=filters)
    every = filter_queryset(
        TransactionFilter, filters, Transaction.objects.filter(subtree_q(unit, "unit__"))
    )
    unreadable = transactions_unreadable(unit=unit)
    bad = every.filter(pk__in=unreadable).count() if unreadable else 0
    count = every.count() - bad
    pages = page_count(count, page, size)
    start = (page - 1) * size
    # the page's lines; a window that gives them all holds every line up to the page's end
    shown = min(size, count - start)
    if count > WINDOWED_FROM and start < WINDOWED_UNTIL:
        date_to = (filters or {}).get("date_to")
        anchor = timezone.localdate()
        if date_to:
            # another format the filter accepted: the windows start today (still exact)
            with contextlib.suppress(ValueError):
                anchor = min(anchor, dt.date.fromisoformat(str(date_to)))
        for days in PAGE_WINDOWS:
            window = listed.filter(date__gte=anchor - dt.timedelta(days=days))
            found = list(window[start : start + size])
            if len(found) >= shown:
                return found, count, pages, unreadable
    if bad or count <= WINDOWED_FROM:
        return list(listed[start : start + size]), count, pages, unreadable
    # deep in a large list: sort the ids from the (unit, date) index alone, then read the page
    ids = list(every.order_by("-date", "-pk").values_list("pk", flat=True)[start : start + size])
    by_id = {tx.pk: tx for tx in listed.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id], count, pages, unreadable


def transactions_unreadable_q() -> Q:
    """Lines whose stored amounts do not fit their columns.

    The range checks (decision 35) keep such values out today, but SQLite stores any value in any
    column, so a line written before them (or by hand in the database) can hold 1e14 or text;
    reading it would fail the whole list. Lists leave these lines out and say how many there are.
    On PostgreSQL the column types refuse such values, so this matches nothing. A partial index
    holds just these lines (decision 128), so looking for them reads no line of a list.
    """
    return UNREADABLE_TRANSACTION  # combining a Q copies it: the constant stays as it is


def transactions_unreadable(*, unit: Unit) -> list[int]:
    """The ids of the unreadable lines of ``unit`` and its subtree (see above)."""
    return list(
        Transaction.objects.filter(subtree_q(unit, "unit__"))
        .filter(transactions_unreadable_q())
        .order_by("pk")
        .values_list("pk", flat=True)
    )


OPEN_STAGES = (
    OpportunityStage.QUALIFY,
    OpportunityStage.DEVELOP,
    OpportunityStage.PROPOSE,
    OpportunityStage.NEGOTIATE,
)


def account_opportunities(*, unit: Unit) -> QuerySet[Opportunity]:
    """The opportunities of a unit's subtree: open ones first (soonest close first), then the
    won and lost ones, latest first. Unsliced: the caller pages it."""
    is_open = Case(When(stage__in=OPEN_STAGES, then=Value(0)), default=Value(1))
    return (
        Opportunity.objects.filter(subtree_q(unit, "unit__"))
        .select_related("unit", "product_line", "product", "owner")
        .annotate(closed=is_open)
        .order_by("closed", F("expected_close").asc(nulls_last=True), "-pk")
    )


def supplier_positions(*, account: Unit) -> QuerySet[SupplierPosition]:
    """An account's supplier positions, current first (the history below it)."""
    return (
        SupplierPosition.objects.filter(account=account)
        .select_related("recorded_by")
        .order_by("-since", "-recorded_at", "-pk")
    )


def currency_rates(*, currency: str | None = None) -> QuerySet[CurrencyRate]:
    """The rates table, one currency's when given, by currency then start (page and API)."""
    qs = CurrencyRate.objects.all()
    if currency:
        qs = qs.filter(currency=currency.strip().upper())
    return qs.order_by("currency", "valid_from", "pk")


def costs_to_serve(
    *,
    account: Unit | None = None,
    unit: int | None = None,
    month_from: dt.date | None = None,
    month_to: dt.date | None = None,
) -> QuerySet[CostToServe]:
    """Costs to serve of ``account``'s subtree (all without one), newest month first; ``unit``:
    booked on that unit itself; months inclusive (page and API)."""
    qs = CostToServe.objects.select_related("unit")
    if account is not None:
        qs = qs.filter(subtree_q(account, "unit__"))
    if unit:
        qs = qs.filter(unit_id=unit)
    if month_from:
        qs = qs.filter(month__gte=month_from.replace(day=1))
    if month_to:
        qs = qs.filter(month__lte=month_to)
    return qs.order_by("-month", "unit__path", "category", "pk")


def cost_to_serve_by_month(*, account: Unit, year: int) -> list[dict[str, Any]]:
    """The account's costs to serve of one year per month and category, with the month's total
    (one query): ``[{"month", "by_category": {category: amount}, "total"}]``, newest first."""
    rows = (
        CostToServe.objects.filter(subtree_q(account, "unit__"), month__year=year)
        .order_by()
        .values("month", "category")
        .annotate(total=Sum("amount"))
    )
    months: dict[dt.date, dict[str, Any]] = {}
    for r in rows:
        m = months.setdefault(
            r["month"], {"month": r["month"], "by_category": {}, "total": Decimal(0)}
        )
        m["by_category"][r["category"]] = r["total"]
        m["total"] += r["total"] or Decimal(0)
    return [months[k] for k in sorted(months, reverse=True)]


def list_prices(*, product: str | None = None) -> QuerySet[ListPrice]:
    """The price list, one product's when given (its SKU), by product then start."""
    qs = ListPrice.objects.select_related("product")
    if product:
        qs = qs.filter(product__sku=product.strip())
    return qs.order_by("product__sku", "valid_from", "pk")
