"""Reads of the import/export pages: file previews, suggested mappings, recent jobs."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from django.db.models import QuerySet

from . import formats
from .importers import ENTITIES
from .models import ExportLog, ImportJob

PREVIEW_ROWS = 10


@dataclass
class Preview:
    header: list[str]
    rows: list[list[str]]  # as text, padded or cut to the header's width
    kind: str  # csv or xlsx
    encoding: str | None
    delimiter: str | None


def preview_rows(path: str | Path, n: int = PREVIEW_ROWS, encoding: str | None = None) -> Preview:
    """The header and the first ``n`` data rows of an import file, as text (a CSV file decoded
    in ``encoding``, default: the detected one).

    Raises :class:`~kam.dataio.formats.ImportFileError` when the file cannot be read, with the
    same message the import itself would give.
    """
    table = formats.open_table(Path(path), encoding or None)
    width = len(table.header)
    rows: list[list[str]] = []
    try:
        for _line, cells in islice(table.rows, n):
            text = [formats.cell_text(c) for c in cells[:width]]
            rows.append(text + [""] * (width - len(text)))
    finally:
        close = getattr(table.rows, "close", None)
        if close:
            close()  # the CSV reader's file handle
    return Preview(
        header=table.header,
        rows=rows,
        kind=table.kind,
        encoding=table.encoding,
        delimiter=table.delimiter,
    )


def suggest_mapping(*, entity: str, header: list[str]) -> dict[int, str]:
    """Column index → field, by the field names and synonyms (as the import would match them).

    Like :func:`kam.dataio.entities.resolve_columns` without a mapping, but never raises: a
    missing required column is left for the person to choose. The first column wins a field.
    """
    names = ENTITIES[entity].header_map()
    taken: set[str] = set()
    result: dict[int, str] = {}
    for index, name in enumerate(header):
        target = names.get(formats.norm_header(name))
        if target and target not in taken:
            taken.add(target)
            result[index] = target
    return result


def import_jobs_recent() -> QuerySet[ImportJob]:
    """Import jobs, newest first, with who started them (one query per page)."""
    return ImportJob.objects.select_related("created_by").defer("mapping", "first_errors")


def export_logs_recent() -> QuerySet[ExportLog]:
    """The bulk exports, newest first (the export log page; one query per page)."""
    return ExportLog.objects.order_by("-started_at", "-pk")
