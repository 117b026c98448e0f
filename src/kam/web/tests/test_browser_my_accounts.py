"""A KAM's Monday morning in Chromium: My accounts, the profile, the contacts' pages, the bell."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kam.people.services import notify
from kam.testing.factories import PASSWORD, EmploymentFactory, UserFactory, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_kam_lands_on_my_accounts_opens_a_profile_pages_contacts_and_the_bell(page, live_server):
    kam = UserFactory(username="anna", role="kam", first_name="Anna", last_name="Petrova")
    account = make_unit("Nordstahl Group", account_manager=kam, tier="key")
    make_unit("Someone Else's", tier="key")
    for i in range(60):
        EmploymentFactory(unit=account, title=f"Engineer {i:02d}")
    notify(users=[kam], message="Nordstahl Group: review due", link=f"/accounts/{account.pk}/")

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/my-accounts/$"))
    table = page.locator("#my-accounts-table")
    expect(table).to_contain_text("Nordstahl Group")
    expect(table).not_to_contain_text("Someone Else's")

    page.click("#my-accounts-table a:has-text('Nordstahl Group')")
    expect(page.locator("#account-name")).to_have_text("Nordstahl Group")
    expect(page.locator("#contacts-table tbody tr")).to_have_count(50)
    page.click("#contacts-next")
    expect(page.locator("#contacts-page-of")).to_have_text("Page 2 of 2")
    expect(page.locator("#contacts-table tbody tr")).to_have_count(10)
    expect(page).to_have_url(re.compile(r"cpage=2"))

    expect(page.locator("#notifications-count")).to_have_text("1")
    page.click("#notifications-toggle")
    menu = page.locator("#notifications-menu-list")
    expect(menu).to_contain_text("Nordstahl Group: review due")
    page.click("#notifications-mark-all")
    expect(page.locator("#notifications-count")).to_have_count(0)
