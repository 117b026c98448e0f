"""Import entry point: one function the command, a web upload page and the API all call."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from . import formats
from .entities import Entity
from .formats import ImportFileError
from .importers import ENTITIES, ENTITY_NAMES, IMPORTERS, Progress, Row
from .report import ImportReport


class _DryRun(Exception):
    pass


def resolve_columns(
    entity: Entity, header: list[str], mapping: dict[str, str]
) -> tuple[dict[str, str], dict[int, str]]:
    """Match file columns to fields: the mapping first, then names and synonyms.

    Returns field → column header, and column index → field. Columns matching nothing are
    ignored; a missing required column is an error that names it.
    """
    names = entity.header_map()
    fields = {f.name for f in entity.fields}
    mapped = {formats.norm_header(k): v for k, v in mapping.items()}
    columns: dict[str, str] = {}
    by_index: dict[int, str] = {}
    for index, header_name in enumerate(header):
        norm = formats.norm_header(header_name)
        if not norm:
            continue
        target: str | None
        if norm in mapped:
            target = mapped[norm]
            if target in ("", "-"):
                continue
            target = target if target in fields else names.get(formats.norm_header(target))
            if target is None:
                raise ImportFileError(
                    _(
                        "The mapping sends column “%(column)s” to “%(field)s”, which is not a "
                        "field of %(entity)s. Fields: %(fields)s."
                    )
                    % {
                        "column": header_name,
                        "field": mapped[norm],
                        "entity": entity.name,
                        "fields": ", ".join(f.name for f in entity.fields),
                    },
                    code="mapping",
                )
        else:
            target = names.get(norm)
        if target and target not in columns:
            columns[target] = header_name
            by_index[index] = target
    missing = [f for f in entity.fields if f.required and f.name not in columns]
    if missing:
        raise ImportFileError(
            _("Missing required column: %(columns)s. Columns in the file: %(header)s.")
            % {
                "columns": ", ".join(
                    f"{f.name} ({_('or')} {', '.join(f.all_names()[1:4])})"
                    if len(f.all_names()) > 1
                    else f.name
                    for f in missing
                ),
                "header": ", ".join(h for h in header if h) or "—",
            },
            code="missing_column",
        )
    return columns, by_index


def import_file(
    *,
    entity: str,
    path: str | Path,
    mapping: dict[str, str] | str | Path | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate a CSV/XLSX file of ``entity`` rows, then upsert it in one transaction.

    ``mapping`` is a dict (file column → field) or the path of a JSON/CSV mapping file.
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
    if not isinstance(mapping, dict):
        mapping = formats.load_mapping(mapping)
    report = ImportReport(
        entity=entity, path=str(path), dry_run=dry_run, skip_bad_rows=skip_bad_rows
    )
    if entity == "transactions":
        from .fastpath import import_transactions

        return import_transactions(
            path=path,
            mapping=mapping,
            report=report,
            dry_run=dry_run,
            skip_bad_rows=skip_bad_rows,
            progress=progress,
        )
    spec = ENTITIES[entity]
    table = formats.open_table(path)
    columns, by_index = resolve_columns(spec, table.header, mapping)
    importer = IMPORTERS[entity](report, columns)
    fields = {name: spec.field(name) for name in by_index.values()}
    rows: list[Row] = []
    for line, cells in table.rows:
        values, raw = {}, {}
        for index, name in by_index.items():
            cell = cells[index] if index < len(cells) else None
            raw[name] = cell
            try:
                values[name] = fields[name].parse(cell)
            except ValueError as exc:
                report.add_error(line, columns[name], formats.cell_text(cell), str(exc))
        rows.append(Row(line=line, values=values, cells=raw))
        if progress and len(rows) % 1000 == 0:
            progress(len(rows), None)
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
