"""Big exports from the web run as background jobs: progress, a download link, clean-up."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from kam.dataio.export_jobs import export_jobs_clean
from kam.dataio.models import ExportJob, ExportLog, JobStatus
from kam.people.models import Notification
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE
    settings.KAM_EXPORT_JOB_ROWS = 3


def _download(client, entity, fmt):
    return client.get(reverse("dataio:export_download") + f"?entity={entity}&format={fmt}")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_big_export_runs_as_a_job_and_offers_its_file(client_for, users, fmt):
    for i in range(5):
        make_unit(f"Unit {i}")
    admin = client_for("admin")
    response = _download(admin, "units", fmt)
    assert response.status_code == 302
    pk = int(re.search(r"/export/(\d+)/", response["Location"])[1])
    job = ExportJob.objects.get(pk=pk)
    assert (job.status, job.rows_done, job.rows_total) == (JobStatus.DONE, 5, 5)
    page = admin.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("dataio:export_job_file", args=[pk]) in html
    assert "5 rows" in html
    file = admin.get(reverse("dataio:export_job_file", args=[pk]))
    assert file.status_code == 200
    content = b"".join(file.streaming_content)
    if fmt == "csv":
        count = len(content.decode("utf-8-sig").splitlines())
    else:
        import io

        sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        count = len(sheet.to_python())
    assert count == 6  # header and five units
    log = ExportLog.objects.get()
    assert (log.entity, log.rows, log.complete) == ("units", 5, True)
    note = Notification.objects.get(user=users["admin"])
    assert reverse("dataio:export_job", args=[pk]) in note.link


def test_a_small_export_still_streams(client_for):
    make_unit("Only one")
    response = _download(client_for("admin"), "units", "csv")
    assert response.status_code == 200
    assert not ExportJob.objects.exists()


def test_old_export_files_are_removed(client_for):
    for i in range(5):
        make_unit(f"Unit {i}")
    admin = client_for("admin")
    response = _download(admin, "units", "csv")
    job = ExportJob.objects.get()
    path = job.file.path
    later = timezone.now() + dt.timedelta(days=8)
    assert export_jobs_clean(now=later) == 1
    assert not ExportJob.objects.exists()
    import os

    assert not os.path.exists(path)
    assert admin.get(response["Location"]).status_code == 404


def test_an_export_job_page_needs_the_bulk_export_right(client_for):
    for i in range(5):
        make_unit(f"Unit {i}")
    _download(client_for("admin"), "units", "csv")
    job = ExportJob.objects.get()
    for persona in ("kam", "outsider"):
        client = client_for(persona)
        assert client.get(reverse("dataio:export_job", args=[job.pk])).status_code == 403
        assert client.get(reverse("dataio:export_job_file", args=[job.pk])).status_code == 403


def test_the_export_job_page_has_a_bounded_number_of_queries(
    client_for, users, django_assert_max_num_queries
):
    admin = client_for("admin")

    def make(n):
        jobs = [
            ExportJob(created_by=users["admin"], entity="units", format="csv", status="done")
            for _ in range(n)
        ]
        ExportJob.objects.bulk_create(jobs)
        return ExportJob.objects.order_by("-pk").first()

    job = make(3)
    admin.get(reverse("dataio:export_job", args=[job.pk]))  # warm the session
    with django_assert_max_num_queries(12):
        assert admin.get(reverse("dataio:export_job", args=[job.pk])).status_code == 200
    job = make(30)
    with django_assert_max_num_queries(12):
        assert admin.get(reverse("dataio:export_job", args=[job.pk])).status_code == 200
