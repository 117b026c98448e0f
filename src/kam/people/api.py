"""REST endpoints of a user's own notifications (the header's bell, for scripts)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema

from kam.core.api.helpers import responses
from kam.core.api.pagination import PageParams, decode_cursor, encode_cursor
from kam.core.api.schemas import FilterSchema, Id, InSchema
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import is_internal

from . import selectors, services

router = Router(tags=["notifications"])
MAX_IDS = 500


class NotificationOut(Schema):
    id: int
    text: str
    link: str
    read: bool
    created_at: dt.datetime


class NotificationPage(Schema):
    items: list[NotificationOut]
    next: str | None
    unread: int = Field(description="How many of the user's notifications are unread.")


class NotificationFilters(FilterSchema):
    unread: bool = Field(False, description="Only the unread ones.")


class MarkReadIn(InSchema):
    ids: list[Id] | None = Field(
        None, max_length=MAX_IDS, description="The notifications to mark; all when absent."
    )


class MarkReadOut(Schema):
    marked: int
    unread: int


def _internal(request: AuthedHttpRequest) -> None:
    if not is_internal(request.auth):
        raise PermissionDenied


@router.get("/notifications", response=responses({200: NotificationPage}))
def notification_list(
    request: AuthedHttpRequest, filters: Query[NotificationFilters], page: Query[PageParams]
) -> dict[str, object]:
    """The user's own notifications, newest first."""
    _internal(request)
    qs = selectors.notification_list(user=request.auth)
    if filters.unread:
        qs = qs.filter(read=False)
    qs = qs.order_by("-pk")
    if page.after:
        qs = qs.filter(pk__lt=decode_cursor(page.after))
    rows = list(qs[: page.limit + 1])
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return {
        "items": rows,
        "next": encode_cursor(rows[-1].pk) if more and rows else None,
        "unread": selectors.notifications_unread_count(user=request.auth),
    }


@router.post("/notifications/read", response=responses({200: MarkReadOut}))
def notifications_read(request: AuthedHttpRequest, payload: MarkReadIn) -> dict[str, int]:
    """Mark the user's notifications read: those of ``ids`` (others' ids are ignored), or all."""
    _internal(request)
    marked = services.notifications_mark_read(user=request.auth, ids=payload.ids)
    return {"marked": marked, "unread": selectors.notifications_unread_count(user=request.auth)}
