"""Writes of interactions, buying-centre roles and account teams mark the account's health
stale, in the writer's own transaction (like the scoring facts); ``services.health_refresh``
recomputes only the marked accounts. Bulk writers that bypass model signals send
``customers.signals.accounts_changed`` (received here too) or are caught by the nightly job.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from kam.customers.models import Employment
from kam.customers.signals import accounts_changed
from kam.interactions.models import Interaction
from kam.interactions.signals import interactions_bulk_written
from kam.relationships.models import BuyingRole
from kam.sales.models import MonthlyRollup
from kam.teams.models import TeamMember

from .services import health_mark_stale


def _unit_of(instance: Any) -> list[int]:
    return [instance.unit_id] if instance.unit_id else []


@receiver(post_save, sender=Interaction, dispatch_uid="health_interaction_saved")
@receiver(post_delete, sender=Interaction, dispatch_uid="health_interaction_deleted")
def _interaction_written(sender: Any, instance: Interaction, **kwargs: Any) -> None:
    health_mark_stale(unit_ids=_unit_of(instance))


def _people_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in ("post_add", "post_remove", "post_clear", "pre_clear"):
        return
    if not reverse:
        health_mark_stale(unit_ids=[instance.unit_id])
    elif pk_set:
        units = Interaction.objects.filter(pk__in=pk_set).values_list("unit_id", flat=True)
        health_mark_stale(unit_ids=list(units))


m2m_changed.connect(
    _people_changed, sender=Interaction.participants.through, dispatch_uid="health_participants"
)
m2m_changed.connect(
    _people_changed, sender=Interaction.contacts.through, dispatch_uid="health_contacts"
)


@receiver(post_save, sender=BuyingRole, dispatch_uid="health_role_saved")
@receiver(post_delete, sender=BuyingRole, dispatch_uid="health_role_deleted")
def _role_written(sender: Any, instance: BuyingRole, **kwargs: Any) -> None:
    health_mark_stale(unit_ids=[instance.account_id])


@receiver(post_save, sender=TeamMember, dispatch_uid="health_team_saved")
@receiver(post_delete, sender=TeamMember, dispatch_uid="health_team_deleted")
def _team_written(sender: Any, instance: TeamMember, **kwargs: Any) -> None:
    health_mark_stale(unit_ids=[instance.account_id])


@receiver(post_save, sender=Employment, dispatch_uid="health_position_saved")
@receiver(post_delete, sender=Employment, dispatch_uid="health_position_deleted")
def _position_written(sender: Any, instance: Employment, **kwargs: Any) -> None:
    # seniority and current positions feed the depth component
    health_mark_stale(unit_ids=_unit_of(instance))


@receiver(accounts_changed, dispatch_uid="health_accounts_changed")
def _accounts_changed(sender: Any, paths: Any = (), unit_ids: Any = (), **kwargs: Any) -> None:
    if sender is MonthlyRollup:  # revenue is not an input of health
        return
    health_mark_stale(paths=paths, unit_ids=unit_ids)


@receiver(interactions_bulk_written, dispatch_uid="health_interactions_captured")
def _interactions_captured(sender: Any, interaction_ids: list[int], **kwargs: Any) -> None:
    """Interactions captured from calendar and mail files (bulk, without model signals)."""
    ids = sorted(set(interaction_ids))
    for start in range(0, len(ids), 500):
        units = Interaction.objects.filter(pk__in=ids[start : start + 500]).values_list(
            "unit_id", flat=True
        )
        health_mark_stale(unit_ids=set(units))
