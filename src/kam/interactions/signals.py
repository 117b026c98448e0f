"""Signals of the interaction log for writers that bypass the model signals."""

from django.dispatch import Signal

# Sent (``interaction_ids``: the new and the changed ones) after a bulk write of interactions
# and of their participants/contacts, inside the writer's transaction, so that derived figures
# of higher layers (link strengths) are marked stale like a single save marks them.
interactions_bulk_written = Signal()
