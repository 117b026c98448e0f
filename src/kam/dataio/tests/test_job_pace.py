"""The job page shows rows per second and the time left while an import runs (issue 10)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.dataio.models import ImportJob, JobStatus

pytestmark = pytest.mark.django_db


def test_a_running_job_shows_its_pace_and_time_left(client_for, users):
    job = ImportJob.objects.create(
        created_by=users["admin"],
        entity="units",
        original_name="u.csv",
        file="imports/u.csv",
        status=JobStatus.RUNNING,
        started_at=timezone.now() - dt.timedelta(seconds=10),
        progress_done=20_000,
        progress_total=100_000,
    )
    html = client_for("admin").get(reverse("dataio:job_progress", args=[job.pk])).content.decode()
    assert 'id="job-pace"' in html
    assert "rows/s" in html
    assert "s left" in html  # 80,000 rows to go at the pace so far
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE)
    html = client_for("admin").get(reverse("dataio:job_progress", args=[job.pk])).content.decode()
    assert 'id="job-pace"' not in html
