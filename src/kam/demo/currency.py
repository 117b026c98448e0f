"""Demo stage: currency rates, and the lines of customers outside the euro area in their own
currency (decision 59). Each quarter has a rate per currency (a random walk around a believable
level); a line of a British, Polish, Swedish, Russian or American customer keeps the amount in
its currency as the original, converted at its quarter's rate: what an import with the rates
table would have stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kam.sales.models import CurrencyRate, reporting_currency

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


def plan_currency_rates(builder: Any, first: dt.date, last: dt.date) -> dict[str, list[Any]]:
    """The quarterly rates of the demo's foreign currencies from ``first`` to ``last`` (kept on
    the builder as ``currency_rates``), so the transactions are written with their originals
    (``original_amount``) at once: updating millions of lines afterwards took a minute at the
    large scale. Empty unless the reporting currency is the euro (the levels above are to it)."""
    builder.currency_rates = []
    if reporting_currency() != "EUR":
        return {}
    rng = builder.rng("currency")
    quarters = _quarters(first, last)
    by_currency: dict[str, list[Any]] = {}
    for currency, level in CURRENCIES.values():
        value = level
        for start, end in quarters:
            value *= 1 + rng.gauss(0, 0.025)
            rate = CurrencyRate(
                currency=currency, valid_from=start, valid_to=end, rate=Decimal(f"{value:.6f}")
            )
            builder.currency_rates.append(rate)
            by_currency.setdefault(currency, []).append(rate)
    return by_currency


def month_rates(
    planned: dict[str, list[Any]], months: list[tuple[dt.date, int]]
) -> list[dict[str, tuple[str, Decimal]]]:
    """For each month of the build, each foreign country's (currency, rate) of its quarter."""
    out = []
    for first, _days in months:
        rates = {}
        for country, (currency, _level) in CURRENCIES.items():
            for rate in planned.get(currency, ()):
                if rate.valid_from <= first <= rate.valid_to:
                    rates[country] = (currency, rate.rate)
        out.append(rates)
    return out


def make_currency_rates(builder: Any) -> None:
    """Write the planned rates (the transactions carry their originals already)."""
    builder.rep.stage(_("Currency rates"), None)
    rates = list(getattr(builder, "currency_rates", []))
    with transaction.atomic():
        CurrencyRate.objects.all().delete()  # a rebuilt demo replaces its rates
        CurrencyRate.objects.bulk_create(rates)
    builder.counts["currency_rates"] = len(rates)
