"""Reads of the interaction log."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from kam.customers.models import Contact, Unit, subtree_q
from kam.people.models import User

from .models import Interaction


def interactions_for(*, unit: Unit) -> QuerySet[Interaction]:
    """Interactions with the unit and its subtree, newest first, ready to render."""
    return (
        Interaction.objects.filter(subtree_q(unit, "unit__"))
        .select_related("unit")
        .prefetch_related(
            # the names the list shows, not the people's whole rows
            Prefetch("participants", User.objects.only("username", "first_name", "last_name")),
            Prefetch("contacts", Contact.objects.only("first_name", "last_name")),
        )
        .order_by("-occurred_at")
    )


def interaction_list(
    *,
    unit: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    type: str | None = None,
) -> QuerySet[Interaction]:
    """Interactions with ``unit`` or below it, in ``[since, until)``, of one ``type``.

    Participants and contacts are prefetched (two queries per page whatever its size).
    """
    qs = Interaction.objects.prefetch_related("participants", "contacts")
    if unit:
        found = Unit.objects.filter(pk=unit).first()
        if found is None:
            return Interaction.objects.none()
        qs = qs.filter(subtree_q(found, "unit__"))
    if since:
        qs = qs.filter(occurred_at__gte=since)
    if until:
        qs = qs.filter(occurred_at__lt=until)
    if type:
        qs = qs.filter(type=type)
    return qs
