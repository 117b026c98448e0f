"""Keyset pagination: every row exactly once, and the same few queries per page."""

import pytest

from kam.customers.models import Unit
from kam.customers.services import unit_create
from kam.interactions.models import Interaction
from kam.sales.models import Transaction
from kam.testing.factories import ContactFactory, InteractionFactory, ProductFactory, make_unit


def _walk(api, path, limit):
    seen, cursor, pages = [], None, 0
    while True:
        url = f"{path}?limit={limit}" + (f"&after={cursor}" if cursor else "")
        body = api.get(url).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next"]
        if not cursor:
            return seen, pages


def test_units_pages_return_every_row_once(api_as):
    root = make_unit("Root")
    for i in range(23):
        unit_create(parent=root if i % 2 else None, name=f"U{i}", kind="company")
    seen, pages = _walk(api_as("kam"), "/units", 5)
    assert sorted(seen) == sorted(Unit.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 24
    assert pages == 5


@pytest.mark.parametrize("rows", [5, 60])
def test_query_count_per_page_does_not_grow_with_rows(
    api_as, users, django_assert_max_num_queries, rows
):
    unit = make_unit("Acme")
    contacts = [ContactFactory() for _ in range(3)]
    for _ in range(rows):
        entry = InteractionFactory(unit=unit)
        entry.contacts.set(contacts)
        entry.participants.set([users["kam"]])
    api = api_as("kam")
    api.get("/interactions?limit=1")  # token last-used stamp
    with django_assert_max_num_queries(7):  # the same for 5 and 60 rows (one is the rate counter)
        body = api.get(f"/interactions?limit=50&unit={unit.pk}").json()
    assert len(body["items"]) == min(rows, 50)
    with django_assert_max_num_queries(5):
        assert len(api.get("/units?limit=50").json()["items"]) == 1


def test_interactions_pages_cover_all(api_as):
    unit = make_unit("Acme")
    for _ in range(12):
        InteractionFactory(unit=unit)
    seen, _pages = _walk(api_as("kam"), "/interactions", 4)
    assert sorted(seen) == sorted(Interaction.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("cursor", ["garbage", "aWQ6eA", "Zm9vOjE", "%00", "aWQ6LTE"])
def test_bad_cursor_is_400(api_as, cursor):
    response = api_as("kam").get(f"/units?after={cursor}")
    assert response.status_code == 400
    assert response.json()["code"] == "cursor"


def test_limit_out_of_range_is_422(api_as):
    api = api_as("kam")
    assert api.get("/units?limit=0").status_code == 422
    assert api.get("/units?limit=100000").status_code == 422
    assert api.get("/units?limit=ten").status_code == 422


def test_bulk_of_ten_thousand_rows(api_as):
    unit = make_unit("Acme")
    product = ProductFactory()
    rows = [
        {
            "date": f"2026-{1 + i % 12:02d}-01",
            "unit_id": unit.pk,
            "product_id": product.pk,
            "net_amount": "1.00",
        }
        for i in range(10_000)
    ]
    response = api_as("admin").post("/transactions/bulk", {"rows": rows})
    assert response.status_code == 201
    assert Transaction.objects.count() == 10_000
