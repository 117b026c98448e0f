"""The demo shows plans in every state, with believable content, for most key accounts."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.customers.models import Tier, Unit
from kam.demo.build import demo_build
from kam.planning.models import AccountPlan, Action, PlanVersion
from kam.planning.selectors import effective_status, plan_page

TODAY = dt.date(2025, 6, 15)


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_has_plans_in_every_state(db) -> None:
    demo_build(scale="tiny", seed=7, today=TODAY)
    key = Unit.objects.accounts().exclude(tier=Tier.TRANSACTIONAL).count()
    plans = list(AccountPlan.objects.select_related("account"))
    assert len(plans) >= key // 2
    statuses = {effective_status(p, TODAY) for p in plans}
    assert {"approved", "review_due"} <= statuses
    assert PlanVersion.objects.exists()
    roles = set(Action.objects.values_list("owner__role", flat=True))
    assert "kam" in roles and len(roles) >= 2
    page = plan_page(plan=plans[0], as_of=TODAY)
    assert page.objectives and page.actions and plans[0].mission
