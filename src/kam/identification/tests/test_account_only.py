"""Decision 19: only an account (a unit without a parent) gets a tier or a nomination."""

from __future__ import annotations

import pytest

from kam.core.errors import DomainError
from kam.customers.models import Unit
from kam.identification.models import Nomination
from kam.identification.services import account_tier_set, nomination_create
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def sub_unit(users):
    account = make_unit("Acme", account_manager=users["kam"])
    return make_unit("Acme GmbH", parent=account)


def test_a_sub_unit_is_not_given_a_tier(users, sub_unit):
    with pytest.raises(DomainError) as exc:
        account_tier_set(account=sub_unit, tier="key", user=users["executive"])
    assert exc.value.field == "account"
    assert Unit.objects.get(pk=sub_unit.pk).tier == "transactional"


def test_a_sub_unit_is_not_nominated(users, sub_unit):
    with pytest.raises(DomainError) as exc:
        nomination_create(account=sub_unit, user=users["kam"], rationale="Big plant")
    assert exc.value.field == "account"
    assert not Nomination.objects.exists()
