"""Background task of health (run by ``kam worker``): the nightly recompute for time decay."""

from __future__ import annotations

import datetime as dt

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from .services import health_nightly_due, health_refresh


@task()
def health_refresh_task() -> int:
    """Recompute every account's health as of today; returns the number of accounts."""
    return health_refresh(everything=True)


def health_nightly_schedule(*, now: dt.datetime | None = None) -> bool:
    """Queue the nightly recompute when due and not queued already (the worker's scheduler
    calls this every tick). Returns whether a task was queued."""
    if not health_nightly_due(now=now):
        return False
    waiting = DBTaskResult.objects.filter(
        task_path__endswith="health_refresh_task", status__in=["READY", "RUNNING"]
    )
    if waiting.exists():
        return False
    health_refresh_task.enqueue()
    return True
