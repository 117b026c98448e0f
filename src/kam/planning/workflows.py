"""The plan lifecycle as one table (DOMAIN §8): who may take which step from where.

draft → submitted → approved (an executive, not the submitter) → review due (on the cadence)
→ review recorded → approved again (or back to draft to revise); a submitted plan rejected goes
back to draft with a reason; an approved plan may be reopened for changes (draft). Services
perform the steps (``services.plan_step``) and views offer ``PLAN_WORKFLOW.allowed(user, plan)``.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.core.workflow import Transition, Workflow

from .models import PlanEventKind as Event
from .models import PlanStatus as S

CHANGE_ACCOUNT = "kam.change_account"
APPROVE = "kam.approve_plan"  # an executive, not the submitter (four-eyes, decision 31)
DECIDE = "kam.decide_plan"

PLAN_WORKFLOW = Workflow(
    _("plan"),
    [
        Transition(
            "submit",
            frozenset({S.DRAFT}),
            S.SUBMITTED,
            CHANGE_ACCOUNT,
            _("Submit for approval"),
            Event.SUBMITTED,
            permission_on="account",
        ),
        Transition(
            "approve", frozenset({S.SUBMITTED}), S.APPROVED, APPROVE, _("Approve"), Event.APPROVED
        ),
        Transition(
            "reject", frozenset({S.SUBMITTED}), S.DRAFT, DECIDE, _("Reject"), Event.REJECTED
        ),
        Transition(
            "start_review",
            frozenset({S.APPROVED}),
            S.REVIEW_DUE,
            CHANGE_ACCOUNT,
            _("Start a review"),
            Event.REVIEW_DUE,
            permission_on="account",
        ),
        Transition(
            "reopen",
            frozenset({S.APPROVED, S.REVIEW_DUE}),
            S.DRAFT,
            CHANGE_ACCOUNT,
            _("Reopen for changes"),
            Event.REOPENED,
            permission_on="account",
        ),
    ],
    state_labels=dict(S.choices),
)

# Recording a review is its own service (``plan_review_record``): from "review due" (or an
# approved plan reviewed early) back to "approved" when the plan is confirmed, else to draft.
REVIEWABLE = frozenset({S.APPROVED, S.REVIEW_DUE})
# The plan's content can be edited in these states; a submitted plan waits for its decision.
EDITABLE = frozenset({S.DRAFT, S.APPROVED, S.REVIEW_DUE})


# --- the one rule of "review due" (decision 101) -------------------------------------------------


def review_is_due(status: str, next_review_due: dt.date | None, as_of: dt.date) -> bool:
    """An approved plan is due for review from its review date on (the day itself included)."""
    if status == S.REVIEW_DUE:
        return True
    return status == S.APPROVED and next_review_due is not None and next_review_due <= as_of


def review_due_q(as_of: dt.date, prefix: str = "") -> Q:
    """The plans :func:`review_is_due` says are due, as a query (marked or not yet marked)."""
    return Q(**{f"{prefix}status": S.REVIEW_DUE}) | Q(
        **{f"{prefix}status": S.APPROVED, f"{prefix}next_review_due__lte": as_of}
    )
