"""Demo stage: currency rates, and the lines of customers outside the euro area in their own
currency (decision 59). Each quarter has a rate per currency (a random walk around a believable
level); a line of a British, Polish, Swedish, Russian or American customer keeps the amount in
its currency as the original, converted at its quarter's rate: what an import with the rates
table would have stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from kam.customers.models import Unit
from kam.sales.models import CurrencyRate, Transaction, reporting_currency

# home country → currency, and a believable rate to the euro (1 unit = rate EUR)
CURRENCIES = {
    "GB": ("GBP", 1.16),
    "PL": ("PLN", 0.23),
    "SE": ("SEK", 0.088),
    "RU": ("RUB", 0.0105),
    "US": ("USD", 0.92),
}


def _quarters(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    start = dt.date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    result = []
    while start <= last:
        month = start.month + 3
        nxt = dt.date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
        result.append((start, nxt - dt.timedelta(days=1)))
        start = nxt
    return result


def make_currency_rates(builder: Any) -> None:
    """Quarterly rates of the demo's foreign currencies; their customers' lines get originals."""
    builder.rep.stage(_("Currency rates"), None)
    if reporting_currency() != "EUR":
        return  # the believable levels above are to the euro
    span = Transaction.objects.aggregate(first=Min("date"), last=Max("date"))
    if span["first"] is None:
        return
    rng = builder.rng("currency")
    quarters = _quarters(span["first"], span["last"])
    rates: list[CurrencyRate] = []
    for currency, level in CURRENCIES.values():
        value = level
        for start, end in quarters:
            value *= 1 + rng.gauss(0, 0.025)
            rates.append(
                CurrencyRate(
                    currency=currency,
                    valid_from=start,
                    valid_to=end,
                    rate=Decimal(f"{value:.6f}"),
                )
            )
    table = Transaction._meta.db_table
    unit_table = Unit._meta.db_table
    with transaction.atomic():
        CurrencyRate.objects.all().delete()  # a rebuilt demo replaces its rates
        CurrencyRate.objects.bulk_create(rates)
        with connection.cursor() as cursor:
            for rate in rates:
                country = next(c for c, (cur, _lvl) in CURRENCIES.items() if cur == rate.currency)
                cursor.execute(
                    f"UPDATE {table} SET original_currency = %s, "
                    f"original_amount = ROUND(net_amount / %s, 2) "
                    f"WHERE date BETWEEN %s AND %s AND unit_id IN "
                    f"(SELECT id FROM {unit_table} WHERE country = %s)",
                    [rate.currency, rate.rate, rate.valid_from, rate.valid_to, country],
                )
    builder.counts["currency_rates"] = len(rates)
