"""The resource request lifecycle as one table (PRODUCT §6): who may take which step from where.

open → accepted (the asked function's head, naming an assignee) → done (the assignee or the
head); open or accepted → declined (the head, with a reason); open → withdrawn (the requester).
Services perform the steps (``services.request_step``); pages offer the buttons
``REQUEST_WORKFLOW.allowed(user, request)`` returns.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kam.core.workflow import Transition, Workflow

from .models import RequestEventKind as Event
from .models import RequestStatus as S

DECIDE = "kam.decide_request"
FINISH = "kam.finish_request"
WITHDRAW = "kam.withdraw_request"

REQUEST_WORKFLOW = Workflow(
    _("resource request"),
    [
        Transition("accept", frozenset({S.OPEN}), S.ACCEPTED, DECIDE, _("Accept"), Event.ACCEPTED),
        Transition(
            "decline",
            frozenset({S.OPEN, S.ACCEPTED}),
            S.DECLINED,
            DECIDE,
            _("Decline"),
            Event.DECLINED,
        ),
        Transition("done", frozenset({S.ACCEPTED}), S.DONE, FINISH, _("Mark done"), Event.DONE),
        Transition(
            "withdraw", frozenset({S.OPEN}), S.WITHDRAWN, WITHDRAW, _("Withdraw"), Event.WITHDRAWN
        ),
    ],
    state_labels=dict(S.choices),
)
STEPS = tuple(REQUEST_WORKFLOW.transitions)
