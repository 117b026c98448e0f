"""The kept list-price sums behind the metric ``sales.discount_pct`` (decision 122).

A discount compares each sale with the list price valid on its day, so it cannot come from the
monthly roll-ups; computed per request it read a year of every key account's raw sales (millions
of rows at 100k units: the programme page did not finish). Each kept account has, per month,
the net amount of its sales whose product had a list price that day and their quantity at that
price (``KeptDiscountMonth``); any window's discount is then a sum of months.

Writers mark what they change stale in their own transaction: sales of an account
(``accounts_changed``, a unit moved), and every account for a list price or a currency rate
(rare, and any sale may use them). A reader refreshes up to ``INLINE`` stale accounts itself;
beyond that it reads the figures last kept and the worker refreshes the rest
(``discounts_refresh_due``), which also keeps every key account.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import DatabaseError, transaction
from django.db.models import Sum
from django.utils import timezone

from kam.customers.models import Tier, Unit, account_path, account_path_of

from .models import (
    CurrencyRate,
    KeptDiscount,
    KeptDiscountMonth,
    ListPrice,
    Transaction,
    reporting_currency,
)

# A reader refreshes at most this many stale accounts itself (an account page asks for one).
INLINE = 20
# Accounts per refresh transaction: the write lock is held for one chunk's rows only.
CHUNK = 50
# Ids per IN list (SQLite bounds a statement's parameters).
IN_LIST_MAX = 2000
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class Prices:
    """The list prices of some products and the currency rates they need, read once, looked up
    per sale day in memory (the latest start on or before the day wins)."""

    def __init__(self, product_ids: Iterable[int] | None = None) -> None:
        self.starts: dict[int, list[dt.date]] = defaultdict(list)
        self.prices: dict[int, list[tuple[Decimal, str]]] = defaultdict(list)
        rows = ListPrice.objects.order_by("product_id", "valid_from")
        if product_ids is not None:
            rows = rows.filter(product_id__in=list(product_ids))
        for p in rows:
            self.starts[p.product_id].append(p.valid_from)
            self.prices[p.product_id].append((p.price, p.currency))
        self.home = reporting_currency()
        currencies = {c for ps in self.prices.values() for _p, c in ps} - {self.home}
        self.rates: dict[str, list[CurrencyRate]] = defaultdict(list)
        if currencies:
            for r in CurrencyRate.objects.filter(currency__in=currencies).order_by("valid_from"):
                self.rates[r.currency].append(r)
        self._seen: dict[tuple[int, dt.date], Decimal | None] = {}

    def _rate(self, currency: str, day: dt.date) -> Decimal | None:
        if currency == self.home:
            return Decimal(1)
        found = None
        for r in self.rates.get(currency, []):
            if r.valid_from <= day and (r.valid_to is None or day <= r.valid_to):
                found = r.rate
        return found

    def at(self, product_id: int, day: dt.date) -> Decimal | None:
        """The list price in the reporting currency on ``day``; None when none is valid then."""
        key = (product_id, day)
        if key in self._seen:
            return self._seen[key]
        i = bisect.bisect_right(self.starts.get(product_id, []), day) - 1
        found = None
        if i >= 0:
            price, currency = self.prices[product_id][i]
            rate = self._rate(currency, day)
            found = None if rate is None else price * rate
        self._seen[key] = found
        return found


def account_paths_of(paths: Iterable[str], unit_ids: Iterable[int]) -> list[str]:
    """The account paths of these unit paths and unit ids, sorted (a query per 2,000 ids)."""
    found = {account_path(p) for p in paths if p}
    ids = sorted({i for i in unit_ids if i is not None})
    for start in range(0, len(ids), IN_LIST_MAX):
        units = Unit.objects.filter(pk__in=ids[start : start + IN_LIST_MAX])
        found.update(
            units.annotate(of_account=account_path_of("path")).values_list("of_account", flat=True)
        )
    return sorted(found)


def discounts_mark_stale(
    *, paths: Iterable[str] = (), unit_ids: Iterable[int] = (), everything: bool = False
) -> int:
    """Mark the kept sums of the accounts of these units (of every account with
    ``everything``) stale, in the writer's transaction; returns the rows marked."""
    if everything:
        return KeptDiscount.objects.filter(current=True).update(current=False)
    done, ordered = 0, account_paths_of(paths, unit_ids)
    for start in range(0, len(ordered), IN_LIST_MAX):
        done += KeptDiscount.objects.filter(
            account__path__in=ordered[start : start + IN_LIST_MAX], current=True
        ).update(current=False)
    return done


def _month_sums(
    account_ids: Sequence[int], prices: Prices
) -> dict[tuple[int, dt.date], list[Decimal]]:
    """Per (account, first day of the month): [net amount, quantity × list price] of the sales
    of the accounts' subtrees whose product had a list price on the sale's day."""
    paths = dict(Unit.objects.filter(pk__in=account_ids).values_list("path", "pk"))
    account_of = {
        pk: paths[path]
        for pk, path in Unit.objects.of_account_paths(paths)
        .annotate(of_account=account_path_of("path"))
        .values_list("pk", "of_account")
    }
    sums: dict[tuple[int, dt.date], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    units = sorted(account_of)
    for start in range(0, len(units), IN_LIST_MAX):
        rows = (
            Transaction.objects.filter(
                unit_id__in=units[start : start + IN_LIST_MAX], quantity__gt=0
            )
            .order_by()
            .values_list("unit_id", "product_id", "date", "quantity", "net_amount")
        )
        for unit_id, product_id, day, quantity, net in rows.iterator(chunk_size=5000):
            price = prices.at(product_id, day)
            if price is None:
                continue
            entry = sums[(account_of[unit_id], day.replace(day=1))]
            entry[0] += net or 0
            entry[1] += quantity * price
    return sums


def discounts_refresh(*, account_ids: Sequence[int]) -> int:
    """Compute and keep the monthly sums of these accounts; returns the accounts written.

    One transaction per ``CHUNK`` accounts; each chunk's state rows are locked first
    (PostgreSQL), so a writer marking one of them waits and its mark survives."""
    ids = sorted(set(account_ids))
    if not ids:
        return 0
    prices = Prices()
    written = 0
    for first in range(0, len(ids), CHUNK):
        part = ids[first : first + CHUNK]
        with transaction.atomic():
            list(
                KeptDiscount.objects.select_for_update()
                .filter(pk__in=part)
                .values_list("pk", flat=True)
            )
            sums = _month_sums(part, prices)
            KeptDiscountMonth.objects.filter(account_id__in=part).delete()
            KeptDiscountMonth.objects.bulk_create(
                KeptDiscountMonth(
                    account_id=pk,
                    month=month,
                    net_amount=net.quantize(CENT),
                    listed_amount=listed.quantize(Decimal("0.0001")),
                )
                for (pk, month), (net, listed) in sorted(sums.items())
            )
            now = timezone.now()
            KeptDiscount.objects.filter(pk__in=part).delete()
            KeptDiscount.objects.bulk_create(
                KeptDiscount(account_id=pk, current=True, computed_at=now) for pk in part
            )
        written += len(part)
    return written


def discounts_stale(account_ids: Sequence[int]) -> list[int]:
    """The accounts among these whose kept sums are missing or marked."""
    ids = sorted(set(account_ids))
    current: set[int] = set()
    for start in range(0, len(ids), IN_LIST_MAX):
        current.update(
            KeptDiscount.objects.filter(
                pk__in=ids[start : start + IN_LIST_MAX], current=True
            ).values_list("pk", flat=True)
        )
    return [pk for pk in ids if pk not in current]


def discount_pct(account_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """Discount % per account over the months from ``start`` to before ``end``: 100 × (1 −
    Σ net ÷ Σ quantity × list price); no value without a priced sale. Up to ``INLINE`` stale
    accounts are refreshed first; more are read as last kept, and accounts never kept are
    registered for the worker (they have no value until it has run)."""
    ids = sorted(set(account_ids))
    stale = discounts_stale(ids)
    if stale:
        try:
            with transaction.atomic():  # a failure leaves a caller's transaction usable
                if len(stale) <= INLINE:
                    discounts_refresh(account_ids=stale)
                else:
                    KeptDiscount.objects.bulk_create(
                        (KeptDiscount(account_id=pk) for pk in stale), ignore_conflicts=True
                    )
        except DatabaseError:  # a long write holds the database: read what is kept
            pass
    out: dict[int, Decimal] = {}
    for first in range(0, len(ids), IN_LIST_MAX):
        rows = (
            KeptDiscountMonth.objects.filter(
                account_id__in=ids[first : first + IN_LIST_MAX], month__gte=start, month__lt=end
            )
            .order_by()
            .values("account_id")
            .annotate(net=Sum("net_amount"), listed=Sum("listed_amount"))
        )
        for r in rows:
            if r["listed"] and r["listed"] > 0:
                out[r["account_id"]] = (HUNDRED * (1 - r["net"] / r["listed"])).quantize(CENT)
    return out


def discounts_refresh_due() -> int:
    """The worker's step: keep every key account, and refresh every stale kept account."""
    key = Unit.objects.accounts().exclude(tier=Tier.TRANSACTIONAL).values_list("pk", flat=True)
    KeptDiscount.objects.bulk_create(
        (KeptDiscount(account_id=pk) for pk in key.exclude(kept_discount__isnull=False)),
        ignore_conflicts=True,
    )
    stale = list(KeptDiscount.objects.filter(current=False).values_list("pk", flat=True))
    return discounts_refresh(account_ids=stale)
