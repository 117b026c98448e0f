"""Reads of the account profile's own records."""

from __future__ import annotations

from django.db.models import QuerySet

from kam.customers.models import Contact, Unit, account_q

from .models import BuyingProcess, CustomerGoal


def customer_goals(*, account: Unit) -> QuerySet[CustomerGoal]:
    """The account's strategy, goals and initiatives, with who told us (one query)."""
    return (
        CustomerGoal.objects.filter(account=account)
        .select_related("source_contact")
        .order_by("kind", "pk")
    )


def buying_process(*, account: Unit) -> BuyingProcess | None:
    return BuyingProcess.objects.filter(account=account).select_related("updated_by").first()


def goal_source_choices(*, account: Unit) -> QuerySet[Contact]:
    """The contacts who may be named as having told us: anyone working in the account."""
    return (
        Contact.objects.filter(account_q(account, "employments__unit__"))
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
