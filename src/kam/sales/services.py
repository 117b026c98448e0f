"""Writes of sales data. Every transaction write keeps the monthly roll-ups in step."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.core.periods import add_months, full_months_end, last_full_months
from kam.core.permissions import require
from kam.core.services import model_update
from kam.core.validation import amount_error, check_date, check_fields, date_error
from kam.customers.models import Unit, subtree_q
from kam.customers.signals import accounts_changed

from .discounts import account_paths_of, discounts_mark_stale
from .models import (
    AccountRevenue,
    CostCategory,
    CostToServe,
    CurrencyRate,
    ListPrice,
    MonthlyRollup,
    Opportunity,
    OpportunityStage,
    Product,
    SupplierPosition,
    SupplierPositionLevel,
    Transaction,
    reporting_currency,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import _User  # the configured user model (django-stubs)

ZERO = Decimal("0")
RollupKey = tuple[int, int, dt.date]  # unit id, product line id, first day of month
Row = Mapping[str, Any]  # one transaction as a dict (date, unit_id, product_id, net_amount, …)


@dataclass
class RollupDelta:
    net_amount: Decimal = ZERO
    quantity: Decimal = ZERO
    cost: Decimal = ZERO
    costed_amount: Decimal = ZERO
    lines: int = 0

    def add(self, tx: Transaction | Row, sign: int) -> None:
        get: Callable[[str], Any] = (
            tx.get if isinstance(tx, Mapping) else lambda name: getattr(tx, name)
        )
        amount = Decimal(get("net_amount"))
        cost = get("cost")
        self.net_amount += sign * amount
        self.quantity += sign * Decimal(get("quantity") or 0)
        if cost is not None:
            self.cost += sign * Decimal(cost)
            self.costed_amount += sign * amount
        self.lines += sign


def _key(tx: Transaction) -> RollupKey:
    return (tx.unit_id, tx.product_line_id, tx.date.replace(day=1))


_UPSERT = """
INSERT INTO sales_monthlyrollup
    (root_id, unit_id, product_line_id, month, net_amount, quantity, cost, costed_amount, lines)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (unit_id, product_line_id, month) DO UPDATE SET
    net_amount = sales_monthlyrollup.net_amount + excluded.net_amount,
    quantity = sales_monthlyrollup.quantity + excluded.quantity,
    cost = sales_monthlyrollup.cost + excluded.cost,
    costed_amount = sales_monthlyrollup.costed_amount + excluded.costed_amount,
    lines = sales_monthlyrollup.lines + excluded.lines
"""


def rollups_apply(deltas: Mapping[RollupKey, RollupDelta]) -> None:
    """Add deltas to the roll-ups in one statement batch; drop rows left with no lines."""
    deltas = {
        k: d
        for k, d in deltas.items()
        if d.lines or d.net_amount or d.quantity or d.cost or d.costed_amount
    }
    if not deltas:
        return
    accounts = Unit.objects.filter(pk__in={k[0] for k in deltas}).account_ids()
    params = [
        (
            accounts[unit_id],
            unit_id,
            line_id,
            month,
            d.net_amount,
            d.quantity,
            d.cost,
            d.costed_amount,
            d.lines,
        )
        for (unit_id, line_id, month), d in deltas.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(_UPSERT, params)
    units = {k[0] for k in deltas}
    MonthlyRollup.objects.filter(unit_id__in=units, lines__lte=0).delete()
    accounts_changed.send(sender=MonthlyRollup, unit_ids=set(accounts.values()))


# (field, max digits, decimal places) of a transaction's amounts: the columns' precision
AMOUNT_COLUMNS = (("net_amount", 16, 2), ("quantity", 14, 3), ("cost", 16, 2))


def _range_errors(row: Row) -> list[tuple[str, str]]:
    """(field, message) of each date or amount of ``row`` that is out of range."""
    errors = []
    message = date_error(row.get("date"))
    if message:
        errors.append(("date", message))
    for name, digits, places in AMOUNT_COLUMNS:
        message = amount_error(row.get(name), digits, places)
        if message:
            errors.append((name, message))
    return errors


def _check_amounts(row: Row) -> None:
    if row.get("net_amount") is None:
        raise DomainError(_("A transaction needs a net amount."), field="net_amount")
    for name, message in _range_errors(row):
        raise DomainError(message, field=name)


@transaction.atomic
def transactions_create(*, rows: Sequence[Row], batch_size: int = 5000) -> int:
    """Create transactions from dicts (date, unit_id, product_id, quantity, net_amount, …).

    The product line is taken from the product. Returns the number of rows written.
    """
    if not rows:
        return 0
    product_lines = dict(
        Product.objects.filter(pk__in={r["product_id"] for r in rows}).values_list("pk", "line_id")
    )
    objs = []
    deltas: dict[RollupKey, RollupDelta] = defaultdict(RollupDelta)
    for row in rows:
        _check_amounts(row)
        if row["product_id"] not in product_lines:
            raise DomainError(_("Unknown product."), field="product")
        tx = Transaction(
            date=row["date"],
            unit_id=row["unit_id"],
            product_id=row["product_id"],
            product_line_id=product_lines[row["product_id"]],
            quantity=row.get("quantity") or 0,
            net_amount=row["net_amount"],
            currency=row.get("currency") or reporting_currency(),
            cost=row.get("cost"),
            external_id=row.get("external_id"),
        )
        objs.append(tx)
        deltas[_key(tx)].add(tx, +1)
    Transaction.objects.bulk_create(objs, batch_size=batch_size)
    rollups_apply(deltas)
    return len(objs)


_EDITABLE = {"date", "unit_id", "product_id", "quantity", "net_amount", "cost", "currency"}


@transaction.atomic
def transaction_update(*, tx: Transaction, **changes: Any) -> Transaction:
    """Correct a transaction: the old line leaves its roll-up, the new one enters its own."""
    tx = Transaction.objects.select_for_update().get(pk=tx.pk)
    deltas: dict[RollupKey, RollupDelta] = defaultdict(RollupDelta)
    deltas[_key(tx)].add(tx, -1)
    # saved below with the product line that follows from the product
    tx, _changed = model_update(instance=tx, fields=_EDITABLE, data=changes, save=False)
    if "product_id" in changes:
        tx.product_line_id = Product.objects.values_list("line_id", flat=True).get(pk=tx.product_id)
    tx.save()
    tx.refresh_from_db()
    deltas[_key(tx)].add(tx, +1)
    rollups_apply(deltas)
    return tx


@transaction.atomic
def transactions_delete(*, ids: Iterable[int]) -> int:
    txs = list(Transaction.objects.select_for_update().filter(pk__in=list(ids)))
    deltas: dict[RollupKey, RollupDelta] = defaultdict(RollupDelta)
    for tx in txs:
        deltas[_key(tx)].add(tx, -1)
    Transaction.objects.filter(pk__in=[t.pk for t in txs]).delete()
    rollups_apply(deltas)
    return len(txs)


@transaction.atomic
def rollups_rebuild() -> int:
    """Recompute every roll-up from the transactions (after a raw bulk load, or as a repair)."""
    MonthlyRollup.objects.all().delete()
    grouped = (
        Transaction.objects.annotate(month=TruncMonth("date"))
        .values("unit_id", "product_line_id", "month")
        .annotate(
            amount=Sum("net_amount"),
            qty=Sum("quantity"),
            cost_sum=Sum("cost"),
            lines_n=Count("id"),
        )
        .order_by()
    )
    costed = {
        (r["unit_id"], r["product_line_id"], r["month"]): r["amount"]
        for r in Transaction.objects.filter(cost__isnull=False)
        .annotate(month=TruncMonth("date"))
        .values("unit_id", "product_line_id", "month")
        .annotate(amount=Sum("net_amount"))
        .order_by()
    }
    accounts = Unit.objects.account_ids()
    batch: list[MonthlyRollup] = []
    count = 0
    for r in grouped.iterator(chunk_size=10000):
        month = r["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        key = (r["unit_id"], r["product_line_id"], month)
        batch.append(
            MonthlyRollup(
                account_id=accounts[r["unit_id"]],
                unit_id=r["unit_id"],
                product_line_id=r["product_line_id"],
                month=month,
                net_amount=r["amount"] or ZERO,
                quantity=r["qty"] or ZERO,
                cost=r["cost_sum"] or ZERO,
                costed_amount=costed.get(key) or ZERO,
                lines=r["lines_n"],
            )
        )
        if len(batch) >= 10000:
            MonthlyRollup.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    MonthlyRollup.objects.bulk_create(batch)
    accounts_changed.send(
        sender=MonthlyRollup, paths=Unit.objects.accounts().values_list("path", flat=True)
    )
    return count + len(batch)


# --- The kept revenue of the last 12 full months per account (decision 111) --------------

# The portfolio refreshes at most this many stale accounts itself before it reads.
KEPT_REVENUE_INLINE = 2000
# Accounts per transaction of the refresh. Their sums are read under the write lock (a mark
# committed meanwhile must survive), so on SQLite every web write waits for a whole chunk:
# with 500 a visit logged while the worker kept an import's accounts waited up to seconds
# under the load test; 100 holds the lock a fifth as long.
_CHUNK = 100


def account_revenue_mark_stale(*, paths: Iterable[str] = (), unit_ids: Iterable[int] = ()) -> int:
    """Mark the kept revenue of the accounts of these units stale (in the writer's
    transaction): an UPDATE, so that a refresh holding the rows finishes first."""
    done, ordered = 0, account_paths_of(paths, unit_ids)
    for start in range(0, len(ordered), _CHUNK):
        done += AccountRevenue.objects.filter(
            account__path__in=ordered[start : start + _CHUNK]
        ).update(month=None)
    return done


def margin_quarters(end: dt.date) -> list[dt.date]:
    """The bounds of the three quarters of the nine full months before ``end``, oldest first."""
    return [add_months(end, -9), add_months(end, -6), add_months(end, -3), end]


def _kept_sums(
    rows: QuerySet[MonthlyRollup], start: dt.date, end: dt.date
) -> dict[int, dict[str, Any]]:
    """Per account: revenue, cost and costed revenue from ``start`` on, revenue before it, and
    the costed revenue and cost of each quarter of the nine months before ``end``."""
    last = Q(month__gte=start)
    bounds = margin_quarters(end)
    quarters: dict[str, Any] = {}
    for i in range(3):
        costed = Q(month__gte=bounds[i], month__lt=bounds[i + 1], costed_amount__gt=0)
        quarters[f"costed_q{i + 1}"] = Sum("costed_amount", filter=costed)
        quarters[f"cost_q{i + 1}"] = Sum("cost", filter=costed)
    return {
        r["account_id"]: r
        # the quarters first: after the alias "cost", Sum("cost") would name the alias
        for r in rows.values("account_id").annotate(
            **quarters,
            revenue=Sum("net_amount", filter=last),
            prior=Sum("net_amount", filter=~last),
            cost=Sum("cost", filter=last),
            costed=Sum("costed_amount", filter=last),
        )
    }


def account_revenue_refresh(*, today: dt.date, account_ids: Sequence[int] | None = None) -> int:
    """Compute and keep the sums of the last 12 full months (and the 12 before) of these
    accounts (of every account without ``account_ids``); returns the accounts written.

    One transaction per ``_CHUNK`` accounts, so the database's write lock is never held for
    long (every account of the large build at once held it for seconds, and writers waited).
    Each chunk's kept rows are locked first (PostgreSQL), so a writer marking one of them
    waits for that transaction and its mark survives; the sums are read after the lock."""
    start, end = last_full_months(today, 12)
    in_window = MonthlyRollup.objects.filter(
        month__gte=add_months(start, -12), month__lt=end
    ).order_by()
    if account_ids is None:
        ids = list(Unit.objects.accounts().order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(account_ids))
    written = 0
    for first in range(0, len(ids), _CHUNK):
        part = ids[first : first + _CHUNK]
        with transaction.atomic():
            list(
                AccountRevenue.objects.select_for_update()
                .filter(pk__in=part)
                .values_list("pk", flat=True)
            )
            sums = _kept_sums(in_window.filter(account_id__in=part), start, end)
            AccountRevenue.objects.filter(pk__in=part).delete()
            rows = [_kept_row(pk, end, sums.get(pk, {})) for pk in part]
            AccountRevenue.objects.bulk_create(rows)
        written += len(part)
    return written


def _kept_row(pk: int, end: dt.date, s: dict[str, Any]) -> AccountRevenue:
    return AccountRevenue(
        account_id=pk,
        month=end,
        revenue_12m=s.get("revenue") or 0,
        prior_12m=s.get("prior") or 0,
        cost_12m=s.get("cost") or 0,
        costed_12m=s.get("costed") or 0,
        **{
            f"{kind}_q{i}": s.get(f"{kind}_q{i}") or 0
            for kind in ("costed", "cost")
            for i in (1, 2, 3)
        },
    )


def account_revenue_stale(*, today: dt.date, limit: int) -> list[int]:
    """Up to ``limit`` ids of accounts whose kept sums are missing, marked or of another
    window (one query)."""
    current = AccountRevenue.objects.filter(month=full_months_end(today)).values("pk")
    return list(
        Unit.objects.accounts()
        .exclude(pk__in=current)
        .order_by()
        .values_list("pk", flat=True)[:limit]
    )


def account_revenue_current(*, today: dt.date) -> bool:
    """Whether every account's kept revenue is of this month, after refreshing up to
    ``KEPT_REVENUE_INLINE`` stale ones. ``False``: too many are stale (a new month, a large
    import) or the refresh could not write now; the caller reads the live sums instead."""
    stale = account_revenue_stale(today=today, limit=KEPT_REVENUE_INLINE + 1)
    if not stale:
        return True
    if len(stale) > KEPT_REVENUE_INLINE:
        return False
    try:
        account_revenue_refresh(today=today, account_ids=stale)
    except DatabaseError:  # a long write holds the database: read the live sums this time
        return False
    return True


def account_revenue_refresh_due(*, today: dt.date | None = None) -> int:
    """The worker's step: refresh every stale account (all of them at once when many)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    stale = account_revenue_stale(today=today, limit=KEPT_REVENUE_INLINE + 1)
    if not stale:
        return 0
    if len(stale) > KEPT_REVENUE_INLINE:
        return account_revenue_refresh(today=today)
    return account_revenue_refresh(today=today, account_ids=stale)


def rollups_set_account(*, unit: Unit, new_account_id: int) -> None:
    """After a move, the roll-ups of the moved subtree belong to the new account."""
    MonthlyRollup.objects.filter(subtree_q(unit, "unit__")).update(account_id=new_account_id)


# --- Added for the REST API: opportunities and the all-or-nothing bulk load of transactions. ---

OPPORTUNITY_FIELDS = {
    "unit",
    "product_line",
    "name",
    "stage",
    "amount",
    "probability",
    "expected_close",
    "owner",
    "external_id",
    "product",
    "engaged_on",
}


def _check_opportunity(opp: Opportunity) -> None:
    if not (opp.name or "").strip():
        raise DomainError(_("An opportunity needs a name."), field="name")
    if opp.stage not in OpportunityStage.values:
        raise DomainError(_("Unknown stage."), field="stage")
    if opp.probability is None or not 0 <= opp.probability <= 100:
        raise DomainError(_("Probability must be between 0 and 100."), field="probability")
    check_fields(opp, {"amount", "expected_close", "engaged_on"})
    if opp.product_id is not None:
        line_id = (
            Product.objects.filter(pk=opp.product_id).values_list("line_id", flat=True).first()
        )
        if opp.product_line_id is None:
            opp.product_line_id = line_id  # the product names its line
        elif opp.product_line_id != line_id:
            raise DomainError(_("The product belongs to another product line."), field="product")
    if opp.engaged_on and opp.expected_close and opp.engaged_on > opp.expected_close:
        raise DomainError(
            _("The expected close cannot be before the engagement date."), field="expected_close"
        )


@transaction.atomic
def opportunity_create(**fields: Any) -> Opportunity:
    unknown = set(fields) - OPPORTUNITY_FIELDS
    if unknown:
        raise DomainError(_("Unknown opportunity fields: %s") % ", ".join(sorted(unknown)))
    opp = Opportunity(**fields)
    _check_opportunity(opp)
    opp.save()
    return opp


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, **fields: Any) -> Opportunity:
    if fields.get("product") is not None and "product_line" not in fields:
        fields["product_line"] = None  # a new product brings its own line
    opportunity, _changed = model_update(
        instance=opportunity, fields=OPPORTUNITY_FIELDS, data=fields, validate=_check_opportunity
    )
    return opportunity


@transaction.atomic
def opportunity_delete(*, opportunity: Opportunity) -> None:
    opportunity.delete()


class RowErrors(DomainError):
    """Some rows of a bulk write are wrong; ``errors`` lists (field path, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        bad_rows = len({field.split(".")[1] for field, _message in errors})
        super().__init__(
            _("%(n)d rows have errors; nothing was written.") % {"n": bad_rows}, code="rows"
        )
        self.errors = errors


MAX_ROW_ERRORS = 1000


def _lookup(
    model: type[Unit] | type[Product] | type[Transaction], field: str, values: set[Any]
) -> dict[Any, int]:
    found: dict[Any, int] = {}
    given = [v for v in values if v is not None]
    for start in range(0, len(given), 2000):
        chunk = given[start : start + 2000]
        found.update(model.objects.filter(**{f"{field}__in": chunk}).values_list(field, "pk"))
    return found


@transaction.atomic
def transactions_bulk_create(*, rows: Sequence[Row], user: _User | None = None) -> int:
    """Validate every row, then write all of them (roll-ups included) or none.

    A row names its unit by ``unit_id`` or ``unit_external_id`` and its product by
    ``product_id`` or ``product_sku``. With ``user``, every row's account must be one the user
    may change. Errors name the row index and the field: ``rows.<i>.<field>``.
    """
    errors: list[tuple[str, str]] = []
    unit_ids = _lookup(Unit, "pk", {r.get("unit_id") for r in rows})
    unit_ext = _lookup(Unit, "external_id", {r.get("unit_external_id") for r in rows})
    product_ids = _lookup(Product, "pk", {r.get("product_id") for r in rows})
    product_skus = _lookup(Product, "sku", {r.get("product_sku") for r in rows})
    ext_ids = [r.get("external_id") for r in rows if r.get("external_id")]
    existing = set(_lookup(Transaction, "external_id", set(ext_ids)))
    seen: set[str] = set()
    resolved: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        unit_pk = product_pk = None
        if row.get("unit_id") is not None:
            unit_pk = unit_ids.get(row["unit_id"])
            if unit_pk is None:
                errors.append((f"rows.{i}.unit_id", _("Unknown unit.")))
        elif row.get("unit_external_id"):
            unit_pk = unit_ext.get(row["unit_external_id"])
            if unit_pk is None:
                errors.append((f"rows.{i}.unit_external_id", _("Unknown unit.")))
        else:
            errors.append((f"rows.{i}.unit_id", _("Give unit_id or unit_external_id.")))
        if row.get("product_id") is not None:
            product_pk = product_ids.get(row["product_id"])
            if product_pk is None:
                errors.append((f"rows.{i}.product_id", _("Unknown product.")))
        elif row.get("product_sku"):
            product_pk = product_skus.get(row["product_sku"])
            if product_pk is None:
                errors.append((f"rows.{i}.product_sku", _("Unknown product.")))
        else:
            errors.append((f"rows.{i}.product_id", _("Give product_id or product_sku.")))
        if row.get("net_amount") is None:
            errors.append((f"rows.{i}.net_amount", _("A transaction needs a net amount.")))
        errors.extend((f"rows.{i}.{name}", message) for name, message in _range_errors(row))
        ext = row.get("external_id")
        if ext:
            if ext in existing:
                errors.append((f"rows.{i}.external_id", _("This external id is already used.")))
            elif ext in seen:
                errors.append(
                    (f"rows.{i}.external_id", _("This external id appears twice in the batch."))
                )
            seen.add(ext)
        if len(errors) >= MAX_ROW_ERRORS:
            break
        resolved.append(
            {
                "date": row["date"],
                "unit_id": unit_pk,
                "product_id": product_pk,
                "quantity": row.get("quantity") or 0,
                "net_amount": row.get("net_amount"),
                "currency": row.get("currency") or reporting_currency(),
                "cost": row.get("cost"),
                "external_id": ext or None,
            }
        )
    if errors:
        raise RowErrors(errors)
    if user is not None:
        units = Unit.objects.filter(pk__in={r["unit_id"] for r in resolved})
        for account in units.accounts_of().select_related("account_manager"):
            require(user, "kam.change_account", account)
    return transactions_create(rows=resolved)


# --- supplier positions ----------------------------------------------------------------------


@transaction.atomic
def supplier_position_set(
    *,
    account: Unit,
    position: str,
    since: dt.date,
    note: str = "",
    user: _User | None = None,
) -> SupplierPosition:
    """Record our supplier position at an account from ``since`` on.

    Every change is a new row: the rows are the position's history and the one with the latest
    ``since`` (then the latest recording) is the current one.
    """
    if not Unit.objects.accounts().filter(pk=account.pk).exists():
        raise DomainError(
            _("A supplier position is recorded for an account, not for a sub-unit."),
            field="account",
        )
    if position not in SupplierPositionLevel.values:
        raise DomainError(_("Unknown supplier position."), field="position")
    check_date(since, "since")
    note = (note or "").strip()
    if len(note) > 300:
        raise DomainError(_("A note has at most 300 characters."), field="note")
    return SupplierPosition.objects.create(
        account_id=account.pk, position=position, since=since, note=note, recorded_by=user
    )


# --- Currency rates: one service for the page, the API and the import (decision 99). ---

RateRange = tuple[Any, dt.date, dt.date | None]  # a key of the caller's, start, end (None: open)


def currency_rate_fields(
    *, currency: str, valid_from: Any, valid_to: Any = None, rate: Any
) -> dict[str, Any]:
    """The checked fields of one rate, the currency upper-cased; a DomainError naming the field.

    An ISO 4217 code of three letters (not the reporting currency: it is always 1), dates inside
    ``KAM_DATE_MIN``..``KAM_DATE_MAX`` with the end not before the start, a rate above 0.
    """
    currency = (currency or "").strip().upper()
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise DomainError(
            _("The currency must be a three-letter ISO 4217 code, e.g. USD."), field="currency"
        )
    if currency == reporting_currency():
        raise DomainError(
            _("The reporting currency needs no rate (it is always 1)."), field="currency"
        )
    if valid_from is None:
        raise DomainError(_("A rate needs the first day it is valid."), field="valid_from")
    check_date(valid_from, "valid_from")
    check_date(valid_to, "valid_to")
    if valid_to is not None and valid_to < valid_from:
        raise DomainError(_("The end is before the start."), field="valid_to")
    message = amount_error(rate, 18, 8)
    if message:
        raise DomainError(message, field="rate")
    rate = rate if isinstance(rate, Decimal) else Decimal(str(rate))
    if rate <= 0:
        raise DomainError(_("A rate must be more than 0."), field="rate")
    return {"currency": currency, "valid_from": valid_from, "valid_to": valid_to, "rate": rate}


def rate_overlaps(ranges: Iterable[RateRange]) -> list[tuple[Any, Any]]:
    """Pairs (key, key of the earlier range) of one currency's ranges that overlap.

    Days count inclusively; an open end runs for ever, so a later range needs it closed first.
    """
    found: list[tuple[Any, Any]] = []
    ordered = sorted(ranges, key=lambda r: r[1])
    reach: RateRange | None = None  # the range reaching furthest so far
    for item in ordered:
        if reach is not None and (reach[2] is None or item[1] <= reach[2]):
            found.append((item[0], reach[0]))
        if reach is None or reach[2] is not None and (item[2] is None or item[2] > reach[2]):
            reach = item
    return found


def _overlap_message(other: CurrencyRate) -> str:
    end = other.valid_to.isoformat() if other.valid_to else _("open end")
    return _("It overlaps the %(currency)s rate valid %(start)s – %(end)s.") % {
        "currency": other.currency,
        "start": other.valid_from.isoformat(),
        "end": end,
    }


@transaction.atomic
def currency_rate_save(
    *,
    currency_rate: CurrencyRate | None = None,
    currency: str,
    valid_from: Any,
    valid_to: Any = None,
    rate: Any,
) -> CurrencyRate:
    """Create (``currency_rate`` None) or change one rate; refused when it overlaps another of
    the same currency. Transaction lines imported earlier keep the rate they were converted at."""
    fields = currency_rate_fields(
        currency=currency, valid_from=valid_from, valid_to=valid_to, rate=rate
    )
    others = CurrencyRate.objects.select_for_update().filter(currency=fields["currency"])
    if currency_rate is not None:
        others = others.exclude(pk=currency_rate.pk)
    by_pk = {o.pk: o for o in others}
    ranges: list[RateRange] = [(o.pk, o.valid_from, o.valid_to) for o in by_pk.values()]
    ranges.append((None, fields["valid_from"], fields["valid_to"]))
    for key, other in rate_overlaps(ranges):
        if None in (key, other):
            raise DomainError(
                _overlap_message(by_pk[other if key is None else key]), field="valid_from"
            )
    currency_rate = currency_rate or CurrencyRate()
    for name, value in fields.items():
        setattr(currency_rate, name, value)
    currency_rate.save()
    # a list price in this currency now converts otherwise (decision 122)
    discounts_mark_stale(everything=True)
    return currency_rate


@transaction.atomic
def currency_rate_delete(*, currency_rate: CurrencyRate) -> None:
    """Remove a rate; lines converted with it keep their amounts (the original stays too)."""
    currency_rate.delete()
    discounts_mark_stale(everything=True)


# --- Costs to serve and list prices: one service each for the page, the API and the import. ---


def cost_to_serve_fields(
    *, unit_id: Any, month: Any, category: Any, amount: Any, note: Any = ""
) -> dict[str, Any]:
    """The checked fields of one cost row, the month as its first day; a DomainError naming
    the field (unknown unit, a month outside the accepted dates, an unknown category, an amount
    below 0 or beyond the column's precision, a note over 300 characters)."""
    if unit_id is None or not Unit.objects.filter(pk=unit_id).exists():
        raise DomainError(_("Unknown unit."), field="unit")
    if month is None:
        raise DomainError(_("A cost needs its month."), field="month")
    if isinstance(month, str):
        check_date(month, "month")
        month = dt.date.fromisoformat(month[:10])
    if isinstance(month, dt.datetime):
        month = month.date()
    check_date(month, "month")
    if category not in CostCategory.values:
        raise DomainError(_("Unknown cost category."), field="category")
    if amount is None:
        raise DomainError(_("A cost needs an amount."), field="amount")
    message = amount_error(amount, 16, 2)
    if message:
        raise DomainError(message, field="amount")
    amount = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    if amount < 0:
        raise DomainError(_("A cost cannot be below 0."), field="amount")
    note = (note or "").strip()
    if len(note) > 300:
        raise DomainError(_("A note has at most 300 characters."), field="note")
    return {
        "unit_id": unit_id,
        "month": month.replace(day=1),
        "category": category,
        "amount": amount,
        "note": note,
    }


@transaction.atomic
def cost_to_serve_save(
    *,
    cost: CostToServe | None = None,
    unit_id: Any,
    month: Any,
    category: Any,
    amount: Any,
    note: Any = "",
) -> CostToServe:
    """Create (``cost`` None) or change one cost to serve; one row per unit, month and category
    (a second one is refused with 409: change the first)."""
    fields = cost_to_serve_fields(
        unit_id=unit_id, month=month, category=category, amount=amount, note=note
    )
    clash = CostToServe.objects.filter(
        unit_id=fields["unit_id"], month=fields["month"], category=fields["category"]
    )
    if cost is not None:
        clash = clash.exclude(pk=cost.pk)
    if clash.exists():
        raise DomainError(
            _("This unit already has a cost of this category for this month: change that one."),
            field="category",
            code="conflict",
        )
    cost = cost or CostToServe()
    for name, value in fields.items():
        setattr(cost, name, value)
    cost.save()
    return cost


@transaction.atomic
def cost_to_serve_delete(*, cost: CostToServe) -> None:
    cost.delete()


def list_price_fields(
    *, product_id: Any, valid_from: Any, price: Any, currency: Any = None
) -> dict[str, Any]:
    """The checked fields of one list price, the currency upper-cased (empty: the reporting
    currency); a DomainError naming the field."""
    if product_id is None or not Product.objects.filter(pk=product_id).exists():
        raise DomainError(_("Unknown product."), field="product")
    if valid_from is None:
        raise DomainError(_("A list price needs the first day it is valid."), field="valid_from")
    check_date(valid_from, "valid_from")
    if price is None:
        raise DomainError(_("A list price needs a price."), field="price")
    message = amount_error(price, 16, 4)
    if message:
        raise DomainError(message, field="price")
    price = price if isinstance(price, Decimal) else Decimal(str(price))
    if price <= 0:
        raise DomainError(_("A list price must be more than 0."), field="price")
    currency = (currency or "").strip().upper() or reporting_currency()
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise DomainError(
            _("The currency must be a three-letter ISO 4217 code, e.g. USD."), field="currency"
        )
    return {
        "product_id": product_id,
        "valid_from": valid_from,
        "price": price,
        "currency": currency,
    }


@transaction.atomic
def list_price_save(
    *,
    list_price: ListPrice | None = None,
    product_id: Any,
    valid_from: Any,
    price: Any,
    currency: Any = None,
) -> ListPrice:
    """Create (``list_price`` None) or change one list price; a product has one price per start
    day (a second one is refused with 409). A price runs until the product's next start."""
    fields = list_price_fields(
        product_id=product_id, valid_from=valid_from, price=price, currency=currency
    )
    clash = ListPrice.objects.filter(
        product_id=fields["product_id"], valid_from=fields["valid_from"]
    )
    if list_price is not None:
        clash = clash.exclude(pk=list_price.pk)
    if clash.exists():
        raise DomainError(
            _("This product already has a list price from this day: change that one."),
            field="valid_from",
            code="conflict",
        )
    list_price = list_price or ListPrice()
    for name, value in fields.items():
        setattr(list_price, name, value)
    list_price.save()
    # any account's sales of the product may fall under it (decision 122)
    discounts_mark_stale(everything=True)
    return list_price


@transaction.atomic
def list_price_delete(*, list_price: ListPrice) -> None:
    list_price.delete()
    discounts_mark_stale(everything=True)
