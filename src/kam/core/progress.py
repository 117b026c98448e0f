"""Progress for logs (pipes, cron, CI): plain lines, not a redrawn bar.

A terminal gets a rich progress bar; anything else gets :class:`LineProgress`: one line at every
further 10 % of a known total (with rows per second and the time left), or one line every
``interval`` seconds while the total is not known yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.utils.translation import gettext as _


def rate_and_left(
    done: int, total: int | None, elapsed: float
) -> tuple[float | None, float | None]:
    """Items per second so far and the seconds still needed at that pace (None when unknown)."""
    if elapsed <= 0 or done <= 0:
        return None, None
    rate = done / elapsed
    left = (total - done) / rate if total and total >= done else None
    return rate, left


def duration(seconds: float) -> str:
    """A short human duration: 45 s, 3 min 20 s, 2 h 5 min."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    if seconds < 3600:
        return _("%(m)d min %(s)d s") % {"m": seconds // 60, "s": seconds % 60}
    return _("%(h)d h %(m)d min") % {"h": seconds // 3600, "m": seconds % 3600 // 60}


class LineProgress:
    """``progress(done, total)`` writing a line per 10 % step (or per ``interval`` seconds)."""

    def __init__(
        self,
        write: Callable[[str], None],
        label: str,
        *,
        unit: str = "",
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.write, self.label, self.unit = write, label, unit or _("rows")
        self.interval, self.clock = interval, clock
        self.start = clock()
        self.step = -1  # the last 10 % step written
        self.last_line = self.start

    def __call__(self, done: int, total: int | None = None) -> None:
        now = self.clock()
        rate, left = rate_and_left(done, total, now - self.start)
        if total:
            step = min(10, done * 10 // total)
            if step <= self.step:
                return
            self.step = step
            parts = [f"{self.label}: {step * 10} % ({done:,}/{total:,} {self.unit})"]
        else:
            if now - self.last_line < self.interval:
                return
            parts = [f"{self.label}: {done:,} {self.unit}"]
        self.last_line = now
        if rate is not None:
            parts.append(_("%(rate)s/s") % {"rate": f"{rate:,.0f}"})
        if left is not None and total and done < total:
            parts.append(_("about %(left)s left") % {"left": duration(left)})
        self.write(", ".join(parts))
