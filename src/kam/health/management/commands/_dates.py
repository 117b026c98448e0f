"""Date arguments of the health commands."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone


def parse_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{option}: '{value}' is not a date; use YYYY-MM-DD.") from exc
    if day > timezone.localdate():
        raise CommandError(f"{option}: {day} is in the future; health uses data up to a day.")
    return day
