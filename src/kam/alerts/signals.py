"""Signals of the alerts app, for the layers above it."""

from django.dispatch import Signal

# Sent by the alert engine after it raised, changed or resolved alerts in bulk (bypassing model
# signals), inside its transaction. Arguments: raised, updated, cleared (counts).
alerts_written = Signal()
