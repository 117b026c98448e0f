from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kam.customers.models import Unit
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.relationships.models import BuyingRole
from kam.testing.factories import ContactFactory, EmploymentFactory, UserFactory, make_unit

AS_OF = dt.date(2026, 6, 30)


def meet(
    unit: Unit,
    day: dt.date,
    contacts: tuple[Any, ...] = (),
    people: tuple[User, ...] = (),
) -> Interaction:
    i = Interaction.objects.create(
        unit=unit,
        type="meeting",
        occurred_at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC),
        summary="Meeting",
    )
    if contacts:
        i.contacts.add(*contacts)
    if people:
        i.participants.add(*people)
    return i


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    """A group with one company, a buying centre of four (one decider, two senior), two of our
    people of different functions."""
    group = make_unit("Health Group", tier="global")
    company = make_unit("Health GmbH", parent=group)
    contacts = [ContactFactory() for _ in range(4)]
    seniority = ["board", "senior", "middle", "operational"]
    for c, s in zip(contacts, seniority, strict=True):
        EmploymentFactory(contact=c, unit=company, seniority=s)
    roles = ["decider", "influencer", "user", "buyer"]
    for c, r in zip(contacts, roles, strict=True):
        BuyingRole.objects.create(account=group, contact=c, role=r)
    sales = UserFactory(role="kam", function="sales")
    service = UserFactory(role="specialist", function="service")
    return {
        "group": group,
        "company": company,
        "contacts": contacts,
        "sales": sales,
        "service": service,
    }
