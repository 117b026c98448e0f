"""One "revenue, last 12 full months" everywhere, and the account-manager filter and sort."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.core.periods import add_months, last_full_months, month_start
from kam.customers.models import Unit
from kam.identification.services import active_model, scoring_run_execute
from kam.sales.services import transactions_create
from kam.testing.factories import ProductFactory, UserFactory, make_unit
from kam.testing.html import table

pytestmark = pytest.mark.django_db


def test_the_window_is_the_twelve_months_before_the_running_one():
    assert last_full_months(dt.date(2026, 5, 14)) == (dt.date(2025, 5, 1), dt.date(2026, 5, 1))
    # on a month's last day that month is full
    assert last_full_months(dt.date(2026, 5, 31)) == (dt.date(2025, 6, 1), dt.date(2026, 6, 1))


def test_the_portfolio_and_the_scores_page_show_the_same_figure(client_for):
    today = timezone.localdate()
    account = make_unit("Same Figure AG")
    product = ProductFactory()
    start, end = last_full_months(today)
    days = {
        "running month": today,  # not a full month yet (unless today is its last day)
        "last full month": add_months(end, -1),
        "first month of the window": start,
        "before the window": add_months(start, -1),
    }
    transactions_create(
        rows=[
            {"date": day, "unit_id": account.pk, "product_id": product.pk, "net_amount": amount}
            for day, amount in zip(
                days.values(), (Decimal(1000), Decimal(200), Decimal(30), Decimal(4)), strict=True
            )
        ]
    )
    scoring_run_execute(model=active_model(), as_of=today)
    expected = "230" if month_start(today + dt.timedelta(days=1)) == month_start(today) else "1,230"
    client = client_for("executive")
    portfolio = table(client.get(reverse("web:portfolio")).content, "portfolio-table")
    scores = table(client.get(reverse("identification:scores")).content, "scores-table")
    in_portfolio = {r["Customer"]: r for r in portfolio}["Same Figure AG"]
    in_scores = {r["Account"]: r for r in scores}["Same Figure AG"]
    # the scores page writes the currency after the figure (the money filter)
    assert in_portfolio["Revenue, last 12 full months"].removesuffix(" EUR") == expected
    assert in_scores["Revenue, last 12 full months"].removesuffix(" EUR") == expected


@pytest.fixture
def managed():
    anna = UserFactory(username="anna", role="kam", first_name="Anna", last_name="Adler")
    zoe = UserFactory(username="zoe", role="kam", first_name="Zoe", last_name="Zander")
    make_unit("Alpha", account_manager=zoe)
    make_unit("Beta", account_manager=anna)
    make_unit("Gamma", account_manager=zoe)
    make_unit("Nobody's")
    return {"anna": anna, "zoe": zoe}


def test_the_portfolio_filters_and_sorts_by_account_manager(client_for, managed):
    client = client_for("executive")
    url = reverse("web:portfolio")
    rows = table(client.get(url, {"account_manager": managed["zoe"].pk}).content, "portfolio-table")
    assert [r["Customer"] for r in rows] == ["Alpha", "Gamma"]
    rows = table(client.get(url, {"sort": "account_manager"}).content, "portfolio-table")
    column = next(k for k in rows[0] if k.startswith("Account manager"))
    names = [r["Customer"] for r in rows if r[column] != "—"]
    assert names == ["Beta", "Alpha", "Gamma"]
    assert client.get(url, {"account_manager": "x"}).status_code == 400


def test_the_units_api_filters_by_account_manager(client, kam_a, kam_b):
    response = client.get(
        f"/api/v1/units?depth=1&account_manager={kam_b.user.pk}", headers=kam_a.headers
    )
    assert [u["name"] for u in response.json()["items"]] == ["Account B"]
    bad = client.get("/api/v1/units?account_manager=0", headers=kam_a.headers)
    assert bad.status_code in (400, 422)


def test_the_scores_filter_and_sort_by_account_manager(client, client_for, managed, kam_a):
    scoring_run_execute(model=active_model(), as_of=timezone.localdate())
    web = client_for("executive")
    url = reverse("identification:scores")
    rows = table(web.get(url, {"account_manager": managed["zoe"].pk}).content, "scores-table")
    assert sorted(r["Account"] for r in rows) == ["Alpha", "Gamma"]
    rows = table(web.get(url, {"sort": "account_manager"}).content, "scores-table")
    column = next(k for k in rows[0] if k.startswith("Account manager"))
    names = [r["Account"] for r in rows if r[column] in ("Anna Adler", "Zoe Zander")]
    assert names[0] == "Beta"
    api = client.get(
        f"/api/v1/identification/scores?account_manager={managed['anna'].pk}",
        headers=kam_a.headers,
    ).json()
    assert [s["account_id"] for s in api["items"]] == [Unit.objects.get(name="Beta").pk]
