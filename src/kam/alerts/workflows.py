"""The alert lifecycle as one table (DOMAIN §6): open → acknowledged → resolved, snoozed until a
date (the engine wakes it), resolved by a person with a note or by the engine when the condition
clears. Whoever may change the account (its KAM, their line manager, an executive) handles its
alerts; services perform the steps (``services.alert_step``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kam.core.workflow import Transition, Workflow

from .models import AlertEventKind as Event
from .models import AlertStatus as S

HANDLE = "kam.change_account"

ALERT_WORKFLOW = Workflow(
    _("alert"),
    [
        Transition(
            "acknowledge",
            frozenset({S.OPEN}),
            S.ACKNOWLEDGED,
            HANDLE,
            _("Acknowledge"),
            Event.ACKNOWLEDGED,
            permission_on="account",
        ),
        Transition(
            "snooze",
            frozenset({S.OPEN, S.ACKNOWLEDGED}),
            S.SNOOZED,
            HANDLE,
            _("Snooze"),
            Event.SNOOZED,
            permission_on="account",
        ),
        Transition(
            "resolve",
            frozenset({S.OPEN, S.ACKNOWLEDGED, S.SNOOZED}),
            S.RESOLVED,
            HANDLE,
            _("Resolve"),
            Event.RESOLVED,
            permission_on="account",
        ),
    ],
    state_labels=dict(S.choices),
)
