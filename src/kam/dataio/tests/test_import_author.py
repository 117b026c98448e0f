"""Rows written by an import job name who started it, and every created row has its creation
entry in the history, so the first later change shows before and after."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.customers.models import Contact, Unit
from kam.customers.selectors import unit_history
from kam.customers.services import unit_update
from kam.dataio.jobs import import_job_create, import_job_execute
from kam.dataio.models import ImportJob, JobStatus

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _run_as_the_worker(user, entity: str, name: str) -> ImportJob:
    """Upload as ``user``, then run the job as the worker does: with no request around it."""
    upload = SimpleUploadedFile(name, (FIXTURES / name).read_bytes(), content_type="text/csv")
    job = import_job_create(user=user, entity=entity, upload=upload)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    job = import_job_execute(job_id=job.pk)
    assert job.status == JobStatus.DONE, job.message
    return job


def test_units_of_an_import_job_name_who_started_it(users):
    _run_as_the_worker(users["admin"], "units", "units.csv")
    unit = Unit.objects.get(external_id="U-NORD")
    created = unit.history.get(history_type="+")
    assert created.history_user == users["admin"]


def test_bulk_created_contacts_have_their_creation_entry_by_the_importer(users):
    _run_as_the_worker(users["admin"], "contacts", "contacts.csv")
    contacts = list(Contact.objects.all())
    assert contacts
    for contact in contacts:
        created = contact.history.get(history_type="+")
        assert created.history_user == users["admin"]


def test_a_later_change_of_an_imported_unit_shows_before_and_after(users):
    _run_as_the_worker(users["admin"], "units", "units.csv")
    unit = Unit.objects.get(external_id="U-NORD")
    unit_update(unit=unit, city="Wien")
    latest = unit_history(unit=unit)[0]
    assert latest["fields"] == [{"field": "city", "old": "Linz", "new": "Wien"}]
