"""The account facts timeline: every data-backed scoring input of an account, for any day.

Scoring needs, per account and as of a day, figures that come from millions of rows: revenue
and cost of the last 12 and prior 12 full months, months with purchases, current contacts and
their functions, operating units and geographic spread (DOMAIN §3; the rules are those of
``scoring.py``). Read from the roll-ups, positions and units at every run, they cost more than
all the rest of scoring. So they are kept as a timeline per account (:class:`AccountFacts`):
a row starts on each day where a figure changes, and holds until the account's next row.

Figures change only on two kinds of day:

* the last day of a month: from then on "as of" counts that month as full, so the 12- and
  24-month windows move (``scoring.data_end``);
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

from django.db import connection, transaction
from django.db.models.functions import Substr

from kam.core.db import bulk_insert
from kam.customers.models import Employment, Unit, UnitKind
from kam.sales.models import MonthlyRollup

from .models import AccountFacts, StaleAccount

BEGINNING = dt.date(1, 1, 1)  # the first row of every timeline starts here
ONE_DAY = dt.timedelta(days=1)
OTHER_FUNCTION = "other"  # not a functional area
BATCH = 400  # accounts computed together when only some are stale
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


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_of(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def window_end_index(as_of: dt.date) -> int:
    """Month index of ``scoring.data_end(as_of)``: the first month not yet full on that day."""
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


def _revenue_switches(unit_bought: dict[int, list[int]]) -> list[tuple[int, int, int]]:
    """(window end, +1 / -1, unit), sorted: when a unit starts and stops having purchases in
    the 12-month window. A purchase in month m is in the windows ending m + 1 … m + 12."""
    out = []
    for unit, months in unit_bought.items():
        start = stop = None
        for m in months:
            if start is None:
                start, stop = m + 1, m + 13
            elif m + 1 <= stop:
                stop = m + 13
            else:
                out.append((start, +1, unit))
                out.append((stop, -1, unit))
                start, stop = m + 1, m + 13
        if start is not None:
            out.append((start, +1, unit))
            out.append((stop, -1, unit))
    out.sort()
    return out


def timeline(data: AccountData) -> list[tuple[dt.date, tuple]]:
    """The account's facts from :data:`BEGINNING` on: (since, figures) where they change.

    Figures: the values of :data:`FACT_FIELDS`, in that order (money in cents).
    """
    sums = _Sums(data)
    info = data.units
    events: dict[dt.date, list[tuple[int, int, int, str]]] = defaultdict(list)
    for unit, contact, function, start, end in data.positions:
        events[start or BEGINNING].append((+1, unit, contact, function))
        if end is not None:
            events[end].append((-1, unit, contact, function))
    days = set(events) | {BEGINNING}
    if sums.n:
        # the windows move on the last day of each month while some month is in them
        for end in range(sums.lo + 1, sums.lo + sums.n + 25):
            days.add(month_of(end) - ONE_DAY)

    rev: set[int] = set()  # units with purchases in the 12-month window
    held: dict[int, int] = defaultdict(int)  # unit → current positions
    contacts: dict[int, int] = {}
    functions: dict[str, int] = {}
    countries: dict[str, int] = {}
    regions: dict[tuple[str, str], int] = {}
    per_country: dict[str, int] = {}
    state = {"operating": 0}

    def spread(unit: int, sign: int) -> None:
        _kind, country, region = info[unit]
        if not country:
            return
        countries[country] = countries.get(country, 0) + sign
        if not countries[country]:
            del countries[country]
        if region is None:
            return
        key = (country, region)
        before = regions.get(key, 0)
        regions[key] = before + sign
        if not before:
            per_country[country] = per_country.get(country, 0) + 1
        if not regions[key]:
            del regions[key]
            per_country[country] -= 1
            if not per_country[country]:
                del per_country[country]

    def active(unit: int) -> bool:
        return unit in rev or held[unit] > 0

    def change(unit: int, update) -> None:
        was = active(unit)
        update()
        now = active(unit)
        if was != now:
            state["operating"] += 1 if now else -1
            if info[unit][0] != UnitKind.SITE:  # sites are in the spread anyway
                spread(unit, 1 if now else -1)

    for unit, (kind, _c, _r) in info.items():
        if kind == UnitKind.SITE:
            spread(unit, +1)

    def count(counter: dict, key, sign: int) -> None:
        counter[key] = counter.get(key, 0) + sign
        if not counter[key]:
            del counter[key]

    out: list[tuple[dt.date, tuple]] = []
    switches = _revenue_switches(data.unit_bought)
    switch = 0
    current_end = None
    money = (0, 0, 0, 0, 0)
    last = None
    for day in sorted(days):
        end = window_end_index(day)
        if end != current_end:
            current_end = end
            money = sums.window(end)
            while switch < len(switches) and switches[switch][0] <= end:
                _e, sign, unit = switches[switch]
                if sign > 0:
                    change(unit, lambda unit=unit: rev.add(unit))
                else:
                    change(unit, lambda unit=unit: rev.discard(unit))
                switch += 1
        for sign, unit, contact, function in events.get(day, ()):
            count(contacts, contact, sign)
            if function != OTHER_FUNCTION:
                count(functions, function, sign)

            def hold(unit=unit, sign=sign):
                held[unit] += sign

            change(unit, hold)
        figures = (
            *money[:4],
            money[4],
            len(contacts),
            len(functions),
            state["operating"],
            len(countries),
            max(per_country.values(), default=0),
            len(regions),
        )
        if figures != last:
            out.append((day, figures))
            last = figures
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


def _month_index(value) -> int:
    if isinstance(value, str):  # SQLite: 'YYYY-MM-DD'
        return int(value[:4]) * 12 + int(value[5:7]) - 1
    return value.year * 12 + value.month - 1


def _day(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def load(root_paths: list[str] | None = None) -> dict[int, AccountData]:
    """The data of the given top-level accounts (all when ``None``), in a few queries."""
    step = Unit.steplen
    units = Unit.objects.all()
    if root_paths is not None:
        units = units.annotate(root_path=Substr("path", 1, step)).filter(root_path__in=root_paths)
    root_of: dict[int, int] = {}
    accounts: dict[int, AccountData] = {}
    rows = list(units.order_by("path").values_list("pk", "path", "kind", "country", "region"))
    by_path: dict[str, int] = {}
    for pk, path, _kind, _country, _region in rows:
        if len(path) == step:
            by_path[path] = pk
            accounts[pk] = AccountData(path=path)
    for pk, path, kind, country, region in rows:
        root = by_path.get(path[:step])
        if root is None:
            continue
        root_of[pk] = root
        key = region.strip().casefold() if country and region else None
        accounts[root].units[pk] = (kind, country or "", key)
    if not accounts:
        return accounts

    table = connection.ops.quote_name
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
    if root_paths is None:
        rollup_parts = [(rollup_sql % "", [])]
        position_parts = [(position_sql % "", [])]
    else:
        rollup_parts = [
            (rollup_sql % f"WHERE root_id IN ({', '.join(['%s'] * len(part))})", part)
            for part in _chunks(list(accounts), 5000)
        ]
        position_parts = [
            (position_sql % f"WHERE unit_id IN ({', '.join(['%s'] * len(part))})", part)
            for part in _chunks(list(root_of), 5000)
        ]
    # dates as text: no per-value converters; both databases write them as YYYY-MM-DD
    for root, unit, month, net, cost, costed, positive in _fetch(rollup_parts):
        data = accounts.get(root)
        if data is None or unit not in data.units:
            continue
        index = _month_index(month)
        sums = data.months.get(index)
        if sums is None:
            sums = data.months[index] = [0, 0, 0]
        sums[0] += _cents(net)
        sums[1] += _cents(cost)
        sums[2] += _cents(costed)
        if positive:
            data.bought.add(index)
            data.unit_bought.setdefault(unit, []).append(index)
    for data in accounts.values():
        for months in data.unit_bought.values():
            months.sort()
    for unit, contact, function, start, end in _fetch(position_parts):
        root = root_of.get(unit)
        if root is not None:
            accounts[root].positions.append((unit, contact, function, _day(start), _day(end)))
    return accounts


def _rows(accounts: dict[int, AccountData]) -> Iterator[tuple]:
    for account_id, data in accounts.items():
        for since, figures in timeline(data):
            yield (account_id, since, *figures)


def _write(accounts: dict[int, AccountData], replace: list[int] | None) -> int:
    """Replace the timelines of ``accounts`` (every timeline when ``replace`` is None)."""
    if replace is None:
        AccountFacts.objects.all().delete()
    else:
        for part in _chunks(replace, 5000):
            AccountFacts.objects.filter(account_id__in=part).delete()
    return bulk_insert(AccountFacts, ["account_id", "since", *FACT_FIELDS], _rows(accounts))


@transaction.atomic
def facts_refresh(*, everything: bool = False) -> int:
    """Compute the timelines of the stale accounts (of all with ``everything``) again.

    Returns the number of accounts computed. The stale marks are taken first, in this
    transaction, so that a write committed meanwhile marks its accounts again.
    """
    step = Unit.steplen
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
        paths = sorted({p[:step] for p in stale})
    # Most of the portfolio: one pass over everything is cheaper than batches. Accounts whose
    # unit is gone have no facts left (they went with it) and are simply not loaded.
    if paths is None or len(paths) * 4 >= Unit.objects.filter(depth=1).count():
        accounts = load(None)
        if paths is not None:
            wanted = set(paths)
            accounts = {pk: d for pk, d in accounts.items() if d.path in wanted}
        _write(accounts, None if paths is None else list(accounts))
        return len(accounts)
    done = 0
    for part in _chunks(paths, BATCH):
        accounts = load(part)
        _write(accounts, list(accounts))
        done += len(accounts)
    return done


def accounts_mark_stale(*, paths: Iterable[str] = (), unit_ids: Iterable[int] = ()) -> None:
    """List the accounts of these units (by path or id) for :func:`facts_refresh`.

    Called by the signal receivers of ``signals.py`` inside the writer's transaction.
    """
    step = Unit.steplen
    roots = {p[:step] for p in paths if p}
    ids = [i for i in set(unit_ids) if i is not None]
    for part in _chunks(ids, 5000):
        paths_of = Unit.objects.filter(pk__in=part).annotate(root=Substr("path", 1, step))
        roots.update(paths_of.values_list("root", flat=True))
    if roots:
        StaleAccount.objects.bulk_create(
            [StaleAccount(root_path=p) for p in sorted(roots)],
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
        WHERE u.depth = 1
    """  # noqa: S608 - names from the models, the day as a parameter
    out: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of])
        for row in cursor.fetchall():
            out[row[0]] = dict(zip(FACT_FIELDS, row[1:], strict=True))
    return out
