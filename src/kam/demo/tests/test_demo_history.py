"""The demo's bulk-created rows have their creation entry in the audit history, so the first
later change shows before and after (the tier change of an approved nomination included)."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.customers.models import Contact, Employment, Unit
from kam.customers.selectors import unit_history
from kam.demo.build import demo_build
from kam.identification.services import nomination_approve, nomination_create
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.sales.models import Opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    return demo_build(scale="tiny", seed=7, today=dt.date(2025, 6, 15))


@pytest.mark.parametrize("model", [Unit, Contact, Employment, Interaction, Opportunity])
def test_every_demo_row_has_one_creation_entry(demo, model):
    rows = model.objects.count()
    assert rows > 0
    assert model.history.filter(history_type="+").count() == rows
    assert model.history.values("id").distinct().count() == rows


def test_an_approved_nomination_of_a_demo_account_shows_the_tier_change(demo):
    account = Unit.objects.accounts().filter(tier="transactional").order_by("pk").first()
    nominator = User.objects.filter(role="kam").order_by("pk").first()
    # approval needs a manager (decision 45); set as test data, outside the audit trail
    Unit.objects.filter(pk=account.pk, account_manager=None).update(account_manager=nominator)
    executive = User.objects.filter(role="executive").order_by("pk").first()
    nomination = nomination_create(account=account, user=nominator, rationale="Potential")
    nomination_approve(nomination=nomination, user=executive, scope="local")
    latest, created = unit_history(unit=account)[:2]
    assert latest["who"] == executive
    # (the manager set above outside the trail shows in the same entry)
    assert {"field": "tier", "old": "transactional", "new": "key"} in latest["fields"]
    assert created["type"] == "Created"
