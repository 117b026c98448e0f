"""Background tasks of data import (run by ``kam worker`` / django-tasks' db_worker)."""

from __future__ import annotations

from django_tasks import task

from .export_jobs import export_job_execute
from .jobs import import_job_execute


@task()
def run_import_job(job_id: int) -> str:
    """Run a queued import job; returns its final status (``done`` or ``failed``)."""
    return import_job_execute(job_id=job_id).status


@task()
def run_export_job(job_id: int) -> str:
    """Write the file of a queued export job; returns its final status."""
    return export_job_execute(job_id=job_id).status
