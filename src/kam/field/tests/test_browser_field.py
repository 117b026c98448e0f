"""At phone width: a field rep opens today's visit, checks in, logs the interaction against a
plan action, and the KAM sees it in the account's feed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from kam.field.models import Visit
from kam.field.services import assignment_set
from kam.planning.models import Action
from kam.planning.services import plan_create
from kam.testing.factories import PASSWORD, UserFactory, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_a_rep_checks_in_logs_against_an_action_and_the_kam_sees_it(page, live_server) -> None:
    kam = UserFactory(username="anna", role="kam", first_name="Anna", last_name="Petrova")
    rep = UserFactory(username="ivan", role="field_rep", first_name="Ivan", last_name="Orlov")
    account = make_unit("Nordstahl Group", account_manager=kam, tier="key")
    site = make_unit("Nordstahl Plant Essen", parent=account, kind="site")
    assignment_set(units=[site], rep=rep, actor=kam)
    plan = plan_create(account=account, user=kam)
    action = Action.objects.create(
        plan=plan, title="Present the coil line", owner=rep, due_date=dt.date.today(), unit=site
    )
    visit = Visit.objects.create(unit=site, rep=rep, planned_on=dt.date.today())

    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, live_server, "ivan")
    page.goto(f"{live_server.url}/field/mine/")
    today = page.locator("#today-visits")
    expect(today).to_contain_text("Nordstahl Plant Essen")
    # nothing sticks out sideways at 390 px
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    today.locator(f"#visit-{visit.pk} button:has-text('Check in')").click()
    expect(page).to_have_url(re.compile(rf"/field/log/\?visit={visit.pk}$"))
    page.fill("#id_summary", "Showed the coil line to the plant manager")
    page.fill("#id_next_step", "Send samples")
    page.select_option("#id_action", str(action.pk))
    page.click("#log-submit")
    expect(page).to_have_url(re.compile(r"/field/mine/$"))
    expect(page.locator("#my-units-feed")).to_contain_text("Showed the coil line")

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, "anna")
    page.goto(f"{live_server.url}/teams/accounts/{account.pk}/feed/")
    expect(page.locator("body")).to_contain_text("Showed the coil line to the plant manager")
    page.goto(f"{live_server.url}/field/accounts/{account.pk}/")
    expect(page.locator("#field-interactions")).to_contain_text("Present the coil line")
    action.refresh_from_db()
    assert action.status == "done"
