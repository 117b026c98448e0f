"""The account facts timeline: every data-backed scoring input of an account, for any day.

Scoring needs, per account and as of a day, figures that come from millions of rows: revenue
and cost of the last 12 and prior 12 full months, months with purchases, current contacts and
their functions, operating units and geographic spread (DOMAIN §3; the rules are those of
``engine.py``). Read from the roll-ups, positions and units at every run, they cost more than
all the rest of scoring. So they are kept as a timeline per account (:class:`AccountFacts`):
a row starts on each day where a figure changes, and holds until the account's next row.

Figures change only on two kinds of day:

* the last day of a month: from then on "as of" counts that month as full, so the 12- and
  24-month windows move (``engine.data_end``);
* the first and the last day of a position (a position is current from its start, and no
  longer on its end date).

Scoring as of a day reads one row per account — the newest that starts on or before it — so a
full run reads as many rows as there are accounts. Writes of roll-ups, units and positions
list the accounts they touch as stale (:class:`StaleAccount`, in the same transaction, by
signals and by the bulk writers); :func:`facts_refresh` computes their timelines again from the
roll-ups, positions and units before the next read. The computation is a sweep over the days
of change with running counters, so an account costs time in proportion to its positions,
units and months, not to the days it spans.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils.translation import gettext as _

from kam.core.db import bulk_insert
from kam.core.validation import amount_limit, date_bounds
from kam.customers.models import (
    Employment,
    Unit,
    UnitKind,
    account_path,
    account_path_of,
    is_account_sql,
)
from kam.sales.models import MonthlyRollup

from .models import AccountFacts, AccountSeries, StaleAccount

BEGINNING = dt.date(1, 1, 1)  # the first row of every timeline starts here
ONE_DAY = dt.timedelta(days=1)
OTHER_FUNCTION = "other"  # not a functional area
BATCH = 400  # accounts computed together when only some are stale
SERIES_DTYPE = "<i8"  # the kept monthly series: little-endian 64-bit integers (AccountSeries)
REFRESH_LOCK = 0x4B414D46  # PostgreSQL advisory lock key of facts_refresh ("KAMF")
FACT_FIELDS = [
    "revenue_12m_cents",
    "revenue_prior_12m_cents",
    "cost_12m_cents",
    "costed_12m_cents",
    "purchase_months",
    "contacts",
    "functions",
    "operating_units",
    "countries",
    "regions",
    "region_total",
]


def month_index(day: dt.date | str) -> int:
    """Months since year 0 of a date, or of a date as SQLite returns it ('YYYY-MM-DD')."""
    if isinstance(day, str):
        return int(day[:4]) * 12 + int(day[5:7]) - 1
    return day.year * 12 + day.month - 1


def month_of(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def window_end_index(as_of: dt.date) -> int:
    """Month index of ``engine.data_end(as_of)``: the first month not yet full on that day."""
    if as_of == dt.date.max:  # an open-ended position written as 9999-12-31
        return month_index(as_of) + 1
    return month_index(as_of + ONE_DAY)


# --------------------------------------------------------------------------------------------
# One account


@dataclass
class AccountData:
    """What the timeline of one account is computed from."""

    units: dict[int, tuple[str, str, str | None]] = field(default_factory=dict)
    # month index → [net, cost, costed] in cents, and months with a positive roll-up
    months: dict[int, list[int]] = field(default_factory=dict)
    bought: set[int] = field(default_factory=set)
    # unit → sorted month indexes with a positive roll-up
    unit_bought: dict[int, list[int]] = field(default_factory=dict)
    # (unit, contact, function, start, end)
    positions: list[tuple[int, int, str, dt.date | None, dt.date | None]] = field(
        default_factory=list
    )
    path: str = ""  # the account's own path


class _Sums:
    """Prefix sums of the account's monthly figures: any window of months in O(1)."""

    def __init__(self, data: AccountData):
        self.lo = min(data.months) if data.months else 0
        self.n = (max(data.months) - self.lo + 1) if data.months else 0
        net, cost, costed, bought = [0], [0], [0], [0]
        for i in range(self.n):
            month = data.months.get(self.lo + i)
            n_, c_, d_ = month if month else (0, 0, 0)
            net.append(net[-1] + n_)
            cost.append(cost[-1] + c_)
            costed.append(costed[-1] + d_)
            bought.append(bought[-1] + (1 if (self.lo + i) in data.bought else 0))
        self.net, self.cost, self.costed, self.bought_ = net, cost, costed, bought

    def _at(self, month: int) -> int:
        """Index into the prefix sums: the total of the months before ``month``."""
        i = month - self.lo
        return 0 if i <= 0 else (self.n if i >= self.n else i)

    def window(self, end: int) -> tuple[int, int, int, int, int]:
        """revenue 12m, prior 12m, cost 12m, costed 12m, months with purchases in 24."""
        e, e12, e24 = self._at(end), self._at(end - 12), self._at(end - 24)
        net = self.net
        return (
            net[e] - net[e12],
            net[e12] - net[e24],
            self.cost[e] - self.cost[e12],
            self.costed[e] - self.costed[e12],
            self.bought_[e] - self.bought_[e24],
        )


PositionEvent = tuple[int, int, int, str]  # (+1 start / -1 end, unit, contact, function)
RevenueSwitch = tuple[int, int, int]  # (window end, +1 / -1, unit)


def _position_events(
    positions: list[tuple[int, int, str, dt.date | None, dt.date | None]],
) -> dict[dt.date, list[PositionEvent]]:
    """day → the positions that start (+1) or end (-1) on it.

    A position is current from its start (:data:`BEGINNING` when unknown) and no longer on its
    end date; an open position never ends.
    """
    events: dict[dt.date, list[PositionEvent]] = defaultdict(list)
    for unit, contact, function, start, end in positions:
        events[start or BEGINNING].append((+1, unit, contact, function))
        if end is not None:
            events[end].append((-1, unit, contact, function))
    return events


def _days_of_change(positions_on: Iterable[dt.date], sums: _Sums) -> list[dt.date]:
    """Every day on which a figure may change, in order.

    :data:`BEGINNING`, the days positions start or end, and the last day of each month from the
    first month with data until its last month has left the 24-month window.
    """
    days = set(positions_on) | {BEGINNING}
    if sums.n:
        for end in range(sums.lo + 1, sums.lo + sums.n + 25):
            days.add(month_of(end) - ONE_DAY)
    return sorted(days)


def _revenue_switches(unit_bought: dict[int, list[int]]) -> list[RevenueSwitch]:
    """(window end, +1 / -1, unit), sorted: when a unit starts and stops having purchases in
    the 12-month window. A purchase in month m is in the windows ending m + 1 … m + 12."""
    out: list[RevenueSwitch] = []
    for unit, months in unit_bought.items():
        if not months:
            continue
        start, stop = months[0] + 1, months[0] + 13
        for m in months[1:]:
            if m + 1 <= stop:
                stop = m + 13
            else:
                out.append((start, +1, unit))
                out.append((stop, -1, unit))
                start, stop = m + 1, m + 13
        out.append((start, +1, unit))
        out.append((stop, -1, unit))
    out.sort()
    return out


def _count(counter: dict[Any, int], key: Any, sign: int) -> int:
    """Add ``sign`` to ``counter[key]``, dropping the key at zero; returns the new count."""
    after = counter.get(key, 0) + sign
    if after:
        counter[key] = after
    else:
        del counter[key]
    return after


class _Presence:
    """The account's running counts during the sweep: contacts, functional areas, operating
    units and geographic spread, kept up to date one position or revenue switch at a time.

    A unit operates while it has purchases in the 12-month window or a current position. The
    spread counts the countries and regions of the operating units and of every site.
    """

    def __init__(
        self, units: dict[int, tuple[str, str, str | None]], switches: list[RevenueSwitch]
    ) -> None:
        self.units = units
        self.switches = switches
        self.next_switch = 0
        self.revenue: set[int] = set()  # units with purchases in the 12-month window
        self.held: dict[int, int] = defaultdict(int)  # unit → current positions
        self.contacts: dict[int, int] = {}  # contact → current positions
        self.functions: dict[str, int] = {}  # function → current positions
        self.countries: dict[str, int] = {}  # country → units in the spread
        self.regions: dict[tuple[str, str], int] = {}  # (country, region) → units
        self.per_country: dict[str, int] = {}  # country → its regions in the spread
        self.operating = 0
        for unit, (kind, _country, _region) in units.items():
            if kind == UnitKind.SITE:
                self._spread(unit, +1)

    def window_moved(self, end: int) -> None:
        """Take in the revenue switches of the 12-month windows ending up to month ``end``."""
        switches = self.switches
        while self.next_switch < len(switches) and switches[self.next_switch][0] <= end:
            _end, sign, unit = switches[self.next_switch]
            was = self._operates(unit)
            if sign > 0:
                self.revenue.add(unit)
            else:
                self.revenue.discard(unit)
            self._operating_changed(unit, was)
            self.next_switch += 1

    def position(self, sign: int, unit: int, contact: int, function: str) -> None:
        """A position starts (``sign`` +1) or ends (-1)."""
        _count(self.contacts, contact, sign)
        if function != OTHER_FUNCTION:
            _count(self.functions, function, sign)
        was = self._operates(unit)
        self.held[unit] += sign
        self._operating_changed(unit, was)

    def figures(self) -> tuple[int, int, int, int, int, int]:
        """contacts, functions, operating units, countries, most regions of one country,
        regions: the last six of :data:`FACT_FIELDS`."""
        return (
            len(self.contacts),
            len(self.functions),
            self.operating,
            len(self.countries),
            max(self.per_country.values(), default=0),
            len(self.regions),
        )

    def _operates(self, unit: int) -> bool:
        return unit in self.revenue or self.held[unit] > 0

    def _operating_changed(self, unit: int, was: bool) -> None:
        now = self._operates(unit)
        if was == now:
            return
        self.operating += 1 if now else -1
        if self.units[unit][0] != UnitKind.SITE:  # sites are in the spread anyway
            self._spread(unit, 1 if now else -1)

    def _spread(self, unit: int, sign: int) -> None:
        """Add (+1) or take away (-1) the unit's country and region."""
        _kind, country, region = self.units[unit]
        if not country:
            return
        _count(self.countries, country, sign)
        if region is None:
            return
        before = self.regions.get((country, region), 0)
        after = _count(self.regions, (country, region), sign)
        if not before:
            _count(self.per_country, country, +1)
        if not after:
            _count(self.per_country, country, -1)


def timeline(data: AccountData) -> list[tuple[dt.date, tuple[int, ...]]]:
    """The account's facts from :data:`BEGINNING` on: (since, figures) where they change.

    Figures: the values of :data:`FACT_FIELDS`, in that order (money in cents). A sweep over
    the days of change: the money comes from the prefix sums of the window that day, the counts
    from the running :class:`_Presence`; a row is kept only when a figure differs.
    """
    sums = _Sums(data)
    events = _position_events(data.positions)
    presence = _Presence(data.units, _revenue_switches(data.unit_bought))
    out: list[tuple[dt.date, tuple[int, ...]]] = []
    window = None
    money = (0, 0, 0, 0, 0)
    for day in _days_of_change(events, sums):
        end = window_end_index(day)
        if end != window:
            window = end
            money = sums.window(end)
            presence.window_moved(end)
        for sign, unit, contact, function in events.get(day, ()):
            presence.position(sign, unit, contact, function)
        figures = (*money, *presence.figures())
        if not out or figures != out[-1][1]:
            out.append((day, figures))
    return out


# --------------------------------------------------------------------------------------------
# Many accounts


def _cents(value) -> int:
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return int((value * 100).to_integral_value())
    return round(value * 100)  # SQLite sums decimals as floats: back to whole cents


def _fetch(parts: Iterable[tuple[str, list]]) -> Iterator[tuple]:
    """Rows of raw queries, without the ORM's per-value converters (millions of rows)."""
    with connection.cursor() as cursor:
        for sql, params in parts:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(20000):
                yield from rows


def _day(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# Bad stored data found while loading or computing: account id → reason. The account is left
# out of the facts (and so of a scoring run) and stays stale until its data is repaired.
Skipped = dict[int, str]


def _month_bounds() -> tuple[int, int]:
    first, last = date_bounds()
    return month_index(first), month_index(last)


def _cents_limit() -> int:
    # the roll-up columns hold 18 digits with 2 places; past that a figure cannot be right
    return int(amount_limit(18, 2) * 100)


def load(
    account_paths: list[str] | None = None, skipped: Skipped | None = None
) -> dict[int, AccountData]:
    """The data of the accounts with these paths (all when ``None``), in a few queries.

    An account with a stored value out of range (a month outside KAM_DATE_MIN … KAM_DATE_MAX,
    an amount past its column, a date that is not one) is left out and listed in ``skipped``
    with the reason, so that one account's bad data never fails the whole portfolio.
    """
    bad: Skipped = {} if skipped is None else skipped
    units = Unit.objects.all()
    if account_paths is not None:
        units = units.annotate(of_account=account_path_of("path")).filter(
            of_account__in=account_paths
        )
    account_of: dict[int, int] = {}  # unit → its account
    accounts: dict[int, AccountData] = {}
    rows = list(units.order_by("path").values_list("pk", "path", "kind", "country", "region"))
    by_path: dict[str, int] = {}
    for pk, path, _kind, _country, _region in rows:
        if account_path(path) == path:  # the unit is an account
            by_path[path] = pk
            accounts[pk] = AccountData(path=path)
    for pk, path, kind, country, region in rows:
        account = by_path.get(account_path(path))
        if account is None:
            continue
        account_of[pk] = account
        key = region.strip().casefold() if country and region else None
        accounts[account].units[pk] = (kind, country or "", key)
    if not accounts:
        return accounts

    table = connection.ops.quote_name
    # a roll-up's root_id is its account (the column keeps its old name)
    rollup_sql = (
        "SELECT root_id, unit_id, CAST(month AS TEXT), SUM(net_amount), SUM(cost), "
        "SUM(costed_amount), "
        "MAX(CASE WHEN net_amount > 0 THEN 1 ELSE 0 END) "
        f"FROM {table(MonthlyRollup._meta.db_table)} %s GROUP BY root_id, unit_id, month"
    )
    position_sql = (
        "SELECT unit_id, contact_id, function, CAST(start_date AS TEXT), "
        "CAST(end_date AS TEXT) "
        f"FROM {table(Employment._meta.db_table)} %s"
    )
    rollup_parts: list[tuple[str, list[Any]]]
    position_parts: list[tuple[str, list[Any]]]
    if account_paths is None:
        rollup_parts = [(rollup_sql % "", [])]
        position_parts = [(position_sql % "", [])]
    else:
        rollup_parts = [
            (rollup_sql % f"WHERE root_id IN ({', '.join(['%s'] * len(part))})", part)
            for part in _chunks(list(accounts), 5000)
        ]
        position_parts = [
            (position_sql % f"WHERE unit_id IN ({', '.join(['%s'] * len(part))})", part)
            for part in _chunks(list(account_of), 5000)
        ]
    # dates as text: no per-value converters; both databases write them as YYYY-MM-DD
    first_month, last_month = _month_bounds()
    limit = _cents_limit()
    for account, unit, month, net, cost, costed, positive in _fetch(rollup_parts):
        data = accounts.get(account)
        if data is None or unit not in data.units or account in bad:
            continue
        try:
            index = month_index(month)
            cents = (_cents(net), _cents(cost), _cents(costed))
        except (ArithmeticError, ValueError, TypeError) as exc:
            bad[account] = _("a sales figure cannot be read (%s)") % exc
            continue
        if not first_month <= index <= last_month:
            bad[account] = _("sales dated %(month)s, outside the accepted dates") % {
                "month": str(month)[:7]
            }
            continue
        if max(abs(c) for c in cents) > limit:
            bad[account] = _("a monthly sales figure of %(month)s is out of range") % {
                "month": str(month)[:7]
            }
            continue
        sums = data.months.get(index)
        if sums is None:
            sums = data.months[index] = [0, 0, 0]
        sums[0] += cents[0]
        sums[1] += cents[1]
        sums[2] += cents[2]
        if positive:
            data.bought.add(index)
            data.unit_bought.setdefault(unit, []).append(index)
    for data in accounts.values():
        for months in data.unit_bought.values():
            months.sort()
    first, last = date_bounds()
    for unit, contact, function, start, end in _fetch(position_parts):
        account = account_of.get(unit)
        if account is None or account in bad:
            continue
        try:
            days = (_day(start), _day(end))
        except (ValueError, TypeError):
            days = (dt.date.max, None)
        if any(d is not None and not first <= d <= last for d in days):
            bad[account] = _("a contact's position has a date outside the accepted dates")
            continue
        accounts[account].positions.append((unit, contact, function, *days))
    for account in bad:
        accounts.pop(account, None)
    return accounts


def _rows(accounts: dict[int, AccountData], skipped: Skipped) -> Iterator[tuple]:
    for account_id, data in accounts.items():
        try:  # pure computation, no query: one account's data cannot stop the others
            rows = timeline(data)
        except (ArithmeticError, ValueError) as exc:
            skipped[account_id] = _("its figures cannot be computed (%s)") % exc
            continue
        for since, figures in rows:
            yield (account_id, since, *figures)


def _write(accounts: dict[int, AccountData], replace: list[int] | None, skipped: Skipped) -> int:
    """Replace the timelines of ``accounts`` (every timeline when ``replace`` is None).

    The timelines of ``skipped`` accounts go too: a skipped account has no facts.
    """
    if replace is None:
        AccountFacts.objects.all().delete()
    else:
        for part in _chunks([*replace, *skipped], 5000):
            AccountFacts.objects.filter(account_id__in=part).delete()
    return bulk_insert(
        AccountFacts, ["account_id", "since", *FACT_FIELDS], _rows(accounts, skipped)
    )


def _series_rows(account_ids: list[int] | None, skipped: Skipped) -> Iterator[tuple]:
    """Each account's monthly series (``AccountSeries``) from its roll-ups, one query a chunk.

    Revenue in cents, product lines and units with a roll-up, per month from the first month
    with any; the accounts of ``skipped`` (bad stored data) get none.
    """
    table = connection.ops.quote_name(MonthlyRollup._meta.db_table)
    sql = (
        "SELECT root_id, CAST(month AS TEXT), SUM(net_amount), "
        "COUNT(DISTINCT product_line_id), COUNT(DISTINCT unit_id) "
        f"FROM {table} %s GROUP BY root_id, month ORDER BY root_id, month"
    )
    parts: list[tuple[str, list[Any]]]
    if account_ids is None:
        parts = [(sql % "", [])]
    else:
        parts = [
            (sql % f"WHERE root_id IN ({', '.join(['%s'] * len(part))})", part)
            for part in _chunks(account_ids, 5000)
        ]
    months: dict[int, tuple[int, int, int]] = {}
    current = None
    for account, month, net, lines, units in _fetch(parts):
        if account != current:
            if months and current not in skipped:
                yield _series_row(current, months)
            current, months = account, {}
        try:
            months[month_index(month)] = (_cents(net), lines, units)
        except (ArithmeticError, ValueError, TypeError):
            skipped.setdefault(account, _("a sales figure cannot be read"))
    if months and current not in skipped:
        yield _series_row(current, months)


def _series_row(account: Any, months: dict[int, tuple[int, int, int]]) -> tuple:
    lo, hi = min(months), max(months)
    span = [months.get(i, (0, 0, 0)) for i in range(lo, hi + 1)]
    return (
        account,
        month_of(lo),
        *(np.asarray([m[k] for m in span], dtype=SERIES_DTYPE).tobytes() for k in range(3)),
    )


def _series_write(account_ids: list[int] | None, skipped: Skipped) -> int:
    """Replace the series of these accounts (of every account when None)."""
    if account_ids is None:
        AccountSeries.objects.all().delete()
    else:
        for part in _chunks([*account_ids, *skipped], 5000):
            AccountSeries.objects.filter(account_id__in=part).delete()
    # read before writing: PostgreSQL's COPY holds the connection, no query can run inside it
    rows = list(_series_rows(account_ids, skipped))
    return bulk_insert(
        AccountSeries, ["account_id", "first_month", "revenue_cents", "lines", "units"], rows
    )


def _keep_stale(skipped: Skipped) -> None:
    """Skipped accounts stay listed as stale: the next refresh tries them again."""
    if skipped:
        paths = Unit.objects.filter(pk__in=list(skipped)).values_list("path", flat=True)
        StaleAccount.objects.bulk_create(
            [StaleAccount(root_path=p) for p in sorted(paths)], ignore_conflicts=True
        )


@transaction.atomic
def facts_refresh(*, everything: bool = False, skipped: Skipped | None = None) -> int:
    """Compute the timelines of the stale accounts (of all with ``everything``) again.

    Returns the number of accounts computed. The stale marks are taken first, in this
    transaction, so that a write committed meanwhile marks its accounts again. Accounts with
    bad stored data are left out, listed in ``skipped`` and stay stale (see :func:`load`).
    """
    bad: Skipped = {} if skipped is None else skipped
    if connection.vendor == "postgresql":
        # one refresher at a time across processes and machines: a second one waits, then
        # finds the marks taken (SQLite serialises writers by itself)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
    if everything:
        StaleAccount.objects.all().delete()
        paths = None
    else:
        stale = sorted(StaleAccount.objects.values_list("root_path", flat=True))
        if not stale:
            return 0
        for part in _chunks(stale, 5000):
            StaleAccount.objects.filter(root_path__in=part).delete()
        paths = sorted({account_path(p) for p in stale})
    # Most of the portfolio: one pass over everything is cheaper than batches. Accounts whose
    # unit is gone have no facts left (they went with it) and are simply not loaded.
    if paths is None or len(paths) * 4 >= Unit.objects.accounts().count():
        found: Skipped = {}
        accounts = load(None, found)
        if paths is not None:
            wanted = set(paths)
            accounts = {pk: d for pk, d in accounts.items() if d.path in wanted}
            wanted_ids = set(Unit.objects.filter(path__in=paths).values_list("pk", flat=True))
            found = {pk: why for pk, why in found.items() if pk in wanted_ids}
        bad.update(found)
        _write(accounts, None if paths is None else list(accounts), bad)
        _series_write(None if paths is None else list(accounts), bad)
        _keep_stale(bad)
        return len(accounts) - len(set(accounts) & set(bad))
    done = 0
    for part in _chunks(paths, BATCH):
        accounts = load(part, bad)
        _write(accounts, list(accounts), bad)
        _series_write(list(accounts), bad)
        done += len(accounts)
    _keep_stale(bad)
    return done - len(bad)


def accounts_mark_stale(*, paths: Iterable[str] = (), unit_ids: Iterable[int] = ()) -> None:
    """List the accounts of these units (by path or id) for :func:`facts_refresh`.

    Called by the signal receivers of ``signals.py`` inside the writer's transaction.
    """
    stale = {account_path(p) for p in paths if p}
    ids = [i for i in set(unit_ids) if i is not None]
    for part in _chunks(ids, 5000):
        units = Unit.objects.filter(pk__in=part).annotate(of_account=account_path_of("path"))
        stale.update(units.values_list("of_account", flat=True))
    if stale:
        StaleAccount.objects.bulk_create(
            [StaleAccount(root_path=p) for p in sorted(stale)],
            ignore_conflicts=True,
            batch_size=2000,
        )


# --------------------------------------------------------------------------------------------
# Reading


def facts_as_of(as_of: dt.date) -> dict[int, dict]:
    """account id → its facts on ``as_of`` (the row that starts last on or before it).

    One query: per account, one index seek for its newest row up to the day.
    """
    facts = connection.ops.quote_name(AccountFacts._meta.db_table)
    unit = connection.ops.quote_name(Unit._meta.db_table)
    columns = ", ".join(f"f.{connection.ops.quote_name(c)}" for c in FACT_FIELDS)
    sql = f"""
        SELECT u.id, {columns}
        FROM {unit} u
        JOIN {facts} f ON f.id = (
            SELECT g.id FROM {facts} g
            WHERE g.account_id = u.id AND g.since <= %s
            ORDER BY g.since DESC LIMIT 1
        )
        WHERE {is_account_sql("u")}
    """  # noqa: S608 - names from the models, the day as a parameter
    out: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of])
        for row in cursor.fetchall():
            out[row[0]] = dict(zip(FACT_FIELDS, row[1:], strict=True))
    return out
