"""Currency rates typed in and sent by API (issue 10, decision 99): the page, the API and the
import all write through one service that checks the code, the dates, the rate and overlaps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kam.dataio.services import import_file
from kam.sales.models import CurrencyRate
from kam.testing.personas import Persona, db_snapshot

pytestmark = pytest.mark.django_db


def _rate(currency="USD", start=(2024, 1, 1), end=(2024, 6, 30), rate="0.9") -> CurrencyRate:
    return CurrencyRate.objects.create(
        currency=currency,
        valid_from=dt.date(*start),
        valid_to=dt.date(*end) if end else None,
        rate=Decimal(rate),
    )


def _headers(user) -> dict[str, str]:
    from kam.api.models import TokenScope
    from kam.api.services import token_create

    _t, plain = token_create(user=user, name="t", scope=TokenScope.READ_WRITE)
    return {"Authorization": f"Bearer {plain}"}


def test_an_administrator_adds_changes_and_deletes_a_rate_on_the_page(client_for, users) -> None:
    client = client_for("admin")
    assert client.get(reverse("web:rates")).status_code == 200
    made = client.post(
        reverse("web:rate_create"),
        {"currency": "usd", "valid_from": "2024-01-01", "valid_to": "2024-06-30", "rate": "0.9"},
    )
    assert made.status_code == 302
    rate = CurrencyRate.objects.get()
    assert (rate.currency, rate.rate) == ("USD", Decimal("0.9"))
    page = client.get(reverse("web:rates")).content.decode()
    assert reverse("web:rate_edit", args=[rate.pk]) in page and "USD" in page
    changed = client.post(
        reverse("web:rate_edit", args=[rate.pk]),
        {"currency": "USD", "valid_from": "2024-01-01", "valid_to": "2024-03-31", "rate": "0.92"},
    )
    assert changed.status_code == 302
    rate.refresh_from_db()
    assert (rate.valid_to, rate.rate) == (dt.date(2024, 3, 31), Decimal("0.92"))
    assert client.post(reverse("web:rate_delete", args=[rate.pk])).status_code == 302
    assert not CurrencyRate.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"currency": "US"}, "currency", "three-letter ISO 4217"),
        ({"currency": "EUR"}, "currency", "reporting currency"),
        ({"valid_to": "2023-12-31"}, "valid_to", "before the start"),
        ({"valid_from": "1850-01-01"}, "valid_from", "between"),
        ({"rate": "0"}, "rate", "more than 0"),
        ({"valid_from": "2024-06-30", "valid_to": ""}, "valid_from", "overlaps the USD rate"),
    ],
)
def test_bad_rates_are_refused_on_the_page(client_for, users, data, field, message) -> None:
    _rate()
    client = client_for("admin")
    before = db_snapshot()
    body = {"currency": "CHF", "valid_from": "2024-01-01", "valid_to": "", "rate": "1.05"}
    if field == "valid_from" and "overlaps" in message:
        body["currency"] = "USD"
    body.update(data)
    response = client.post(reverse("web:rate_create"), body)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="error-{field}"' in page and message in page, page[-3000:]
    assert db_snapshot() == before


def test_an_executive_reads_the_rates_but_cannot_change_them(client_for, users) -> None:
    rate = _rate()
    client = client_for("executive")
    page = client.get(reverse("web:rates"))
    assert page.status_code == 200 and "USD" in page.content.decode()
    assert reverse("web:rate_edit", args=[rate.pk]) not in page.content.decode()
    before = db_snapshot()
    assert client.post(reverse("web:rate_delete", args=[rate.pk])).status_code == 403
    assert db_snapshot() == before


def test_a_kam_and_a_user_without_a_role_are_refused(
    client: Client, client_for, users, kam_a: Persona
) -> None:
    rate = _rate()
    body = {"currency": "USD", "valid_from": "2025-01-01", "rate": "0.9"}
    outsider_headers = _headers(users["outsider"])
    before = db_snapshot()
    for who in ("kam", "outsider"):
        web = client_for(who)
        assert web.get(reverse("web:rates")).status_code == 403
        assert web.post(reverse("web:rate_create"), body).status_code == 403
        assert web.post(reverse("web:rate_edit", args=[rate.pk]), body).status_code == 403
        assert web.post(reverse("web:rate_delete", args=[rate.pk])).status_code == 403
    for headers in (kam_a.headers, outsider_headers):
        api = Client()
        assert api.get("/api/v1/currency-rates", headers=headers).status_code == 403
        assert (
            api.post(
                "/api/v1/currency-rates", body, content_type="application/json", headers=headers
            ).status_code
            == 403
        )
        assert (
            api.patch(
                f"/api/v1/currency-rates/{rate.pk}",
                {"rate": "2"},
                content_type="application/json",
                headers=headers,
            ).status_code
            == 403
        )
        assert api.delete(f"/api/v1/currency-rates/{rate.pk}", headers=headers).status_code == 403
    assert db_snapshot() == before


def test_the_api_lists_creates_changes_and_deletes(client: Client, users) -> None:
    headers = _headers(users["admin"])
    _rate()
    made = client.post(
        "/api/v1/currency-rates",
        {"currency": "usd", "valid_from": "2024-07-01", "rate": "0.95"},
        content_type="application/json",
        headers=headers,
    )
    assert made.status_code == 201, made.content
    assert made.json()["currency"] == "USD" and made.json()["valid_to"] is None
    pk = made.json()["id"]
    listed = client.get("/api/v1/currency-rates?currency=USD", headers=headers).json()
    assert [r["valid_from"] for r in listed["items"]] == ["2024-01-01", "2024-07-01"]
    before = db_snapshot()
    for body in (
        {"currency": "USD", "valid_from": "2024-05-01", "rate": "1"},  # overlaps both
        {"currency": "USDX", "valid_from": "2030-01-01", "rate": "1"},
        {"currency": "GBP", "valid_from": "2030-01-01", "valid_to": "2029-01-01", "rate": "1"},
        {"currency": "GBP", "valid_from": "2030-01-01", "rate": "-1"},
        {"currency": "GBP", "valid_from": "2200-01-01", "rate": "1"},
    ):
        bad = client.post(
            "/api/v1/currency-rates", body, content_type="application/json", headers=headers
        )
        assert bad.status_code in (400, 422), (body, bad.content)  # 422: the schema's check
    overlap = client.patch(
        f"/api/v1/currency-rates/{pk}",
        {"valid_from": "2024-06-01"},
        content_type="application/json",
        headers=headers,
    )
    assert overlap.status_code == 400 and "overlaps" in overlap.content.decode()
    assert db_snapshot() == before
    changed = client.patch(
        f"/api/v1/currency-rates/{pk}",
        {"rate": "0.97", "valid_to": "2024-12-31"},
        content_type="application/json",
        headers=headers,
    )
    assert changed.status_code == 200
    assert changed.json()["rate"] in ("0.97", "0.97000000") and changed.json()["valid_to"]
    assert client.get(f"/api/v1/currency-rates/{pk}", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/currency-rates/{pk}", headers=headers).status_code == 200
    assert not CurrencyRate.objects.filter(pk=pk).exists()
    # an executive reads, does not write
    exec_headers = _headers(users["executive"])
    assert client.get("/api/v1/currency-rates", headers=exec_headers).status_code == 200
    assert (
        client.post(
            "/api/v1/currency-rates",
            {"currency": "GBP", "valid_from": "2030-01-01", "rate": "1"},
            content_type="application/json",
            headers=exec_headers,
        ).status_code
        == 403
    )


def test_the_import_refuses_overlaps_in_the_file_and_with_stored_rates(tmp_path, db) -> None:
    _rate("USD", (2024, 1, 1), None)  # open: runs for ever
    path = tmp_path / "rates.csv"
    path.write_text(
        "currency,valid_from,valid_to,rate\n"
        "USD,2025-01-01,2025-12-31,0.9\n"  # overlaps the stored open USD rate
        "GBP,2024-01-01,2024-06-30,1.1\n"
        "GBP,2024-06-01,2024-12-31,1.2\n"  # overlaps line 3
        "CHF,2024-01-01,,1.05\n",
        encoding="utf-8",
    )
    before = db_snapshot()
    report = import_file(entity="currency-rates", path=path)
    assert {(e.line, e.column) for e in report.errors} == {(2, "valid_from"), (4, "valid_from")}
    reasons = {e.line: e.reason for e in report.errors}
    assert "stored rate" in reasons[2] and "line 3" in reasons[4]
    assert db_snapshot() == before
    # closing the stored range in the same file (same currency and start) makes it fit
    path.write_text(
        "currency,valid_from,valid_to,rate\nUSD,2024-01-01,2024-12-31,0.9\nUSD,2025-01-01,,0.92\n",
        encoding="utf-8",
    )
    report = import_file(entity="currency-rates", path=path)
    assert report.ok, report.errors
    assert CurrencyRate.objects.filter(currency="USD").count() == 2
