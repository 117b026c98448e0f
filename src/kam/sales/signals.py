from django.dispatch import receiver

from kam.customers.signals import unit_moved

from .services import rollups_set_account


@receiver(unit_moved, dispatch_uid="sales_rollups_follow_move")
def _rollups_follow_move(sender, unit, old_account_id, new_account_id, **kwargs) -> None:
    if old_account_id != new_account_id:
        rollups_set_account(unit=unit, new_account_id=new_account_id)
