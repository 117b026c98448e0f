"""Import entry point: one function the command, a web upload page and the API all call."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core import tabular
from kam.people.models import User

from . import formats
from .entities import plan_columns
from .exporters import FORMATS, Counted, export_entity, export_rows
from .fastpath import import_transactions
from .formats import ImportFileError
from .importers import ENTITIES, ENTITY_NAMES, IMPORTERS, Progress, Row
from .mapping import ColumnMapping
from .models import ExportLog
from .report import ImportReport


class _DryRun(Exception):
    pass


def import_options(
    cmap: ColumnMapping,
    *,
    encoding: str | None,
    date_order: str | None,
    round_amounts: bool | None,
) -> tuple[str | None, formats.ParseOptions]:
    """The encoding and parse options: the caller's, else the mapping's ``options``."""
    options = cmap.options
    order = date_order or options.get("date_order") or "auto"
    if order not in formats.DATE_ORDERS:
        raise ImportFileError(
            _("Unknown date order “%(order)s”: use %(orders)s.")
            % {"order": order, "orders": ", ".join(formats.DATE_ORDERS)},
            code="options",
        )
    rounding = bool(options.get("round_amounts")) if round_amounts is None else round_amounts
    return encoding or options.get("encoding") or None, formats.ParseOptions(
        date_order=order, round_amounts=rounding
    )


def decide_date_order(
    options: formats.ParseOptions, values: Iterable[Any], report: ImportReport
) -> formats.ParseOptions:
    """``auto``: the order a value of the file shows (see ``formats.detect_date_order``); when
    none does, day first, said in the report if the file has slashed dates at all."""
    if options.date_order != "auto":
        return options
    texts = [v for v in values if isinstance(v, str) and "/" in v]
    found = formats.detect_date_order(texts)
    if found is None and texts:
        report.warnings.append(
            _(
                "Dates such as %(example)s were read day first (DD/MM/YYYY). If the file "
                "writes the month first, import it again with the date order MM/DD/YYYY."
            )
            % {"example": texts[0]}
        )
    return dataclasses.replace(options, date_order=found or "dmy")


def import_file(
    *,
    entity: str,
    path: str | Path,
    mapping: dict[str, Any] | ColumnMapping | str | Path | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    progress: Progress | None = None,
    encoding: str | None = None,
    date_order: str | None = None,
    round_amounts: bool | None = None,
) -> ImportReport:
    """Validate a CSV/XLSX file of ``entity`` rows, then upsert it in one transaction.

    ``mapping`` is a dict (file column → field, or the full form of ``kam.dataio.mapping``) or
    the path of a JSON/CSV mapping file. ``encoding`` names the text encoding of a CSV file
    (default: detected); ``date_order`` (``auto``, ``dmy``, ``mdy``) and ``round_amounts``
    say how ambiguous dates and amounts with too many decimals read (``formats.ParseOptions``;
    default: the mapping's options, else auto and refuse).
    ``progress(done, total)`` is called now and then (``total`` None while unknown).
    Raises :class:`~kam.dataio.formats.ImportFileError` when the file as a whole is unusable
    (too big, empty, undecodable, a required column missing) and
    :class:`~kam.core.errors.DomainError` when a write breaks a rule (nothing is then written).
    Row problems are returned in the report; with any and without ``skip_bad_rows`` nothing is
    written.
    """
    if entity not in ENTITIES:
        raise ImportFileError(
            _("Unknown entity “%(entity)s”. Choose one of: %(names)s.")
            % {"entity": entity, "names": ", ".join(ENTITY_NAMES)},
            code="entity",
        )
    path = Path(path)
    if not isinstance(mapping, (dict, ColumnMapping)):
        mapping = formats.load_mapping(mapping)
    cmap = ColumnMapping.from_raw(mapping)
    encoding, options = import_options(
        cmap, encoding=encoding, date_order=date_order, round_amounts=round_amounts
    )
    report = ImportReport(
        entity=entity, path=str(path), dry_run=dry_run, skip_bad_rows=skip_bad_rows
    )
    if entity == "transactions":
        return import_transactions(
            path=path,
            mapping=cmap,
            report=report,
            dry_run=dry_run,
            skip_bad_rows=skip_bad_rows,
            progress=progress,
            encoding=encoding,
            options=options,
        )
    spec = ENTITIES[entity]
    table = formats.open_table(path, encoding)
    report.encoding = table.encoding
    plan = plan_columns(spec, table.header, cmap)
    report.warnings += plan.warnings
    report.unused_columns = plan.unused
    columns = plan.columns
    importer = IMPORTERS[entity](report, columns)
    fields = {name: spec.field(name) for name in columns}
    # read first, so that the order of slashed dates is decided on the whole file
    read: list[tuple[int, list[Any]]] = []
    for line, cells in table.rows:
        if table.kind == "xlsx" and (reason := formats.oversized(cells)):
            cells = formats.UnreadableRow(reason)
        read.append((line, cells))
        if progress and len(read) % 1000 == 0:
            progress(len(read), None)
    dated = [i for i, name in plan.pairs if fields[name].kind in ("date", "datetime")]
    options = decide_date_order(
        options, (cells[i] for _line, cells in read for i in dated if i < len(cells)), report
    )
    constants = [(name, cmap.map_value(name, value)) for name, value in plan.constants.items()]
    rows: list[Row] = []
    for line, cells in read:
        if isinstance(cells, formats.UnreadableRow):
            report.add_error(line, "", "", cells.reason)
            rows.append(Row(line=line, values={}, cells={}))
            continue
        values, raw = {}, {}
        for index, name in plan.pairs:
            cell = cmap.map_value(name, cells[index] if index < len(cells) else None)
            raw[name] = cell
            try:
                values[name] = fields[name].parse(cell, options)
            except ValueError as exc:
                report.add_error(line, columns[name], formats.cell_text(cell), str(exc))
        for name, value in constants:
            raw[name] = value
            try:
                values[name] = fields[name].parse(value, options)
            except ValueError as exc:
                report.add_error(line, columns[name], value, str(exc))
        rows.append(Row(line=line, values=values, cells=raw))
    del read
    report.rows = len(rows)
    if not rows:
        raise ImportFileError(_("The file has a header but no data rows."), code="empty")
    importer.validate(rows)
    report.errors.sort(key=lambda e: e.line)
    if report.errors and not skip_bad_rows:
        return report
    good = importer.ok_rows(rows)
    report.skipped = len(rows) - len(good)
    try:
        with transaction.atomic():
            importer.write(good, progress)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    report.written = not dry_run
    if progress:
        progress(report.rows, report.rows)
    return report


# --- the export log (decision 33) ----------------------------------------------------------


def export_log_start(*, user: User | None, entity: str, fmt: str, channel: str) -> ExportLog:
    """Log a bulk export as it starts: an interrupted download is logged too."""
    if entity not in ENTITIES:
        raise ImportFileError(
            _("Unknown entity “%(entity)s”. Choose one of: %(names)s.")
            % {"entity": entity, "names": ", ".join(ENTITY_NAMES)},
            code="entity",
        )
    if fmt not in FORMATS:
        raise ImportFileError(_("Unknown format “%s”: use csv or xlsx.") % fmt, code="format")
    return ExportLog.objects.create(
        user=user,
        username=user.get_username() if user is not None else "",
        entity=entity,
        format=fmt,
        channel=channel,
    )


def export_log_finish(*, log: ExportLog, rows: int, complete: bool) -> ExportLog:
    """Record how many data rows went out, and whether the file was written to its end."""
    log.rows, log.complete, log.finished_at = rows, complete, timezone.now()
    log.save(update_fields=["rows", "complete", "finished_at"])
    return log


def export_csv_logged(*, entity: str, user: User | None, channel: str) -> Iterator[bytes]:
    """The CSV download of ``entity`` (UTF-8 chunks, BOM first), logged with its row count.

    The count is of the rows actually streamed: it is stored when the stream ends, also when
    the client goes away half-way (then the entry is marked incomplete).
    """
    log = export_log_start(user=user, entity=entity, fmt="csv", channel=channel)
    counted = Counted(export_rows(entity, user))

    def stream() -> Iterator[bytes]:
        complete = False
        try:
            yield from tabular.csv_stream(counted)
            complete = True
        finally:
            export_log_finish(log=log, rows=counted.data_rows, complete=complete)

    return stream()


def export_xlsx_logged(*, entity: str, user: User | None, channel: str) -> IO[bytes]:
    """The XLSX file of ``entity``, open for reading (no name left on disk), logged."""
    log = export_log_start(user=user, entity=entity, fmt="xlsx", channel=channel)
    fd, name = tempfile.mkstemp(prefix="kam-export-", suffix=".xlsx")
    os.close(fd)
    try:
        rows = export_entity(entity=entity, fmt="xlsx", out=name, user=user)
        export_log_finish(log=log, rows=rows, complete=True)
        return open(name, "rb")  # noqa: SIM115 - the caller (a FileResponse) closes it
    finally:
        os.unlink(name)  # the open handle keeps the data until it is closed


def export_file_logged(
    *, entity: str, fmt: str, out: str | Path | IO[Any] | None, user: User | None, channel: str
) -> int:
    """``kam export``: write ``entity`` to ``out`` (see ``export_entity``), logged."""
    log = export_log_start(user=user, entity=entity, fmt=fmt, channel=channel)
    rows = export_entity(entity=entity, fmt=fmt, out=out, user=user)
    export_log_finish(log=log, rows=rows, complete=True)
    return rows
