"""Writes of interactions mark the (our person × their contact) pairs whose strength changed.

Like the scoring facts (``identification.signals``): model and m2m signals catch every save,
delete and change of participants made through the ORM, in the writer's own transaction; bulk
writers that bypass them call :func:`interactions_mark_stale` themselves (the importer, the demo
generator); ``services.strengths_refresh`` recomputes only the marked pairs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.dispatch import receiver

from kam.interactions.models import Interaction
from kam.interactions.signals import interactions_bulk_written

from .models import StaleLink

_CHUNK = 500


def pairs_of(interaction_ids: Iterable[int]) -> set[tuple[int, int]]:
    """Every (user id, contact id) pair that shared one of these interactions (two queries per
    500 interactions)."""
    ids = sorted(set(interaction_ids))
    pairs: set[tuple[int, int]] = set()
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        users: dict[int, list[int]] = {}
        for iid, uid in Interaction.participants.through.objects.filter(
            interaction_id__in=part
        ).values_list("interaction_id", "user_id"):
            users.setdefault(iid, []).append(uid)
        for iid, cid in Interaction.contacts.through.objects.filter(
            interaction_id__in=part
        ).values_list("interaction_id", "contact_id"):
            pairs.update((uid, cid) for uid in users.get(iid, []))
    return pairs


def links_mark_stale(pairs: Iterable[tuple[int, int]]) -> int:
    """List these pairs for the next strength refresh (ignores pairs already listed)."""
    rows = [StaleLink(user_id=u, contact_id=c) for u, c in sorted(set(pairs))]
    if rows:
        StaleLink.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows)


def interactions_mark_stale(interaction_ids: Iterable[int]) -> int:
    """For bulk writers: mark every pair of these interactions."""
    return links_mark_stale(pairs_of(interaction_ids))


def _interaction_ids(instance: Any, reverse: bool, pk_set: set[int] | None) -> list[int]:
    if not reverse:
        return [instance.pk]
    if pk_set is not None:
        return list(pk_set)
    return list(instance.interactions.values_list("pk", flat=True))


def _people_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    # before a removal or a clear (the pairs that go) and after an addition (the pairs that come)
    if action in ("pre_remove", "pre_clear", "post_add"):
        interactions_mark_stale(_interaction_ids(instance, reverse, pk_set))


m2m_changed.connect(
    _people_changed, sender=Interaction.participants.through, dispatch_uid="links_participants"
)
m2m_changed.connect(
    _people_changed, sender=Interaction.contacts.through, dispatch_uid="links_contacts"
)


@receiver(post_save, sender=Interaction, dispatch_uid="links_interaction_saved")
def _interaction_saved(sender: Any, instance: Interaction, created: bool, **kwargs: Any) -> None:
    if not created:  # a new one has no people yet: their m2m signals mark the pairs
        interactions_mark_stale([instance.pk])


@receiver(pre_delete, sender=Interaction, dispatch_uid="links_interaction_deleted")
def _interaction_deleted(sender: Any, instance: Interaction, **kwargs: Any) -> None:
    interactions_mark_stale([instance.pk])


@receiver(interactions_bulk_written, dispatch_uid="links_interactions_captured")
def _interactions_captured(sender: Any, interaction_ids: list[int], **kwargs: Any) -> None:
    interactions_mark_stale(interaction_ids)
