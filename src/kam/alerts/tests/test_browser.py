"""A KAM sees a new alert in the inbox, opens the account from it and acknowledges it there."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from kam.alerts.models import Alert, AlertStatus
from kam.alerts.services import alerts_refresh
from kam.sales.services import transactions_create
from kam.testing.factories import PASSWORD, ProductFactory, UserFactory, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_kam_sees_a_new_alert_opens_the_account_and_acknowledges_it(page, live_server):
    kam = UserFactory(username="anna", role="kam", first_name="Anna", last_name="Petrova")
    account = make_unit("Nordstahl Group", tier="key", account_manager=kam)
    product = ProductFactory()
    month = dt.date.today().replace(day=1)
    transactions_create(
        rows=[
            {
                "date": month - dt.timedelta(days=400),
                "unit_id": account.pk,
                "product_id": product.pk,
                "net_amount": Decimal("10000"),
            },
            {
                "date": month - dt.timedelta(days=40),
                "unit_id": account.pk,
                "product_id": product.pk,
                "net_amount": Decimal("6000"),
            },
        ]
    )
    alerts_refresh()
    alert = Alert.objects.get(account=account, kind="sales.revenue_drop")

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/my-accounts/$"))
    card = page.locator(f"#inbox-alerts #alert-{alert.pk}")
    expect(card).to_contain_text("Revenue fell 40 %")
    expect(card.locator(".alert-status")).to_have_text("Open")

    card.locator("a.alert-account").click()
    expect(page.locator("#account-name")).to_have_text("Nordstahl Group")
    panel = page.locator(f"#account-alerts #alert-{alert.pk}")
    expect(panel).to_contain_text("Revenue fell 40 %")
    panel.locator("button.alert-acknowledge").click()
    expect(page.locator(f"#alert-{alert.pk} .alert-status")).to_have_text("Acknowledged")
    expect(page.locator(f"#alert-{alert.pk} button.alert-acknowledge")).to_have_count(0)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.events.filter(kind="acknowledged", actor=kam).exists()
