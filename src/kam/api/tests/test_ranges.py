"""Out-of-range dates, date-times and amounts are a 422 with a message, and nothing is written."""

from __future__ import annotations

import pytest

from kam.interactions.models import Interaction
from kam.sales.models import Opportunity, Transaction
from kam.testing.factories import ProductFactory, make_unit

BAD_DATES = ["9999-12-31", "1800-01-01"]
HUGE = "99999999999999.99"


def _row(unit, product, **extra):
    return {
        "date": "2026-01-15",
        "unit_id": unit.pk,
        "product_id": product.pk,
        "net_amount": "100.00",
        **extra,
    }


def _messages(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"date": "9999-12-31"}, "rows.1.date", "2100-12-31"),
        ({"date": "1800-01-01"}, "rows.1.date", "1900-01-01"),
        ({"net_amount": HUGE}, "rows.1.net_amount", "9999999999999.99"),
        ({"cost": HUGE}, "rows.1.cost", "9999999999999.99"),
    ],
)
def test_bulk_transactions_reject_out_of_range_values(api_as, users, extra, field, text):
    unit = make_unit("Own", account_manager=users["kam"])
    product = ProductFactory()
    body = {"rows": [_row(unit, product), _row(unit, product, **extra)]}
    response = api_as("kam").post("/transactions/bulk", body)
    assert response.status_code == 422
    assert text in _messages(response)[field]
    assert not Transaction.objects.exists()


def test_bulk_transactions_accept_the_largest_safe_amount(api_as, users):
    unit = make_unit("Own", account_manager=users["kam"])
    product = ProductFactory()
    body = {"rows": [_row(unit, product, net_amount="9999999999999.99")]}
    assert api_as("kam").post("/transactions/bulk", body).status_code == 201
    assert str(Transaction.objects.get().net_amount) == "9999999999999.99"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"expected_close": BAD_DATES[0]}, "expected_close"),
        ({"expected_close": BAD_DATES[1]}, "expected_close"),
        ({"amount": HUGE}, "amount"),
    ],
)
def test_opportunity_rejects_out_of_range_values(api_as, users, extra, field):
    unit = make_unit("Own", account_manager=users["kam"])
    response = api_as("kam").post("/opportunities", {"unit_id": unit.pk, "name": "X", **extra})
    assert response.status_code == 422
    assert field in _messages(response)
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00-14:00",
        "9999-12-31T23:59:59+14:00",
        "9999-12-31T23:59:59-14:00",
    ],
)
def test_interaction_rejects_extreme_datetimes(api_as, users, when):
    unit = make_unit("Own", account_manager=users["kam"])
    body = {"type": "call", "occurred_at": when, "unit_id": unit.pk, "summary": "Hello"}
    response = api_as("kam").post("/interactions", body)
    assert response.status_code == 422
    assert "between" in _messages(response)["occurred_at"]
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_interaction_filter_rejects_extreme_datetimes(api_as, when):
    response = api_as("kam").call("get", f"/interactions?since={when.replace('+', '%2B')}")
    assert response.status_code == 422


def test_a_body_over_the_limit_is_413_with_a_message(api_as, users, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    unit = make_unit("Own", account_manager=users["kam"])
    product = ProductFactory()
    body = {"rows": [_row(unit, product, external_id=f"T{i}") for i in range(100)]}
    response = api_as("kam").post("/transactions/bulk", body)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "limit" in response.json()["message"]
    assert not Transaction.objects.exists()


def test_a_page_form_over_the_limit_is_a_413_page(client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = client_for("kam").post(
        "/settings/tokens/", "name=" + "x" * 5000, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "larger than the limit" in response.content.decode()
