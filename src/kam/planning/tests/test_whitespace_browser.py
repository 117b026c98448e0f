"""The white space in headless Chromium: the heatmap draws, a cell is edited in place (HTMX)."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from kam.planning.models import WhiteSpaceCell
from kam.sales.models import Competitor
from kam.sales.services import transactions_create
from kam.testing.factories import (
    PASSWORD,
    ProductFactory,
    ProductLineFactory,
    UserFactory,
    make_unit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_kam_edits_a_white_space_cell_in_place(page, live_server):
    kam = UserFactory(username="anna", role="kam")
    account = make_unit("Nordstahl Group", account_manager=kam)
    plant = make_unit("Plant North", parent=account, kind="site")
    pumps = ProductLineFactory(code="PUMP", name="Pumps")
    valves = ProductLineFactory(code="VALV", name="Valves")
    Competitor.objects.create(name="Rival AG")
    transactions_create(
        rows=[
            {
                "date": dt.date.today().replace(day=1) - dt.timedelta(days=20),
                "unit_id": plant.pk,
                "product_id": ProductFactory(line=pumps).pk,
                "net_amount": Decimal("1000"),
            }
        ]
    )
    WhiteSpaceCell.objects.create(
        account=account, unit=plant, product_line=pumps, status="ours", potential=5000
    )
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/planning/accounts/{account.pk}/white-space/")
    expect(page.locator("#ws-heatmap canvas")).to_have_count(1)
    cell = page.locator(f"#ws-{plant.pk}-{valves.pk}")
    cell.click()
    form = page.locator(f"form#ws-{plant.pk}-{valves.pk}")
    form.locator("select[name=status]").select_option("competitor")
    form.locator("select[name=competitor]").select_option(label="Rival AG")
    form.locator("input[name=potential]").fill("2500")
    form.locator("button[type=submit]").click()
    shown = page.locator(f"div#ws-{plant.pk}-{valves.pk}")
    expect(shown).to_contain_text("Rival AG")
    expect(shown).to_have_attribute("data-status", "competitor")
    expect(page.locator(f"#ws-line-potential-{valves.pk}")).to_have_text("2,500")
    page.click("#ws-prefill")
    expect(page.locator(f"div#ws-{plant.pk}-{valves.pk}")).to_contain_text("Rival AG")
