"""Background tasks of the programme (run by ``kam worker``): the kept executive dashboard.

A reader that finds the kept dashboard stale queues its recomputation here and shows the kept
figures meanwhile (decision 135): the computation takes a second or more of processor at the
medium scale, which a web process should not spend while other requests wait behind it.
"""

from __future__ import annotations

from django_tasks import task

from .services import dashboard_refresh_queued


@task()
def dashboard_refresh_task() -> bool:
    """Recompute the kept dashboard a reader found stale; returns whether it computed (not when
    the scheduler's step has already kept current figures)."""
    return dashboard_refresh_queued()
