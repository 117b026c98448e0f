"""The relationship map in headless Chromium: click a person, set a role, see role coverage
change; and the map at phone width."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from kam.customers.models import Contact, Employment
from kam.relationships.models import LinkStrength
from kam.testing.factories import PASSWORD, UserFactory, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NODE_PIXEL = """(id) => {
  const el = document.getElementById('relmap-chart');
  const chart = window.echarts.getInstanceByDom(el);
  const data = chart.getModel().getSeriesByIndex(0).getData();
  for (let i = 0; i < data.count(); i++) {
    if (data.getRawDataItem(i).id === id) {
      const p = chart.convertToPixel({seriesIndex: 0}, data.getItemLayout(i));
      const box = el.getBoundingClientRect();
      return [box.left + p[0], box.top + p[1]];
    }
  }
  return null;
}"""


def _account():
    anna = UserFactory(username="anna", role="kam", first_name="Anna", last_name="Petrova")
    account = make_unit("Nordstahl Group", account_manager=anna)
    people = {}
    boss = None
    for name, function, seniority in (
        ("Cora Chief", "management", "board"),
        ("Finn Money", "finance", "senior"),
        ("Tara Target", "purchasing", "middle"),
    ):
        first, last = name.split()
        contact = Contact.objects.create(first_name=first, last_name=last)
        boss = Employment.objects.create(
            contact=contact,
            unit=account,
            function=function,
            seniority=seniority,
            reports_to=boss,
            title=name,
        )
        people[first] = contact
    LinkStrength.objects.create(
        user=anna, contact=people["Finn"], strength=4.0, as_of=dt.date.today(), interactions=3
    )
    return account, people


def _login(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/my-accounts/$"))  # a KAM lands on My accounts


def _click_node(page, node_id, name):
    """Click the person's node until their panel opens (a busy machine may still be laying out)."""
    chart = page.locator("#relmap-chart")
    expect(chart).to_have_attribute("data-rendered", "true")
    chart.scroll_into_view_if_needed()
    panel = page.locator("#relmap-panel")
    for _attempt in range(5):
        xy = page.evaluate(NODE_PIXEL, node_id)
        assert xy is not None
        page.mouse.click(xy[0], xy[1])
        try:
            expect(panel).to_contain_text(name, timeout=3000)
            return
        except AssertionError:
            continue
    expect(panel).to_contain_text(name)


def test_open_the_map_click_a_person_add_a_role_and_see_role_coverage_change(page, live_server):
    account, people = _account()
    _login(page, live_server)
    page.goto(f"{live_server.url}/relationships/accounts/{account.pk}/coverage/")
    expect(page.locator("#fig-role")).to_contain_text("0.0 %")
    page.click("#tab-map")
    expect(page.locator("#relmap-chart")).to_have_attribute("data-nodes", "4")
    _click_node(page, f"c{people['Tara'].pk}", "Tara Target")
    panel = page.locator("#relmap-panel")
    expect(panel).to_contain_text("Tara Target")
    expect(panel).to_contain_text("Past employers")
    panel.get_by_label("Decider").check()
    page.click("#relmap-roles-save")
    expect(page.locator("#relmap-roles-saved")).to_be_visible()
    expect(page.locator("#relmap-roles")).to_contain_text("Decider")
    panel.locator("#relmap-paths-link").click()
    expect(page.locator("#warm-paths")).to_contain_text("Anna Petrova knows Finn Money")
    page.click("#tab-coverage")
    expect(page.locator("#fig-role")).to_contain_text("20.0 %")
    expect(page.locator("#coverage-chart")).to_have_attribute("data-rendered", "true")


def test_the_map_at_phone_width(page, live_server):
    account, people = _account()
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, live_server)
    page.goto(f"{live_server.url}/relationships/accounts/{account.pk}/map/")
    chart = page.locator("#relmap-chart")
    expect(chart).to_have_attribute("data-rendered", "true")
    box = chart.bounding_box()
    assert box is not None and box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _click_node(page, f"c{people['Finn'].pk}", "Finn Money")
    expect(page.locator("#relmap-panel")).to_contain_text("Finn Money")
    expect(page.locator("#relmap-panel")).to_be_in_viewport()
    expect(page.locator("#relmap-links")).to_contain_text("Anna Petrova")
