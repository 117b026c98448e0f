"""Territory countries are ISO 3166 (issue 10, decision 98): a code (alpha-2, alpha-3, numeric)
or an English or Russian name is stored as the alpha-2 code; an unknown value (``ZZ``) is refused
with a "did you mean" suggestion on the page, by the API and in the import; pages show the name."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kam.dataio.services import import_file
from kam.people.models import Territory
from kam.testing.personas import db_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_headers(users):
    from kam.api.models import TokenScope
    from kam.api.services import token_create

    _t, plain = token_create(user=users["admin"], name="t", scope=TokenScope.READ_WRITE)
    return {"Authorization": f"Bearer {plain}"}


@pytest.mark.parametrize("value", ["Germany", "Германия", "DEU", "276", "de"])
def test_page_stores_a_name_or_any_code_as_alpha2(client_for, users, value) -> None:
    client = client_for("admin")
    response = client.post(reverse("web:territory_create"), {"name": "South", "country": value})
    assert response.status_code == 302
    assert Territory.objects.get(name="South").country == "DE"


def test_page_refuses_an_unknown_country_with_a_suggestion(client_for, users) -> None:
    client = client_for("admin")
    before = db_snapshot()
    response = client.post(reverse("web:territory_create"), {"name": "X", "country": "ZZ"})
    assert response.status_code == 400
    assert "Unknown country ZZ" in response.content.decode()
    response = client.post(reverse("web:territory_create"), {"name": "X", "country": "Germny"})
    assert response.status_code == 400
    assert "did you mean Germany (DE)?" in response.content.decode()
    assert db_snapshot() == before


def test_lists_show_the_country_name_in_the_users_language(client_for, users) -> None:
    Territory.objects.create(name="South", country="DE", region="Bayern")
    client = client_for("admin")
    assert ">Germany</abbr>" in client.get(reverse("web:territories")).content.decode()
    with translation.override("ru"):
        users["admin"].language = "ru"
        users["admin"].save()
        page = client_for("admin").get(reverse("web:territories")).content.decode()
    assert ">Германия</abbr>" in page


def test_api_stores_alpha2_and_refuses_zz(client: Client, users, admin_headers) -> None:
    before = db_snapshot()
    bad = client.post(
        "/api/v1/territories",
        {"name": "Nowhere", "country": "ZZ"},
        content_type="application/json",
        headers=admin_headers,
    )
    assert bad.status_code == 400
    assert "Unknown country ZZ" in bad.content.decode()
    assert db_snapshot() == before
    made = client.post(
        "/api/v1/territories",
        {"name": "South", "country": "DEU"},
        content_type="application/json",
        headers=admin_headers,
    )
    assert made.status_code == 201, made.content
    assert made.json()["country"] == "DE"
    pk = made.json()["id"]
    changed = client.patch(
        f"/api/v1/territories/{pk}",
        {"country": "Австрия"},
        content_type="application/json",
        headers=admin_headers,
    )
    assert changed.status_code == 200 and changed.json()["country"] == "AT"
    refused = client.patch(
        f"/api/v1/territories/{pk}",
        {"country": "Austrai"},
        content_type="application/json",
        headers=admin_headers,
    )
    assert refused.status_code == 400 and "did you mean" in refused.content.decode()
    assert Territory.objects.get(pk=pk).country == "AT"


def test_import_stores_alpha2_and_refuses_zz(tmp_path, users) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "code,name,country,region\nT-1,One,Германия,Bayern\nT-2,Two,DEU,Hamburg\n"
        "T-3,Three,Germany,Berlin\n",
        encoding="utf-8",
    )
    report = import_file(entity="territories", path=good)
    assert report.ok, report.errors
    assert set(Territory.objects.values_list("country", flat=True)) == {"DE"}
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,country,region\nT-9,Nine,ZZ,\nT-8,Eight,Germny,\n", encoding="utf-8")
    before = db_snapshot()
    report = import_file(entity="territories", path=bad)
    assert {(e.line, e.column) for e in report.errors} == {(2, "country"), (3, "country")}
    assert "did you mean Germany (DE)?" in report.errors[1].reason
    assert db_snapshot() == before
