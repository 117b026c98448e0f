"""The programme's dependence rule raises an alert on the account the company depends on, and
on no other (DOMAIN §11: above 20 % of company revenue)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kam.alerts.models import Alert
from kam.alerts.rules import rules
from kam.alerts.services import alerts_refresh
from kam.alerts.tests.conftest import TODAY, sell
from kam.testing.factories import make_unit


def test_an_account_above_a_fifth_of_company_revenue_is_an_alert(db):
    day = TODAY - dt.timedelta(days=60)
    big, mid, small = make_unit("Big Co"), make_unit("Mid Co"), make_unit("Small Co")
    sell(big, {day: Decimal(600)})
    sell(mid, {day: Decimal(200)})  # exactly 20 %: not above the threshold
    sell(small, {day: Decimal(200)})
    alerts_refresh(account_ids=[big.pk, mid.pk, small.pk], as_of=TODAY)
    found = Alert.objects.filter(kind="programme.dependence", status="open")
    assert [a.account_id for a in found] == [big.pk]
    assert found[0].params["share"] == "60.0"
    assert not rules.get("programme.dependence").intensity  # transactional accounts too
