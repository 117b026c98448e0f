"""API throttling (trust): bad tokens per address, requests per valid token.

Counts live in the database (``RateCounter``) so every app process and machine shares them; no
count is kept in process memory. Windows are fixed: a count starts again at the next window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from kam.core.http import client_address

from .models import RateCounter

# Counters older than this many seconds are deleted when a new window starts.
KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Window:
    key: str
    seconds: int
    limit: int

    def number(self, now: float) -> int:
        return int(now // self.seconds)

    def retry_after(self, now: float) -> int:
        return max(1, int((self.number(now) + 1) * self.seconds - now))


def clock() -> float:
    """The throttle's clock (Unix seconds); the one place it reads the time."""
    return time.time()


def bad_token_window(request: HttpRequest) -> Window:
    return Window(
        key=f"bad:{client_address(request)}",
        seconds=max(60, settings.KAM_LOCKOUT_MINUTES * 60),
        limit=settings.KAM_LOGIN_FAILURE_LIMIT,
    )


def token_window(token_id: int) -> Window:
    return Window(key=f"token:{token_id}", seconds=60, limit=settings.KAM_API_RATE)


def count_of(window: Window, *, now: float | None = None) -> int:
    now = clock() if now is None else now
    row = (
        RateCounter.objects.filter(key=window.key, window=window.number(now))
        .values_list("count", flat=True)
        .first()
    )
    return row or 0


def count_up(window: Window, *, now: float | None = None) -> int:
    """Add one to the window's count and return the new count: one statement (an upsert with
    RETURNING, the same SQL on SQLite and PostgreSQL), safe when processes race."""
    now = clock() if now is None else now
    number = window.number(now)
    q = connection.ops.quote_name
    table, key, win, cnt = q(RateCounter._meta.db_table), q("key"), q("window"), q("count")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, {win}, {cnt}) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT ({key}, {win}) DO UPDATE SET {cnt} = {table}.{cnt} + 1 "
            f"RETURNING {cnt}",
            [window.key, number],
        )
        count = int(cursor.fetchone()[0])
    if count == 1:  # a new window: forget the old ones of this kind
        RateCounter.objects.filter(window__lt=int((now - KEEP_SECONDS) // window.seconds)).filter(
            key__startswith=window.key.split(":", 1)[0] + ":"
        ).delete()
    return count
