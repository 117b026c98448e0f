"""Writes of the interaction log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.core.services import model_update
from kam.core.validation import check_fields
from kam.customers.models import Contact

from .models import Initiator, Interaction, InteractionType, Source

if TYPE_CHECKING:
    from django.contrib.auth.models import _User  # the configured user model (django-stubs)

INTERACTION_FIELDS = {
    "type",
    "occurred_at",
    "unit",
    "summary",
    "outcome",
    "next_step",
    "source",
    "initiated_by",
    "external_id",
}


def _check(interaction: Interaction) -> None:
    if interaction.type not in InteractionType.values:
        raise DomainError(_("Unknown interaction type."), field="type")
    if interaction.initiated_by not in Initiator.values:
        raise DomainError(_("Unknown initiator."), field="initiated_by")
    if interaction.source not in Source.values:
        raise DomainError(_("Unknown interaction source."), field="source")
    if not (interaction.summary or "").strip():
        raise DomainError(_("An interaction needs a summary."), field="summary")
    check_fields(interaction, {"occurred_at"})


def _set_people(
    interaction: Interaction,
    participants: Iterable[_User] | None,
    contacts: Iterable[Contact] | None,
    *,
    new: bool = False,
) -> None:
    """Set the interaction's people; a ``new`` one has none, so they are only added (``set``
    would first read the people it has)."""
    if participants is not None:
        if new:
            interaction.participants.add(*participants)
        else:
            interaction.participants.set(participants)
    if contacts is not None:
        if new:
            interaction.contacts.add(*contacts)
        else:
            interaction.contacts.set(contacts)


@transaction.atomic
def interaction_create(
    *,
    created_by: _User | None = None,
    participants: Iterable[_User] | None = None,
    contacts: Iterable[Contact] | None = None,
    **fields: Any,
) -> Interaction:
    """Log an interaction with our participants (users) and their contacts."""
    unknown = set(fields) - INTERACTION_FIELDS
    if unknown:
        raise DomainError(_("Unknown interaction fields: %s") % ", ".join(sorted(unknown)))
    interaction = Interaction(created_by=created_by, **fields)
    _check(interaction)
    interaction.save()
    _set_people(interaction, participants, contacts, new=True)
    return interaction


@transaction.atomic
def interaction_update(
    *,
    interaction: Interaction,
    participants: Iterable[_User] | None = None,
    contacts: Iterable[Contact] | None = None,
    **fields: Any,
) -> Interaction:
    interaction, _changed = model_update(
        instance=interaction, fields=INTERACTION_FIELDS, data=fields, validate=_check
    )
    _set_people(interaction, participants, contacts)
    return interaction


@transaction.atomic
def interaction_delete(*, interaction: Interaction) -> None:
    interaction.delete()
