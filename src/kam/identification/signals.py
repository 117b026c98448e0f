"""Writes that change an account's data-backed scoring inputs mark its facts as stale.

Model signals cover every save and delete of units and positions (services, admin, API, test
factories); the bulk writers that bypass them (roll-ups, imports, the demo generator) send
``customers.signals.accounts_changed`` themselves. Marks are written in the writer's own
transaction; ``facts.facts_refresh`` computes the marked accounts again before the next read.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from kam.customers.models import Employment, Unit
from kam.customers.signals import accounts_changed, unit_moved

from .facts import accounts_mark_stale

# Unit fields the facts depend on (the tree, kind and place); a save of other fields only
# (name, tier, account manager, …) leaves them as they are.
UNIT_FACT_FIELDS = {"path", "depth", "kind", "country", "region"}


@receiver(post_save, sender=Unit, dispatch_uid="facts_unit_saved")
def _unit_saved(sender, instance: Unit, created: bool, update_fields=None, **kwargs) -> None:
    if update_fields is not None and not (set(update_fields) & UNIT_FACT_FIELDS):
        return
    accounts_mark_stale(paths=[instance.path])


@receiver(post_delete, sender=Unit, dispatch_uid="facts_unit_deleted")
def _unit_deleted(sender, instance: Unit, **kwargs) -> None:
    accounts_mark_stale(paths=[instance.path])


@receiver(unit_moved, dispatch_uid="facts_unit_moved")
def _unit_moved(sender, unit, old_account_id, new_account_id, **kwargs) -> None:
    accounts_mark_stale(unit_ids=[old_account_id, new_account_id])


@receiver(post_init, sender=Employment, dispatch_uid="facts_position_loaded")
def _position_loaded(sender, instance: Employment, **kwargs) -> None:
    # the unit the position had when loaded: a save that moves it changes two accounts
    instance.__dict__["_facts_unit_id"] = instance.__dict__.get("unit_id")


@receiver(post_save, sender=Employment, dispatch_uid="facts_position_saved")
def _position_saved(sender, instance: Employment, **kwargs) -> None:
    before = instance.__dict__.get("_facts_unit_id")
    if Employment.unit.is_cached(instance) and before in (None, instance.unit_id):
        accounts_mark_stale(paths=[instance.unit.path])
    else:
        accounts_mark_stale(unit_ids=[i for i in (instance.unit_id, before) if i is not None])
    instance.__dict__["_facts_unit_id"] = instance.unit_id


@receiver(post_delete, sender=Employment, dispatch_uid="facts_position_deleted")
def _position_deleted(sender, instance: Employment, **kwargs) -> None:
    # when the unit itself is being deleted, its own signal marks the account
    accounts_mark_stale(unit_ids=[instance.unit_id])


@receiver(accounts_changed, dispatch_uid="facts_accounts_changed")
def _accounts_changed(sender, paths=(), unit_ids=(), **kwargs) -> None:
    accounts_mark_stale(paths=paths, unit_ids=unit_ids)
