"""Reads of the interaction log."""

from __future__ import annotations

from django.db.models import QuerySet

from kam.customers.models import Unit

from .models import Interaction


def interactions_for(*, unit: Unit) -> QuerySet[Interaction]:
    """Interactions with the unit and its subtree, newest first, ready to render."""
    return (
        Interaction.objects.filter(unit__path__startswith=unit.path)
        .select_related("unit")
        .prefetch_related("participants", "contacts")
        .order_by("-occurred_at")
    )
