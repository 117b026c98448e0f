"""Another KAM on the import pages: imports are for administrators only, so kam_b can neither
upload a file nor start an administrator's uploaded import."""

from __future__ import annotations

from typing import cast

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.dataio.models import ImportJob, JobStatus
from kam.people.models import User
from kam.testing.factories import UserFactory
from kam.testing.personas import Persona, db_snapshot


def test_a_kam_cannot_upload_an_import(client: Client, kam_a: Persona, kam_b: Persona) -> None:
    """Not per object: uploading is for administrators only."""
    client.force_login(kam_b.user)
    before = db_snapshot()
    upload = SimpleUploadedFile("units.csv", b"name,kind\nTaken,group\n", "text/csv")
    response = client.post(reverse("dataio:upload"), {"entity": "units", "file": upload})
    assert response.status_code == 403
    assert db_snapshot() == before


def test_a_kam_cannot_start_an_administrators_import(
    client: Client, kam_a: Persona, kam_b: Persona
) -> None:
    job = ImportJob.objects.create(
        created_by=cast(User, UserFactory(role="admin")),
        entity="units",
        original_name="units.csv",
        status=JobStatus.UPLOADED,
    )
    client.force_login(kam_b.user)
    before = db_snapshot()
    response = client.post(reverse("dataio:mapping", args=[job.pk]), {"dry_run": ""})
    assert response.status_code == 403
    assert db_snapshot() == before


def test_a_kam_cannot_rerun_an_administrators_import(
    client: Client, kam_a: Persona, kam_b: Persona
) -> None:
    job = ImportJob.objects.create(
        created_by=cast(User, UserFactory(role="admin")),
        entity="units",
        original_name="units.csv",
        status=JobStatus.FAILED,
        started_at=timezone.now(),
    )
    client.force_login(kam_b.user)
    before = db_snapshot()
    response = client.post(reverse("dataio:job_rerun", args=[job.pk]))
    assert response.status_code == 403
    assert db_snapshot() == before
