"""Plan action updates in the coordination feed (issue 14; decision 103).

The teams app's feed reads this source through the core registry (``kam.core.feed``): an
action created, its status changed, an action done — who, when, which action, of which plan.
The events are the action's history rows (``simple_history``): a creation, or a change whose
status differs from the row before it, found in one query with a correlated subquery.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from kam.core.feed import FeedEvent
from kam.customers.models import Unit

from .models import Action, ActionStatus

KIND = "actions"


def plan_action_events(account_ids: Sequence[int], unit: Any, limit: int) -> list[FeedEvent]:
    """The newest ``limit`` action events of the accounts (of ``unit``'s subtree when given)."""
    history = Action.history.model
    before = (
        history.objects.filter(id=OuterRef("id"), history_date__lt=OuterRef("history_date"))
        .order_by("-history_date", "-history_id")
        .values("status")[:1]
    )
    rows = (
        history.objects.filter(plan__account_id__in=list(account_ids))
        .annotate(status_before=Subquery(before))
        .filter(Q(history_type="+") | Q(history_type="~") & ~Q(status=F("status_before")))
    )
    if unit is not None:
        rows = rows.filter(unit__in=Unit.objects.subtree(unit).values("pk"))
    events = []
    for h in rows.select_related("plan", "history_user", "done_by").order_by(
        "-history_date", "-pk"
    )[:limit]:
        status = ActionStatus(h.status).label if h.status in ActionStatus.values else h.status
        if h.history_type == "+":
            what = _("action created")
        elif h.status == ActionStatus.DONE:
            what = _("action done")
        else:
            what = _("action status: %(status)s") % {"status": status}
        plan = h.plan
        period = f"{plan.period_start:%Y-%m}–{plan.period_end:%Y-%m}"
        events.append(
            FeedEvent(
                at=h.history_date,
                account_id=plan.account_id,
                unit_id=h.unit_id,
                # a service called outside a request leaves no history user; "done" names one
                actor=h.history_user or (h.done_by if h.status == ActionStatus.DONE else None),
                text=_("%(what)s — %(title)s (plan %(period)s)")
                % {"what": what, "title": h.title[:120], "period": period},
                link=reverse("planning:plan", args=[plan.pk]),
                obj=h,
            )
        )
    return events
