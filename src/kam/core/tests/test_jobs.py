"""Jobs survive their workers: heartbeats, the lock retries, worker liveness (kam.core.jobs)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from kam.core import jobs
from kam.core.models import WorkerBeat
from kam.dataio.models import ImportJob, JobStatus

pytestmark = pytest.mark.django_db


def _job(**fields) -> ImportJob:
    return ImportJob.objects.create(entity="units", original_name="units.csv", **fields)


def test_beating_names_the_worker_counts_the_attempt_and_beats():
    job = _job(status=JobStatus.RUNNING)
    with jobs.beating(job, thread=False):
        pass
    job.refresh_from_db()
    assert job.worker_id == jobs.current_worker_id()
    assert job.attempts == 1
    assert timezone.now() - job.heartbeat_at < dt.timedelta(seconds=5)
    with jobs.beating(job, thread=False):
        pass
    job.refresh_from_db()
    assert job.attempts == 2


@pytest.mark.sqlite_only  # the in-transaction pulse is SQLite's answer to its write lock
def test_on_sqlite_a_pulse_inside_the_jobs_transaction_writes_the_heartbeat(settings):
    settings.KAM_JOB_TIMEOUT_SECONDS = 1  # beats every 0.25 s
    job = _job(status=JobStatus.RUNNING)
    old = timezone.now() - dt.timedelta(hours=1)
    with jobs.beating(job, thread=False) as beat:
        ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=old)
        beat.pulse()  # outside a transaction: the thread's business, nothing here
        assert ImportJob.objects.get(pk=job.pk).heartbeat_at == old
        time.sleep(0.3)
        with transaction.atomic():
            beat.pulse()
    assert ImportJob.objects.get(pk=job.pk).heartbeat_at > old


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_keeps_a_running_job_fresh(settings):
    settings.KAM_JOB_TIMEOUT_SECONDS = 1
    job = _job(status=JobStatus.RUNNING)
    old = timezone.now() - dt.timedelta(hours=1)
    with jobs.beating(job):
        ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=old)
        deadline = time.monotonic() + 5
        while ImportJob.objects.get(pk=job.pk).heartbeat_at == old:
            assert time.monotonic() < deadline, "no heartbeat within 5 s"
            time.sleep(0.1)


def test_stale_finds_running_jobs_whose_heartbeat_is_older_than_the_timeout(settings):
    settings.KAM_JOB_TIMEOUT_SECONDS = 120
    now = timezone.now()
    dead = _job(status=JobStatus.RUNNING, heartbeat_at=now - dt.timedelta(seconds=121))
    _job(status=JobStatus.RUNNING, heartbeat_at=now - dt.timedelta(seconds=30))
    _job(status=JobStatus.DONE, heartbeat_at=now - dt.timedelta(hours=3))
    never = _job(status=JobStatus.RUNNING, started_at=now - dt.timedelta(hours=1))
    found = jobs.stale(ImportJob.objects.all(), running=JobStatus.RUNNING, now=now)
    assert {j.pk for j in found} == {dead.pk, never.pk}


def _locked() -> OperationalError:
    return OperationalError("database is locked")


@pytest.mark.django_db(transaction=True)  # no retry inside a transaction: none here
def test_retry_locked_tries_again_with_a_growing_wait_then_succeeds():
    calls: list[int] = []
    waits: list[float] = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise _locked()
        return "done"

    assert jobs.retry_locked(flaky, sleep=waits.append) == "done"
    assert waits == [1.0, 2.0]


@pytest.mark.django_db(transaction=True)  # no retry inside a transaction: none here
def test_retry_locked_gives_up_after_its_attempts():
    waits: list[float] = []

    def always():
        raise _locked()

    with pytest.raises(OperationalError):
        jobs.retry_locked(always, attempts=3, sleep=waits.append)
    assert waits == [1.0, 2.0]


def test_retry_locked_does_not_retry_other_errors():
    waits: list[float] = []

    def broken():
        raise OperationalError("no such table: x")

    with pytest.raises(OperationalError):
        jobs.retry_locked(broken, sleep=waits.append)
    assert waits == []


def test_the_worker_loop_survives_database_is_locked_with_back_off():
    from kam.web.management.commands.worker import run_surviving_locks

    runs: list[int] = []
    waits: list[float] = []

    def run():
        runs.append(1)
        if len(runs) <= 3:
            raise _locked()

    run_surviving_locks(run, sleep=waits.append)
    assert len(runs) == 4
    assert waits == [0.5, 1.0, 2.0]


def test_the_worker_loop_stops_on_other_errors():
    from kam.web.management.commands.worker import run_surviving_locks

    def run():
        raise OperationalError("disk I/O error")

    with pytest.raises(OperationalError):
        run_surviving_locks(run, sleep=lambda s: None)


def test_no_worker_seen_is_told_with_the_seconds():
    now = timezone.now()
    assert jobs.worker_missing_for(now=now) == 0  # never seen
    jobs.worker_beat(now=now)
    assert jobs.worker_missing_for(now=now + dt.timedelta(seconds=30)) is None
    assert jobs.worker_missing_for(now=now + dt.timedelta(seconds=90)) == 90


def test_a_worker_beat_is_one_row_per_worker_and_old_ones_are_forgotten():
    now = timezone.now()
    WorkerBeat.objects.create(
        worker_id="gone", host="h", pid=1, last_seen=now - dt.timedelta(days=2)
    )
    jobs.worker_beat(now=now)
    jobs.worker_beat(now=now)
    assert list(WorkerBeat.objects.values_list("worker_id", flat=True)) == [
        jobs.current_worker_id()
    ]


def test_a_worker_is_alive_here_only_while_its_process_runs():
    host = socket.gethostname()[:30]
    assert jobs.worker_alive_here(jobs.current_worker_id())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert jobs.worker_alive_here(f"{host}-{child.pid}-abcdef12")
    finally:
        child.kill()
        child.wait()
    assert not jobs.worker_alive_here(f"{host}-{child.pid}-abcdef12")
    assert not jobs.worker_alive_here(f"elsewhere-{os.getpid()}-abcdef12")
    assert not jobs.worker_alive_here("")
