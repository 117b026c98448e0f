"""A KAM plans from the template, a field rep completes the action on a phone, progress moves."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kam.identification.models import AccountScore, ScoringModel, ScoringRun
from kam.planning.models import AccountPlan
from kam.testing.factories import PASSWORD, UserFactory, make_unit

# serialized_rollback: the test reads rows the migrations seed (the plan templates, the default
# scoring model), which a transactional test run before it on the same worker has flushed
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#id_username")).to_have_count(0)


def _seeded_templates() -> None:
    """The plan templates the migrations seed; a transactional test run before this one on the
    same worker flushes them, so they are put back the way the migration writes them."""
    import importlib

    from django.apps import apps

    from kam.planning.models import PlanTemplate

    if not PlanTemplate.objects.exists():
        seed = importlib.import_module("kam.planning.migrations.0002_plan_template_defaults")
        seed.add_defaults(apps, None)


def _data():
    _seeded_templates()
    kam = UserFactory(username="anna", role="kam", first_name="Anna", last_name="Petrova")
    rep = UserFactory(username="ivan", role="field_rep", first_name="Ivan", last_name="Sokolov")
    account = make_unit("Nordstahl Group", industry="Steel", country="DE", account_manager=kam)
    make_unit("Nordstahl Plant North", parent=account, kind="site")
    # the latest scoring run puts the account in the Strategic quadrant (high score and share)
    run = ScoringRun.objects.create(
        # the migrations' default model, or one of our own when a transactional test ran
        # before on this worker and flushed the seeded rows
        model=ScoringModel.objects.filter(status="active").first()
        or ScoringModel.objects.create(name="Browser test model", version=900, status="active"),
        status="done",
        as_of=timezone.localdate(),
        accounts_count=1,
        finished_at=timezone.now(),
    )
    AccountScore.objects.create(
        run=run,
        account=account,
        total=82,
        rank=1,
        scope="local",
        completeness=90,
        share_of_wallet=0.9,
    )
    return kam, rep, account


def test_plan_from_template_action_for_a_field_rep_completed_on_a_phone(browser, page, live_server):
    kam, rep, account = _data()
    # the journey spans two browsers and several full page loads: on a busy two-core machine a
    # step can take longer than Playwright's default 5 s, which is not what this test checks
    page.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    _login(page, live_server, "anna")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.click("#account-plan-link")
    page.click("#create-plan")
    expect(page.locator("#plan-title")).to_contain_text("Nordstahl Group")
    expect(page.locator("#objectives-table")).to_contain_text("Grow revenue by 15 %")
    expect(page.locator("#objectives-table")).to_contain_text("Become the primary supplier")
    plan = AccountPlan.objects.get(account=account)
    assert plan.quadrant == "strategic"

    page.click("#add-objective")
    page.fill("#id_title", "Energy audit signed off")
    page.select_option("#id_metric_key", "")
    page.fill("#id_target_value", "1")
    page.fill("#id_deadline", plan.period_end.isoformat())
    page.click("#save")
    expect(page.locator("#objectives-table")).to_contain_text("Energy audit signed off")

    page.click("#add-action")
    page.fill("#id_title", "Walk the north plant with the energy manager")
    page.select_option("#id_owner", str(rep.pk))
    page.fill("#id_due_date", (timezone.localdate() + dt.timedelta(days=5)).isoformat())
    page.select_option("#id_objective", label="Energy audit signed off")
    page.click("#save")
    expect(page.locator("#actions-list")).to_contain_text("Ivan Sokolov")
    expect(page.locator("#plan-actions-done")).to_contain_text("0 of 1")
    objective_row = page.locator("#objectives-table tr:has-text('Energy audit signed off')")
    expect(objective_row.locator(".objective-progress")).to_have_text("0 %")

    phone = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    rep_page = phone.new_page()
    rep_page.set_default_timeout(15000)
    try:
        _login(rep_page, live_server, "ivan")
        rep_page.goto(f"{live_server.url}/plans/actions/")
        row = rep_page.locator("#action-list li:has-text('Walk the north plant')")
        expect(row).to_be_visible()
        box = row.bounding_box()
        assert box and box["width"] <= 390
        row.locator("select[name=status]").select_option("done")
        row.locator("input[name=note]").fill("Audit agreed for next month")
        row.locator("button[type=submit]").click()
        expect(rep_page.locator("#actions-empty")).to_be_visible()  # no open action left
    finally:
        phone.close()

    page.reload()
    expect(page.locator("#plan-actions-done")).to_contain_text("1 of 1")
    objective_row = page.locator("#objectives-table tr:has-text('Energy audit signed off')")
    expect(objective_row.locator(".objective-progress")).to_have_text("100 %")
    expect(page.locator("#actions-list")).to_contain_text("Audit agreed for next month")
    expect(page).to_have_url(re.compile(rf"/plans/{plan.pk}/"))
