"""List prices (issue 17, decision 105): the service's checks, the price list page and API as an
administrator, an executive (reads), a KAM and a user without a role, and the metric
``sales.discount_pct`` against a hand computation."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kam.core.errors import DomainError
from kam.core.metrics import registry
from kam.sales.metrics import discount_pct_values
from kam.sales.models import CurrencyRate, ListPrice
from kam.sales.services import list_price_save, transactions_create
from kam.testing.factories import ProductFactory, UserFactory, make_unit
from kam.testing.personas import db_snapshot

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 30)


def _price(product, valid_from=dt.date(2025, 1, 1), price="10", **kw) -> ListPrice:
    return list_price_save(product_id=product.pk, valid_from=valid_from, price=price, **kw)


def _sale(unit, product, day, qty, net) -> None:
    transactions_create(
        rows=[
            {
                "date": day,
                "unit_id": unit.pk,
                "product_id": product.pk,
                "quantity": Decimal(qty),
                "net_amount": Decimal(net),
            }
        ]
    )


# --- service ---------------------------------------------------------------------------------


def test_a_price_defaults_to_the_reporting_currency_and_upper_cases_one(settings) -> None:
    product = ProductFactory()
    assert _price(product).currency == settings.KAM_CURRENCY
    assert _price(product, valid_from=dt.date(2026, 1, 1), currency="usd").currency == "USD"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"valid_from": dt.date(1800, 1, 1)}, "valid_from"),
        ({"valid_from": None}, "valid_from"),
        ({"price": "0"}, "price"),
        ({"price": "1.23456"}, "price"),
        ({"price": "1e20"}, "price"),
        ({"currency": "EURO"}, "currency"),
        ({"product_id": 999_999}, "product"),
    ],
)
def test_bad_input_is_a_domain_error_and_writes_nothing(changes: dict, field: str) -> None:
    product = ProductFactory()
    data = {"product_id": product.pk, "valid_from": dt.date(2025, 1, 1), "price": "10", **changes}
    with pytest.raises(DomainError) as err:
        list_price_save(**data)
    assert err.value.field == field
    assert not ListPrice.objects.exists()


def test_one_price_per_product_and_start() -> None:
    product = ProductFactory()
    _price(product)
    with pytest.raises(DomainError) as err:
        _price(product, price="11")
    assert err.value.code == "conflict" and ListPrice.objects.count() == 1


# --- metric ----------------------------------------------------------------------------------


def test_discount_against_the_list_price_valid_on_each_sale_date(settings) -> None:
    settings.KAM_CURRENCY = "EUR"
    a, b, c = make_unit("A"), make_unit("B"), make_unit("C")
    site = make_unit("A site", parent=a)
    bolt, nut, unpriced = ProductFactory(), ProductFactory(), ProductFactory()
    _price(bolt, valid_from=dt.date(2025, 1, 1), price="10")
    _price(bolt, valid_from=dt.date(2026, 6, 1), price="12")
    _price(nut, valid_from=dt.date(2025, 1, 1), price="2", currency="USD")
    CurrencyRate.objects.create(currency="USD", valid_from=dt.date(2025, 1, 1), rate=Decimal("0.5"))
    _sale(a, bolt, dt.date(2026, 3, 10), "10", "90")  # list 100
    _sale(site, bolt, dt.date(2026, 7, 10), "10", "96")  # list 120 (the new price)
    _sale(a, nut, dt.date(2026, 8, 1), "100", "80")  # list 100 × 2 USD × 0.5 = 100
    _sale(a, unpriced, dt.date(2026, 8, 1), "1", "1000")  # no list price: left out
    _sale(a, bolt, dt.date(2025, 11, 30), "1", "1")  # before the window
    _sale(b, unpriced, dt.date(2026, 8, 1), "1", "50")  # no priced sale: no value
    # a: 100 × (1 − (90 + 96 + 80) / (100 + 120 + 100)) = 100 × (1 − 266/320) = 16.875
    values = registry.get("sales.discount_pct").values([a.pk, b.pk, c.pk], AS_OF)
    assert values == {a.pk: Decimal("16.88")}


def test_discount_queries_do_not_grow_with_accounts() -> None:
    """The first read refreshes the accounts' kept sums (decision 122), the next one adds them
    up: neither takes more queries for twice the accounts."""
    bolt = ProductFactory()
    _price(bolt)
    counts = []
    for n in (6, 12):
        accounts = [make_unit(f"A{n}-{i}") for i in range(n)]
        for a in accounts:
            _sale(a, bolt, dt.date(2026, 5, 5), "2", "18")
        ids = [a.pk for a in accounts]
        with CaptureQueriesContext(connection) as first:
            values = discount_pct_values(ids, AS_OF)
        with CaptureQueriesContext(connection) as again:
            assert discount_pct_values(ids, AS_OF) == values
        assert set(values.values()) == {Decimal("10.00")} and len(values) == n
        counts.append((len(first), len(again)))
    assert counts[0] == counts[1] and counts[0][1] == 2


# --- page and API ----------------------------------------------------------------------------


def test_an_administrator_keeps_the_price_list_on_its_page(client: Client) -> None:
    product = ProductFactory(sku="BOLT-1")
    client.force_login(UserFactory(username="adm", role="admin"))
    form = {"product": "BOLT-1", "valid_from": "2026-01-01", "price": "4.25", "currency": ""}
    assert client.post("/price-list/new/", form).status_code == 302
    price = ListPrice.objects.get()
    assert price.product_id == product.pk and price.price == Decimal("4.25")
    page = client.get("/price-list/?product=BOLT-1").content.decode()
    assert f'data-id="{price.pk}"' in page and "4.25" in page
    bad = client.post("/price-list/new/", {**form, "product": "NOPE", "valid_from": "1800-01-01"})
    assert bad.status_code == 400 and "error-product" in bad.content.decode()
    assert "error-valid_from" in bad.content.decode()
    clash = client.post("/price-list/new/", form)
    assert clash.status_code == 400 and ListPrice.objects.count() == 1
    edit = client.post(f"/price-list/{price.pk}/", {**form, "price": "5"})
    assert edit.status_code == 302
    price.refresh_from_db()
    assert price.price == Decimal("5")
    assert client.post(f"/price-list/{price.pk}/delete/").status_code == 302
    assert not ListPrice.objects.exists()


@pytest.mark.parametrize(("role", "reads"), [("executive", True), ("kam", False), ("", False)])
def test_others_read_at_most_and_change_nothing(client: Client, role: str, reads: bool) -> None:
    product = ProductFactory(sku="BOLT-1")
    price = _price(product)
    client.force_login(UserFactory(username="someone", role=role))
    before = db_snapshot()
    assert client.get("/price-list/").status_code == (200 if reads else 403)
    form = {"product": "BOLT-1", "valid_from": "2026-01-01", "price": "4"}
    assert client.post("/price-list/new/", form).status_code == 403
    assert client.post(f"/price-list/{price.pk}/", form).status_code == 403
    assert client.post(f"/price-list/{price.pk}/delete/").status_code == 403
    assert db_snapshot() == before


def _token(username: str, role: str) -> dict[str, str]:
    from kam.api.models import TokenScope
    from kam.api.services import token_create

    user = UserFactory(username=username, role=role)
    _t, plain = token_create(user=user, name="t", scope=TokenScope.READ_WRITE)
    return {"Authorization": f"Bearer {plain}"}


def test_the_api_keeps_the_price_list(client: Client) -> None:
    product = ProductFactory()
    admin = _token("adm", "admin")

    def call(method: str, path: str, body=None, headers=admin):
        kw: dict[str, Any] = {}
        if body:
            kw = {"data": json.dumps(body), "content_type": "application/json"}
        return client.generic(method, f"/api/v1{path}", headers=headers, **kw)

    body = {"product_id": product.pk, "valid_from": "2026-01-01", "price": "3.5"}
    created = call("POST", "/list-prices", body)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert call("POST", "/list-prices", body).status_code == 409
    assert call("POST", "/list-prices", {**body, "price": "0"}).status_code == 422
    assert call("POST", "/list-prices", {**body, "product_id": 999_999}).status_code == 400
    assert call("PATCH", f"/list-prices/{pk}", {"price": "3.75"}).json()["price"] in (
        "3.75",
        "3.7500",
        3.75,
    )
    assert [p["id"] for p in call("GET", "/list-prices").json()["items"]] == [pk]
    kam = _token("k", "kam")
    assert call("GET", "/list-prices", headers=kam).status_code == 403
    assert call("DELETE", f"/list-prices/{pk}", headers=kam).status_code == 403
    assert call("DELETE", f"/list-prices/{pk}").status_code == 200
    assert not ListPrice.objects.exists()


def test_a_kam_cannot_change_the_price_list_through_the_api(client: Client) -> None:
    product = ProductFactory()
    price = _price(product)
    kam = _token("k2", "kam")
    before = db_snapshot()
    body = {"product_id": product.pk, "valid_from": "2026-02-01", "price": "9"}
    kwargs: dict[str, Any] = {"content_type": "application/json", "headers": kam}
    assert client.post("/api/v1/list-prices", json.dumps(body), **kwargs).status_code == 403
    assert (
        client.patch(
            f"/api/v1/list-prices/{price.pk}", json.dumps({"price": "1"}), **kwargs
        ).status_code
        == 403
    )
    assert client.delete(f"/api/v1/list-prices/{price.pk}", headers=kam).status_code == 403
    assert db_snapshot() == before
