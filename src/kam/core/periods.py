"""Month arithmetic used by roll-ups and rolling windows."""

from __future__ import annotations

import datetime as dt


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def full_months_end(as_of: dt.date) -> dt.date:
    """First day after the last full month up to ``as_of``.

    A month counts once it is over: on its last day, or any day after it. On any other day the
    month still running is left out, so a figure does not drop at the start of every month and
    climb back during it.
    """
    return month_start(as_of + dt.timedelta(days=1))


def last_full_months(as_of: dt.date, n: int = 12) -> tuple[dt.date, dt.date]:
    """The one window behind every "last 12 full months" figure (decision 43).

    First day of the window and first day after it: the ``n`` full months up to ``as_of``.
    The portfolio, the scores, the account profile, My accounts and the plans all use it.
    """
    end = full_months_end(as_of)
    return add_months(end, -n), end


def last_n_months(today: dt.date, n: int) -> tuple[dt.date, dt.date]:
    """The ``n`` full months up to ``today`` (same window as :func:`last_full_months`)."""
    return last_full_months(today, n)
