"""An import started from the web: the uploaded file, its mapping, and how the run went."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.models import Heartbeat
from kam.core.progress import duration, rate_and_left

SAFE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")


def upload_to(job: ImportJob, filename: str) -> str:
    """``imports/YYYY/MM/<random>.<suffix>``: the user's file name is kept in a column only."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SAFE_SUFFIXES:
        suffix = ".dat"
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")  # file saved, columns not yet confirmed
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


FINISHED = (JobStatus.DONE, JobStatus.FAILED)


class ImportJob(Heartbeat):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    entity = models.CharField(_("entity"), max_length=32)
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to=upload_to, max_length=300)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    skip_bad_rows = models.BooleanField(_("skip bad rows"), default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=JobStatus.choices, default=JobStatus.UPLOADED
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    progress_done = models.PositiveBigIntegerField(_("rows done"), default=0)
    progress_total = models.PositiveBigIntegerField(_("rows in all"), null=True, blank=True)
    rows = models.PositiveBigIntegerField(_("rows"), default=0)
    created = models.PositiveBigIntegerField(_("created"), default=0)
    updated = models.PositiveBigIntegerField(_("updated"), default=0)
    unchanged = models.PositiveBigIntegerField(_("unchanged"), default=0)
    skipped = models.PositiveBigIntegerField(_("skipped"), default=0)
    error_count = models.PositiveBigIntegerField(_("problems"), default=0)
    written = models.BooleanField(_("written"), default=False)
    summary = models.TextField(_("summary"), blank=True)
    message = models.TextField(_("error message"), blank=True)
    first_errors = models.JSONField(_("first problems"), default=list, blank=True)
    error_report = models.FileField(_("error report"), blank=True, max_length=300)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="dataio_job_recent")]

    def __str__(self) -> str:
        return f"{self.entity}: {self.original_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def pace(self) -> dict[str, str] | None:
        """Rows per second since the start and the time left at that pace, as shown text."""
        if self.started_at is None or self.status != JobStatus.RUNNING:
            return None
        elapsed = (timezone.now() - self.started_at).total_seconds()
        rate, left = rate_and_left(self.progress_done, self.progress_total, elapsed)
        if rate is None:
            return None
        return {
            "rate": f"{rate:,.0f}",
            "left": duration(left) if left is not None else "",
        }

    @property
    def percent(self) -> int | None:
        """Progress in per cent, or None while the number of rows is not known yet."""
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return None
        return max(0, min(100, self.progress_done * 100 // self.progress_total))


class ExportChannel(models.TextChoices):
    WEB = "web", _("Web page")
    API = "api", _("API")
    CLI = "cli", _("Command line")


class ExportLog(models.Model):
    """One bulk export: who downloaded which entity, when, how, and how many rows went out.

    Written when the export starts (so an interrupted download is logged too) and completed
    with the number of data rows actually written when it ends (decision 33).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    entity = models.CharField(_("entity"), max_length=32)
    format = models.CharField(_("format"), max_length=8)
    channel = models.CharField(_("channel"), max_length=8, choices=ExportChannel.choices)
    rows = models.PositiveBigIntegerField(_("rows"), default=0)
    complete = models.BooleanField(_("complete"), default=False)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["-started_at", "-id"], name="dataio_export_recent")]

    def __str__(self) -> str:
        return f"{self.username or '—'}: {self.entity}.{self.format} ({self.rows})"


class ExportJob(Heartbeat):
    """A big export run in the background (decision 60): its progress and, when done, the file
    to download. Files are kept for ``KAM_EXPORT_KEEP_DAYS`` days."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    entity = models.CharField(_("entity"), max_length=32)
    format = models.CharField(_("format"), max_length=8)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    rows_done = models.PositiveBigIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveBigIntegerField(_("rows in all"), null=True, blank=True)
    file = models.FileField(_("file"), blank=True, max_length=300)
    message = models.TextField(_("error message"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.entity}.{self.format} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int | None:
        if self.status == JobStatus.DONE:
            return 100
        if not self.rows_total:
            return None
        return max(0, min(100, self.rows_done * 100 // self.rows_total))

    @property
    def file_name(self) -> str:
        return f"{self.entity}-{self.created_at:%Y-%m-%d}.{self.format}"


class PublishStep(models.Model):
    """One committed step of a SQLite import's publish, kept until the whole file is in.

    A big staged import publishes its rows a chunk per short transaction (decision 119), so
    other writers get the database between chunks. Each chunk writes one of these rows in its
    own transaction: the id range of the rows it inserted, or the values of the rows it
    changed as they were before. The last step deletes the import's rows here, which is the
    moment the file counts as written; until then a failure, or a process that died, has its
    steps undone from these rows (``fastpath.publish_undo``).
    """

    token = models.CharField(_("publish"), max_length=100, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    first_id = models.BigIntegerField(_("first inserted id"), null=True, blank=True)
    last_id = models.BigIntegerField(_("last inserted id"), null=True, blank=True)
    old_rows = models.JSONField(_("rows before the change"), null=True, blank=True)

    class Meta:
        verbose_name = _("import publish step")
        verbose_name_plural = _("import publish steps")

    def __str__(self) -> str:
        return f"{self.token} #{self.pk}"
