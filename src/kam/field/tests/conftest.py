"""A small field world: a key account with two sites in two regions, two reps with
territories, a plan action of the rep."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

import pytest

from kam.customers.models import Unit
from kam.people.models import Territory, User
from kam.planning.models import Action
from kam.planning.services import plan_create
from kam.testing.factories import UserFactory, make_unit
from kam.testing.personas import Persona


@dataclass
class FieldWorld:
    kam: Persona
    account: Unit
    north: Unit
    south: Unit
    rep: User
    other_rep: User
    action: Action


@pytest.fixture
def fw(kam_a: Persona) -> FieldWorld:
    north_t = Territory.objects.create(name="DE North", country="DE", region="Nord")
    de_t = Territory.objects.create(name="Germany", country="DE", region="")
    rep = cast(User, UserFactory(username="rep", role="field_rep", territory=north_t))
    other = cast(User, UserFactory(username="rep2", role="field_rep", territory=de_t))
    account = kam_a.account
    account.tier = "key"
    account.save(update_fields=["tier"])
    north = make_unit("Plant North", parent=account, kind="site", country="DE", region="Nord")
    south = make_unit("Plant South", parent=account, kind="site", country="DE", region="Süd")
    plan = plan_create(account=account, user=kam_a.user)
    action = Action.objects.create(
        plan=plan, title="Present the new line", owner=rep, due_date=dt.date.today(), unit=north
    )
    return FieldWorld(kam_a, account, north, south, rep, other, action)


def make_rep(username: str) -> User:
    return cast(User, UserFactory(username=username, role="field_rep"))
