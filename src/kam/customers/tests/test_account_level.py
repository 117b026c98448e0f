"""Decisions 18 and 19: only an account has an account manager and a key-account tier."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from kam.core.errors import DomainError
from kam.customers.models import Unit
from kam.customers.services import unit_create, unit_move, unit_update
from kam.testing.factories import UserFactory, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def kam(db):
    return UserFactory(username="kam.a", role="kam")


@pytest.fixture
def account(kam):
    return make_unit("Acme Group", account_manager=kam)


@pytest.fixture
def sub_unit(account):
    return make_unit("Acme GmbH", parent=account)


def test_a_sub_unit_cannot_be_created_with_an_account_manager(account, kam):
    with pytest.raises(DomainError) as exc:
        unit_create(parent=account, name="Acme SAS", kind="company", account_manager=kam)
    assert exc.value.field == "account_manager"
    assert not Unit.objects.filter(name="Acme SAS").exists()


def test_a_sub_unit_cannot_be_given_an_account_manager(sub_unit, kam):
    with pytest.raises(DomainError) as exc:
        unit_update(unit=sub_unit, city="Berlin", account_manager=kam)
    assert exc.value.field == "account_manager"
    stored = Unit.objects.get(pk=sub_unit.pk)
    assert stored.account_manager is None
    assert stored.city == ""


def test_a_sub_unit_may_be_saved_without_a_manager(sub_unit):
    unit_update(unit=sub_unit, city="Berlin", account_manager=None)
    assert Unit.objects.get(pk=sub_unit.pk).city == "Berlin"


def test_an_account_keeps_its_manager(account, kam):
    unit_update(unit=account, city="Berlin", account_manager=kam)
    assert Unit.objects.get(pk=account.pk).account_manager == kam


def test_a_sub_unit_cannot_be_a_key_account(account, sub_unit):
    with pytest.raises(DomainError) as exc:
        unit_update(unit=sub_unit, tier="key")
    assert exc.value.field == "tier"
    with pytest.raises(DomainError):
        unit_create(parent=account, name="Acme SAS", kind="company", tier="national")
    assert Unit.objects.get(pk=sub_unit.pk).tier == "transactional"
    assert not Unit.objects.filter(name="Acme SAS").exists()


def test_an_account_moved_under_another_loses_its_own_manager(account, kam):
    own_manager = UserFactory(username="kam.b", role="kam")
    other = make_unit("Beta", account_manager=own_manager)
    moved = unit_move(unit=other, new_parent=account)
    assert moved.account_manager is None
    assert moved.account == Unit.objects.get(pk=account.pk)
    assert moved.account.account_manager == kam
    # the unit's history shows who managed it before the move
    latest, before = moved.history.order_by("-history_date", "-history_id")[:2]
    assert latest.account_manager_id is None
    assert before.account_manager_id == own_manager.pk


def test_a_key_account_is_not_moved_under_another_unit(account):
    other = make_unit("Beta", tier="key")
    with pytest.raises(DomainError) as exc:
        unit_move(unit=other, new_parent=account)
    assert exc.value.field == "tier"
    assert Unit.objects.get(pk=other.pk).is_account


def test_the_data_migration_clears_managers_and_tiers_of_sub_units(account, sub_unit, kam):
    # as earlier versions could store them (the form, the API and the import allowed it)
    Unit.objects.filter(pk=sub_unit.pk).update(account_manager=kam, tier="key")
    migration = importlib.import_module(
        "kam.customers.migrations.0004_clear_account_fields_on_sub_units"
    )
    migration.clear(apps, None)
    stored = Unit.objects.get(pk=sub_unit.pk)
    assert stored.account_manager is None
    assert stored.tier == "transactional"
    assert Unit.objects.get(pk=account.pk).account_manager == kam
