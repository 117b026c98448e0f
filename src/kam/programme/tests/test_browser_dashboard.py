"""In headless Chromium: an executive logs in and lands on the dashboard, sees its charts drawn,
clicks a figure through to the list behind it, prints the page to a one-page PDF, and sees it
reload itself with new figures after a change."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from kam.customers.models import Unit
from kam.identification.services import account_tier_set
from kam.programme.tasks import dashboard_refresh_task
from kam.testing.factories import PASSWORD, UserFactory, make_unit

from .helpers import key, revenue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def one_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today stays the day the test began, in the live server's thread too. Kept figures of an
    earlier day are rightly shown as being updated; a run across midnight saw the new figures
    kept at 23:59 marked so after its reload, and failed."""
    today = timezone.localdate()
    localdate = timezone.localdate

    def pinned(value: Any = None, timezone: Any = None) -> Any:
        return today if value is None else localdate(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", pinned)


def test_an_executive_sees_the_dashboard_clicks_through_and_prints_one_page(
    page: Any, live_server: Any
) -> None:
    # the first page of a cold browser and server may take long on a busy machine
    page.goto(f"{live_server.url}/login/", timeout=60000)
    UserFactory(username="chief", role="executive")
    for i in range(12):
        account = key(f"Key Holding {i:02d}") if i < 8 else make_unit(f"Small Buyer {i:02d}")
        revenue(account, 1000 * (i + 1))

    page.fill("#id_username", "chief")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))  # executives land on the dashboard
    expect(page.locator("h1")).to_have_text("Executive dashboard")
    for chart in ("matrix", "health", "stages", "conditions"):
        chart_el = page.locator(f"#dash-{chart}-chart")
        expect(chart_el).to_have_attribute("data-rendered", "1")
        expect(chart_el.locator("canvas")).to_have_count(1)
    expect(page.locator("#dash-counts [data-tier=key] a")).to_have_text("8")
    expect(page.locator("#dashboard")).to_have_attribute("data-charts", "4")

    # a figure opens the list behind it: the key accounts in the portfolio
    page.click("#dash-counts [data-tier=key] a")
    expect(page).to_have_url(re.compile(r"/accounts/\?tier=key$"))
    expect(page.locator("#portfolio-table")).to_contain_text("Key Holding 00")
    expect(page.locator("#portfolio-table")).not_to_contain_text("Small Buyer")

    page.go_back()
    expect(page.locator("#dashboard-print")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#main-nav")).to_be_hidden()
    expect(page.locator("#dashboard-print")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1

    # a nomination decided: the page shows the kept figures as being updated, then reloads
    # itself with the new ones once the job worker has computed them (decision 135)
    page.emulate_media(media="screen")
    account_tier_set(account=Unit.objects.get(name="Small Buyer 08"), tier="key")
    page.reload()
    expect(page.locator("#dashboard-updating")).to_be_visible()
    expect(page.locator("#dash-counts [data-tier=key] a")).to_have_text("8")
    dashboard_refresh_task.call()  # what the worker does
    expect(page.locator("#dash-counts [data-tier=key] a")).to_have_text("9", timeout=15000)
    expect(page.locator("#dashboard-updating")).to_have_count(0)
