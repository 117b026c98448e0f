"""Alerts of a field unit's overdue plan actions go to the sales manager of its rep (DOMAIN §6)."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.alerts.models import Alert
from kam.alerts.services import alerts_refresh
from kam.field.models import FieldAssignment
from kam.planning.models import AccountPlan, Action
from kam.testing.factories import UserFactory, make_unit

TODAY = dt.date(2026, 11, 15)


@pytest.fixture
def kam(db):
    return UserFactory(username="kam1", role="kam")


@pytest.fixture
def account(kam):
    return make_unit("Key Co", tier="key", account_manager=kam)


def _plan(account):
    return AccountPlan.objects.create(
        account=account, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31)
    )


def test_overdue_actions_at_a_field_unit_go_to_the_sales_manager_of_its_rep(account, kam):
    boss = UserFactory(username="sm1", role="sales_manager")
    rep = UserFactory(username="rep1", role="field_rep", manager=boss)
    branch = make_unit("Key Co Branch", parent=account, kind="company")
    bare = make_unit("Key Co Depot", parent=account, kind="company")  # no rep: the KAM's
    FieldAssignment.objects.create(unit=branch, rep=rep, start=TODAY - dt.timedelta(days=30))
    plan = _plan(account)
    late = TODAY - dt.timedelta(days=2)
    Action.objects.create(plan=plan, title="Own", owner=kam, due_date=late)
    Action.objects.create(plan=plan, title="Branch", owner=rep, due_date=late, unit=branch)
    Action.objects.create(plan=plan, title="Depot", owner=kam, due_date=late, unit=bare)
    alerts_refresh(account_ids=[account.pk], as_of=TODAY)
    found = {
        a.unit_id: a.owner_id
        for a in Alert.objects.filter(kind="planning.actions_overdue", account=account)
    }
    assert found == {None: kam.pk, branch.pk: boss.pk, bare.pk: kam.pk}


def test_a_rep_without_a_manager_leaves_the_field_units_alert_with_the_kam(account, kam):
    rep = UserFactory(username="rep2", role="field_rep")
    branch = make_unit("Key Co Branch", parent=account, kind="company")
    FieldAssignment.objects.create(unit=branch, rep=rep, start=TODAY - dt.timedelta(days=30))
    plan = _plan(account)
    Action.objects.create(
        plan=plan, title="Branch", owner=rep, due_date=TODAY - dt.timedelta(1), unit=branch
    )
    alerts_refresh(account_ids=[account.pk], as_of=TODAY)
    alert = Alert.objects.get(kind="planning.actions_overdue", account=account)
    assert (alert.unit_id, alert.owner_id) == (branch.pk, kam.pk)
