"""Big exports from the web as background jobs (decision 60).

An export of more rows than ``KAM_EXPORT_JOB_ROWS`` (default 50,000) from the web page does not
stream while the person waits: it becomes an :class:`ExportJob` run by a worker, which writes
the file under the media area (``exports/``), reports its progress, and tells the person when
the file is ready; its page then offers the download. Files are removed after
``KAM_EXPORT_KEEP_DAYS`` days (default 7) by every new export job and by the workers' reaper.
The command line (``kam export``) and the API stream as before.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from kam.core import tabular
from kam.core.errors import DomainError
from kam.core.jobs import beating, job_notify, reap, stale
from kam.core.permissions import visible
from kam.people.models import User

from .exporters import FORMATS, export_rows
from .importers import ENTITIES
from .models import ExportChannel, ExportJob, JobStatus
from .services import export_log_finish, export_log_start

log = logging.getLogger("kam.dataio")

DEFAULT_JOB_ROWS = 50_000
DEFAULT_KEEP_DAYS = 7
PROGRESS_EVERY = 5_000  # rows between two progress writes


def export_job_rows() -> int:
    """Exports of more rows than this run as jobs (``KAM_EXPORT_JOB_ROWS``)."""
    return int(getattr(settings, "KAM_EXPORT_JOB_ROWS", DEFAULT_JOB_ROWS))


def export_keep_days() -> int:
    return int(getattr(settings, "KAM_EXPORT_KEEP_DAYS", DEFAULT_KEEP_DAYS))


def export_rows_count(*, entity: str, user: User | None) -> int:
    """How many rows an export of ``entity`` by ``user`` writes (one count query)."""
    spec = ENTITIES[entity]
    return int(visible(user, spec.model._default_manager.all()).count())


def export_is_big(*, entity: str, user: User | None) -> bool:
    return export_rows_count(entity=entity, user=user) > export_job_rows()


def export_job_create(*, user: User, entity: str, fmt: str) -> ExportJob:
    """Queue an export of ``entity`` in ``fmt`` for ``user`` (checked by the caller)."""
    if entity not in ENTITIES or fmt not in FORMATS:
        raise DomainError(_("Unknown entity or format."), code="entity")
    export_jobs_clean()
    job = ExportJob.objects.create(created_by=user, entity=entity, format=fmt)
    result = run_export_job.enqueue(job.pk)
    ExportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def _counting(job: ExportJob, rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """The rows passed through, the job's progress written every PROGRESS_EVERY rows."""
    done = -1  # the header is no data row
    last = time.monotonic()
    for row in rows:
        done += 1
        if done and done % PROGRESS_EVERY == 0 and time.monotonic() - last > 0.5:
            ExportJob.objects.filter(pk=job.pk).update(rows_done=done)
            last = time.monotonic()
        job.rows_done = max(done, 0)
        yield row


def export_job_execute(*, job_id: int) -> ExportJob:
    """Write the file of a queued export job, logged like every bulk export (decision 33)."""
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        log.warning("Export job %s is %s, not queued; not run again", job.pk, job.status)
        return job
    rows_total = export_rows_count(entity=job.entity, user=job.created_by)
    name = f"exports/{uuid.uuid4().hex}/{job.entity}-{timezone.localdate():%Y-%m-%d}.{job.format}"
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = export_log_start(
        user=job.created_by, entity=job.entity, fmt=job.format, channel=ExportChannel.WEB
    )
    claim: dict[str, Any] = {
        "status": JobStatus.RUNNING,
        "started_at": timezone.now(),
        "rows_total": rows_total,
    }
    with beating(job, **claim):
        try:
            rows = _counting(job, export_rows(job.entity, job.created_by))
            if job.format == "xlsx":
                tabular.xlsx_write(rows, path, sheet=job.entity)
            else:
                with open(path, "wb") as fh:
                    for chunk in tabular.csv_stream(rows):
                        fh.write(chunk)
        except Exception:
            log.exception("Export job %s stopped with an unexpected error", job.pk)
            export_log_finish(log=entry, rows=job.rows_done, complete=False)
            path.unlink(missing_ok=True)
            _finish(job, JobStatus.FAILED, _("The export stopped with an unexpected error."))
            raise
    export_log_finish(log=entry, rows=job.rows_done, complete=True)
    job.file.name = name
    return _finish(job, JobStatus.DONE, "")


def _finish(job: ExportJob, status: str, message: str) -> ExportJob:
    job.status, job.message, job.finished_at = status, message, timezone.now()
    with transaction.atomic():
        job.save()
        _notify(job)
    return job


def _notify(job: ExportJob) -> None:
    if job.status == JobStatus.DONE:
        message = gettext_lazy("Your export of %(entity)s is ready: %(rows)s rows.")
    else:
        message = gettext_lazy("Your export of %(entity)s failed: %(message)s")
    job_notify(
        user=job.created_by if job.created_by_id else None,
        message=message,
        params={"entity": job.entity, "rows": job.rows_done, "message": job.message[:300]},
        link=reverse("dataio:export_job", args=[job.pk]),
    )


@task()
def run_export_job(job_id: int) -> str:
    """The background task: write the file of a queued export job; returns its final status.

    Defined here, next to the service it runs (the import task lives in ``tasks``, which needs
    a declared cycle to be enqueued by its own service).
    """
    return export_job_execute(job_id=job_id).status


def export_jobs_reap(*, now: dt.datetime | None = None, quick: bool = False) -> int:
    """Fail running exports whose worker stopped beating; remove files past their days."""

    def fail(job: ExportJob, reason: str) -> bool:
        changed = stale(
            ExportJob.objects.filter(pk=job.pk), running=JobStatus.RUNNING, now=now
        ).update(status=JobStatus.FAILED, message=reason, finished_at=timezone.now())
        if changed:
            job.status, job.message = JobStatus.FAILED, reason
            _notify(job)
        return bool(changed)

    count = reap(
        ExportJob.objects.select_related("created_by"),
        running=JobStatus.RUNNING,
        fail=fail,
        now=now,
        quick=quick,
    )
    if not quick:
        export_jobs_clean(now=now)
    return count


def export_jobs_clean(*, now: dt.datetime | None = None) -> int:
    """Remove export jobs (and their files) older than ``KAM_EXPORT_KEEP_DAYS`` days."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=export_keep_days())
    old = list(ExportJob.objects.filter(created_at__lt=cutoff).exclude(status=JobStatus.RUNNING))
    for job in old:
        if job.file:
            folder = Path(job.file.path).parent
            job.file.delete(save=False)
            with contextlib.suppress(OSError):
                folder.rmdir()  # the job's own folder, empty now
    ExportJob.objects.filter(pk__in=[j.pk for j in old]).delete()
    return len(old)
