"""Background tasks of the relationship map (run by ``kam worker``): link strengths and the
kept coverage figures fresh.

Every scheduler tick queues a refresh of the pairs that new, changed or deleted interactions
marked stale; once a day it queues the refresh of every pair so that the kept strengths and the
"judgement and activity disagree" flags follow the time decay (decision 49). Then, when no
strength refresh is waiting, it queues the refresh of the kept figures of the accounts that
writes marked stale or that are of an earlier day (decision 106). All run as tasks, so a refresh
survives the worker that started it and never blocks the scheduler (decision 102).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from .models import AccountFigures, LinkStrength, StaleFigures, StaleLink
from .services import (
    MARKS_FORGOTTEN_AFTER,
    figures_refresh_due,
    key_accounts_without_figures,
    strengths_refresh,
)


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


@task()
def figures_refresh_task() -> int:
    """Refresh the kept coverage figures that are marked stale or old; returns the accounts."""
    return figures_refresh_due()


def figures_due(*, now: dt.datetime | None = None) -> bool:
    """Whether some kept figures are of an earlier day or marked stale, a key account has none
    kept yet (decision 137), or marks of accounts without kept figures wait to be dropped (four
    queries at most)."""
    now = now or timezone.now()
    kept = AccountFigures.objects.values("account__path")
    return (
        AccountFigures.objects.filter(as_of__lt=timezone.localdate(now)).exists()
        or StaleFigures.objects.filter(root_path__in=kept).exists()
        or key_accounts_without_figures().exists()
        or StaleFigures.objects.filter(at__lt=now - MARKS_FORGOTTEN_AFTER).exists()
    )


def figures_schedule(*, now: dt.datetime | None = None) -> bool:
    """The scheduler's step: queue the refresh of the kept figures when due, but not while a
    strength refresh (whose writes mark the figures again) or a figures refresh is waiting or
    running. Returns whether a refresh was queued."""
    waiting = DBTaskResult.objects.filter(
        Q(task_path__endswith="strengths_refresh_task")
        | Q(task_path__endswith="figures_refresh_task"),
        status__in=["READY", "RUNNING"],
    )
    if waiting.exists() or not figures_due(now=now):
        return False
    figures_refresh_task.enqueue()
    return True
