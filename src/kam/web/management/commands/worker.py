"""``kam worker``: run background jobs (django-tasks database backend) and scheduled work."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.core.management.base import BaseCommand
from django.db import OperationalError, close_old_connections
from django.utils.translation import gettext as _
from django_tasks_db.management.commands.db_worker import Worker

from kam.alerts.services import alerts_nightly
from kam.core.jobs import (
    current_worker_id,
    heartbeat_interval,
    is_locked,
    tasks_requeue_dead,
    worker_beat,
)
from kam.dataio.export_jobs import export_jobs_reap
from kam.dataio.fastpath import publish_recover
from kam.dataio.jobs import import_jobs_reap
from kam.health.tasks import health_nightly_schedule
from kam.identification.services import scoring_run_schedule, scoring_runs_reap
from kam.planning.services import plans_mark_review_due
from kam.programme.services import dashboard_nightly, programme_refresh_due
from kam.relationships.tasks import figures_schedule, strengths_schedule
from kam.sales.discounts import discounts_refresh_due
from kam.sales.services import account_revenue_refresh_due

log = logging.getLogger(__name__)

TICK_SECONDS = 60  # between two looks for due scheduled work
LOCK_DELAY = 0.5  # first wait after "database is locked"; doubles up to LOCK_MAX_DELAY
LOCK_MAX_DELAY = 30.0


def _guarded(name: str, step: Callable[[], object]) -> None:
    try:
        step()
    except Exception:  # a failed step must not stop the worker; the next tick retries
        log.exception("%s failed", name)


def beat_tick() -> None:
    """Say this worker is alive and fail the jobs of workers that stopped beating."""
    close_old_connections()
    try:
        _guarded("Recording the worker's heartbeat", worker_beat)
        _guarded("Reaping dead import jobs", import_jobs_reap)
        _guarded("Undoing the half-published imports of stopped processes", publish_recover)
        _guarded("Reaping dead export jobs, removing old export files", export_jobs_reap)
        _guarded("Reaping dead scoring runs", scoring_runs_reap)
        _guarded("Requeueing the tasks of dead workers", tasks_requeue_dead)
    finally:
        close_old_connections()


def schedule_tick() -> None:
    """Queue whatever scheduled work is due (today: the periodic scoring run)."""
    close_old_connections()
    try:
        run = scoring_run_schedule()
        if run is not None:
            log.warning("Scheduled scoring run %s queued", run.pk)
        if alerts_nightly() is not None:
            log.warning("Nightly alert refresh done")
    except Exception:  # a failed tick must not stop the worker; the next one retries
        log.exception("Scheduled work failed")
    finally:
        close_old_connections()
    # the nightly health recompute catches time decay (recency, the moving windows)
    _guarded("Queueing the nightly health recompute", health_nightly_schedule)
    # approved plans whose review date has come become "review due" (one indexed query when none)
    _guarded("Marking plans due for review", plans_mark_review_due)
    # the kept dashboard: its week of changes moves on, and bulk writers may bypass its marks
    _guarded("Refreshing the executive dashboard", dashboard_nightly)
    # the programme overview, kept for minutes (decision 124): computed before a reader waits
    _guarded("Refreshing the programme overview", programme_refresh_due)
    # link strengths: the pairs new interactions marked stale, and all of them once a day (decay)
    _guarded("Queueing the link strength refresh", strengths_schedule)
    # the kept coverage figures and map overview: marked accounts, and all of them once a day
    _guarded("Queueing the refresh of the kept coverage figures", figures_schedule)
    # the kept revenue the portfolio sorts by: marked accounts, and all of them each month
    _guarded("Refreshing the kept account revenue", account_revenue_refresh_due)
    # the kept list-price sums of the key accounts and of marked accounts (decision 122)
    _guarded("Refreshing the kept discounts", discounts_refresh_due)


def run_surviving_locks(
    run: Callable[[], None], *, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Run the task loop; when "database is locked" escapes it, wait and run it again.

    The wait doubles from ``LOCK_DELAY`` to at most ``LOCK_MAX_DELAY`` seconds and starts
    again from the first after a minute without the error. Any other error ends the worker
    (``kam serve`` restarts its own).
    """
    delay = LOCK_DELAY
    last_failure = float("-inf")
    while True:
        try:
            run()
            return
        except OperationalError as exc:
            if not is_locked(exc):
                raise
            now = time.monotonic()
            if now - last_failure > 60:
                delay = LOCK_DELAY
            last_failure = now
            log.warning("Database is locked; the worker goes on in %.1f s", delay)
            close_old_connections()
            sleep(delay)
            delay = min(LOCK_MAX_DELAY, delay * 2)


class Command(BaseCommand):
    help = _("Run the background job worker (several may run on several machines).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-schedule",
            action="store_true",
            help=_("Do not queue scheduled work such as the periodic scoring run."),
        )

    def handle(self, *args, **options):
        stop = threading.Event()
        schedule = not options["no_schedule"]

        def loop():
            next_schedule = time.monotonic()
            while not stop.is_set():
                beat_tick()
                if schedule and time.monotonic() >= next_schedule:
                    schedule_tick()
                    next_schedule = time.monotonic() + TICK_SECONDS
                stop.wait(heartbeat_interval())

        threading.Thread(target=loop, name="kam-schedule", daemon=True).start()
        worker = Worker(
            queue_names=["default"],
            interval=1,
            batch=False,
            backend_name="default",
            startup_delay=True,
            max_tasks=None,
            worker_id=current_worker_id()[:64],
            excluded_queue_names=[],
        )
        worker.configure_signals()
        try:
            run_surviving_locks(worker.run)
        finally:
            stop.set()
