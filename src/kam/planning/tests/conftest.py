"""Shared objects of the planning tests: a KAM's account with a plan, a field rep, an executive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from kam.customers.models import Unit
from kam.people.models import User
from kam.planning.models import AccountPlan
from kam.planning.services import plan_create
from kam.sales.services import transactions_create
from kam.testing.factories import ProductFactory, UserFactory, make_unit
from kam.testing.personas import Persona


@dataclass
class PlanWorld:
    kam: User
    account: Unit
    site: Unit
    plan: AccountPlan
    rep: User
    executive: User
    executive2: User
    product_id: int


def add_sales(unit: Unit, product_id: int, amount: str, day: dt.date) -> None:
    transactions_create(
        rows=[
            {
                "date": day,
                "unit_id": unit.pk,
                "product_id": product_id,
                "quantity": Decimal("1"),
                "net_amount": Decimal(amount),
            }
        ]
    )


@pytest.fixture
def world(kam_a: Persona, kam_b: Persona) -> PlanWorld:
    site = make_unit("Plant North", parent=kam_a.account, kind="site")
    plan = plan_create(
        account=kam_a.account,
        user=kam_a.user,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        mission="Become the preferred supplier",
    )
    return PlanWorld(
        kam=kam_a.user,
        account=kam_a.account,
        site=site,
        plan=plan,
        rep=UserFactory(username="rep", role="field_rep"),
        executive=UserFactory(username="exec1", role="executive"),
        executive2=UserFactory(username="exec2", role="executive"),
        product_id=ProductFactory().pk,
    )
