"""The account facts timeline gives, for any day, what a direct count over the raw rows gives.

A direct computation from the transactions, positions and units (no roll-ups, no timeline) is
compared with ``facts_as_of`` on many days: every month end and the days around it, every
position's first and last day and the days around them, and days before and after all data.
Then the data change in the ways the product changes them (sales, corrections, refunds, moves
of units and positions, a site's new region, deleted positions, imports) and every change must
show on the next read.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import numpy as np
import pytest

from kam.core.periods import add_months
from kam.customers.models import Employment, Unit
from kam.customers.services import unit_delete, unit_move, unit_update
from kam.identification.engine import data_end
from kam.identification.facts import FACT_FIELDS, AccountData, facts_as_of, facts_refresh, timeline
from kam.identification.inputs import collect_history
from kam.identification.models import AccountFacts, StaleAccount
from kam.sales.models import Transaction
from kam.sales.services import transaction_update, transactions_create, transactions_delete
from kam.testing.factories import ContactFactory, EmploymentFactory, ProductFactory, make_unit

pytestmark = pytest.mark.django_db

START = dt.date(2024, 1, 1)
FUNCTIONS = ["purchasing", "finance", "quality", "other", "logistics"]


def direct_facts(as_of: dt.date) -> dict[int, dict]:
    """The facts of every account on ``as_of``, counted from the raw rows (DOMAIN §3)."""
    end = data_end(as_of)
    start12, start24 = add_months(end, -12), add_months(end, -24)
    step = Unit.steplen
    units = list(Unit.objects.values("pk", "path", "kind", "country", "region"))
    roots = {u["path"]: u["pk"] for u in units if len(u["path"]) == step}
    root_of = {u["pk"]: roots[u["path"][:step]] for u in units}
    lines: dict[tuple, Decimal] = defaultdict(Decimal)
    money: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for tx in Transaction.objects.all():
        month = tx.date.replace(day=1)
        lines[(tx.unit_id, tx.product_line_id, month)] += tx.net_amount
        root = root_of[tx.unit_id]
        if start12 <= tx.date < end:
            money[root][0] += tx.net_amount
            if tx.cost is not None:
                money[root][2] += tx.cost
                money[root][3] += tx.net_amount
        elif start24 <= tx.date < start12:
            money[root][1] += tx.net_amount
    months: dict[int, set] = defaultdict(set)
    with_revenue = set()
    for (unit, _line, month), total in lines.items():
        if total > 0 and start24 <= month < end:
            months[root_of[unit]].add(month)
            if month >= start12:
                with_revenue.add(unit)
    current = [
        e
        for e in Employment.objects.all()
        if (e.start_date is None or e.start_date <= as_of)
        and (e.end_date is None or e.end_date > as_of)
    ]
    contacts: dict[int, set] = defaultdict(set)
    functions: dict[int, set] = defaultdict(set)
    with_contact = set()
    for e in current:
        contacts[root_of[e.unit_id]].add(e.contact_id)
        if e.function != "other":
            functions[root_of[e.unit_id]].add(e.function)
        with_contact.add(e.unit_id)
    out = {}
    for root in roots.values():
        mine = [u for u in units if root_of[u["pk"]] == root]
        active = [u for u in mine if u["pk"] in with_revenue or u["pk"] in with_contact]
        spread = [u for u in mine if u in active or u["kind"] == "site"]
        countries = {u["country"] for u in spread if u["country"]}
        regions = {
            (u["country"], u["region"].strip().casefold())
            for u in spread
            if u["country"] and u["region"]
        }
        per_country: dict[str, int] = defaultdict(int)
        for country, _r in regions:
            per_country[country] += 1
        cents = [int(m * 100) for m in money[root]]
        out[root] = dict(
            zip(
                FACT_FIELDS,
                [
                    *cents,
                    len(months[root]),
                    len(contacts[root]),
                    len(functions[root]),
                    len(active),
                    len(countries),
                    max(per_country.values(), default=0),
                    len(regions),
                ],
                strict=True,
            )
        )
    return out


def days_to_check() -> list[dt.date]:
    days = {dt.date(2020, 5, 17), dt.date(2031, 3, 3), dt.date.today()}
    for k in range(-2, 64):
        first = add_months(START, k)
        days.update({first - dt.timedelta(days=2), first - dt.timedelta(days=1), first})
    for start, end in Employment.objects.values_list("start_date", "end_date"):
        for d in (start, end):
            if d:
                days.update({d - dt.timedelta(days=1), d, d + dt.timedelta(days=1)})
    return sorted(days)


def assert_timeline_matches():
    facts_refresh()
    assert not StaleAccount.objects.exists()
    for day in days_to_check():
        got = facts_as_of(day)
        want = direct_facts(day)
        empty = dict.fromkeys(FACT_FIELDS, 0)
        for root, figures in want.items():
            assert got.get(root, empty) == figures, (day, Unit.objects.get(pk=root).name)
    # the monthly series kept with the facts (decision 120) give the learned model's history
    for as_of in (dt.date(2025, 6, 30), dt.date(2026, 4, 15), dt.date(2027, 1, 31)):
        roots = list(Unit.objects.filter(depth=1).values_list("pk", flat=True))
        got_history = collect_history(as_of=as_of, account_ids=roots, months=24)
        want_history = direct_history(as_of, roots, months=24)
        for name in ("revenue", "lines", "units"):
            assert (getattr(got_history, name) == want_history[name]).all(), (as_of, name)


def direct_history(as_of: dt.date, roots: list[int], months: int) -> dict:
    """Revenue, product lines and units with sales per account and month, from the raw rows."""
    end = data_end(as_of)
    start = add_months(end, -months)
    step = Unit.steplen
    paths = dict(Unit.objects.values_list("pk", "path"))
    root_of = {pk: Unit.objects.get(path=path[:step]).pk for pk, path in paths.items()}
    row = {pk: k for k, pk in enumerate(roots)}
    revenue = np.zeros((len(roots), months))
    lines: dict[tuple, set] = defaultdict(set)
    units: dict[tuple, set] = defaultdict(set)
    for tx in Transaction.objects.filter(date__gte=start, date__lt=end):
        month = tx.date.replace(day=1)
        column = (month.year - start.year) * 12 + month.month - start.month
        r = row[root_of[tx.unit_id]]
        revenue[r, column] += float(tx.net_amount)
        lines[(r, column)].add(tx.product_line_id)
        units[(r, column)].add(tx.unit_id)
    out = {"revenue": np.round(revenue, 2)}
    for name, seen in (("lines", lines), ("units", units)):
        matrix = np.zeros((len(roots), months))
        for (r, column), items in seen.items():
            matrix[r, column] = len(items)
        out[name] = matrix
    return out


def build(rng: random.Random):
    products = [ProductFactory(), ProductFactory()]
    products.append(ProductFactory(line=products[0].line))
    accounts = []
    for g in range(4):
        group = make_unit(f"Group {g}", country="DE", region="Bavaria")
        company = make_unit(f"Company {g}", parent=group, country=rng.choice(["DE", "AT"]))
        sites = [
            make_unit(
                f"Site {g}.{s}",
                parent=company,
                kind="site",
                country=rng.choice(["DE", "AT", "FR", ""]),
                region=rng.choice(["Bavaria", " bavaria ", "Tyrol", "Alsace", ""]),
            )
            for s in range(3)
        ]
        division = make_unit(f"Division {g}", parent=group, kind="division", country="PL")
        accounts.append([group, company, division, *sites])
    rows = []
    for units in accounts:
        for _ in range(40):
            rows.append(
                {
                    "date": START + dt.timedelta(days=rng.randrange(0, 35 * 30)),
                    "unit_id": rng.choice(units[1:]).pk,
                    "product_id": rng.choice(products).pk,
                    "net_amount": Decimal(rng.randrange(-20_000, 90_000)) / 100,
                    "cost": None if rng.random() < 0.3 else Decimal(rng.randrange(0, 50_000)) / 100,
                }
            )
    transactions_create(rows=rows)
    for units in accounts:
        for _ in range(6):
            start = rng.choice([None, START + dt.timedelta(days=rng.randrange(-400, 1000))])
            end = None
            if rng.random() < 0.5:
                base = start or START
                end = base + dt.timedelta(days=rng.randrange(0, 500))
            contact = ContactFactory()
            EmploymentFactory(
                contact=contact,
                unit=rng.choice(units),
                function=rng.choice(FUNCTIONS),
                start_date=start,
                end_date=end,
            )
            if rng.random() < 0.3:  # a second position at the same account
                EmploymentFactory(
                    contact=contact,
                    unit=rng.choice(units),
                    function=rng.choice(FUNCTIONS),
                    start_date=None,
                    end_date=None,
                )
    return accounts, products


@pytest.mark.parametrize("seed", [1, 2])
def test_the_timeline_equals_a_direct_count_on_every_day_and_after_every_kind_of_change(seed):
    rng = random.Random(seed)
    accounts, products = build(rng)
    assert_timeline_matches()

    # sales, a correction that moves a line to another account, a refund, a deletion
    transactions_create(
        rows=[
            {
                "date": dt.date(2026, 3, 31),
                "unit_id": accounts[0][4].pk,
                "product_id": products[1].pk,
                "net_amount": Decimal("1234.56"),
                "cost": Decimal("1000"),
            },
            {
                "date": dt.date(2025, 2, 1),
                "unit_id": accounts[1][1].pk,
                "product_id": products[0].pk,
                "net_amount": Decimal("-99999"),
            },
        ]
    )
    tx = Transaction.objects.order_by("pk").first()
    transaction_update(tx=tx, unit_id=accounts[2][3].pk, date=dt.date(2026, 1, 15))
    transactions_delete(
        ids=list(Transaction.objects.order_by("-pk").values_list("pk", flat=True)[:3])
    )
    assert_timeline_matches()

    # a company with its sites moves to another group; a site gets a new region
    unit_move(unit=accounts[1][1], new_parent=accounts[3][0])
    unit_update(unit=Unit.objects.get(pk=accounts[0][3].pk), region="Saxony", country="DE")
    assert_timeline_matches()

    # a position moves to another account's unit, another ends, another is deleted
    positions = list(Employment.objects.order_by("pk"))
    moved = positions[0]
    moved.unit = accounts[2][4]
    moved.save()
    ended = positions[1]
    ended.end_date = dt.date(2025, 6, 30)
    ended.start_date = None
    ended.save()
    positions[2].delete()
    assert_timeline_matches()

    # a function unit with positions and no sales is deleted
    doomed = make_unit("Doomed", parent=accounts[3][0], kind="function", country="CZ")
    EmploymentFactory(unit=doomed, function="finance")
    assert_timeline_matches()
    unit_delete(unit=Unit.objects.get(pk=doomed.pk))
    assert_timeline_matches()


def test_an_account_without_any_data_has_only_its_sites_in_the_spread():
    group = make_unit("Quiet", country="FR")
    make_unit("Plant", parent=group, kind="site", country="FR", region="Alsace")
    make_unit("Office", parent=group, kind="site", country="BE", region="Flanders")
    facts_refresh()
    got = facts_as_of(dt.date(2026, 1, 1))[group.pk]
    assert got["countries"] == 2
    assert got["region_total"] == 2
    assert got["regions"] == 1
    assert got["operating_units"] == 0
    assert got["contacts"] == 0
    assert AccountFacts.objects.filter(account=group).count() == 1


def test_writes_mark_their_accounts_stale_and_a_refresh_clears_them():
    a, b = make_unit("A"), make_unit("B")
    site = make_unit("A site", parent=a, kind="site")
    facts_refresh()
    assert not StaleAccount.objects.exists()
    EmploymentFactory(unit=site)
    assert set(StaleAccount.objects.values_list("root_path", flat=True)) == {a.path}
    facts_refresh()
    transactions_create(
        rows=[
            {
                "date": dt.date(2026, 1, 5),
                "unit_id": b.pk,
                "product_id": ProductFactory().pk,
                "net_amount": Decimal("10"),
            }
        ]  # fmt: skip
    )
    assert set(StaleAccount.objects.values_list("root_path", flat=True)) == {b.path}
    facts_refresh()
    unit_update(unit=Unit.objects.get(pk=a.pk), name="A renamed")  # a name is not a fact
    assert not StaleAccount.objects.exists()
    unit_move(unit=Unit.objects.get(pk=site.pk), new_parent=Unit.objects.get(pk=b.pk))
    assert set(StaleAccount.objects.values_list("root_path", flat=True)) == {a.path, b.path}


def test_the_sweep_keeps_only_days_where_a_figure_changes():
    data = AccountData(
        units={1: ("company", "DE", None), 2: ("site", "DE", "bavaria")},
        months={24300: [10_000, 6_000, 8_000]},  # one month, 2025-01
        bought={24300},
        unit_bought={1: [24300]},
        positions=[(2, 7, "finance", dt.date(2025, 3, 10), None)],
    )
    rows = timeline(data)
    days = [d for d, _f in rows]
    assert days == sorted(days)
    assert len(set(days)) == len(days)
    assert all(a[1] != b[1] for a, b in zip(rows, rows[1:], strict=False))
    as_of = dict(rows)
    # the month counts from its last day on; it leaves the 12-month window a year later
    assert as_of[dt.date(2025, 1, 31)][:5] == (10_000, 0, 6_000, 8_000, 1)
    assert as_of[dt.date(2026, 1, 31)][:5] == (0, 10_000, 0, 0, 1)
    assert as_of[dt.date(2027, 1, 31)][:5] == (0, 0, 0, 0, 0)
    assert as_of[dt.date(2025, 3, 10)][5:8] == (1, 1, 2)  # a contact at the site: 2 units


def test_a_position_ending_on_the_last_representable_day_is_current_until_then():
    data = AccountData(
        units={1: ("company", "DE", None)},
        positions=[(1, 7, "finance", None, dt.date.max)],
    )
    rows = timeline(data)
    assert rows[0] == (dt.date(1, 1, 1), (0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0))
    assert rows[-1][0] == dt.date.max
    assert rows[-1][1][5] == 0  # no contact from that day


def test_the_series_of_one_changed_account_of_many_is_computed_again():
    product = ProductFactory()
    groups = [make_unit(f"G{i}") for i in range(6)]
    sites = [make_unit(f"S{i}", parent=g, kind="site") for i, g in enumerate(groups)]
    transactions_create(
        rows=[
            {
                "date": dt.date(2026, m, 10),
                "unit_id": u.pk,
                "product_id": product.pk,
                "net_amount": Decimal(100 * m + i),
            }
            for i, u in enumerate(sites)
            for m in (1, 2, 3)
        ]  # fmt: skip
    )
    facts_refresh()
    transactions_create(
        rows=[
            {
                "date": dt.date(2026, 5, 2),
                "unit_id": groups[2].pk,
                "product_id": product.pk,
                "net_amount": Decimal("7.25"),
            }
        ]  # fmt: skip
    )
    assert StaleAccount.objects.count() == 1  # one of six: refreshed on its own, not all
    facts_refresh()
    roots = [g.pk for g in groups]
    got = collect_history(as_of=dt.date(2026, 6, 30), account_ids=roots, months=12)
    want = direct_history(dt.date(2026, 6, 30), roots, months=12)
    assert got.revenue[2, -2] == 7.25  # May: only the group itself bought
    assert got.units[2, -2] == 1
    for name in ("revenue", "lines", "units"):
        assert (getattr(got, name) == want[name]).all(), name
