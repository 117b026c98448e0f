"""The monthly roll-ups always equal a direct sum over the transactions."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from kam.customers.models import Unit
from kam.customers.services import unit_move
from kam.sales.models import MonthlyRollup, Product, Transaction
from kam.sales.selectors import account_revenue_by_year, subtree_totals, unit_revenue_12m
from kam.sales.services import (
    rollups_rebuild,
    transaction_update,
    transactions_create,
    transactions_delete,
)
from kam.testing.factories import ProductFactory, make_unit

CENT = Decimal("0.01")


def _direct_sums():
    # (unit, line, month) -> [amount, cost, lines]
    sums: defaultdict[tuple[int, int, dt.date], list[Any]] = defaultdict(
        lambda: [Decimal(0), Decimal(0), 0]
    )
    for tx in Transaction.objects.all():
        key = (tx.unit_id, tx.product_line_id, tx.date.replace(day=1))
        sums[key][0] += Decimal(tx.net_amount)
        sums[key][1] += Decimal(tx.cost or 0)
        sums[key][2] += 1
    return {k: (v[0].quantize(CENT), v[1].quantize(CENT), v[2]) for k, v in sums.items()}


def _rollup_sums():
    return {
        (r.unit_id, r.product_line_id, r.month): (
            Decimal(r.net_amount).quantize(CENT),
            Decimal(r.cost).quantize(CENT),
            r.lines,
        )
        for r in MonthlyRollup.objects.all()
    }


amounts = st.decimals(min_value=Decimal("-5000"), max_value=Decimal("50000"), places=2)
dates = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2025, 12, 31))
new_tx = st.fixed_dictionaries(
    {
        "unit": st.integers(0, 3),
        "product": st.integers(0, 2),
        "date": dates,
        "net_amount": amounts,
        "cost": st.one_of(st.none(), amounts),
    }
)
operation = st.one_of(
    st.tuples(st.just("create"), st.lists(new_tx, min_size=1, max_size=6)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("correct"), st.integers(0, 50), new_tx),
)


class RollupProperty(TestCase):
    units: list[Unit]
    products: list[Product]

    @classmethod
    def setUpTestData(cls):
        group = make_unit("Group")
        company = make_unit("Company", parent=group)
        other = make_unit("Other")
        cls.units = [group, company, make_unit("Site", parent=company, kind="site"), other]
        line_product = ProductFactory()
        cls.products = [line_product, ProductFactory(line=line_product.line), ProductFactory()]

    def _row(self, spec):
        return {
            "date": spec["date"],
            "unit_id": self.units[spec["unit"]].pk,
            "product_id": self.products[spec["product"]].pk,
            "quantity": 1,
            "net_amount": spec["net_amount"],
            "cost": spec["cost"],
        }

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operation, min_size=1, max_size=8))
    def test_rollups_equal_direct_sums_after_creates_deletes_and_corrections(self, ops):
        for op in ops:
            ids = list(Transaction.objects.order_by("pk").values_list("pk", flat=True))
            if op[0] == "create":
                transactions_create(rows=[self._row(s) for s in op[1]])
            elif op[0] == "delete" and ids:
                transactions_delete(ids=[ids[op[1] % len(ids)]])
            elif op[0] == "correct" and ids:
                tx = Transaction.objects.get(pk=ids[op[1] % len(ids)])
                row = self._row(op[2])
                transaction_update(
                    tx=tx,
                    date=row["date"],
                    unit_id=row["unit_id"],
                    product_id=row["product_id"],
                    net_amount=row["net_amount"],
                    cost=row["cost"],
                )
            assert _rollup_sums() == _direct_sums()
        # A full rebuild gives the same figures as the incremental upkeep.
        incremental = _rollup_sums()
        rollups_rebuild()
        assert _rollup_sums() == incremental


@pytest.mark.django_db
def test_account_figures_roll_up_the_tree_and_follow_a_move():
    product = ProductFactory()
    group = make_unit("Group")
    company = make_unit("Company", parent=group)
    site = make_unit("Site", parent=company, kind="site")
    other = make_unit("Other group")
    today = dt.date.today()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    transactions_create(
        rows=[
            {"date": last_month, "unit_id": u.pk, "product_id": product.pk, "net_amount": amount}
            for u, amount in ((group, 10), (company, 200), (site, 3000), (other, 40000))
        ]
    )
    tree = [group, company, site]
    totals = subtree_totals(units=tree, own=unit_revenue_12m(unit=group, today=today))
    assert totals[group.pk] == 3210
    assert totals[company.pk] == 3200
    assert totals[site.pk] == 3000
    assert account_revenue_by_year(unit=group)[last_month.year] == 3210
    assert sum(account_revenue_by_year(unit=company).values()) == 3200

    unit_move(unit=company, new_parent=other)
    assert sum(account_revenue_by_year(unit=group).values()) == 10
    other_account_total = MonthlyRollup.objects.filter(account=other).aggregate(s=Sum("net_amount"))
    assert other_account_total["s"] == 43200


@pytest.mark.django_db
def test_correcting_only_the_cost_updates_the_rollup_cost():
    product = ProductFactory()
    unit = make_unit("Group")
    transactions_create(
        rows=[
            {
                "date": dt.date(2025, 3, 3),
                "unit_id": unit.pk,
                "product_id": product.pk,
                "net_amount": Decimal("100"),
                "cost": Decimal("60"),
            }
        ]
    )
    tx = Transaction.objects.get()
    transaction_update(tx=tx, cost=Decimal("70"))
    rollup = MonthlyRollup.objects.get()
    assert rollup.cost == Decimal("70")
    assert _rollup_sums() == _direct_sums()


@pytest.mark.django_db
@override_settings(KAM_CURRENCY="RUB")
def test_a_line_without_a_currency_is_in_the_reporting_currency():
    product = ProductFactory()
    unit = make_unit("Group")
    row = {"date": dt.date(2025, 3, 3), "unit_id": unit.pk, "product_id": product.pk}
    transactions_create(rows=[{**row, "net_amount": Decimal("100"), "external_id": "S1"}])
    made = Transaction.objects.create(
        **row, product_line_id=product.line_id, net_amount=Decimal("5"), external_id="M1"
    )
    assert Transaction.objects.get(external_id="S1").currency == "RUB"
    assert made.currency == "RUB"
