"""Costs to serve (issue 17): the service's checks, the page and the API as an allowed user, a
user without a role and another KAM, and the metric ``sales.cost_to_serve`` by hand."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from kam.core.errors import DomainError
from kam.core.metrics import registry
from kam.sales.metrics import cost_to_serve_values
from kam.sales.models import CostToServe
from kam.sales.services import cost_to_serve_delete, cost_to_serve_save
from kam.testing.factories import UserFactory, make_unit
from kam.testing.personas import Persona, db_snapshot

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 30)


def _cost(unit, month=dt.date(2026, 3, 1), category="logistics", amount="100", **kw):
    return cost_to_serve_save(unit_id=unit.pk, month=month, category=category, amount=amount, **kw)


# --- service ---------------------------------------------------------------------------------


def test_a_cost_is_stored_on_the_first_day_of_its_month() -> None:
    unit = make_unit("A")
    cost = _cost(unit, month=dt.date(2026, 3, 17), amount="12.50", note=" truck ")
    cost.refresh_from_db()
    assert cost.month == dt.date(2026, 3, 1)
    assert cost.amount == Decimal("12.50") and cost.note == "truck"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"month": dt.date(1800, 1, 1)}, "month"),
        ({"month": "2026-13-01"}, "month"),
        ({"month": None}, "month"),
        ({"amount": "1e20"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "many"}, "amount"),
        ({"category": "parties"}, "category"),
        ({"unit_id": 999_999}, "unit"),
        ({"note": "x" * 301}, "note"),
    ],
)
def test_bad_input_is_a_domain_error_naming_the_field_and_writes_nothing(
    changes: dict, field: str
) -> None:
    unit = make_unit("A")
    data = {
        "unit_id": unit.pk,
        "month": dt.date(2026, 3, 1),
        "category": "logistics",
        "amount": "100",
        **changes,
    }
    with pytest.raises(DomainError) as err:
        cost_to_serve_save(**data)
    assert err.value.field == field
    assert not CostToServe.objects.exists()


def test_one_row_per_unit_month_and_category() -> None:
    unit = make_unit("A")
    first = _cost(unit)
    with pytest.raises(DomainError) as err:
        _cost(unit, month=dt.date(2026, 3, 20), amount="5")
    assert err.value.code == "conflict"
    _cost(unit, category="service")  # another category is another row
    changed = cost_to_serve_save(
        cost=first, unit_id=unit.pk, month=first.month, category="logistics", amount="7"
    )
    assert changed.pk == first.pk and CostToServe.objects.count() == 2
    cost_to_serve_delete(cost=changed)
    assert CostToServe.objects.count() == 1


# --- metric ----------------------------------------------------------------------------------


def test_cost_to_serve_sums_the_subtree_over_the_last_12_full_months() -> None:
    a, b = make_unit("A"), make_unit("B")
    site = make_unit("A site", parent=a)
    _cost(a, month=dt.date(2025, 12, 1), amount="100")  # first month of the window
    _cost(site, month=dt.date(2026, 11, 1), category="service", amount="40.25")  # last
    _cost(a, month=dt.date(2025, 11, 1), amount="999")  # before the window
    _cost(b, month=dt.date(2026, 12, 1), amount="999")  # after it
    values = registry.get("sales.cost_to_serve").values([a.pk, b.pk], AS_OF)
    assert values == {a.pk: Decimal("140.25")}  # b: no cost in the window, no value


def test_cost_to_serve_queries_do_not_grow_with_accounts(django_assert_num_queries) -> None:
    accounts = [make_unit(f"A{i}") for i in range(6)]
    for a in accounts:
        _cost(a)
    with django_assert_num_queries(2):
        values = cost_to_serve_values([a.pk for a in accounts], AS_OF)
    assert len(values) == 6


# --- the page --------------------------------------------------------------------------------


def _form(unit, **kw) -> dict:
    return {"unit": unit.pk, "month": "2026-04", "category": "service", "amount": "80", **kw}


def test_the_kam_adds_edits_and_deletes_a_cost_on_the_page(client: Client, kam_a: Persona) -> None:
    account = kam_a.account
    client.force_login(kam_a.user)
    response = client.post(f"/accounts/{account.pk}/costs-to-serve/", _form(account, note="fair"))
    assert response.status_code == 302
    cost = CostToServe.objects.get()
    assert cost.month == dt.date(2026, 4, 1) and cost.amount == Decimal("80")
    page = client.get(f"/accounts/{account.pk}/costs-to-serve/?year=2026")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="cost-form"' in html
    assert 'data-month="2026-04"' in html and 'id="cost-year-total">80.00' in html
    url = f"/accounts/{account.pk}/costs-to-serve/{cost.pk}/"
    assert client.get(url).status_code == 200
    assert client.post(url, _form(account, amount="95")).status_code == 302
    cost.refresh_from_db()
    assert cost.amount == Decimal("95")
    assert client.post(url + "delete/").status_code == 302
    assert not CostToServe.objects.exists()


def test_a_bad_month_or_amount_on_the_page_is_a_400_with_the_reason(
    client: Client, kam_a: Persona
) -> None:
    account = kam_a.account
    client.force_login(kam_a.user)
    url = f"/accounts/{account.pk}/costs-to-serve/"
    bad_month = client.post(url, _form(account, month="1800-01"))
    assert bad_month.status_code == 400 and "error-month" in bad_month.content.decode()
    bad_amount = client.post(url, _form(account, amount="-3"))
    assert bad_amount.status_code == 400 and "error-amount" in bad_amount.content.decode()
    _cost(account, month=dt.date(2026, 4, 1), category="service")
    clash = client.post(url, _form(account))
    assert clash.status_code == 400 and "already has a cost" in clash.content.decode()
    assert CostToServe.objects.count() == 1
    assert client.get(url + "?year=abc").status_code == 400


def test_a_user_without_a_role_gets_nothing(client: Client, kam_a: Persona) -> None:
    account = kam_a.account
    cost = _cost(account)
    client.force_login(UserFactory(username="nobody", role=""))
    before = db_snapshot()
    base = f"/accounts/{account.pk}/costs-to-serve/"
    assert client.get(base).status_code == 403
    assert client.post(base, _form(account)).status_code == 403
    assert client.post(f"{base}{cost.pk}/", _form(account, amount="1")).status_code == 403
    assert client.post(f"{base}{cost.pk}/delete/").status_code == 403
    assert db_snapshot() == before


def test_another_kam_reads_but_cannot_change_the_costs(
    client: Client, kam_a: Persona, kam_b: Persona
) -> None:
    account = kam_a.account
    cost = _cost(account)
    client.force_login(kam_b.user)
    before = db_snapshot()
    base = f"/accounts/{account.pk}/costs-to-serve/"
    page = client.get(base + "?year=2026")
    assert page.status_code == 200 and 'id="cost-form"' not in page.content.decode()
    assert client.post(base, _form(account)).status_code == 403
    assert client.get(f"{base}{cost.pk}/").status_code == 403
    assert client.post(f"{base}{cost.pk}/", _form(account, amount="1")).status_code == 403
    assert client.post(f"{base}{cost.pk}/delete/").status_code == 403
    assert db_snapshot() == before


def test_a_cost_of_another_account_is_not_found_under_this_one(
    client: Client, kam_a: Persona
) -> None:
    other = make_unit("Other")
    cost = _cost(other)
    client.force_login(kam_a.user)
    url = f"/accounts/{kam_a.account.pk}/costs-to-serve/{cost.pk}/"
    assert client.get(url).status_code == 404


# --- the API ---------------------------------------------------------------------------------


def _api(client: Client, persona: Persona, method: str, path: str, body=None):
    kwargs: dict[str, Any] = {}
    if body:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return client.generic(method, f"/api/v1{path}", headers=persona.headers, **kwargs)


def test_the_api_lists_creates_patches_and_deletes(client: Client, kam_a: Persona) -> None:
    account = kam_a.account
    site = make_unit("A site", parent=account)
    other = make_unit("Other")
    _cost(other)
    body = {"unit_id": site.pk, "month": "2026-05-09", "category": "special_terms", "amount": 30}
    created = _api(client, kam_a, "POST", "/costs-to-serve", body)
    assert created.status_code == 201, created.content
    cost_id = created.json()["id"]
    assert created.json()["month"] == "2026-05-01"
    listed = _api(client, kam_a, "GET", f"/costs-to-serve?account={account.pk}")
    assert [c["id"] for c in listed.json()["items"]] == [cost_id]
    patched = _api(client, kam_a, "PATCH", f"/costs-to-serve/{cost_id}", {"amount": "31.5"})
    assert patched.status_code == 200 and patched.json()["amount"] in ("31.5", "31.50", 31.5)
    assert _api(client, kam_a, "DELETE", f"/costs-to-serve/{cost_id}").status_code == 200
    assert not CostToServe.objects.filter(pk=cost_id).exists()


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"month": "1800-01-01"}, 422),
        ({"amount": -1}, 422),
        ({"amount": "12.345"}, 422),
        ({"category": "parties"}, 422),
        ({"unit_id": 999_999}, 400),
    ],
)
def test_the_api_refuses_bad_input_with_a_4xx(
    client: Client, kam_a: Persona, changes: dict, status: int
) -> None:
    body = {
        "unit_id": kam_a.account.pk,
        "month": "2026-05-01",
        "category": "logistics",
        "amount": 10,
        **changes,
    }
    response = _api(client, kam_a, "POST", "/costs-to-serve", body)
    assert response.status_code == status, response.content
    assert not CostToServe.objects.exists()


def test_the_api_refuses_a_second_row_of_the_same_month_and_category(
    client: Client, kam_a: Persona
) -> None:
    _cost(kam_a.account, month=dt.date(2026, 5, 1))
    body = {
        "unit_id": kam_a.account.pk,
        "month": "2026-05-20",
        "category": "logistics",
        "amount": 1,
    }
    assert _api(client, kam_a, "POST", "/costs-to-serve", body).status_code == 409
    assert CostToServe.objects.count() == 1


def test_another_kam_cannot_change_costs_through_the_api(
    client: Client, kam_a: Persona, kam_b: Persona
) -> None:
    cost = _cost(kam_a.account)
    before = db_snapshot()
    body = {"unit_id": kam_a.account.pk, "month": "2026-06-01", "category": "other", "amount": 1}
    assert _api(client, kam_b, "POST", "/costs-to-serve", body).status_code == 403
    assert (
        _api(client, kam_b, "PATCH", f"/costs-to-serve/{cost.pk}", {"amount": 1}).status_code == 403
    )
    assert _api(client, kam_b, "DELETE", f"/costs-to-serve/{cost.pk}").status_code == 403
    assert db_snapshot() == before
    # reading stays open to every KAM (account data is visible without restricted visibility)
    assert _api(client, kam_b, "GET", f"/costs-to-serve/{cost.pk}").status_code == 200


def test_a_user_without_a_role_cannot_use_the_api(client: Client, kam_a: Persona) -> None:
    cost = _cost(kam_a.account)
    nobody = UserFactory(username="nobody", role="")
    client.force_login(nobody)
    for method, path in (("GET", "/costs-to-serve"), ("GET", f"/costs-to-serve/{cost.pk}")):
        assert client.generic(method, f"/api/v1{path}").status_code in (401, 403)
