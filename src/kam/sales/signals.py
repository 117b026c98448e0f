from django.dispatch import receiver

from kam.customers.signals import unit_moved

from .services import rollups_reroot


@receiver(unit_moved, dispatch_uid="sales_reroot_rollups")
def _reroot(sender, unit, old_account_id, new_account_id, **kwargs):
    if old_account_id != new_account_id:
        rollups_reroot(unit=unit, new_account_id=new_account_id)
