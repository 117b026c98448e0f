"""Signals other apps listen to, so that dependencies keep pointing one way."""

from django.dispatch import Signal

# Sent after a unit (with its subtree) moved to another place in the tree.
# Arguments: unit, old_root_id, new_root_id.
unit_moved = Signal()

# Sent by bulk writers that bypass model signals (roll-ups, imports, generators) after they
# changed data of accounts. Arguments: paths (unit paths) and/or unit_ids; the top-level
# accounts of those units are the ones changed.
accounts_changed = Signal()
