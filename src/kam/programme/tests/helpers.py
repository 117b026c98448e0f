"""Hand-built data for the programme tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from kam.customers.models import Unit
from kam.people.models import User
from kam.programme.models import Campaign, Response, Statement
from kam.sales.models import MonthlyRollup, ProductLine
from kam.testing.factories import ProductLineFactory, UserFactory, make_unit

AS_OF = dt.date(2026, 11, 30)


def line() -> ProductLine:
    found = ProductLine.objects.first()
    return found if found is not None else ProductLineFactory()


def revenue(
    account: Unit,
    amount: Decimal | int,
    month: dt.date = dt.date(2026, 6, 1),
    cost: Decimal | int | None = None,
) -> MonthlyRollup:
    """One roll-up row of ``amount`` (with ``cost``: a costed sale) in ``month``."""
    amount = Decimal(amount)
    return MonthlyRollup.objects.create(
        account=account,
        unit=account,
        product_line=line(),
        month=month,
        net_amount=amount,
        cost=Decimal(cost) if cost is not None else Decimal(0),
        costed_amount=amount if cost is not None else Decimal(0),
        lines=1,
    )


def key(name: str, **fields: Any) -> Unit:
    fields.setdefault("tier", "key")
    return make_unit(name, **fields)


def campaign(groups: list[str] | None = None, **fields: Any) -> Campaign:
    fields.setdefault("name", "Autumn check")
    fields.setdefault("period_start", dt.date(2026, 11, 1))
    fields.setdefault("period_end", dt.date(2026, 11, 30))
    c = Campaign.objects.create(
        groups=groups or ["executive", "kam", "sales_manager", "field_rep"], **fields
    )
    c.statements.set(Statement.objects.filter(active=True))
    return c


def answer_all(c: Campaign, user: User, value: int, condition: int | None = None) -> None:
    """``user`` answers ``value`` to every statement (of one ``condition``) of ``c``."""
    for s in c.statements.all():
        if condition is None or s.condition == condition:
            Response.objects.update_or_create(
                campaign=c,
                statement=s,
                respondent=user,
                defaults={"group": user.role, "answer": value},
            )


def people(role: str, n: int, prefix: str = "") -> list[User]:
    return [UserFactory(username=f"{prefix or role}{i}", role=role) for i in range(n)]
