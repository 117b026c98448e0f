"""Opportunities carry an optional product (its line follows) and the date they were engaged
(issue 10), in the API and in the import."""

from __future__ import annotations

import pytest
from django.test import Client

from kam.dataio.services import import_file
from kam.sales.models import Opportunity
from kam.testing.factories import ProductFactory, ProductLineFactory
from kam.testing.personas import Persona, db_snapshot

pytestmark = pytest.mark.django_db


def test_api_product_sets_its_line_and_engaged_on(client: Client, kam_a: Persona) -> None:
    product = ProductFactory()
    body = {
        "unit_id": kam_a.account.pk,
        "name": "Line 3 retrofit",
        "product_id": product.pk,
        "engaged_on": "2026-01-15",
        "expected_close": "2026-06-30",
    }
    made = client.post(
        "/api/v1/opportunities", body, content_type="application/json", headers=kam_a.headers
    )
    assert made.status_code == 201, made.content
    assert made.json()["product_line_id"] == product.line_id
    assert made.json()["engaged_on"] == "2026-01-15"
    other = ProductFactory()
    changed = client.patch(
        f"/api/v1/opportunities/{made.json()['id']}",
        {"product_id": other.pk},
        content_type="application/json",
        headers=kam_a.headers,
    )
    assert changed.json()["product_line_id"] == other.line_id


@pytest.mark.parametrize(
    "extra",
    [
        {"engaged_on": "2026-07-01", "expected_close": "2026-06-30"},
        {"product_line_id": "LINE"},
        {"product_id": 999999},
        {"engaged_on": "1066-10-14"},
    ],
)
def test_api_refuses_bad_product_or_dates(client: Client, kam_a: Persona, extra) -> None:
    product = ProductFactory()
    if extra.get("product_line_id") == "LINE":
        extra = {"product_id": product.pk, "product_line_id": ProductLineFactory().pk}
    body = {"unit_id": kam_a.account.pk, "name": "Deal", "product_id": product.pk, **extra}
    before = db_snapshot()
    response = client.post(
        "/api/v1/opportunities", body, content_type="application/json", headers=kam_a.headers
    )
    assert response.status_code in (400, 422), response.content
    assert db_snapshot() == before


def test_import_product_and_engaged_on(tmp_path, kam_a: Persona) -> None:
    kam_a.account.external_id = "A-1"
    kam_a.account.save()
    product = ProductFactory(sku="SKU-1")
    other_line = ProductLineFactory(code="OTHER")
    path = tmp_path / "opps.csv"
    path.write_text(
        "external_id,name,unit,product,created date,expected_close\n"
        "O-1,Retrofit,A-1,SKU-1,15.01.2026,2026-06-30\n",
        encoding="utf-8",
    )
    report = import_file(entity="opportunities", path=path)
    assert report.ok, report.errors
    opp = Opportunity.objects.get(external_id="O-1")
    assert opp.product == product and opp.product_line == product.line
    assert str(opp.engaged_on) == "2026-01-15"
    path.write_text(
        "external_id,name,unit,product,product_line,engaged_on,expected_close\n"
        f"O-2,Wrong line,A-1,SKU-1,{other_line.code},2026-01-01,\n"
        "O-3,Unknown,A-1,NOPE,,,\n"
        "O-4,Backwards,A-1,,,2026-07-01,2026-06-30\n",
        encoding="utf-8",
    )
    report = import_file(entity="opportunities", path=path)
    assert {(e.line, e.column) for e in report.errors} == {
        (2, "product"),
        (3, "product"),
        (4, "expected_close"),
    }
