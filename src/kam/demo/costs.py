"""Demo stage: costs to serve of the key accounts and list prices of the products (issue 17),
so that the programme's service-creep and buyer-power risks judge from data.

* Costs to serve: per key account and month, logistics, service and special terms as believable
  shares of the month's revenue (4–7 %, 1–3 %, 0–2 %), booked on the account itself. About one
  key account in six has costs growing some 35 % a year faster than its revenue: service creep.
* List prices: one per product from the first demo month, 8–25 % above the price the demo's
  sales were made at, so an ordinary account gets a steady discount. A few key accounts whose
  revenue did not grow get about 8 % more units for the same money in the last 12 full months
  (the transactions and their roll-ups both): a rising discount without volume, buyer power.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum

from kam.core.bulk import insert_creation_history, insert_rows
from kam.core.periods import add_months
from kam.customers.models import Tier, Unit
from kam.sales.metrics import full_months_window, revenue_growth_values
from kam.sales.models import (
    CostCategory,
    CostToServe,
    ListPrice,
    MonthlyRollup,
    Transaction,
    reporting_currency,
)

KEY_TIERS = (Tier.KEY, Tier.NATIONAL, Tier.GLOBAL)
CATEGORY_SHARES = (
    (CostCategory.LOGISTICS, 0.04, 0.07),
    (CostCategory.SERVICE, 0.01, 0.03),
    (CostCategory.SPECIAL_TERMS, 0.0, 0.02),
)
CREEP_PER_YEAR = 0.35
MORE_UNITS = Decimal("1.08")
BATCH = 5000


def make_costs_and_prices(builder: Any) -> dict[str, int]:
    rng = builder.rng("costs to serve")
    today: dt.date = builder.today
    first: dt.date = builder.first_month
    keys = list(
        Unit.objects.accounts()
        .filter(tier__in=KEY_TIERS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    revenue: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    for r in (
        MonthlyRollup.objects.filter(account_id__in=keys)
        .order_by()
        .values("account_id", "month")
        .annotate(total=Sum("net_amount"))
    ):
        revenue[r["account_id"]][r["month"]] = r["total"] or Decimal(0)
    costs: list[CostToServe] = []
    creeping = 0
    for pk in keys:
        creeps = rng.random() < 1 / 6
        creeping += creeps
        shares = [(cat, rng.uniform(lo, hi)) for cat, lo, hi in CATEGORY_SHARES]
        for month, amount in sorted(revenue[pk].items()):
            if month > today or amount <= 0:
                continue
            years = (month.year - first.year) + (month.month - first.month) / 12
            factor = (1 + CREEP_PER_YEAR) ** years if creeps else 1.0
            for category, share in shares:
                value = float(amount) * share * factor * rng.uniform(0.85, 1.15)
                if value < 1:
                    continue
                costs.append(
                    CostToServe(
                        unit_id=pk,
                        month=month,
                        category=category,
                        amount=Decimal(f"{value:.2f}"),
                    )
                )
    prices = [
        ListPrice(
            product_id=pk,
            valid_from=first,
            price=Decimal(f"{float(price) * rng.uniform(1.08, 1.25):.4f}"),
            currency=reporting_currency(),
        )
        for line in builder.products
        for pk, price in line
    ]
    with transaction.atomic():
        insert_rows(CostToServe, costs, batch_size=BATCH, returning=True)
        insert_creation_history(CostToServe, costs, batch_size=BATCH)
        insert_rows(ListPrice, prices, batch_size=BATCH, returning=True)
        insert_creation_history(ListPrice, prices, batch_size=BATCH)
        pressed = _press(rng, keys, today)
    return {
        "costs_to_serve": len(costs),
        "creeping_accounts": creeping,
        "list_prices": len(prices),
        "pressed_accounts": len(pressed),
    }


def _press(rng: Any, keys: list[int], today: dt.date) -> list[int]:
    """More units for the same money in the last 12 full months for a few key accounts whose
    revenue did not grow; their roll-ups' quantities follow (13 statements per account)."""
    growth = revenue_growth_values(keys, today)
    flat = [pk for pk in keys if isinstance(g := growth.get(pk), int | float | Decimal) and g <= 0]
    chosen = rng.sample(flat, min(len(flat), max(1, len(keys) // 12))) if flat else []
    start, end = full_months_window(today)
    tx = Transaction._meta.db_table
    units = Unit._meta.db_table
    rollups = MonthlyRollup._meta.db_table
    paths = dict(Unit.objects.filter(pk__in=chosen).values_list("pk", "path"))
    with connection.cursor() as cursor:
        for pk in chosen:
            cursor.execute(
                f"UPDATE {tx} SET quantity = ROUND(quantity * %s, 3) "
                f"WHERE date >= %s AND date < %s AND unit_id IN "
                f"(SELECT id FROM {units} WHERE path LIKE %s)",
                [MORE_UNITS, start, end, paths[pk] + "%"],
            )
            month = start
            while month < end:
                after = add_months(month, 1)
                cursor.execute(
                    f"UPDATE {rollups} SET quantity = (SELECT COALESCE(SUM(t.quantity), 0) "
                    f"FROM {tx} t WHERE t.unit_id = {rollups}.unit_id "
                    f"AND t.product_line_id = {rollups}.product_line_id "
                    f"AND t.date >= %s AND t.date < %s) WHERE root_id = %s AND month = %s",
                    [month, after, pk, month],
                )
                month = after
    return chosen
