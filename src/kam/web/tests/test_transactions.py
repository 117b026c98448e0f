"""The account's transactions page: list and filter, correct and delete a line (roll-ups follow)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.sales.models import MonthlyRollup, Transaction
from kam.sales.services import transactions_create
from kam.testing.factories import ProductFactory, make_unit
from kam.testing.html import parse
from kam.testing.personas import Persona, db_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(kam_a: Persona) -> list[Transaction]:
    site = make_unit("A plant", parent=kam_a.account, kind="site")
    product, other = ProductFactory(), ProductFactory()
    rows = [
        {"date": dt.date(2026, 1, 15), "unit_id": kam_a.account.pk, "product_id": product.pk},
        {"date": dt.date(2026, 2, 15), "unit_id": site.pk, "product_id": other.pk},
        {"date": dt.date(2026, 3, 15), "unit_id": site.pk, "product_id": product.pk},
    ]
    transactions_create(rows=[{**r, "net_amount": Decimal("100")} for r in rows])
    return list(Transaction.objects.order_by("date"))


def _form(tx: Transaction, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "date": tx.date.isoformat(),
        "product": tx.product_id,
        "quantity": str(tx.quantity),
        "net_amount": str(tx.net_amount),
        "cost": "",
        "currency": tx.currency,
    }
    data.update(changes)
    return data


def _rollups_match_the_lines() -> bool:
    kept = {
        (r.unit_id, r.product_line_id, r.month): (r.net_amount, r.lines)
        for r in MonthlyRollup.objects.all()
    }
    direct = {
        (r["unit_id"], r["product_line_id"], dt.date(r["date__year"], r["date__month"], 1)): (
            r["total"],
            r["n"],
        )
        for r in Transaction.objects.values(
            "unit_id", "product_line_id", "date__year", "date__month"
        )
        .annotate(total=Sum("net_amount"), n=Count("id"))
        .order_by()
    }
    return kept == direct


def test_the_list_shows_recent_lines_first_and_filters(client: Client, kam_a: Persona, lines):
    client.force_login(kam_a.user)
    url = reverse("web:account_transactions", args=[kam_a.account.pk])
    html = client.get(url).content.decode()
    ids = [int(x.split('"')[0]) for x in html.split('data-id="')[1:]]
    assert ids == [lines[2].pk, lines[1].pk, lines[0].pk]
    assert reverse("web:transaction_edit", args=[lines[0].pk]) in html
    only_line = client.get(url, {"product_line": lines[1].product_line_id}).content.decode()
    assert [int(x.split('"')[0]) for x in only_line.split('data-id="')[1:]] == [lines[1].pk]
    january = client.get(url, {"date_from": "2026-01-01", "date_to": "2026-01-31"})
    assert [int(x.split('"')[0]) for x in january.content.decode().split('data-id="')[1:]] == [
        lines[0].pk
    ]
    assert client.get(url, {"date_from": "soon"}).status_code == 400


def test_the_account_manager_corrects_a_line(client: Client, kam_a: Persona, lines):
    client.force_login(kam_a.user)
    url = reverse("web:transaction_edit", args=[lines[0].pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _form(lines[0], net_amount="70.00", date="2026-03-01"))
    assert response.status_code == 302
    lines[0].refresh_from_db()
    assert (lines[0].net_amount, lines[0].date) == (Decimal("70.00"), dt.date(2026, 3, 1))
    assert _rollups_match_the_lines()


@pytest.mark.parametrize(
    "changes",
    [{"date": "9999-12-31"}, {"date": "1800-01-01"}, {"net_amount": "99999999999999.99"}],
)
def test_the_form_rejects_out_of_range_values(client: Client, kam_a: Persona, lines, changes):
    client.force_login(kam_a.user)
    before = db_snapshot()
    response = client.post(
        reverse("web:transaction_edit", args=[lines[0].pk]), _form(lines[0], **changes)
    )
    assert response.status_code == 400
    assert "between" in response.content.decode()
    assert db_snapshot() == before


def test_the_account_manager_deletes_a_line_after_confirming(client: Client, kam_a: Persona, lines):
    client.force_login(kam_a.user)
    url = reverse("web:transaction_delete", args=[lines[1].pk])
    assert "delete-form" in client.get(url).content.decode()
    assert Transaction.objects.count() == 3  # asking changes nothing
    assert client.post(url).status_code == 302
    assert not Transaction.objects.filter(pk=lines[1].pk).exists()
    assert _rollups_match_the_lines()


def test_a_user_with_no_role_sees_no_transactions(client: Client, users, kam_a: Persona, lines):
    client.force_login(users["outsider"])
    before = db_snapshot()
    assert (
        client.get(reverse("web:account_transactions", args=[kam_a.account.pk])).status_code == 403
    )
    assert client.post(reverse("web:transaction_delete", args=[lines[0].pk])).status_code == 403
    assert (
        client.post(
            reverse("web:transaction_edit", args=[lines[0].pk]), _form(lines[0], net_amount="1")
        ).status_code
        == 403
    )
    assert db_snapshot() == before


def test_another_kam_sees_the_list_without_actions(client: Client, kam_a: Persona, kam_b, lines):
    client.force_login(kam_b.user)
    html = client.get(reverse("web:account_transactions", args=[kam_a.account.pk]))
    assert html.status_code == 200
    assert reverse("web:transaction_edit", args=[lines[0].pk]) not in html.content.decode()


def test_another_kam_cannot_correct_or_delete_kam_as_lines(
    client: Client, kam_a: Persona, kam_b: Persona, lines
):
    client.force_login(kam_b.user)
    before = db_snapshot()
    edit = client.post(
        reverse("web:transaction_edit", args=[lines[0].pk]), _form(lines[0], net_amount="1")
    )
    assert edit.status_code == 403
    assert client.post(reverse("web:transaction_delete", args=[lines[0].pk])).status_code == 403
    assert db_snapshot() == before


def test_a_large_list_pages_its_newest_lines_exactly_as_a_whole_sort(
    client: Client, kam_a: Persona, monkeypatch: pytest.MonkeyPatch
):
    """Pages of a large account are looked for in windows of recent days (decision 128):
    every page, with and without filters, is the one a sort of all its lines gives, including
    lines dated after today, days with several lines and lines years old."""
    from django.utils import timezone

    from kam.sales import selectors
    from kam.web import transaction_views

    monkeypatch.setattr(selectors, "WINDOWED_FROM", 5)  # small data takes the large path
    monkeypatch.setattr(transaction_views, "PAGE_SIZE", 7)
    site = make_unit("A plant", parent=kam_a.account, kind="site")
    product = ProductFactory()
    today = timezone.localdate()
    offsets = [-3, 0, 0, 1, 5, 20, 20, 20, 40, 100, 130, 200, 400, 401, 700, 900, 1200, 1500]
    transactions_create(
        rows=[
            {
                "date": today - dt.timedelta(days=days),
                "unit_id": (site if i % 2 else kam_a.account).pk,
                "product_id": product.pk,
                "net_amount": Decimal(i + 1),
            }
            for i, days in enumerate(offsets)
        ]
    )
    client.force_login(kam_a.user)
    url = reverse("web:account_transactions", args=[kam_a.account.pk])

    def shown(**query: str | int) -> list[int]:
        html = client.get(url, query).content.decode()
        return [int(x.split('"')[0]) for x in html.split('data-id="')[1:]]

    def expected(page: int, **filters: object) -> list[int]:
        lines = Transaction.objects.filter(**filters).order_by("-date", "-pk")
        return list(lines.values_list("pk", flat=True))[(page - 1) * 7 : page * 7]

    for page in (1, 2, 3):
        assert shown(page=page) == expected(page)
    # the first page is found in the first window: no query sorts every line of the account
    with CaptureQueriesContext(connection) as queries:
        shown(page=1)
    listing = [q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"]]
    listing = [sql for sql in listing if 'FROM "sales_transaction"' in sql and "LIMIT" in sql]
    assert listing and all('"sales_transaction"."date" >=' in sql for sql in listing)
    cut = today - dt.timedelta(days=50)  # 9 lines: two pages
    for page in (1, 2):
        assert shown(page=page, date_to=cut.isoformat()) == expected(page, date__lte=cut) != []
    assert shown(unit=site.pk) == expected(1, unit=site)
    # pages further down are read through their ids sorted from the index
    monkeypatch.setattr(selectors, "WINDOWED_UNTIL", 7)
    for page in (2, 3):
        assert shown(page=page) == expected(page) != []
    assert shown(page=2, date_to=cut.isoformat()) == expected(2, date__lte=cut) != []
    html = client.get(url, {"page": 2}).content.decode()
    assert parse(html).find(id="transactions-count").text == "18 lines"
    assert client.get(url, {"page": 4}).status_code == 400  # 18 lines make 3 pages of 7
