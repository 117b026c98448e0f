from django.dispatch import receiver

from kam.customers.signals import unit_moved

from .services import rollups_reroot


@receiver(unit_moved, dispatch_uid="sales_reroot_rollups")
def _reroot(sender, unit, old_root_id, new_root_id, **kwargs):
    if old_root_id != new_root_id:
        rollups_reroot(unit=unit, new_root_id=new_root_id)
