"""The Content-Security-Policy and XSS in headless Chromium (trust).

One walk over the main pages listening for CSP violations and checking their HTML has no inline
script, handler or style; one visit of every page that shows free text typed by users, with
script payloads in that text, hovering the charts so their tooltips render it too.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kam.core.periods import add_months
from kam.identification.engine import data_end
from kam.identification.models import ScoringModel
from kam.identification.selectors import scoring_model_active
from kam.identification.services import (
    assessment_update,
    nomination_create,
    scoring_run_execute,
)
from kam.identification.tests.conftest import make_model
from kam.interactions.models import Interaction
from kam.sales.models import Opportunity
from kam.sales.services import transactions_create
from kam.testing.factories import (
    PASSWORD,
    ContactFactory,
    EmploymentFactory,
    ProductFactory,
    ProductLineFactory,
    make_unit,
)
from kam.testing.html import parse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMG = "<img src=x onerror=window.__xss=1>"
SCRIPT = '"><script>window.__xss=1</script>'

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile);
});
"""


def _model() -> ScoringModel:
    return scoring_model_active() or make_model(
        [
            ("revenue", "potential", "revenue_12m", "percentile", 10),
            ("willingness", "relational", "willingness", "rubric", 10),
        ],
        version=1,
        status="active",
    )


def _portfolio(users, text: str = "Acme") -> dict:
    """Two scored accounts; every free-text field a user can type holds ``text`` payloads."""
    line = ProductLineFactory(code="PLX", name=f"Line {IMG}")
    product = ProductFactory(line=line)
    end = data_end(timezone.localdate())
    accounts = []
    for i, (revenue, willingness) in enumerate(((9000, 9), (2000, 3))):
        account = make_unit(f"{text} {i} {IMG}", industry="Steel", account_manager=users["kam"])
        site = make_unit(f"Site {SCRIPT}", parent=account, kind="site")
        transactions_create(
            rows=[
                {
                    "date": add_months(end, -k),
                    "unit_id": site.pk,
                    "product_id": product.pk,
                    "net_amount": Decimal(revenue),
                }
                for k in (2, 14)
            ]
        )
        assessment_update(account=account, wallet_estimate=revenue * 2, willingness=willingness)
        contact = ContactFactory(first_name=f"Olga {IMG}", last_name=f"Ivanova {SCRIPT}")
        EmploymentFactory(unit=account, contact=contact, title=f"Buyer {IMG}")
        Interaction.objects.create(
            type="meeting",
            occurred_at=timezone.now() - dt.timedelta(days=3),
            unit=account,
            summary=f"Visit {IMG}",
            outcome=f"Notes {SCRIPT}",
        )
        Opportunity.objects.create(unit=account, name=f"Deal {IMG}", amount=Decimal(1000))
        accounts.append(account)
    model = _model()
    ScoringModel.objects.filter(pk=model.pk).update(name=f"Model {IMG} {SCRIPT}")
    scoring_run_execute(model=model)
    nomination = nomination_create(
        account=accounts[1], user=users["kam"], rationale=f"Because {IMG} {SCRIPT}"
    )
    return {"accounts": accounts, "nomination": nomination}


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))


def _inline_code(html: str) -> list[str]:
    """Inline scripts, event-handler attributes, javascript: URLs and style attributes."""
    found = []
    for el in parse(html).iter():
        inline = el.tag == "script" and "src" not in el.attrs
        if inline and el.attrs.get("type") != "application/json":
            found.append(f"<script> {el.text[:60]}")
        for name, value in el.attrs.items():
            if name.startswith("on") or name == "style":
                found.append(f"<{el.tag} {name}={value[:40]}>")
            if value.strip().lower().startswith("javascript:"):
                found.append(f"<{el.tag} {name}={value[:40]}>")
    return found


def _hover_chart(page, chart_id: str, points: list[tuple[float, float]]) -> None:
    chart = page.locator(f"#{chart_id}")
    expect(chart).to_have_attribute("data-rendered", "true")
    box = chart.bounding_box()
    assert box
    for x, y in points:
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(150)


def test_main_pages_keep_the_policy_and_have_no_inline_code(page, live_server, users):
    data = _portfolio(users)
    account = data["accounts"][0]
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.add_init_script(LISTEN)

    page.goto(f"{live_server.url}/login/")
    response = page.request.get(f"{live_server.url}/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]

    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    _login(page, live_server, "admin")
    paths = [
        "/accounts/",
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/edit/",
        f"/accounts/{account.pk}/history/",
        "/identification/",
        "/identification/matrix/",
        "/dashboard/",
        f"/identification/accounts/{account.pk}/",
        "/identification/model/",
        "/identification/nominations/",
        f"/identification/nominations/{data['nomination'].pk}/",
        "/data/",
        "/data/import/",
        "/data/export/",
        "/settings/tokens/",
        "/api/v1/docs",
        "/admin/",
        "/admin/people/user/",
        f"/admin/people/user/{admin.pk}/change/",
    ]
    problems: dict[str, list[str]] = {}
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert response.status == 200, path
        assert "content-security-policy" in response.headers, path
        page.wait_for_load_state("networkidle")
        found = _inline_code(response.text()) + page.evaluate("window.__csp")
        if found:
            problems[path] = found
    assert problems == {}
    assert [m for m in console if "Content Security Policy" in m] == []
    # The pages still work under the policy: charts drew, Swagger UI rendered.
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator("#swagger-ui")).to_contain_text("/api/v1/units", timeout=30000)


def test_script_payloads_in_user_text_stay_inert(page, live_server, users):
    data = _portfolio(users)
    account = data["accounts"][0]
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    _login(page, live_server, "executive")

    def inert(where: str) -> None:
        assert page.evaluate("typeof window.__xss") == "undefined", where
        assert page.locator('img[src="x"]').count() == 0, where

    page.goto(f"{live_server.url}/accounts/")
    expect(page.locator("#portfolio-table")).to_contain_text(IMG)
    inert("portfolio")

    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    expect(page.locator("#contacts-table")).to_contain_text(f"Buyer {IMG}")
    expect(page.locator("#interactions-list")).to_contain_text(f"Notes {SCRIPT}")
    box = page.locator("#revenue-chart").bounding_box()
    assert box
    _hover_chart(
        page, "revenue-chart", [(box["width"] * f, box["height"] * 0.5) for f in (0.3, 0.7)]
    )
    expect(page.locator("#revenue-chart")).to_contain_text("Line <img")  # the tooltip, as text
    inert("account page and its chart tooltip")

    page.goto(f"{live_server.url}/identification/matrix/")
    expect(page.locator("#matrix-chart")).to_have_attribute("data-rendered", "true")
    points = page.evaluate("window.kamMatrixPoints()")
    assert len(points) == 2
    _hover_chart(page, "matrix-chart", [(p["x"], p["y"]) for p in points])
    expect(page.locator("#matrix-chart")).to_contain_text("Acme")  # a bubble's tooltip shows
    inert("matrix tooltips")

    for path in (
        "/identification/",
        f"/identification/accounts/{account.pk}/",
        "/identification/model/",
        "/identification/nominations/",
        f"/identification/nominations/{data['nomination'].pk}/",
        f"/accounts/{account.pk}/history/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        inert(path)
    page.goto(f"{live_server.url}/identification/nominations/{data['nomination'].pk}/")
    expect(page.locator("body")).to_contain_text(f"Because {IMG}")
    assert dialogs == []
