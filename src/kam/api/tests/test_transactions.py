"""Correcting and deleting a transaction over the API: roll-ups follow, rights are checked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from kam.sales.models import MonthlyRollup, Transaction
from kam.sales.services import transactions_create
from kam.testing.factories import ProductFactory, make_unit


@pytest.fixture
def lines(users):
    unit = make_unit("Own", account_manager=users["kam"])
    product = ProductFactory()
    line = {"unit_id": unit.pk, "product_id": product.pk}
    transactions_create(
        rows=[
            {**line, "date": dt.date(2026, 1, 15), "net_amount": 100},
            {**line, "date": dt.date(2026, 1, 20), "net_amount": 50},
        ]
    )
    return list(Transaction.objects.order_by("date"))


def rollup_table() -> dict:
    return {
        (r.unit_id, r.product_line_id, r.month): (r.net_amount, r.lines)
        for r in MonthlyRollup.objects.all()
    }


def direct_sums() -> dict:
    rows = (
        Transaction.objects.values("unit_id", "product_line_id", "date__year", "date__month")
        .annotate(total=Sum("net_amount"), n=Count("id"))
        .order_by()
    )
    return {
        (r["unit_id"], r["product_line_id"], dt.date(r["date__year"], r["date__month"], 1)): (
            r["total"],
            r["n"],
        )
        for r in rows
    }


def test_the_account_manager_corrects_a_line_and_the_rollups_follow(api_as, lines):
    api = api_as("kam")
    response = api.patch(
        f"/transactions/{lines[0].pk}", {"net_amount": "70.00", "date": "2026-02-01"}
    )
    assert response.status_code == 200
    assert response.json()["net_amount"] == "70.00"
    assert rollup_table() == direct_sums()
    assert sorted(v[0] for v in rollup_table().values()) == [Decimal("50"), Decimal("70")]


def test_the_account_manager_deletes_a_line_and_the_rollups_follow(api_as, lines):
    api = api_as("kam")
    assert api.delete(f"/transactions/{lines[0].pk}").status_code == 200
    assert list(Transaction.objects.values_list("pk", flat=True)) == [lines[1].pk]
    assert rollup_table() == direct_sums()
    assert api.delete(f"/transactions/{lines[1].pk}").status_code == 200
    assert not MonthlyRollup.objects.exists()


def test_a_correction_out_of_range_is_refused_and_changes_nothing(api_as, lines):
    api = api_as("kam")
    before = rollup_table()
    bodies = ({"date": "9999-12-31"}, {"date": "1800-01-01"}, {"net_amount": "99999999999999.99"})
    for body in bodies:
        response = api.patch(f"/transactions/{lines[0].pk}", body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["message"]
    assert rollup_table() == before
    assert Transaction.objects.get(pk=lines[0].pk).net_amount == Decimal("100")


@pytest.mark.parametrize(("who", "status"), [("outsider", 403), (None, 401)])
def test_a_user_with_no_role_may_not_read_correct_or_delete(api_as, lines, who, status):
    api = api_as(who)
    assert api.get(f"/transactions/{lines[0].pk}").status_code == status
    assert api.patch(f"/transactions/{lines[0].pk}", {"net_amount": "1"}).status_code == status
    assert api.delete(f"/transactions/{lines[0].pk}").status_code == status
    assert Transaction.objects.count() == 2


def test_an_unknown_transaction_is_404(api_as, lines):
    assert api_as("kam").delete("/transactions/999999").status_code == 404


# --- the list ----------------------------------------------------------------------------------


@pytest.fixture
def tree_lines(users):
    account = make_unit("Listed", account_manager=users["kam"])
    site = make_unit("Listed plant", parent=account, kind="site")
    elsewhere = make_unit("Elsewhere")
    product = ProductFactory()
    rows = [
        (account, dt.date(2026, 1, 10)),
        (site, dt.date(2026, 2, 10)),
        (site, dt.date(2026, 3, 10)),
        (elsewhere, dt.date(2026, 2, 20)),
    ]
    transactions_create(
        rows=[
            {"unit_id": u.pk, "product_id": product.pk, "date": d, "net_amount": 10}
            for u, d in rows
        ]
    )
    return account, site, elsewhere


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


def test_the_list_filters_by_subtree_unit_and_dates(api_as, tree_lines):
    account, site, _elsewhere = tree_lines
    api = api_as("kam")
    by_date = dict(Transaction.objects.values_list("date", "pk"))
    everything = _ids(api.get("/transactions"))
    assert sorted(everything) == sorted(by_date.values())
    subtree = _ids(api.get(f"/transactions?subtree={account.pk}"))
    assert sorted(subtree) == sorted(
        by_date[d] for d in (dt.date(2026, 1, 10), dt.date(2026, 2, 10), dt.date(2026, 3, 10))
    )
    assert sorted(_ids(api.get(f"/transactions?unit={site.pk}"))) == sorted(
        [by_date[dt.date(2026, 2, 10)], by_date[dt.date(2026, 3, 10)]]
    )
    window = _ids(
        api.get(f"/transactions?subtree={account.pk}&date_from=2026-02-01&date_to=2026-02-28")
    )
    assert window == [by_date[dt.date(2026, 2, 10)]]


def test_the_list_pages_with_a_cursor(api_as, tree_lines):
    api = api_as("kam")
    first = api.get("/transactions?limit=3")
    assert len(_ids(first)) == 3
    cursor = first.json()["next"]
    rest = _ids(api.get(f"/transactions?limit=3&after={cursor}"))
    assert len(rest) == 1
    assert set(rest).isdisjoint(_ids(first))


@pytest.mark.parametrize(
    "query", ["subtree=999999", "date_from=9999-12-31", "date_to=not-a-date", "unit=-4"]
)
def test_bad_list_filters_are_a_4xx_with_a_message(api_as, tree_lines, query):
    response = api_as("kam").get(f"/transactions?{query}")
    assert 400 <= response.status_code < 500
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("who", "status"), [("outsider", 403), (None, 401)])
def test_the_list_needs_a_role(api_as, tree_lines, who, status):
    assert api_as(who).get("/transactions").status_code == status


def test_restricted_visibility_hides_other_accounts_lines_from_a_field_rep(
    api_as, tree_lines, settings
):
    settings.KAM_RESTRICTED_VISIBILITY = True
    assert _ids(api_as("field_rep").get("/transactions")) == []
