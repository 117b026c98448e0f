"""The nomination lifecycle as one table (DOMAIN §3.1): who may take which step from where.

Services perform these steps (``services._step``) and views offer the buttons
``NOMINATION_WORKFLOW.allowed(user, nomination)`` returns. A nomination is created in
``nominated`` by ``services.nomination_create``; the score's recommendation before it and the
approval are events (:class:`NominationEventKind`), not statuses.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kam.core.workflow import Transition, Workflow

from .models import NominationEventKind as Event
from .models import NominationStatus as S

DECIDE = "kam.decide_nomination"
APPROVE = "kam.approve_nomination"  # an executive, not the nominator (four-eyes, decision 31)
CHANGE_ACCOUNT = "kam.change_account"

NOMINATION_WORKFLOW = Workflow(
    _("nomination"),
    [
        Transition(
            "approve", frozenset({S.NOMINATED}), S.KEY, APPROVE, _("Approve"), Event.APPROVED
        ),
        Transition(
            "reject", frozenset({S.NOMINATED}), S.REJECTED, DECIDE, _("Reject"), Event.REJECTED
        ),
        Transition(
            "review",
            frozenset({S.KEY, S.KEPT}),
            S.UNDER_REVIEW,
            CHANGE_ACCOUNT,
            _("Start review"),
            Event.REVIEW_STARTED,
            permission_on="account",
        ),
        Transition(
            "keep",
            frozenset({S.UNDER_REVIEW}),
            S.KEPT,
            DECIDE,
            _("Keep as key account"),
            Event.KEPT,
        ),
        Transition(
            "demote",
            frozenset({S.KEY, S.KEPT, S.UNDER_REVIEW}),
            S.DEMOTED,
            DECIDE,
            _("Demote"),
            Event.DEMOTED,
        ),
    ],
    state_labels=dict(S.choices),
)
