"""Drive the portfolio matrix in headless Chromium: see the chart, click a bubble, land on the
account's score explanation."""

import math
import re

import pytest
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from kam.identification.selectors import scoring_model_active
from kam.identification.services import assessment_update, scoring_run_execute
from kam.sales.models import SupplierPosition
from kam.testing.factories import PASSWORD, make_unit

from .conftest import make_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _active_model():
    """The seeded default model (a transactional test before this one may have flushed it)."""
    return scoring_model_active() or make_model(
        [
            ("revenue", "potential", "revenue_12m", "percentile", 10),
            ("willingness", "relational", "willingness", "rubric", 10),
        ],
        version=1,
        status="active",
    )


def _portfolio(sell, month):
    """Three accounts far apart on the matrix: strong, weak and in between."""
    today = timezone.localdate()
    accounts = {}
    for name, revenue, wallet, position, willingness in (
        ("Strong Holding", 9000, 10000, "sole", 9),
        ("Weak Industries", 1000, 10000, None, 2),
        ("Middle Group", 4000, 8000, "approved", 5),
    ):
        account = make_unit(name, industry="Steel")
        sell(account, revenue, month(2))
        assessment_update(account=account, wallet_estimate=wallet, willingness=willingness)
        if position:
            SupplierPosition.objects.create(account=account, position=position, since=today)
        accounts[name] = account
    scoring_run_execute(model=_active_model())
    return accounts


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # KAMs land on My accounts, executives on the dashboard
    expect(page).to_have_url(re.compile(r"/((my-)?accounts|dashboard)/$"))


def test_an_executive_clicks_a_bubble_and_sees_why(page, live_server, users, sell, month):
    accounts = _portfolio(sell, month)
    _login(page, live_server, "executive")

    page.click("#main-nav a:has-text('Identification')")
    expect(page.locator("#scores-table")).to_contain_text("Strong Holding")
    page.click("#identification-tabs a:has-text('Portfolio matrix')")

    chart = page.locator("#matrix-chart")
    expect(chart).to_have_attribute("data-rendered", "true")
    expect(chart.locator("canvas")).to_have_count(1)
    box = chart.bounding_box()
    assert box
    assert box["width"] > 400
    assert box["height"] > 400
    expect(page.locator("#matrix-policies")).to_contain_text("Reduce the cost to serve.")

    points = page.evaluate("window.kamMatrixPoints()")
    assert {p["id"] for p in points} == {a.pk for a in accounts.values()}

    def clearance(p):
        return min(math.dist((p["x"], p["y"]), (q["x"], q["y"])) for q in points if q is not p)

    target = max(points, key=clearance)
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    expect(page).to_have_url(re.compile(rf"/identification/accounts/{target['id']}/$"))
    name = next(n for n, a in accounts.items() if a.pk == target["id"])
    expect(page.locator("#account-name")).to_have_text(name)
    expect(page.locator("#criteria-table")).to_be_visible()
    expect(page.locator("#explanation")).to_contain_text("threshold")


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
)
def test_running_scoring_from_the_page_shows_the_run(page, live_server, users, sell, month):
    _active_model()
    account = make_unit("Fresh Account", industry="Steel")
    sell(account, 500, month(2))
    _login(page, live_server, "admin")
    page.goto(f"{live_server.url}/identification/")
    expect(page.locator("#scores-none")).to_be_visible()
    page.click("#run-scoring")
    status = page.locator("#run-status")
    expect(status).to_have_attribute("data-status", "done")
    expect(status).to_contain_text("1 account scored")
    page.click("#run-show-scores")
    expect(page.locator("#scores-table")).to_contain_text("Fresh Account")
