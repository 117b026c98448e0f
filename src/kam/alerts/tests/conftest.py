"""Data builders shared by the alert tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from kam.customers.models import Contact, Employment, Unit
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.sales.services import transactions_create
from kam.testing.factories import ContactFactory, ProductFactory

TODAY = dt.date(2026, 11, 15)


def employ(contact: Contact | None, unit: Unit, **fields: object) -> Contact:
    contact = contact or ContactFactory()
    Employment.objects.create(contact=contact, unit=unit, **fields)
    return contact


def meet(unit: Unit, day: dt.date, users: list[User], contacts: list[Contact]) -> Interaction:
    when = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    i = Interaction.objects.create(unit=unit, type="meeting", occurred_at=when, summary="Meeting")
    i.participants.add(*users)
    i.contacts.add(*contacts)
    return i


def sell(unit: Unit, amounts: dict[dt.date, Decimal]) -> None:
    product = ProductFactory()
    transactions_create(
        rows=[
            {
                "date": day,
                "unit_id": unit.pk,
                "product_id": product.pk,
                "quantity": Decimal(1),
                "net_amount": amount,
                "external_id": f"t-{unit.pk}-{day.isoformat()}",
            }
            for day, amount in amounts.items()
        ]
    )
