"""Background jobs that survive their workers: heartbeats, the reaper, lock retries, liveness.

One mechanism for every kind of job (imports, scoring runs, …): a job model mixes in
:class:`Heartbeat`; the code that executes a job runs inside :func:`beating`, which keeps
``heartbeat_at`` fresh; :func:`stale` finds running jobs whose worker stopped beating, and each
app's reaper service marks them failed (its own transaction, its own wording). Workers record
that they are alive in :class:`WorkerBeat` (``worker_beat``) so pages can warn when none is.

Heartbeats on SQLite (one writer at a time): while the job itself holds the write lock for a
long write, no other connection can write, the heartbeat thread included. So on SQLite the
job's own connection also writes ``heartbeat_at`` inside its transaction when the job reports
progress (:meth:`Beating.pulse`): the heartbeat commits with the data, and when the lock is
released it is fresh. A reaper waiting for that lock re-reads the row once it has it (its
``UPDATE … WHERE heartbeat_at < cutoff`` is evaluated under the lock), so a long but live write
is never reaped. The thread's own writes use a short busy timeout and are skipped when the
database is locked. On PostgreSQL the thread's separate connection writes while the job runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

from django.conf import settings
from django.db import OperationalError, connection, connections, models, transaction
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .db import sqlite_pragma
from .models import Heartbeat, WorkerBeat

log = logging.getLogger(__name__)

T = TypeVar("T")
J = TypeVar("J", bound=Heartbeat)

DEFAULT_TIMEOUT = 120  # seconds without a heartbeat before a running job counts as dead
WORKER_SEEN_SECONDS = 60  # pages warn when no worker has been seen for this long


def job_timeout() -> int:
    """Seconds without a heartbeat after which a running job is dead (KAM_JOB_TIMEOUT_SECONDS)."""
    return max(1, int(getattr(settings, "KAM_JOB_TIMEOUT_SECONDS", DEFAULT_TIMEOUT)))


def heartbeat_interval() -> float:
    """Seconds between two heartbeats: a few per timeout, at most every 10 s."""
    return max(0.2, min(10.0, job_timeout() / 4))


_worker_id = f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def current_worker_id() -> str:
    """This process's worker id (host, pid and a random part: unique across machines)."""
    return _worker_id


def worker_beat(*, now: dt.datetime | None = None) -> WorkerBeat:
    """Record that this worker process is alive; forget workers gone for a day."""
    now = now or timezone.now()
    with transaction.atomic():
        beat, _created = WorkerBeat.objects.update_or_create(
            worker_id=current_worker_id(),
            defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "last_seen": now},
        )
        WorkerBeat.objects.filter(last_seen__lt=now - dt.timedelta(days=1)).delete()
    return beat


def worker_last_seen() -> dt.datetime | None:
    """When a job worker was last seen alive (None: never)."""
    return WorkerBeat.objects.order_by("-last_seen").values_list("last_seen", flat=True).first()


def worker_missing_for(*, now: dt.datetime | None = None) -> int | None:
    """Seconds since a worker was last seen when that is over a minute (or it never was), else None.

    Pages show "no job worker has been seen for N seconds" when this is not None; ``0`` means no
    worker has ever been seen.
    """
    last = worker_last_seen()
    if last is None:
        return 0
    age = int(((now or timezone.now()) - last).total_seconds())
    return age if age > WORKER_SEEN_SECONDS else None


def stale(
    queryset: models.QuerySet[J],
    *,
    running: str,
    now: dt.datetime | None = None,
) -> models.QuerySet[J]:
    """Jobs of ``queryset`` in status ``running`` whose last heartbeat (or start) is too old."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=job_timeout())
    return (
        queryset.filter(status=running)
        .alias(_last_beat=Coalesce("heartbeat_at", "started_at"))
        .filter(models.Q(_last_beat__lt=cutoff) | models.Q(_last_beat__isnull=True))
    )


def live(
    queryset: models.QuerySet[J],
    *,
    running: str,
    now: dt.datetime | None = None,
) -> models.QuerySet[J]:
    """``queryset`` without its dead running jobs (what :func:`stale` finds)."""
    dead = stale(queryset, running=running, now=now).values("pk")
    return queryset.exclude(pk__in=dead)


def last_beat(job: Heartbeat) -> dt.datetime | None:
    return job.heartbeat_at or getattr(job, "started_at", None)


def is_locked(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (or "table is locked")."""
    return isinstance(exc, OperationalError) and "is locked" in str(exc).lower()


def retry_locked(
    fn: Callable[[], T],
    *,
    attempts: int = 4,
    delay: float = 1.0,
    max_delay: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn``; on "database is locked" call it again after 1, 2, 4 … s (bounded).

    ``fn`` must be safe to repeat (a job whose write is one transaction). The last failure is
    raised.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except OperationalError as exc:
            if not is_locked(exc) or attempt == attempts or connection.in_atomic_block:
                raise
            wait = min(max_delay, delay * 2 ** (attempt - 1))
            log.warning("Database is locked; trying again in %.1f s (attempt %s)", wait, attempt)
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def short_busy_timeout(milliseconds: int = 1000) -> Iterator[None]:
    """On SQLite, wait at most ``milliseconds`` for the write lock in this block (then fail)."""
    with sqlite_pragma("busy_timeout", milliseconds):
        yield


class Beating:
    """Keeps a job's ``heartbeat_at`` fresh while it runs (see the module's docstring)."""

    def __init__(self, job: Heartbeat, interval: float | None = None):
        self.model = type(job)
        self.pk = job.pk
        self.interval = heartbeat_interval() if interval is None else interval
        self.alias = connection.alias
        self.sqlite = connection.vendor == "sqlite"
        self.stop = threading.Event()
        self.last_pulse = time.monotonic()
        self.thread: threading.Thread | None = None

    def _update(self) -> int:
        return self.model._default_manager.filter(pk=self.pk).update(heartbeat_at=timezone.now())

    def pulse(self) -> None:
        """Called by the job between batches: on SQLite inside a transaction, beat in it."""
        if not (self.sqlite and connection.in_atomic_block):
            return
        now = time.monotonic()
        if now - self.last_pulse < self.interval:
            return
        self.last_pulse = now
        self._update()

    def _loop(self) -> None:
        try:
            if self.sqlite:
                with connections[self.alias].cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout = 1000")
            else:
                with connections[self.alias].cursor() as cursor:
                    cursor.execute("SET lock_timeout = '2s'")
            while not self.stop.wait(self.interval):
                try:
                    self._update()
                except OperationalError:
                    # SQLite: the job holds the write lock; its pulses beat inside it.
                    log.debug("Heartbeat of %s %s skipped", self.model.__name__, self.pk)
        except Exception:  # a heartbeat must never stop a job
            log.warning("Heartbeat of %s %s stopped", self.model.__name__, self.pk, exc_info=True)
        finally:
            connections[self.alias].close()

    def start(self) -> None:
        self.thread = threading.Thread(
            target=self._loop, name=f"kam-heartbeat-{self.pk}", daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=5)


@contextmanager
def beating(job: Heartbeat, *, thread: bool = True, **claim: Any) -> Iterator[Beating]:
    """Mark ``job`` as run by this worker and keep its heartbeat fresh until the block ends.

    Sets ``worker_id``, ``heartbeat_at``, counts the attempt and writes the caller's ``claim``
    fields (its status change: ``status``, ``started_at``…) in the same UPDATE, so a worker
    killed at any moment leaves either a queued job or a running one with its attempt counted;
    the heartbeat thread starts and is stopped at the end of the block.
    """
    job.worker_id = current_worker_id()
    job.heartbeat_at = timezone.now()
    job.attempts = (job.attempts or 0) + 1
    for name, value in claim.items():
        setattr(job, name, value)
    type(job)._default_manager.filter(pk=job.pk).update(
        worker_id=job.worker_id, heartbeat_at=job.heartbeat_at, attempts=job.attempts, **claim
    )
    beat = Beating(job)
    if thread:
        beat.start()
    try:
        yield beat
    finally:
        beat.close()


def worker_alive_here(worker_id: str) -> bool:
    """Whether ``worker_id`` names a live process on this machine (never true elsewhere).

    A job on SQLite (one machine) whose heartbeat could not be written because its own long
    write held the lock is still running: its process is alive, so it is not reaped.
    """
    host, _sep, rest = worker_id.rpartition("-")[0].rpartition("-")
    if not host or host != socket.gethostname()[:30] or not rest.isdigit():
        return False
    pid = int(rest)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet waited for is a zombie: dead
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True


def reap(
    queryset: models.QuerySet[J],
    *,
    running: str,
    fail: Callable[[J, str], bool],
    now: dt.datetime | None = None,
    quick: bool = False,
) -> int:
    """Fail the running jobs of ``queryset`` whose worker stopped beating, in one transaction.

    ``fail(job, reason)`` is the app's service step: a conditional update (it re-checks that the
    job is still stale under the lock and returns whether it changed it) plus its event or
    notification. Jobs whose worker process is alive on this machine are left alone. One query
    when nothing is stale. ``quick`` (pages): wait at most half a second for SQLite's write
    lock and leave the work to a worker's next tick when it is taken.
    """
    candidates = [
        job
        for job in stale(queryset, running=running, now=now)
        if not worker_alive_here(job.worker_id)
    ]
    if not candidates:
        return 0
    count = 0
    try:
        with short_busy_timeout(500) if quick else nullcontext(), transaction.atomic():
            for job in candidates:
                if fail(job, dead_reason(job)):
                    count += 1
    except OperationalError as exc:
        if not (quick and is_locked(exc)):
            raise
        return 0  # a worker's scheduler tick reaps them soon
    if count:
        log.warning("%s %s(s) marked failed: their worker stopped", count, queryset.model.__name__)
    return count


def dead_reason(job: Heartbeat) -> str:
    """The reason a reaped job failed, in the active language."""
    since = last_beat(job)
    when = timezone.localtime(since).strftime("%Y-%m-%d %H:%M:%S") if since else "—"
    return str(
        _("The worker stopped (no heartbeat since %(time)s); the job can be run again.")
        % {"time": when}
    )


# Sent when a job ends (done or failed), to tell the person who started it. Keyword arguments:
# ``user``, ``message`` (lazy text with %-placeholders), ``params``, ``link``. The in-app
# notifications (people.Notification) connect to it, so that any app's jobs can
# notify without importing the app that stores notifications.
job_finished = Signal()


def job_notify(*, user: object, message: object, params: dict[str, object], link: str) -> None:
    """Tell ``user`` (if any) that their job ended and what it did."""
    if user is None:
        return
    job_finished.send(sender=Heartbeat, user=user, message=message, params=params, link=link)


def tasks_requeue_dead(*, now: dt.datetime | None = None) -> int:
    """Put back in the queue the tasks claimed by a worker that stopped beating.

    django-tasks' ``db_worker`` claims a task with ``SELECT … FOR UPDATE SKIP LOCKED`` (each
    task goes to one worker), but a worker killed mid-task leaves it ``RUNNING`` for ever: lost.
    Every worker's beat tick calls this: a running task whose last worker has not been seen
    (:class:`WorkerBeat`) for a job timeout, and is not a live process on this machine, is made
    ready again, by a conditional update (two workers doing this at once requeue it once). The
    task then runs again on a live worker: OpenKAM's tasks are safe to repeat (their job row
    says whether the work was done: an import or scoring run that is no longer queued is not
    run again; its own reaper fails a run that died half way, which the user can re-run).
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=job_timeout())
    alive = set(
        WorkerBeat.objects.filter(last_seen__gte=cutoff).values_list("worker_id", flat=True)
    )
    requeued = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    for pk, worker_ids, started_at in running.values_list("pk", "worker_ids", "started_at")[:500]:
        worker = worker_ids[-1] if worker_ids else ""
        if worker in alive or worker_alive_here(worker):
            continue
        if started_at is not None and started_at > cutoff:
            continue  # claimed moments ago: its worker may not have beaten yet
        requeued += running.filter(pk=pk, started_at=started_at).update(
            status=TaskResultStatus.READY, started_at=None
        )
    if requeued:
        log.warning("%s task(s) of stopped workers put back in the queue", requeued)
    return requeued
