"""An import job's report is written in the language of who started it (issue 10): the worker
has no request, so without this a Russian user read English results."""

from __future__ import annotations

from django.utils import translation

from kam.dataio.jobs import _language_of
from kam.dataio.models import ImportJob


def test_the_job_speaks_the_language_of_its_author(users, settings):
    admin = users["admin"]
    admin.language = "ru"
    admin.save()
    job = ImportJob(created_by=admin, entity="units", original_name="u.csv")
    assert _language_of(job) == "ru"
    admin.language = ""
    assert _language_of(job) == settings.LANGUAGE_CODE
    assert _language_of(ImportJob(entity="units")) == settings.LANGUAGE_CODE
    with translation.override(_language_of(job)):
        assert translation.get_language() == settings.LANGUAGE_CODE
