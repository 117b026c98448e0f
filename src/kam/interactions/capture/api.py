"""``POST /interaction-imports``: calendar and mail files to interactions, as on the page."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from kam.core.api.helpers import responses
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import require

from .forms import day_start
from .services import capture_import, default_range

router = Router(tags=["interactions"])
MAX_FILES = 20


class SkippedOut(Schema):
    ref: str
    reason: str


class UnmatchedOut(Schema):
    email: str
    name: str
    items: int


class ImportSummaryOut(Schema):
    items: int
    matched: int
    duplicates: int
    updated: int
    skipped_count: int
    skipped: list[SkippedOut]
    unmatched: list[UnmatchedOut]
    dry_run: bool


@router.post(
    "/interaction-imports",
    response=responses({200: ImportSummaryOut, 201: ImportSummaryOut}),
    summary="Import interactions from calendar and mail files",
)
def interaction_import(
    request: AuthedHttpRequest,
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    dry_run: Form[bool] = False,
    since: Form[dt.date | None] = None,
    until: Form[dt.date | None] = None,
):
    """Multipart: ``files`` (.ics, .eml, mbox; several allowed), ``dry_run``, ``since`` and
    ``until`` (dates, the last included; default the last 90 days to the next 30). A file with
    an error writes nothing (400 naming the item). Items on units the caller may not log
    interactions on are reported as skipped, not written. 201 when written, 200 on a dry run."""
    require(request.auth, "kam.log_interaction")
    if not files:
        raise DomainError(_("Attach at least one file."), field="files", code="required")
    if len(files) > MAX_FILES:
        raise DomainError(_("At most %(n)s files at once.") % {"n": MAX_FILES}, field="files")
    if sum(f.size or 0 for f in files) > settings.KAM_IMPORT_MAX_BYTES:
        raise DomainError(_("The file is too large."), field="files")
    default_since, default_until = default_range()
    summary = capture_import(
        files=[(f.name or "upload", f.read()) for f in files],
        user=request.auth,
        since=day_start(since) if since else default_since,
        until=day_start(until) + dt.timedelta(days=1) if until else default_until,
        dry_run=dry_run,
    )
    return Status(200 if dry_run else 201, summary.as_dict())
