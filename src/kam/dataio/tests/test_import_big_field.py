"""A CSV value over the parser's 128 KiB limit is a row error, and every page still renders."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kam.customers.models import Unit
from kam.dataio.models import ImportJob, JobStatus
from kam.dataio.selectors import preview_rows, suggest_mapping

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
BIG = "x" * (200 * 1024)
UNITS = f"external_id,name,kind\nU1,Good,group\nU2,{BIG},group\nU3,Fine,group\n"


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE


def test_a_huge_value_is_a_row_error_and_the_job_page_shows_it(client_for):
    admin = client_for("admin")
    upload = SimpleUploadedFile("big.csv", UNITS.encode(), content_type="text/csv")
    response = admin.post(reverse("dataio:upload"), {"entity": "units", "file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get(pk=int(re.search(r"/import/(\d+)/", response["Location"])[1]))
    assert admin.get(response["Location"]).status_code == 200  # the columns page previews

    header = preview_rows(job.file.path, n=0).header
    suggested = suggest_mapping(entity=job.entity, header=header)
    data = {f"col_{i}": suggested.get(i, "-") for i, name in enumerate(header) if name}
    admin.post(reverse("dataio:mapping", args=[job.pk]), data)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.first_errors[0]["line"] == 3
    assert "128 KiB" in job.first_errors[0]["reason"]
    assert not Unit.objects.exists()

    for _visit in range(2):
        page = admin.get(reverse("dataio:job", args=[job.pk]))
        assert page.status_code == 200
        assert "128 KiB" in page.content.decode()


def test_skipping_bad_rows_imports_the_rows_around_a_huge_value(tmp_path):
    from kam.dataio.services import import_file

    path = tmp_path / "big.csv"
    path.write_text(UNITS, encoding="utf-8")
    report = import_file(entity="units", path=path, skip_bad_rows=True)
    assert [(e.line, e.reason) for e in report.errors] == [(3, "a value is longer than 128 KiB")]
    assert sorted(Unit.objects.values_list("external_id", flat=True)) == ["U1", "U3"]
