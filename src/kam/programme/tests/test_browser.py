"""In headless Chromium: an executive opens a campaign, a field rep answers it on a phone-sized
screen, the executive sees the radar change and clicks a weak condition through to the
accounts behind it."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kam.programme.models import ProgrammeSettings, Statement
from kam.testing.factories import PASSWORD, UserFactory

from .helpers import key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _statements() -> None:
    """The default statements (a transactional test may have flushed the migration's rows)."""
    if not Statement.objects.exists():
        seeded = importlib.import_module("kam.programme.migrations.0002_default_statements")
        for position, (condition, en, ru) in enumerate(seeded.STATEMENTS):
            Statement.objects.create(condition=condition, text_en=en, text_ru=ru, position=position)


def _login(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def _logout(page: Any) -> None:
    """Sign out (at phone width the navigation is folded: drop the session cookie instead)."""
    page.context.clear_cookies()


def test_a_campaign_from_opening_to_the_accounts_behind_a_weak_condition(
    page: Any, live_server: Any
) -> None:
    # the first page of a cold browser and server may take long on a busy machine
    page.goto(f"{live_server.url}/login/", timeout=60000)
    _statements()
    ProgrammeSettings.objects.create(min_group_size=1)
    UserFactory(username="chief", role="executive")
    UserFactory(username="rita", role="field_rep")
    key("Unsponsored Steel")

    _login(page, live_server, "chief")
    page.goto(f"{live_server.url}/programme/")
    radar = page.locator("#programme-radar")
    expect(radar).to_have_attribute("data-rendered", "1")
    before = radar.get_attribute("data-scores")
    page.click("#campaign-new-link")
    page.fill("#id_name", "Winter check")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("#campaign-status")).to_have_text("Open")
    _logout(page)

    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, live_server, "rita")
    page.goto(f"{live_server.url}/programme/")
    page.click("[data-my-campaign] a")
    fieldsets = page.locator("#answers fieldset")
    expect(fieldsets).to_have_count(12)
    for i in range(12):
        fieldsets.nth(i).locator("label.btn", has_text=re.compile(r"^1$")).click()
    page.fill("#answers fieldset >> nth=4 >> input[type=text]", "Service answers late")
    page.click("#save-answers")
    expect(page.locator(".alert-success")).to_contain_text("12 answers saved")
    _logout(page)

    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, "chief")
    page.goto(f"{live_server.url}/programme/")
    radar = page.locator("#programme-radar")
    expect(radar).to_have_attribute("data-rendered", "1")
    assert radar.get_attribute("data-scores") != before
    expect(page.locator("#groups tr[data-group='field_rep']")).to_contain_text("0.0")
    weak = page.locator("#conditions tr.table-warning[data-condition='2'] a.condition-link")
    weak.click()
    page.click("#condition-2 tr[data-indicator='sponsor_share'] a")
    expect(page.locator("#accounts-behind")).to_contain_text("Unsponsored Steel")
    expect(page.locator("#advice")).to_contain_text("no executive sponsor: assign one")
