"""Drive the web shell in headless Chromium: log in, search, open an account, see the chart."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from kam.sales.services import transactions_create
from kam.testing.factories import PASSWORD, ProductFactory, UserFactory, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _data():
    UserFactory(username="anna", role="kam", first_name="Anna", last_name="Petrova")
    product = ProductFactory()
    rows = []
    for name in ("Nordstahl Group", "Baltic Foods", "Uralchem Holding"):
        group = make_unit(name, industry="Steel", country="DE")
        site = make_unit(f"{name} Plant", parent=group, kind="site")
        for year_back in (0, 1, 2):
            rows.append(
                {
                    "date": dt.date.today().replace(day=1)
                    - dt.timedelta(days=365 * year_back + 20),
                    "unit_id": site.pk,
                    "product_id": product.pk,
                    "net_amount": Decimal("1000") * (year_back + 1),
                }
            )
    transactions_create(rows=rows)


def _login(page, live_server, username="anna"):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_log_in_search_open_an_account_and_see_the_revenue_chart(page, live_server):
    _data()
    _login(page, live_server)
    expect(page).to_have_url(re.compile(r"/my-accounts/$"))  # a KAM lands on My accounts
    page.click("#main-nav a:has-text('Portfolio')")
    expect(page.locator("#portfolio-table")).to_contain_text("Baltic Foods")

    page.fill("#id_q", "nordstahl")
    page.click("#portfolio-filter button[type=submit]")
    table = page.locator("#portfolio-table")
    expect(table).to_contain_text("Nordstahl Group")
    expect(table).not_to_contain_text("Baltic Foods")

    page.click("#portfolio-table a:has-text('Nordstahl Group')")
    expect(page.locator("#account-name")).to_have_text("Nordstahl Group")
    expect(page.locator("#unit-tree")).to_contain_text("Nordstahl Group Plant")
    chart = page.locator("#revenue-chart")
    expect(chart).to_have_attribute("data-rendered", "true")
    canvas = chart.locator("canvas")
    expect(canvas).to_have_count(1)
    box = canvas.bounding_box()
    assert box
    assert box["width"] > 200
    assert box["height"] > 200


def test_a_wrong_password_shows_a_message_in_the_browser(page, live_server):
    _data()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_be_visible()


def test_switching_to_russian_relabels_the_interface(page, live_server):
    _data()
    _login(page, live_server)
    page.select_option("#language-select", "ru")
    expect(page.locator("h1")).to_contain_text("Мои клиенты")  # a KAM lands on My accounts
    expect(page.locator("#main-nav")).to_contain_text("Портфель")
