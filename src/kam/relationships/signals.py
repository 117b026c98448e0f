"""Writes mark what they make stale: link strengths per pair, the kept figures per account.

Like the scoring facts (``identification.signals``): model and m2m signals catch every save,
delete and change of participants made through the ORM, in the writer's own transaction; bulk
writers that bypass them call :func:`interactions_mark_stale` (or send
``customers.signals.accounts_changed``, or call :func:`figures_mark_stale`) themselves (the
importer, the demo generator); ``services.strengths_refresh`` recomputes only the marked pairs.

The kept coverage figures and map overview of an account (decision 106) are marked stale by
writes of positions, units, interactions, buying roles, stances, placeholders, our links, link
strengths and the relationship settings; ``services.figures_current`` computes a marked account
again on its next read and the worker refreshes it before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_init, post_save, pre_delete
from django.dispatch import receiver

from kam.customers.models import Employment, Unit, account_path, account_path_of
from kam.customers.signals import accounts_changed, unit_moved
from kam.interactions.models import Interaction
from kam.interactions.signals import interactions_bulk_written
from kam.people.models import User

from .models import (
    AccountFigures,
    BuyingRole,
    ContactStance,
    LinkStrength,
    OurLink,
    Placeholder,
    RelationshipSettings,
    StaleFigures,
    StaleLink,
)

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


def figures_mark_stale(
    *,
    paths: Iterable[str] = (),
    unit_ids: Iterable[int | None] = (),
    contact_ids: Iterable[int] = (),
    everything: bool = False,
) -> int:
    """Mark the kept figures of the accounts of these units (by path or id) and of the
    accounts where these contacts hold or held a position; ``everything``: of every account
    with kept figures. Appends one mark per account (decision 106); returns their number."""
    stale = {account_path(p) for p in paths if p}
    units = sorted({i for i in unit_ids if i is not None})
    for start in range(0, len(units), _CHUNK):
        stale.update(
            Unit.objects.filter(pk__in=units[start : start + _CHUNK])
            .annotate(of_account=account_path_of("path"))
            .values_list("of_account", flat=True)
        )
    contacts = sorted(set(contact_ids))
    for start in range(0, len(contacts), _CHUNK):
        stale.update(
            Employment.objects.filter(contact_id__in=contacts[start : start + _CHUNK])
            .annotate(of_account=account_path_of("unit__path"))
            .order_by()
            .values_list("of_account", flat=True)
            .distinct()
        )
    if everything:
        stale.update(AccountFigures.objects.values_list("account__path", flat=True))
    if stale:
        StaleFigures.objects.bulk_create(
            [StaleFigures(root_path=p) for p in sorted(stale)], batch_size=2000
        )
    return len(stale)


def interactions_mark_stale(interaction_ids: Iterable[int]) -> int:
    """For bulk writers: mark every pair of these interactions, and the kept figures of their
    accounts (the coverage figures count the interactions themselves)."""
    ids = sorted(set(interaction_ids))
    for start in range(0, len(ids), _CHUNK):
        figures_mark_stale(
            paths=Interaction.objects.filter(pk__in=ids[start : start + _CHUNK])
            .order_by()
            .values_list("unit__path", flat=True)
            .distinct()
        )
    return links_mark_stale(pairs_of(ids))


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


@receiver(post_init, sender=Interaction, dispatch_uid="figures_interaction_loaded")
def _interaction_loaded(sender: Any, instance: Interaction, **kwargs: Any) -> None:
    # the unit the interaction had when loaded: a save that moves it changes two accounts
    instance.__dict__["_figures_unit_id"] = instance.__dict__.get("unit_id")


@receiver(post_save, sender=Interaction, dispatch_uid="links_interaction_saved")
def _interaction_saved(sender: Any, instance: Interaction, created: bool, **kwargs: Any) -> None:
    if not created:  # a new one has no people yet: their m2m signals mark the pairs
        interactions_mark_stale([instance.pk])
    before = instance.__dict__.get("_figures_unit_id")
    if created:  # counted by the figures even before it has people
        figures_mark_stale(unit_ids=[instance.unit_id])
    elif before != instance.unit_id:  # moved: the new account was marked above
        figures_mark_stale(unit_ids=[before])
    instance.__dict__["_figures_unit_id"] = instance.unit_id


@receiver(pre_delete, sender=Interaction, dispatch_uid="links_interaction_deleted")
def _interaction_deleted(sender: Any, instance: Interaction, **kwargs: Any) -> None:
    interactions_mark_stale([instance.pk])


@receiver(interactions_bulk_written, dispatch_uid="links_interactions_captured")
def _interactions_captured(sender: Any, interaction_ids: list[int], **kwargs: Any) -> None:
    interactions_mark_stale(interaction_ids)


# --- kept figures (decision 106) --------------------------------------------------------------


@receiver(post_init, sender=Employment, dispatch_uid="figures_position_loaded")
def _position_loaded(sender: Any, instance: Employment, **kwargs: Any) -> None:
    instance.__dict__["_figures_unit_id"] = instance.__dict__.get("unit_id")


@receiver(post_save, sender=Employment, dispatch_uid="figures_position_saved")
def _position_saved(sender: Any, instance: Employment, **kwargs: Any) -> None:
    before = instance.__dict__.get("_figures_unit_id")
    if Employment.unit.is_cached(instance) and before in (None, instance.unit_id):
        figures_mark_stale(paths=[instance.unit.path])
    else:
        figures_mark_stale(unit_ids=[instance.unit_id, before])
    instance.__dict__["_figures_unit_id"] = instance.unit_id


@receiver(post_delete, sender=Employment, dispatch_uid="figures_position_deleted")
def _position_deleted(sender: Any, instance: Employment, **kwargs: Any) -> None:
    figures_mark_stale(unit_ids=[instance.unit_id])


@receiver(post_save, sender=Unit, dispatch_uid="figures_unit_saved")
def _unit_saved(sender: Any, instance: Unit, **kwargs: Any) -> None:
    # the account manager (the KAM of the structure figure) and the tree live on units
    figures_mark_stale(paths=[instance.path])


@receiver(unit_moved, dispatch_uid="figures_unit_moved")
def _unit_moved(
    sender: Any, unit: Any, old_account_id: int, new_account_id: int, **kwargs: Any
) -> None:
    figures_mark_stale(unit_ids=[old_account_id, new_account_id])


@receiver(accounts_changed, dispatch_uid="figures_accounts_changed")
def _accounts_changed(sender: Any, paths: Any = (), unit_ids: Any = (), **kwargs: Any) -> None:
    figures_mark_stale(paths=paths, unit_ids=unit_ids)


def _member_written(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A buying role, stance or placeholder: its account's figures change."""
    if type(instance).account.is_cached(instance):
        figures_mark_stale(paths=[instance.account.path])
    else:
        figures_mark_stale(unit_ids=[instance.account_id])


def _link_written(sender: Any, instance: OurLink, **kwargs: Any) -> None:
    figures_mark_stale(contact_ids=[instance.contact_id])


for _model in (BuyingRole, ContactStance, Placeholder):
    post_save.connect(_member_written, sender=_model, dispatch_uid=f"figures_{_model.__name__}_s")
    post_delete.connect(_member_written, sender=_model, dispatch_uid=f"figures_{_model.__name__}_d")
post_save.connect(_link_written, sender=OurLink, dispatch_uid="figures_our_link_saved")
post_delete.connect(_link_written, sender=OurLink, dispatch_uid="figures_our_link_deleted")


@receiver(pre_delete, sender=User, dispatch_uid="figures_user_deleted")
def _user_deleted(sender: Any, instance: User, **kwargs: Any) -> None:
    # their kept strengths go with them, without signals: the columns of their accounts change
    contacts = set(LinkStrength.objects.filter(user=instance).values_list("contact_id", flat=True))
    contacts |= set(OurLink.objects.filter(user=instance).values_list("contact_id", flat=True))
    figures_mark_stale(contact_ids=contacts)


@receiver(post_save, sender=RelationshipSettings, dispatch_uid="figures_settings_saved")
def _settings_saved(sender: Any, instance: RelationshipSettings, **kwargs: Any) -> None:
    figures_mark_stale(everything=True)
