"""REST endpoints of alerts: the list (the page's filter), acknowledge, resolve, snooze."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from ninja import Field, Query, Router, Schema

from kam.core.api.helpers import responses
from kam.core.api.pagination import PageParams, keyset_page
from kam.core.api.schemas import FilterSchema, Id, InSchema, SaneDate, Text300
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require, visible

from . import selectors, services
from .models import Alert, AlertStatus

router = Router(tags=["alerts"])

if TYPE_CHECKING:
    StatusLit = str
else:
    StatusLit = Literal[tuple(AlertStatus.values)]

VIEW = "kam.view_account"


class AlertOut(Schema):
    id: int
    kind: str
    account_id: int
    unit_id: int | None
    owner_id: int | None
    text: str
    reason: str
    params: dict[str, Any]
    evidence: dict[str, Any]
    link: str
    status: str
    snoozed_until: dt.date | None
    note: str
    raised_on: dt.date
    resolved_at: dt.datetime | None


class AlertPage(Schema):
    items: list[AlertOut]
    next: str | None


class AlertFilters(FilterSchema):
    status: list[StatusLit] | None = Field(None, description="Any of these statuses.")
    live: bool | None = Field(None, description="Open, acknowledged or snoozed.")
    kind: str | None = Field(None, max_length=40, description="The rule, e.g. sales.revenue_drop.")
    account: Id | None = Field(None, description="Only the alerts of this account.")
    mine: bool | None = Field(None, description="Alerts I own.")


class NoteIn(InSchema):
    note: Text300 = ""


class SnoozeIn(InSchema):
    until: SaneDate
    note: Text300 = ""


@router.get(
    "/alerts",
    response=responses({200: AlertPage}),
    summary="Alerts (filters: status, live, kind, account, mine)",
)
def alert_list(
    request: AuthedHttpRequest, filters: Query[AlertFilters], page: Query[PageParams]
) -> Any:
    require(request.auth, VIEW)
    data: dict[str, Any] = filters.model_dump(exclude_none=True)
    for key in ("live", "mine"):
        if key in data:
            data[key] = str(data[key])
    qs = visible(request.auth, selectors.alert_list(user=request.auth, filters=data))
    return keyset_page(qs, page)


def _alert(request: AuthedHttpRequest, alert_id: int) -> Alert:
    alert: Alert = get_for_user(
        Alert.objects.select_related("account"), request.auth, VIEW, pk=alert_id
    )
    return alert


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response=responses({200: AlertOut}),
    summary="Acknowledge an open alert (whoever may change the account)",
)
def alert_acknowledge(request: AuthedHttpRequest, alert_id: Id, payload: NoteIn) -> Any:
    return services.alert_step(
        alert=_alert(request, alert_id), step="acknowledge", actor=request.auth, note=payload.note
    )


@router.post(
    "/alerts/{alert_id}/resolve",
    response=responses({200: AlertOut}),
    summary="Resolve an alert with a note saying how",
)
def alert_resolve(request: AuthedHttpRequest, alert_id: Id, payload: NoteIn) -> Any:
    return services.alert_step(
        alert=_alert(request, alert_id), step="resolve", actor=request.auth, note=payload.note
    )


@router.post(
    "/alerts/{alert_id}/snooze",
    response=responses({200: AlertOut}),
    summary="Snooze an alert until a later day (it comes back then if the condition stands)",
)
def alert_snooze(request: AuthedHttpRequest, alert_id: Id, payload: SnoozeIn) -> Any:
    return services.alert_step(
        alert=_alert(request, alert_id),
        step="snooze",
        actor=request.auth,
        note=payload.note,
        until=payload.until,
    )
