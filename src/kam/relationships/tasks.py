"""Background task of the relationship map (run by ``kam worker``): link strengths kept fresh.

Every scheduler tick queues a refresh of the pairs that new, changed or deleted interactions
marked stale; once a day it queues the refresh of every pair so that the kept strengths and the
"judgement and activity disagree" flags follow the time decay (decision 49). Both run as tasks,
so a refresh survives the worker that started it and never blocks the scheduler (decision 102).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from .models import LinkStrength, StaleLink
from .services import strengths_refresh


@task()
def strengths_refresh_task(everything: bool = False) -> int:
    """Recompute the stale link strengths (every one with ``everything``); returns the pairs."""
    return strengths_refresh(everything=everything)


def strengths_nightly_due(*, now: dt.datetime | None = None) -> bool:
    """Whether the daily full refresh is due: some kept strength is of an earlier day."""
    today = timezone.localdate(now or timezone.now())
    return LinkStrength.objects.filter(as_of__lt=today).exists()


def strengths_schedule(*, now: dt.datetime | None = None) -> bool | None:
    """The scheduler's step: queue the full refresh when due, else the stale one when pairs
    are marked; nothing while a refresh is waiting or running. Returns ``True`` for a full
    refresh queued, ``False`` for a stale one, ``None`` for nothing queued."""
    waiting = DBTaskResult.objects.filter(
        task_path__endswith="strengths_refresh_task", status__in=["READY", "RUNNING"]
    )
    if waiting.exists():
        return None
    if strengths_nightly_due(now=now):
        strengths_refresh_task.enqueue(everything=True)
        return True
    if StaleLink.objects.exists():
        strengths_refresh_task.enqueue(everything=False)
        return False
    return None
