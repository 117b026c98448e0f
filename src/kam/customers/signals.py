"""Signals other apps listen to, so that dependencies keep pointing one way."""

from django.dispatch import Signal

# Sent after a unit (with its subtree) moved to another place in the tree.
# Arguments: unit, old_account_id, new_account_id (the ids of its account before and after).
unit_moved = Signal()

# Sent by bulk writers that bypass model signals (roll-ups, imports, generators) after they
# changed data of accounts. Arguments: paths (unit paths) and/or unit_ids; the accounts of
# those units are the ones changed.
accounts_changed = Signal()
