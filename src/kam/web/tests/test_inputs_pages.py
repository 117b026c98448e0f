"""Inputs that could not be entered before (issue 10): an account's opportunities (open first,
paged), its supplier position (history kept, one current) and the territories (administrators),
on pages and by API; outsiders are refused and the queries stay bounded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kam.people.models import Territory
from kam.sales.models import Opportunity, SupplierPosition
from kam.testing.factories import ProductFactory, make_unit
from kam.testing.personas import Persona, db_snapshot

pytestmark = pytest.mark.django_db


def _opportunities(unit, n: int, start: int = 0) -> None:
    product = ProductFactory()
    stages = ["won", "qualify", "lost", "negotiate"]
    Opportunity.objects.bulk_create(
        Opportunity(
            unit=unit,
            name=f"Deal {start + i}",
            stage=stages[i % 4],
            amount=Decimal(1000 + i),
            product=product,
            product_line=product.line,
            engaged_on=dt.date(2026, 1, 1),
            expected_close=dt.date(2026, 6, 1) + dt.timedelta(days=i),
        )
        for i in range(n)
    )


def test_opportunities_open_first_and_paged(client: Client, kam_a: Persona) -> None:
    site = make_unit("Plant", parent=kam_a.account)
    _opportunities(site, 45)
    client.force_login(kam_a.user)
    url = reverse("web:account_opportunities", args=[kam_a.account.pk])
    first = client.get(url)
    assert first.status_code == 200
    rows = first.context["rows"]
    assert len(rows) == 20 and first.context["pages"] == 3
    assert all(r.stage in ("qualify", "negotiate") for r in rows)  # 22 open ones come first
    closes = [r.expected_close for r in rows]
    assert closes == sorted(closes)
    last = client.get(url, {"page": 3})
    assert {r.stage for r in last.context["rows"]} <= {"won", "lost"}
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content and b'id="opportunities"' in fragment.content
    assert client.get(url, {"page": "x"}).status_code == 400
    # the account page loads the list
    account = client.get(reverse("web:account", args=[kam_a.account.pk])).content.decode()
    assert url in account


def test_opportunity_pages_queries_are_bounded(
    client: Client, kam_a: Persona, django_assert_max_num_queries
) -> None:
    client.force_login(kam_a.user)
    url = reverse("web:account_opportunities", args=[kam_a.account.pk])
    _opportunities(kam_a.account, 5)
    with django_assert_max_num_queries(12):
        client.get(url)
    _opportunities(kam_a.account, 50, start=5)
    with django_assert_max_num_queries(12):
        client.get(url)


def test_supplier_position_history_and_current(client: Client, kam_a: Persona) -> None:
    client.force_login(kam_a.user)
    url = reverse("web:account_position", args=[kam_a.account.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"position": "approved", "since": "2025-01-01"}).status_code == 302
    assert (
        client.post(
            url, {"position": "preferred", "since": "2026-03-01", "note": "After the tender"}
        ).status_code
        == 302
    )
    page = client.get(url)
    assert page.context["current"].position == "preferred"
    assert [p.position for p in page.context["history"]] == ["preferred", "approved"]
    assert SupplierPosition.objects.filter(account=kam_a.account).count() == 2
    assert SupplierPosition.objects.latest("recorded_at").recorded_by == kam_a.user


@pytest.mark.parametrize(
    "data",
    [
        {"position": "king", "since": "2026-01-01"},
        {"position": "approved", "since": "1066-01-01"},
        {"position": "approved", "since": ""},
        {"position": "approved", "since": "2026-01-01", "note": "x" * 301},
    ],
)
def test_bad_supplier_position_is_a_400(client: Client, kam_a: Persona, data) -> None:
    client.force_login(kam_a.user)
    before = db_snapshot()
    response = client.post(reverse("web:account_position", args=[kam_a.account.pk]), data)
    assert response.status_code == 400
    assert db_snapshot() == before


def test_supplier_position_queries_are_bounded(
    client: Client, kam_a: Persona, django_assert_max_num_queries
) -> None:
    client.force_login(kam_a.user)
    url = reverse("web:account_position", args=[kam_a.account.pk])

    def grow(n):
        SupplierPosition.objects.bulk_create(
            SupplierPosition(
                account=kam_a.account,
                position="approved",
                since=dt.date(2020, 1, 1) + dt.timedelta(days=i),
                recorded_by=kam_a.user,
            )
            for i in range(n)
        )

    grow(3)
    with django_assert_max_num_queries(12):
        client.get(url)
    grow(30)
    with django_assert_max_num_queries(12):
        client.get(url)


def test_supplier_position_outsiders(client: Client, users, kam_a: Persona, kam_b: Persona):
    url = reverse("web:account_position", args=[kam_a.account.pk])
    data = {"position": "approved", "since": "2026-01-01"}
    before = db_snapshot()
    client.force_login(kam_b.user)
    assert client.post(url, data).status_code == 403
    api = f"/api/v1/accounts/{kam_a.account.pk}/supplier-positions"
    assert (
        client.post(api, data, content_type="application/json", headers=kam_b.headers).status_code
        == 403
    )
    client.force_login(users["outsider"])
    assert client.get(url).status_code == 403
    assert client.post(url, data).status_code == 403
    assert db_snapshot() == before


def test_supplier_position_api(client: Client, kam_a: Persona) -> None:
    api = f"/api/v1/accounts/{kam_a.account.pk}/supplier-positions"
    ok = client.post(
        api,
        {"position": "sole", "since": "2026-02-01", "note": "Framework contract"},
        content_type="application/json",
        headers=kam_a.headers,
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["recorded_by"] == "kam_a"
    for bad in ({"position": "king", "since": "2026-01-01"}, {"position": "sole"}):
        response = client.post(api, bad, content_type="application/json", headers=kam_a.headers)
        assert response.status_code in (400, 422)
    listed = client.get(api, headers=kam_a.headers).json()
    assert [p["position"] for p in listed["items"]] == ["sole"]
    site = make_unit("Plant", parent=kam_a.account)
    sub = client.get(f"/api/v1/accounts/{site.pk}/supplier-positions", headers=kam_a.headers)
    assert sub.status_code == 404


# --- territories -----------------------------------------------------------------------------


def test_territories_page_create_and_edit(client_for, users) -> None:
    client = client_for("admin")
    assert client.get(reverse("web:territories")).status_code == 200
    response = client.post(
        reverse("web:territory_create"),
        {
            "name": "South",
            "external_id": "T-S",
            "country": "de",
            "region": "Bayern",
            "manager": users["sales_manager"].pk,
        },
    )
    assert response.status_code == 302
    south = Territory.objects.get(external_id="T-S")
    assert (south.country, south.manager) == ("DE", users["sales_manager"])
    edit = reverse("web:territory_edit", args=[south.pk])
    assert (
        client.post(edit, {"name": "South-East", "country": "DE", "region": "Bayern"}).status_code
        == 302
    )
    south.refresh_from_db()
    assert south.name == "South-East" and south.manager is None
    # the same country and region twice, a bad country: a 400 naming the field
    Territory.objects.create(name="North", country="DE", region="Hamburg")
    for data in (
        {"name": "X", "country": "DE", "region": "Hamburg"},
        {"name": "X", "country": "Germany1", "region": ""},
        {"name": "", "country": "DE", "region": "Z"},
    ):
        before = db_snapshot()
        assert client.post(edit, data).status_code == 400
        assert db_snapshot() == before


def test_territories_outsiders(client_for, users) -> None:
    territory = Territory.objects.create(name="North", country="DE", region="Hamburg")
    for who in ("kam", "executive", "outsider"):
        client = client_for(who)
        before = db_snapshot()
        assert client.get(reverse("web:territories")).status_code == 403
        assert (
            client.post(
                reverse("web:territory_edit", args=[territory.pk]),
                {"name": "Mine", "country": "DE"},
            ).status_code
            == 403
        )
        assert db_snapshot() == before


def test_territories_page_queries_are_bounded(client_for, users, django_assert_max_num_queries):
    client = client_for("admin")

    def grow(start, n):
        Territory.objects.bulk_create(
            Territory(name=f"T{i}", country="DE", region=f"R{i}", manager=users["kam"])
            for i in range(start, start + n)
        )

    grow(0, 5)
    with django_assert_max_num_queries(10):
        client.get(reverse("web:territories"))
    grow(5, 50)
    with django_assert_max_num_queries(10):
        client.get(reverse("web:territories"))


def test_territories_api(client: Client, users, kam_a: Persona) -> None:
    from kam.api.models import TokenScope
    from kam.api.services import token_create

    _t, plain = token_create(user=users["admin"], name="t", scope=TokenScope.READ_WRITE)
    headers = {"Authorization": f"Bearer {plain}"}
    made = client.post(
        "/api/v1/territories",
        {"name": "South", "country": "DE", "region": "Bayern", "manager": "kam"},
        content_type="application/json",
        headers=headers,
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    changed = client.patch(
        f"/api/v1/territories/{pk}",
        {"name": "Süd"},
        content_type="application/json",
        headers=headers,
    )
    assert changed.status_code == 200
    assert changed.json()["manager"] == "kam" and changed.json()["region"] == "Bayern"
    bad = client.post(
        "/api/v1/territories",
        {"name": "Again", "country": "DE", "region": "Bayern"},
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 400
    unknown = client.patch(
        f"/api/v1/territories/{pk}",
        {"manager": "nobody"},
        content_type="application/json",
        headers=headers,
    )
    assert unknown.status_code == 400
    assert client.get("/api/v1/territories", headers=headers).json()["items"][0]["name"] == "Süd"
    # a KAM is refused
    assert client.get("/api/v1/territories", headers=kam_a.headers).status_code == 403
    assert (
        client.patch(
            f"/api/v1/territories/{pk}",
            {"name": "Mine"},
            content_type="application/json",
            headers=kam_a.headers,
        ).status_code
        == 403
    )
