"""Opportunities and the bulk load of transactions over the API."""

from decimal import Decimal

from kam.sales.models import MonthlyRollup, Opportunity, Transaction
from kam.testing.factories import ProductFactory, make_unit


def test_opportunity_crud_as_account_manager(api_as, users):
    unit = make_unit("Own", account_manager=users["kam"])
    api = api_as("kam")
    created = api.post(
        "/opportunities",
        {
            "unit_id": unit.pk,
            "name": "Line 3 retrofit",
            "amount": "250000.00",
            "probability": 40,
            "stage": "develop",
            "expected_close": "2027-03-31",
        },
    )
    assert created.status_code == 201
    oid = created.json()["id"]
    assert Decimal(created.json()["amount"]) == Decimal("250000")
    patched = api.patch(f"/opportunities/{oid}", {"stage": "won", "probability": 100})
    assert patched.status_code == 200
    assert patched.json()["stage"] == "won"
    assert [o["id"] for o in api.get("/opportunities?stage=won").json()["items"]] == [oid]
    assert api.get("/opportunities?stage=develop").json()["items"] == []
    assert api.delete(f"/opportunities/{oid}").status_code == 200
    assert not Opportunity.objects.exists()


def test_opportunity_permissions_and_validation(api_as):
    other = make_unit("Other")
    opp = Opportunity.objects.create(unit=other, name="Deal")
    api = api_as("kam")
    assert api.get(f"/opportunities/{opp.pk}").status_code == 200
    assert api.patch(f"/opportunities/{opp.pk}", {"name": "X"}).status_code == 403
    assert api.delete(f"/opportunities/{opp.pk}").status_code == 403
    assert api.post("/opportunities", {"unit_id": other.pk, "name": "X"}).status_code == 403
    admin = api_as("admin")
    assert (
        admin.post(
            "/opportunities", {"unit_id": other.pk, "name": "X", "probability": 101}
        ).status_code
        == 422
    )
    assert (
        admin.post(
            "/opportunities", {"unit_id": other.pk, "name": "X", "stage": "dreaming"}
        ).status_code
        == 422
    )
    for who, status in (("outsider", 403), (None, 401)):
        assert api_as(who).get("/opportunities").status_code == status
        assert (
            api_as(who).post("/opportunities", {"unit_id": other.pk, "name": "X"}).status_code
            == status
        )


def test_opportunities_filtered_by_unit_subtree(api_as):
    group = make_unit("Acme")
    plant = make_unit("Plant", parent=group)
    Opportunity.objects.create(unit=plant, name="In")
    Opportunity.objects.create(unit=make_unit("Beta"), name="Out")
    items = api_as("kam").get(f"/opportunities?unit={group.pk}").json()["items"]
    assert [o["name"] for o in items] == ["In"]


def _rows(unit, product, n, **extra):
    return [
        {
            "date": f"2026-0{1 + i % 3}-15",
            "unit_id": unit.pk,
            "product_id": product.pk,
            "quantity": "2",
            "net_amount": "100.00",
            "external_id": f"T{i}",
            **extra,
        }
        for i in range(n)
    ]


def test_bulk_transactions_write_all_rows_and_rollups(api_as):
    unit = make_unit("Acme", external_id="ACME")
    product = ProductFactory(sku="SKU-A")
    rows = _rows(unit, product, 30)
    rows.append(
        {
            "date": "2026-01-20",
            "unit_external_id": "ACME",
            "product_sku": "SKU-A",
            "net_amount": "50.00",
            "cost": "20.00",
        }
    )
    response = api_as("admin").post("/transactions/bulk", {"rows": rows})
    assert response.status_code == 201
    assert response.json() == {"created": 31}
    assert Transaction.objects.count() == 31
    january = MonthlyRollup.objects.get(unit=unit, month="2026-01-01")
    assert january.net_amount == Decimal("1050.00")
    assert january.lines == 11
    assert sum(r.net_amount for r in MonthlyRollup.objects.all()) == Decimal("3050.00")


def test_bulk_transactions_without_a_currency_are_in_the_reporting_currency(api_as, settings):
    settings.KAM_CURRENCY = "RUB"
    unit = make_unit("Acme")
    product = ProductFactory()
    rows = _rows(unit, product, 1) + _rows(unit, product, 1, currency="USD", external_id="U1")
    response = api_as("admin").post("/transactions/bulk", {"rows": rows})
    assert response.status_code == 201
    assert Transaction.objects.get(external_id="T0").currency == "RUB"
    assert Transaction.objects.get(external_id="U1").currency == "USD"


def test_bulk_transactions_are_all_or_nothing_with_row_errors(api_as):
    unit = make_unit("Acme")
    product = ProductFactory()
    rows = _rows(unit, product, 5)
    rows[2]["unit_id"] = 987654
    rows[4]["external_id"] = "T0"
    response = api_as("admin").post("/transactions/bulk", {"rows": rows})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "rows"
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"rows.2.unit_id", "rows.4.external_id"}
    assert not Transaction.objects.exists()
    assert not MonthlyRollup.objects.exists()


def test_bulk_type_errors_name_row_and_field(api_as):
    unit = make_unit("Acme")
    product = ProductFactory()
    rows = _rows(unit, product, 3)
    rows[1]["date"] = "2026-02-30"
    rows[2]["net_amount"] = "lots"
    response = api_as("admin").post("/transactions/bulk", {"rows": rows})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"rows.1.date", "rows.2.net_amount"}
    assert not Transaction.objects.exists()


def test_bulk_limits_and_permissions(api_as, users):
    own = make_unit("Own", account_manager=users["kam"])
    other = make_unit("Other")
    product = ProductFactory()
    kam = api_as("kam")
    assert kam.post("/transactions/bulk", {"rows": _rows(own, product, 2)}).status_code == 201
    mixed = _rows(own, product, 1) + [
        {"date": "2026-01-01", "unit_id": other.pk, "product_id": product.pk, "net_amount": "1"}
    ]
    mixed[0]["external_id"] = "fresh"
    assert kam.post("/transactions/bulk", {"rows": mixed}).status_code == 403
    assert Transaction.objects.count() == 2
    too_many = [
        {"date": "2026-01-01", "unit_id": own.pk, "product_id": product.pk, "net_amount": "1"}
    ] * 10_001
    assert api_as("admin").post("/transactions/bulk", {"rows": too_many}).status_code == 422
    assert api_as("admin").post("/transactions/bulk", {"rows": []}).status_code == 422
    assert (
        api_as("admin", "read")
        .post("/transactions/bulk", {"rows": _rows(own, product, 1)})
        .status_code
        == 403
    )
    assert (
        api_as(None).post("/transactions/bulk", {"rows": _rows(own, product, 1)}).status_code == 401
    )
    assert (
        api_as("outsider").post("/transactions/bulk", {"rows": _rows(own, product, 1)}).status_code
        == 403
    )
