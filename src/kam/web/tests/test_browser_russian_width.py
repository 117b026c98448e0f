"""The Russian interface fits a 1400 px screen (issue 10): on the main list pages of the demo no
table is wider than its container and the page has no horizontal scroll bar.

One demo build, one Chromium context per demo login, the users' language set to Russian.
A failure names every page and table that overflows, with the widths.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kam.demo.build import DEMO_PASSWORD, demo_build
from kam.people.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2025, 6, 16)
WIDTH, HEIGHT = 1400, 900

# (page name, demo login, path)
PAGES = [
    ("portfolio", "kam", "/accounts/"),
    ("portfolio (all accounts)", "executive", "/accounts/?sort=name"),
    ("scores", "executive", "/identification/"),
    ("nominations", "executive", "/identification/nominations/"),
    ("my accounts and the alerts inbox", "kam", "/my-accounts/"),  # the inbox loads into it
    ("alerts", "kam", "/alerts/"),
    ("dashboard", "executive", "/dashboard/"),
    ("plans", "executive", "/plans/"),
    ("plan actions", "kam", "/plans/actions/"),
    ("requests", "executive", "/teams/requests/"),
    ("workload", "executive", "/teams/workload/"),
    ("field: my visits", "rep", "/field/mine/"),
    ("field: reps of the units", "manager", "/field/assignments/"),
    ("field: indicators", "executive", "/field/indicators/"),
    ("health", "executive", "/health/"),
]

# Every table wider than its container, and the page's own overflow; [] when all fit.
MEASURE = """() => {
  const found = [];
  document.querySelectorAll('table').forEach((table, i) => {
    if (!table.offsetParent) return;  // hidden (a closed tab or dialog)
    const box = table.parentElement;
    if (table.scrollWidth > box.clientWidth + 1) {
      found.push(`table ${table.id || '#' + i}: ${table.scrollWidth} px in ${box.clientWidth} px`);
    }
  });
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) {
    found.push(`page: ${root.scrollWidth} px in ${root.clientWidth} px`);
  }
  return found;
}"""


def test_the_main_russian_pages_fit_1400_px(browser, live_server) -> None:
    demo_build(scale="tiny", seed=7, today=TODAY)
    logins = sorted({who for _name, who, _path in PAGES})
    User.objects.filter(username__in=logins).update(language="ru")
    problems: list[str] = []
    for who in logins:
        context = browser.new_context(locale="ru-RU", viewport={"width": WIDTH, "height": HEIGHT})
        page = context.new_page()
        page.set_default_timeout(30000)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", who)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/login/" not in page.url, f"{who} could not sign in"
        for name, login, path in PAGES:
            if login != who:
                continue
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (name, path)
            assert "/login/" not in page.url, (name, path)
            page.wait_for_load_state("networkidle")  # htmx parts loaded
            assert page.locator("html").get_attribute("lang") == "ru", name
            problems += [f"{name} ({path}): {p}" for p in page.evaluate(MEASURE)]
        context.close()
    assert not problems, "wider than 1400 px in Russian:\n" + "\n".join(problems)
