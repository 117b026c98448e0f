"""An import whose worker died is failed with the reason, can be re-run, and tells its starter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.core.jobs import worker_beat
from kam.customers.models import Unit
from kam.dataio.jobs import import_jobs_reap
from kam.dataio.models import ImportJob, JobStatus
from kam.dataio.tasks import run_import_job
from kam.people.models import Notification

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MAPPING = {"external_id": "external_id", "name": "name", "kind": "kind", "country": "country"}


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE
    settings.KAM_JOB_TIMEOUT_SECONDS = 120


def _job(user, **fields) -> ImportJob:
    job = ImportJob(created_by=user, entity="units", original_name="units.csv", **fields)
    job.file.save("units.csv", ContentFile((FIXTURES / "units.csv").read_bytes()), save=False)
    job.save()
    return job


def _dead(user) -> ImportJob:
    """A job a killed worker left running: its last heartbeat 5 minutes ago."""
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    return _job(
        user,
        status=JobStatus.RUNNING,
        started_at=long_ago,
        heartbeat_at=long_ago,
        worker_id="elsewhere-1-deadbeef",
        attempts=1,
    )


def test_the_reaper_fails_a_dead_job_with_the_reason_and_leaves_live_ones(users):
    dead = _dead(users["admin"])
    live = _job(
        users["admin"],
        status=JobStatus.RUNNING,
        started_at=timezone.now() - dt.timedelta(minutes=30),
        heartbeat_at=timezone.now() - dt.timedelta(seconds=10),
        worker_id="elsewhere-2-cafebabe",
    )
    assert import_jobs_reap() == 1
    dead.refresh_from_db()
    live.refresh_from_db()
    assert dead.status == JobStatus.FAILED
    assert dead.message.startswith("The worker stopped (no heartbeat since ")
    assert dead.finished_at is not None
    assert live.status == JobStatus.RUNNING
    notice = Notification.objects.get(user=users["admin"])
    assert notice.text.startswith("Import of units.csv failed: The worker stopped")
    assert notice.link == reverse("dataio:job", args=[dead.pk])
    assert import_jobs_reap() == 0  # once


def test_the_jobs_page_shows_a_dead_job_as_failed(client_for, users):
    dead = _dead(users["admin"])
    html = client_for("admin").get(reverse("dataio:jobs")).content.decode()
    dead.refresh_from_db()
    assert dead.status == JobStatus.FAILED
    assert "Failed" in html


def test_a_dead_job_is_rerun_with_the_same_file_and_mapping_and_gives_the_same_result(
    client_for, users
):
    dead = _dead(users["admin"])
    ImportJob.objects.filter(pk=dead.pk).update(mapping=MAPPING)
    admin = client_for("admin")
    page = admin.get(reverse("dataio:job", args=[dead.pk])).content.decode()
    assert 'id="job-rerun"' in page
    response = admin.post(reverse("dataio:job_rerun", args=[dead.pk]))
    assert response.status_code == 302
    dead.refresh_from_db()
    assert dead.status == JobStatus.DONE  # the immediate backend ran it at once
    assert dead.attempts == 2
    assert dead.message == ""
    assert dead.mapping == MAPPING
    assert dead.created == Unit.objects.count() > 0
    assert "Attempt 2." in admin.get(reverse("dataio:job", args=[dead.pk])).content.decode()
    # a done job is not run again
    again = admin.post(reverse("dataio:job_rerun", args=[dead.pk]))
    assert again.status_code == 400


def test_only_administrators_may_rerun_an_import(client_for, users):
    dead = _dead(users["admin"])
    for who in ("outsider", "kam", "executive"):
        response = client_for(who).post(reverse("dataio:job_rerun", args=[dead.pk]))
        assert response.status_code == 403, who
    dead.refresh_from_db()
    assert dead.status == JobStatus.RUNNING
    assert client_for("admin").get(reverse("dataio:job_rerun", args=[dead.pk])).status_code == 405


def test_a_finished_import_tells_who_started_it_what_it_did(users):
    job = _job(users["admin"], status=JobStatus.QUEUED, mapping=MAPPING)
    assert run_import_job.call(job.pk) == "done"
    notice = Notification.objects.get(user=users["admin"])
    created = Unit.objects.count()
    assert notice.text == (
        f"Import of units.csv: {created} created, 0 updated, 0 unchanged, 0 skipped."
    )
    assert notice.link == reverse("dataio:job", args=[job.pk])


def test_the_jobs_page_warns_when_no_worker_has_been_seen_for_a_minute(client_for):
    admin = client_for("admin")
    html = admin.get(reverse("dataio:jobs")).content.decode()
    assert 'id="worker-warning"' in html
    assert "No job worker has been seen" in html
    worker_beat(now=timezone.now() - dt.timedelta(seconds=75))
    html = admin.get(reverse("dataio:jobs")).content.decode()
    assert "No job worker has been seen for 7" in html  # 75 s or a little more
    worker_beat()
    assert 'id="worker-warning"' not in admin.get(reverse("dataio:jobs")).content.decode()


def test_a_job_shows_running_only_with_its_attempt_counted(users):
    """A worker killed right after a job shows "running" must leave the attempt counted: the
    status change, the worker, the heartbeat and the attempt are one UPDATE."""
    job = _job(users["admin"], mapping=MAPPING, status=JobStatus.QUEUED)
    with CaptureQueriesContext(connection) as queries:
        run_import_job.enqueue(job_id=job.pk)
    claims = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "dataio_importjob"') and "running" in q["sql"]
    ]
    assert claims, "the job was never marked running"
    assert '"attempts"' in claims[0] and '"worker_id"' in claims[0]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.attempts == 1
