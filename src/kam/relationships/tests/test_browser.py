"""In headless Chromium: open the buying centre from the account page, give a contact a role
in place, and see role coverage change."""

import re

import pytest
from playwright.sync_api import expect

from kam.testing.factories import PASSWORD, EmploymentFactory, UserFactory, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_a_role_and_see_role_coverage_change(page, live_server):
    kam = UserFactory(username="anna", role="kam")
    account = make_unit("Nordstahl Group", account_manager=kam)
    cfo = EmploymentFactory(unit=account, function="finance", seniority="board").contact
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.click("#buying-centre-link")
    expect(page).to_have_url(re.compile(rf"/relationships/accounts/{account.pk}/$"))
    expect(page.locator("#role-coverage")).to_have_text("0 %")
    row = page.locator(f"#member-{cfo.pk}")
    row.locator(".member-edit").click()
    form = page.locator(f"#member-{cfo.pk} form.member-form")
    expect(form).to_be_visible()
    form.locator("input[value=decider]").check()
    form.locator("select[name=attitude]").select_option("champion")
    form.locator(".member-save").click()
    expect(page.locator(f"#member-{cfo.pk} .member-roles")).to_contain_text("Decider")
    expect(page.locator("#role-coverage")).to_have_text("40 %")  # decider + champion of 5
