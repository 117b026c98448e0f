"""Reads of the map pages other than the graph itself: the unit choices and the person panel."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from kam.customers.models import Employment, Unit, subtree_q
from kam.interactions.models import Interaction

from .models import BuyingRole, BuyingRoleKind, ContactStance
from .network import account_network

UNIT_CHOICES_LIMIT = 500
HISTORY_LIMIT = 20


def account_units(*, account: Unit) -> list[tuple[int, str]]:
    """The units of the account for the map's unit filter (bounded)."""
    units = Unit.objects.filter(subtree_q(account)).order_by("path")[:UNIT_CHOICES_LIMIT]
    base = account.depth
    return [(u.pk, "\u2003" * (u.depth - base) + u.name) for u in units]


def person_detail(*, account: Unit, contact_id: int) -> dict[str, Any] | None:
    """A contact of the account for the map's side panel: current position(s), past employers,
    recent interactions at the account and who of ours took part (three queries), or None when
    the contact has no current position at the account."""
    employments = list(
        Employment.objects.filter(contact_id=contact_id)
        .select_related("contact", "unit", "reports_to__contact")
        .order_by("end_date", "-start_date")
    )
    in_account = set(
        Unit.objects.filter(
            subtree_q(account), pk__in={e.unit_id for e in employments}
        ).values_list("pk", flat=True)
    )
    current = [e for e in employments if e.end_date is None and e.unit_id in in_account]
    if not current:
        return None
    past = [e for e in employments if e not in current]
    interactions = list(
        Interaction.objects.filter(Q(subtree_q(account, "unit__")), contacts=contact_id)
        .prefetch_related("participants")
        .order_by("-occurred_at")[:HISTORY_LIMIT]
    )
    held = set(
        BuyingRole.objects.filter(account=account, contact_id=contact_id).values_list(
            "role", flat=True
        )
    )
    roles = [str(label) for role, label in BuyingRoleKind.choices if role in held]
    stance = ContactStance.objects.filter(account=account, contact_id=contact_id).first()
    network = account_network(
        account=account, positions=Employment.objects.filter(pk=current[0].pk)
    )
    links = [
        {
            "name": network.users.get(link.user_id, ""),
            "strength": link.strength,
            "level": link.level,
        }
        for link in sorted(network.links, key=lambda link: -link.strength)
    ]
    return {
        "contact": current[0].contact,
        "current": current,
        "past": past,
        "interactions": interactions,
        "roles": roles,
        "role_keys": sorted(held),
        "stance": stance,
        "links": links,
    }
