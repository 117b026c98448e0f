"""A line whose stored amount no longer fits its column (SQLite keeps anything) does not break
the lists that show it: it is left out, and the page says which lines and why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse

from kam.sales.models import Transaction
from kam.sales.services import transactions_create
from kam.testing.factories import ProductFactory, make_unit
from kam.testing.html import parse

# PostgreSQL's numeric columns refuse such values, so the case exists on SQLite only.
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_only]

BAD_VALUES = ["net_amount = 1e14", "net_amount = 'abc'", "quantity = 1e20", "cost = -1e30"]


@pytest.fixture
def account_with_a_bad_line(users):
    unit = make_unit("Own", account_manager=users["kam"])
    product = ProductFactory()
    transactions_create(
        rows=[
            {
                "unit_id": unit.pk,
                "product_id": product.pk,
                "date": dt.date(2026, 1, d),
                "net_amount": 10,
            }
            for d in (5, 6, 7)
        ]
    )
    bad, *good = Transaction.objects.order_by("pk").values_list("pk", flat=True)
    return unit, bad, good


@pytest.mark.parametrize("sql_set", BAD_VALUES)
def test_the_transactions_page_leaves_the_bad_line_out_and_names_it(
    client, users, account_with_a_bad_line, sql_set
):
    unit, bad, good = account_with_a_bad_line
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE sales_transaction SET {sql_set} WHERE id = %s", [bad])
    client.force_login(users["kam"])
    response = client.get(reverse("web:account_transactions", args=[unit.pk]))
    assert response.status_code == 200
    doc = parse(response.content)
    shown = sorted(int(e.attrs["data-id"]) for e in doc.iter() if "data-id" in e.attrs)
    assert shown == sorted(good)
    assert f"id {bad}." in doc.find(id="transactions-unreadable").text
    assert doc.find(id="transactions-count").text == "2 lines"


def test_the_unreadable_lines_are_found_through_their_partial_index(account_with_a_bad_line):
    """Looking for them reads no line of the account (decision 128): SQLite's plan searches the
    partial index that holds only such lines."""
    from kam.customers.models import subtree_q
    from kam.sales.selectors import transactions_unreadable_q

    unit, _bad, _good = account_with_a_bad_line
    query = Transaction.objects.filter(subtree_q(unit, "unit__")).filter(
        transactions_unreadable_q()
    )
    sql, params = query.values_list("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "INDEX transaction_unreadable" in plan


@pytest.mark.parametrize("sql_set", BAD_VALUES)
def test_the_api_list_leaves_the_bad_line_out(api_as, account_with_a_bad_line, sql_set):
    unit, bad, good = account_with_a_bad_line
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE sales_transaction SET {sql_set} WHERE id = %s", [bad])
    response = api_as("kam").get(f"/transactions?subtree={unit.pk}")
    assert response.status_code == 200
    assert sorted(row["id"] for row in response.json()["items"]) == sorted(good)
