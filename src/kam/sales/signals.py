from django.dispatch import receiver

from kam.customers.signals import accounts_changed, unit_moved

from .discounts import discounts_mark_stale
from .services import account_revenue_mark_stale, rollups_set_account


@receiver(unit_moved, dispatch_uid="sales_rollups_follow_move")
def _rollups_follow_move(sender, unit, old_account_id, new_account_id, **kwargs) -> None:
    if old_account_id != new_account_id:
        rollups_set_account(unit=unit, new_account_id=new_account_id)
        # both accounts' revenue changed (decision 111)
        account_revenue_mark_stale(unit_ids=[old_account_id, new_account_id])
        discounts_mark_stale(unit_ids=[old_account_id, new_account_id])


@receiver(accounts_changed, dispatch_uid="sales_kept_revenue_stale")
def _accounts_changed(sender, paths=(), unit_ids=(), **kwargs) -> None:
    account_revenue_mark_stale(paths=paths, unit_ids=unit_ids)
    # their sales changed: the kept list-price sums too (decision 122)
    discounts_mark_stale(paths=paths, unit_ids=unit_ids)
