"""The Content-Security-Policy and XSS in headless Chromium (trust).

One walk over every HTML page of a tiny demo build (kam.testing.pages.PAGES and the pages it
does not time) with script payloads in its names, listening for CSP violations, checking their
HTML has no inline script, handler or style and hovering the white-space heatmap and the
relationship map; one visit of every page that shows free text typed by users, with
script payloads in that text, hovering the charts so their tooltips render it too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Concat, Left
from django.test import Client
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from kam.core.periods import add_months
from kam.customers.models import Contact, Employment, Unit
from kam.demo.build import demo_build
from kam.identification.engine import data_end
from kam.identification.models import ModelStatus, ScoringModel
from kam.identification.selectors import scoring_model_active
from kam.identification.services import (
    assessment_update,
    nomination_create,
    scoring_run_execute,
)
from kam.identification.tests.conftest import make_model
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.sales.models import Opportunity, ProductLine
from kam.sales.services import transactions_create
from kam.testing import seeded
from kam.testing.factories import (
    PASSWORD,
    ContactFactory,
    EmploymentFactory,
    ProductFactory,
    ProductLineFactory,
    make_unit,
)
from kam.testing.html import parse
from kam.testing.pages import PAGES, Ids, find_ids

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMG = "<img src=x onerror=window.__xss=1>"
SCRIPT = '"><script>window.__xss=1</script>'
TODAY = dt.date(2026, 6, 15)

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


def _as(browser, live_server, user, console: list[str]) -> Any:
    """A browser page logged in as ``user`` (a session made on the server: no login form, so
    the login throttle never counts these), listening for CSP violations; its console messages
    go to ``console``."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on("console", lambda m: console.append(m.text))
    return page


def _payloads_in_the_demo(ids: Ids) -> None:
    """Script payloads in the names users type: the units of the largest account, its people
    and every product line (the white-space heatmap's axes and the relationship map's nodes)."""
    account = Unit.objects.get(pk=ids.account)
    Unit.objects.in_account(account).update(name=Concat(Left(F("name"), 120), Value(f" {IMG}")))
    ProductLine.objects.update(name=Concat(Left(F("name"), 60), Value(f" {IMG}")))
    people = Employment.objects.filter(unit__in=Unit.objects.in_account(account))
    Contact.objects.filter(pk__in=people.values("contact_id")).update(
        first_name=Concat(Left(F("first_name"), 40), Value(f" {IMG}")),
        last_name=Concat(Left(F("last_name"), 40), Value(f" {SCRIPT}")),
    )


def _show_tips(page, chart_id: str, count: int) -> str:
    """Hover (ECharts' own ``showTip``, as the mouse does) the first ``count`` items of a chart's
    first series; answer the tooltip's text as the last one left it."""
    return page.evaluate(
        """([id, count]) => {
          const el = document.getElementById(id);
          const chart = window.echarts.getInstanceByDom(el);
          let text = "";
          for (let i = 0; i < count; i++) {
            chart.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: i});
            const tip = [...el.querySelectorAll("div")].find(
              (d) => d.textContent.includes("<img"));
            if (tip) { text = tip.textContent; }
          }
          return text;
        }""",
        [chart_id, count],
    )


def test_every_page_of_a_demo_keeps_the_policy_and_its_payloads_inert(browser, live_server):
    """Every HTML page of the page benchmark (kam.testing.pages.PAGES), as its persona, on a
    tiny demo whose names carry script payloads, and the pages the benchmark does not time
    (forms, admin, the API docs, the relationship map): each answers 200 with the CSP header,
    has no inline script, handler or style, raises no CSP violation and runs no payload. Then
    the tooltips of the white-space heatmap and the relationship map show the payloads as text.
    A failure names the page."""
    if not ScoringModel.objects.filter(status=ModelStatus.ACTIVE).exists():
        # The rows the migrations seed (scoring model, plan templates, settings rows…) were not
        # back after an earlier transactional test on this worker (seen only in full runs,
        # never alone): reload them as serialized_rollback would.
        seeded.restore()
    demo_build(scale="tiny", seed=3, today=TODAY)
    scoring_run_execute(model=ScoringModel.objects.get(status=ModelStatus.ACTIVE), as_of=TODAY)
    ids = find_ids()
    _payloads_in_the_demo(ids)

    anonymous = browser.new_context()
    login = anonymous.request.get(f"{live_server.url}/login/")
    assert "script-src 'self'" in login.headers["content-security-policy"]
    assert "style-src 'self'" in login.headers["content-security-policy"]
    anonymous.close()

    nomination = ids.nomination
    extra = [
        ("account-edit", f"/accounts/{ids.account}/edit/", "admin"),
        ("relationship-map", f"/relationships/accounts/{ids.account}/map/", "executive"),
        ("scoring-model", "/identification/model/", "executive"),
        ("data-import", "/data/import/", "admin"),
        ("data-export", "/data/export/", "admin"),
        ("tokens", "/settings/tokens/", "admin"),
        ("api-docs", "/api/v1/docs", "admin"),
        ("admin", "/admin/", "admin"),
        ("admin-users", "/admin/people/user/", "admin"),
        ("campaign-new", "/programme/campaigns/new/", "executive"),
    ]
    if nomination:
        extra.append(("nomination", f"/identification/nominations/{nomination}/", "executive"))
    walk = [(p.name, p.url(ids), p.login(ids)) for p in PAGES if p.url(ids)]
    walk = [(name, url, user) for name, url, user in walk if not url.startswith("/api/")] + extra

    pages: dict[str, Any] = {}
    console: list[str] = []
    problems: dict[str, list[str]] = {}
    visited = []
    for name, url, username in walk:
        if username not in pages:
            user = User.objects.get(username=username)
            pages[username] = _as(browser, live_server, user, console)
        page = pages[username]
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None, name
        if "text/html" not in response.headers.get("content-type", ""):
            continue  # the data behind a page (JSON), drawn by that page
        page.wait_for_load_state("load")
        # the page's own requests (chart data, htmx parts); a page that polls never idles
        with contextlib.suppress(PlaywrightTimeoutError):
            page.wait_for_load_state("networkidle", timeout=5000)
        found = [] if response.status == 200 else [f"status {response.status}"]
        if "content-security-policy" not in response.headers:
            found.append("no CSP header")
        found += _inline_code(response.text()) + page.evaluate("window.__csp")
        found += [m for m in console if "Content Security Policy" in m]
        console.clear()
        if page.evaluate("typeof window.__xss") != "undefined":
            found.append("a payload ran")
        if page.locator('img[src="x"]').count():
            found.append("a payload became an element")
        if found:
            problems[f"{name} {url}"] = found
        visited.append(name)
    assert problems == {}
    assert {"white-space", "relationship-map", "programme", "account-health", "field-mine"} <= set(
        visited
    )

    executive = pages["executive"]
    executive.goto(f"{live_server.url}/planning/accounts/{ids.account}/white-space/")
    expect(executive.locator("#ws-heatmap")).to_have_attribute("data-rendered", "true")
    assert "<img src=x" in _show_tips(executive, "ws-heatmap", 5)
    executive.goto(f"{live_server.url}/relationships/accounts/{ids.account}/map/")
    expect(executive.locator("#relmap-chart")).to_have_attribute("data-rendered", "true")
    assert "<img src=x" in _show_tips(executive, "relmap-chart", 5)
    assert executive.evaluate("typeof window.__xss") == "undefined"
    assert executive.locator('img[src="x"]').count() == 0
    # The pages still work under the policy: Swagger UI rendered.
    admin = pages["admin"]
    admin.goto(f"{live_server.url}/api/v1/docs")
    expect(admin.locator("#swagger-ui")).to_contain_text("/api/v1/units", timeout=60000)
    for page in pages.values():
        page.context.close()


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
