"""factory_boy factories for tests (and for anyone exploring in ``kam shell``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

from kam.customers.models import Contact, Employment, Unit
from kam.customers.services import unit_create
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.sales.models import Product, ProductLine

PASSWORD = "demo-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    role = "kam"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: Any, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            obj.save()


def make_unit(name: str = "Acme Group", parent: Unit | None = None, **fields) -> Unit:
    """Create a unit through the service, so the tree stays valid.

    A ``tier`` is stored after the creation, as test set-up: the services refuse it, since only
    an approved nomination changes it (decision 30).
    """
    fields.setdefault("kind", "group" if parent is None else "company")
    fields.setdefault("country", "DE")
    tier = fields.pop("tier", None)
    unit = unit_create(parent=parent, name=name, **fields)
    if tier is not None:
        unit.tier = tier
        unit.save(update_fields=["tier"])
    return unit


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.first_name}.{o.last_name}@customer.test".lower())


class EmploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employment

    contact = factory.SubFactory(ContactFactory)
    title = "Purchasing manager"
    function = "purchasing"
    seniority = "middle"
    start_date = dt.date(2020, 1, 1)


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"PL{n}")
    name = factory.LazyAttribute(lambda o: f"Line {o.code}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    line = factory.SubFactory(ProductLineFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.LazyAttribute(lambda o: f"Product {o.sku}")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    type = "meeting"
    occurred_at = factory.LazyFunction(lambda: dt.datetime(2026, 10, 1, 10, 0, tzinfo=dt.UTC))
    summary = factory.Sequence(lambda n: f"Meeting {n}")


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
