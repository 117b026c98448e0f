"""Import jobs started from the web: save the upload, confirm the mapping, run in the background.

The run itself is :func:`kam.dataio.services.import_file`; this module only records who asked
for what and how it went, so a page can show progress and the result.

Progress: the engine reports ``(done, total)`` while it reads and validates, and again while it
writes inside its one transaction. Outside that transaction the job row is updated at most once
a second. Inside it, an update through the same connection would stay invisible until the end,
so on PostgreSQL a second, autocommit connection carries it; SQLite allows one writer at a time,
so there the bar waits at "writing" until the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.errors import DomainError
from kam.core.history import history_author
from kam.core.jobs import Beating, beating, job_notify, reap, retry_locked, stale
from kam.people.models import User

from . import formats
from .entities import resolve_columns
from .formats import ImportFileError
from .importers import ENTITIES, ENTITY_NAMES
from .mapping import ColumnMapping
from .models import ImportJob, JobStatus
from .report import ImportReport
from .selectors import preview_rows
from .services import import_file

log = logging.getLogger(__name__)

FIRST_ERRORS = 50
PROGRESS_INTERVAL = 1.0  # seconds between two progress writes


def _check_entity(entity: str) -> None:
    if entity not in ENTITIES:
        raise ImportFileError(
            _("Unknown entity “%(entity)s”. Choose one of: %(names)s.")
            % {"entity": entity, "names": ", ".join(ENTITY_NAMES)},
            code="entity",
        )


def import_job_fail(*, job: ImportJob, message: str) -> ImportJob:
    """Mark a job failed with a message the person can act on (and tell who started it)."""
    job.status = JobStatus.FAILED
    job.message = message[:4000]
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save(update_fields=["status", "message", "finished_at"])
        if job.started_at is not None:  # it ran (a file refused at upload is shown at once)
            _notify_finished(job)
    return job


def _notify_finished(job: ImportJob) -> None:
    """Tell the person who started the job that it ended, and what it did."""
    if job.status == JobStatus.DONE:
        message = gettext_lazy(
            "Import of %(name)s: %(created)s created, %(updated)s updated, "
            "%(unchanged)s unchanged, %(skipped)s skipped."
        )
        if job.dry_run:
            message = gettext_lazy(
                "Dry run of %(name)s: %(created)s would be created, %(updated)s updated "
                "(nothing was written)."
            )
    else:
        message = gettext_lazy("Import of %(name)s failed: %(message)s")
    job_notify(
        user=job.created_by if job.created_by_id else None,
        message=message,
        params={
            "name": job.original_name,
            "created": job.created,
            "updated": job.updated,
            "unchanged": job.unchanged,
            "skipped": job.skipped,
            "message": job.message[:300],
        },
        link=reverse("dataio:job", args=[job.pk]),
    )


def import_jobs_reap(*, now: dt.datetime | None = None, quick: bool = False) -> int:
    """Mark running imports whose worker stopped beating as failed, with the reason.

    Run by every worker's scheduler tick and when the jobs page loads (one transaction).
    """

    def fail(job: ImportJob, reason: str) -> bool:
        changed = stale(
            ImportJob.objects.filter(pk=job.pk), running=JobStatus.RUNNING, now=now
        ).update(status=JobStatus.FAILED, message=reason, finished_at=timezone.now())
        if changed:
            job.status, job.message = JobStatus.FAILED, reason
            _notify_finished(job)
        return bool(changed)

    return reap(
        ImportJob.objects.select_related("created_by"),
        running=JobStatus.RUNNING,
        fail=fail,
        now=now,
        quick=quick,
    )


RERUNNABLE = (JobStatus.FAILED,)


def import_job_can_rerun(job: ImportJob) -> bool:
    """A failed job that had been started can run again (same file, same mapping, same options)."""
    return job.status in RERUNNABLE and job.started_at is not None


def import_job_rerun(*, job: ImportJob, user: User) -> ImportJob:
    """Queue a failed job again: the same file with the same mapping and options.

    Its counts and problems are cleared; ``attempts`` keeps counting. The person who asks is
    told when it ends.
    """
    from .tasks import run_import_job  # a service queueing its own task: a cycle by design

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not import_job_can_rerun(job):
            raise DomainError(
                _("Only a failed import can be run again (status: %s).") % job.get_status_display(),
                code="state",
            )
        job.status = JobStatus.QUEUED
        job.created_by = user
        for name in ("rows", "created", "updated", "unchanged", "skipped", "error_count"):
            setattr(job, name, 0)
        job.progress_done, job.progress_total = 0, None
        job.written, job.summary, job.message, job.first_errors = False, "", "", []
        job.error_report.name = ""
        job.started_at = job.finished_at = job.heartbeat_at = None
        job.save()
    result = run_import_job.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def import_job_create(*, user, entity: str, upload: UploadedFile) -> ImportJob:
    """Store an uploaded file as a new job of ``entity``.

    A wrong entity, an empty file or one over ``KAM_IMPORT_MAX_BYTES`` raises
    :class:`ImportFileError` and nothing is stored. A file that is stored but cannot be read
    (encoding, not a spreadsheet) gives a job that has already failed, with the reason.
    """
    _check_entity(entity)
    limit = formats.max_bytes()
    if upload.size is None or upload.size == 0:
        raise ImportFileError(_("The file is empty."), code="empty")
    if upload.size > limit:
        raise ImportFileError(
            _(
                "The file is %(size)s bytes, over the import limit of %(limit)s bytes "
                "(setting KAM_IMPORT_MAX_BYTES)."
            )
            % {"size": upload.size, "limit": limit},
            code="too_big",
        )
    name = Path(upload.name or "upload").name[:255]
    job = ImportJob(created_by=user, entity=entity, original_name=name, size=upload.size)
    job.file.save(name, upload, save=False)
    job.save()
    try:
        preview_rows(job.file.path, n=1)
    except ImportFileError as exc:
        import_job_fail(job=job, message=exc.message)
    return job


def import_job_start(
    *,
    job: ImportJob,
    mapping: dict[str, Any],
    dry_run: bool = False,
    skip_bad_rows: bool = False,
) -> ImportJob:
    """Confirm the column mapping and options of an uploaded job and queue it."""
    # The task module imports this one to run the job: enqueuing our own task is a cycle by
    # design, so the task is imported when a job is queued.
    from .tasks import run_import_job

    if job.status != JobStatus.UPLOADED:
        raise DomainError(
            _("This import has already been started (status: %s).") % job.get_status_display(),
            code="state",
        )
    encoding = ColumnMapping.from_raw(mapping).options.get("encoding") or None
    header = preview_rows(job.file.path, n=0, encoding=encoding).header
    resolve_columns(ENTITIES[job.entity], header, mapping)  # a missing column is told now
    job.mapping = mapping
    job.dry_run = dry_run
    job.skip_bad_rows = skip_bad_rows
    job.status = JobStatus.QUEUED
    job.save(update_fields=["mapping", "dry_run", "skip_bad_rows", "status"])
    result = run_import_job.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


class _ProgressSaver:
    """The engine's ``progress(done, total)`` callback: writes the job row at most once a second."""

    def __init__(
        self, job: ImportJob, interval: float = PROGRESS_INTERVAL, beat: Beating | None = None
    ):
        self.job = job
        self.beat = beat
        self.interval = interval
        self.last = float("-inf")
        self.depth = len(connection.atomic_blocks)
        # A side connection would wait forever on a row locked by a transaction of our own.
        self.side_allowed = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.side: BaseDatabaseWrapper | None = None

    def __call__(self, done: int, total: int | None) -> None:
        if self.beat is not None:
            self.beat.pulse()  # SQLite: the heartbeat commits with the import's transaction
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        if len(connection.atomic_blocks) <= self.depth:
            ImportJob.objects.filter(pk=self.job.pk).update(
                progress_done=done, progress_total=total
            )
        elif self.side_allowed:
            self._side_update(done, total)

    def _side_update(self, done: int, total: int | None) -> None:
        table = ImportJob._meta.db_table
        try:
            if self.side is None:
                self.side = connections.create_connection(connection.alias)
                with self.side.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '2s'")
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET progress_done = %s, progress_total = %s WHERE id = %s",
                    [done, total, self.job.pk],
                )
        except Exception:  # progress is best effort; the import goes on
            log.warning("Could not save the progress of import job %s", self.job.pk, exc_info=True)
            self.side_allowed = False
            self.close()

    def close(self) -> None:
        if self.side is not None:
            try:
                self.side.close()
            finally:
                self.side = None


def _save_error_report(job: ImportJob, report: ImportReport) -> str:
    name = f"imports/errors/{job.pk}-{uuid.uuid4().hex[:12]}.csv"
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    report.write_csv(path)
    return name


def _language_of(job: ImportJob) -> str:
    """The interface language of who started the job (the worker has no request of its own)."""
    language = getattr(job.created_by, "language", "") if job.created_by_id else ""
    return language or settings.LANGUAGE_CODE


def import_job_execute(*, job_id: int) -> ImportJob:
    """Run a queued job: import the file and record the counts, the problems or the failure."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        log.warning("Import job %s is %s, not queued; not run again", job.pk, job.status)
        return job
    with beating(job, status=JobStatus.RUNNING, started_at=timezone.now()) as beat:
        saver = _ProgressSaver(job, beat=beat)
        try:
            # All or nothing, so a run that met "database is locked" can simply run again.
            # who started the import wrote its rows, and reads its report in their language
            with history_author(job.created_by), translation.override(_language_of(job)):
                report = retry_locked(
                    lambda: import_file(
                        entity=job.entity,
                        path=job.file.path,
                        mapping=job.mapping,
                        dry_run=job.dry_run,
                        skip_bad_rows=job.skip_bad_rows,
                        progress=saver,
                    )
                )
        except DomainError as exc:  # ImportFileError too: the file as a whole, or a broken rule
            return import_job_fail(job=job, message=exc.message)
        except Exception:
            log.exception("Import job %s stopped with an unexpected error", job.pk)
            import_job_fail(
                job=job,
                message=_("The import stopped with an unexpected error. It has been logged."),
            )
            raise
        finally:
            saver.close()

    job.rows = report.rows
    job.created = report.created
    job.updated = report.updated
    job.unchanged = report.unchanged
    job.skipped = report.skipped
    job.written = report.written
    job.error_count = len(report.errors)
    with translation.override(_language_of(job)):
        job.summary = " ".join([report.summary(), *report.notes()])
    job.first_errors = [
        {"line": e.line, "column": e.column, "value": e.value, "reason": e.reason}
        for e in report.errors[:FIRST_ERRORS]
    ]
    if report.errors:
        job.error_report.name = _save_error_report(job, report)
    job.progress_done = report.rows
    job.progress_total = report.rows
    job.finished_at = timezone.now()
    if report.ok:
        job.status = JobStatus.DONE
    else:
        job.status = JobStatus.FAILED
        job.message = job.summary
    with transaction.atomic():
        job.save()
        _notify_finished(job)
    return job
