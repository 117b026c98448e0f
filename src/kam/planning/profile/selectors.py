"""Reads of the account profile's own records."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kam.customers.models import Contact, Employment, Unit, account_q

from .models import BuyingProcess, CustomerGoal

# Up to this many people at the account, "who told us" is a list to choose from; more are
# found by typing a name (decision 115)
SOURCE_LIST_MAX = 300
SOURCE_SEARCH_LIMIT = 10


def goal_sources_listable(*, account: Unit) -> bool:
    """Whether the account's people are few enough to list (one bounded query: it reads at
    most ``SOURCE_LIST_MAX + 1`` positions, which are at least as many as the people)."""
    positions = Employment.objects.filter(account_q(account, "unit__")).values("pk")
    return len(positions[: SOURCE_LIST_MAX + 1]) <= SOURCE_LIST_MAX


def goal_source_search(*, account: Unit, q: str) -> list[Contact]:
    """The people of the account whose name or e-mail contains ``q`` (two letters at least),
    by name, the first ``SOURCE_SEARCH_LIMIT`` (one query)."""
    q = q.strip()
    if len(q) < 2:
        return []
    found = goal_source_choices(account=account).filter(
        Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q)
    )
    return list(found[:SOURCE_SEARCH_LIMIT])


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
