"""In headless Chromium: a KAM files a resource request, the service manager accepts and assigns
it, the specialist marks it done, and the KAM sees it in the account's feed."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from kam.teams.models import FunctionHead
from kam.testing.factories import PASSWORD, UserFactory, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))


def test_a_request_from_filing_to_done_shows_in_the_feed(page, live_server):
    anna = UserFactory(username="anna", role="kam", first_name="Anna", last_name="Petrova")
    head = UserFactory(username="olga", role="specialist", function="service", first_name="Olga")
    UserFactory(username="sam", role="specialist", function="service", first_name="Sam")
    FunctionHead.objects.create(function="service", user=head)
    account = make_unit("Nordstahl Group", account_manager=anna)

    _login(page, live_server, "anna")
    page.goto(live_server.url + reverse("teams:account_team", args=[account.pk]))
    page.click("#ask-for-help")
    page.select_option("#id_function", "service")
    page.fill("#id_what", "Commission the new line")
    page.fill("#id_needed_by", (dt.date.today() + dt.timedelta(days=10)).isoformat())
    page.click("#request-form button[type=submit]")
    expect(page.locator("#request-status")).to_have_text("Open")
    url = page.url

    _login(page, live_server, "olga")
    page.goto(url)
    sam_label = page.locator("#step-accept select option", has_text="Sam").first.inner_text()
    page.select_option("#step-accept select", label=sam_label)
    page.click("#step-accept button[type=submit]")
    expect(page.locator("#request-status")).to_have_text("Accepted")
    expect(page.locator("#assignee")).to_contain_text("Sam")

    _login(page, live_server, "sam")
    page.goto(url)
    page.click("#step-done button[type=submit]")
    expect(page.locator("#request-status")).to_have_text("Done")

    _login(page, live_server, "anna")
    page.goto(live_server.url + reverse("teams:feed", args=[account.pk]))
    expect(page.locator("#feed")).to_contain_text("Commission the new line")
    expect(page.locator("#feed [data-kind=request]").first).to_contain_text("Done")
