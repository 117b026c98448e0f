"""Keyset pagination: ``?limit=&after=<cursor>`` ordered by id, answered as ``{items, next}``.

The cursor is opaque to clients (base64 of the last id); each page is one query whatever the
offset, so walking a list of millions of rows costs the same per page.
"""

from __future__ import annotations

import base64
import binascii

from django.db.models import QuerySet
from ninja import Field, Schema

from .errors import CursorError

MAX_ID = 2**63 - 1
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page.")
    after: str | None = Field(
        None, max_length=64, description="The 'next' cursor of the previous page."
    )


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"id:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        kind, _sep, value = text.partition(":")
        pk = int(value)
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise CursorError from exc
    if kind != "id" or not 0 <= pk <= MAX_ID:
        raise CursorError
    return pk


def keyset_page(queryset: QuerySet, params: PageParams) -> dict:
    """One page of ``queryset`` after the cursor: ``{"items": [...], "next": cursor | None}``."""
    qs = queryset.order_by("pk")
    if params.after:
        qs = qs.filter(pk__gt=decode_cursor(params.after))
    rows = list(qs[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return {"items": rows, "next": encode_cursor(rows[-1].pk) if more and rows else None}
