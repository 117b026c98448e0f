"""Month arithmetic used by roll-ups and rolling windows."""

from __future__ import annotations

import datetime as dt


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def last_n_months(today: dt.date, n: int) -> tuple[dt.date, dt.date]:
    """First day of the window and first day after it: the n full months up to ``today``."""
    end = add_months(month_start(today), 1)
    return add_months(end, -n), end
