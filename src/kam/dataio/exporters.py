"""Export of every importable entity, with the import's column names (an export re-imports).

Rows stream from the database in keyset-paginated chunks, so memory stays flat for millions of
rows. Text cells that a spreadsheet would run as a formula get a leading ``'``; the files are
written by ``kam.core.tabular``, as every export is.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from kam.core import tabular
from kam.core.permissions import visible
from kam.core.tabular import neutralise
from kam.customers.models import Unit, parent_path_of
from kam.interactions.models import Interaction

from .entities import Entity, Field, export_value
from .formats import ImportFileError
from .importers import ENTITIES, ENTITY_NAMES

CHUNK = 2000
FORMATS = ("csv", "xlsx")

# Entities whose full download is a privilege (decision 33): people's e-mails and phones, every
# sale, our own people. The others need read access, as their pages and API lists do.
BULK_EXPORT = "kam.bulk_export"
PRIVILEGED = frozenset({"contacts", "transactions", "users"})


def export_permission(entity: str) -> str:
    """The permission a download of every row of ``entity`` needs (web, API alike)."""
    return BULK_EXPORT if entity in PRIVILEGED else "kam.view_account"


TEXT_KINDS = ("text", "choice", "country", "list")


def exported_fields(entity: Entity) -> list[Field]:
    """The fields an export writes (all but the import-only ones), in order."""
    return [f for f in entity.fields if f.exported]


def _path(f: Field) -> str:
    if f.export:
        return f.export
    return f.name


def _queryset(entity: Entity, user: Any = None):
    # what ``user`` may see (everything for the command line without --user)
    qs = visible(user, entity.model._default_manager.all())
    if entity.name == "units":
        parent = Unit.objects.filter(path=parent_path_of(OuterRef("path"))).values("external_id")[
            :1
        ]
        qs = qs.annotate(parent_external_id=Subquery(parent))
    if entity.name == "users":
        qs = qs.annotate(territory_key=Coalesce(F("territory__external_id"), F("territory__name")))
    if hasattr(entity, "export_annotations"):  # computed columns (relational.ExportedEntity)
        qs = qs.annotate(**entity.export_annotations())
    return qs


def _order(entity: Entity) -> str:
    return "path" if entity.name == "units" else "pk"


def iter_rows(entity_name: str, user: Any = None) -> Iterator[list[Any]]:
    """The header, then every row ``user`` may see as a list of Python values (keyset
    pagination; every row when ``user`` is None)."""
    entity = ENTITIES[entity_name]
    fields = exported_fields(entity)
    plain = [f for f in fields if f.kind != "list"]
    lists = [f for f in fields if f.kind == "list"]
    order = _order(entity)
    paths = [_path(f) for f in plain]
    yield [f.name for f in fields]
    last = None
    while True:
        qs = _queryset(entity, user).order_by(order)
        if last is not None:
            qs = qs.filter(**{f"{order}__gt": last})
        try:
            chunk = list(qs.values_list(order, "pk", *paths)[:CHUNK])
        except READ_ERRORS:
            chunk = _chunk_cell_by_cell(qs, order, paths)
        if not chunk:
            return
        extra: dict[str, dict[int, list]] = {}
        if lists:
            ids = [row[1] for row in chunk]
            for f in lists:
                through = getattr(Interaction, f.name).through
                other = "user__username" if f.name == "participants" else "contact__external_id"
                found: dict[int, list] = defaultdict(list)
                for iid, value in through.objects.filter(interaction_id__in=ids).values_list(
                    "interaction_id", other
                ):
                    if value:
                        found[iid].append(value)
                extra[f.name] = found
        for row in chunk:
            values = dict(zip([f.name for f in plain], row[2:], strict=True))
            for f in lists:
                values[f.name] = extra[f.name].get(row[1], [])
            yield [_exported(f, values[f.name]) for f in fields]
        last = chunk[-1][0]


# What the database driver or Django's converters raise on a stored value they cannot read
# (an amount past its column on SQLite, a date that is not one): InvalidOperation is one.
READ_ERRORS = (ArithmeticError, ValueError, TypeError)
# The cell written for such a value: the rest of the export goes on (a re-import refuses it).
BAD_CELL = "#ERROR"


def _chunk_cell_by_cell(qs, order: str, paths: list[str]) -> list[tuple]:
    """The chunk again, one row and, for a bad row, one cell at a time: bad cells become
    :data:`BAD_CELL`. Runs only for a chunk that holds bad data."""
    rows = []
    for key, pk in qs.values_list(order, "pk")[:CHUNK]:
        one = qs.filter(pk=pk)
        try:
            rows.append(tuple(one.values_list(order, "pk", *paths).get()))
            continue
        except READ_ERRORS:
            pass
        cells: list[Any] = [key, pk]
        for path in paths:
            try:
                cells.append(one.values_list(path, flat=True).get())
            except READ_ERRORS:
                cells.append(BAD_CELL)
        rows.append(tuple(cells))
    return rows


def _cell(f: Field, value: Any) -> Any:
    """A cell as written: formula-looking text neutralised, a date as a date."""
    if not isinstance(value, str):
        return value
    if f.kind in TEXT_KINDS or f.ref is not None:
        return neutralise(value)
    if f.kind == "date" and value and value != BAD_CELL:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return BAD_CELL
    return value


def _exported(f: Field, value: Any) -> Any:
    if value == BAD_CELL:
        return BAD_CELL
    try:
        return export_value(f, value)
    except READ_ERRORS:
        return BAD_CELL


def export_rows(entity: str, user: Any = None) -> Iterator[list[Any]]:
    """The header, then every row as its cells (what both file formats write)."""
    spec = ENTITIES[entity]
    rows = iter_rows(entity, user)
    yield next(rows)
    for row in rows:
        yield [_cell(f, v) for f, v in zip(exported_fields(spec), row, strict=True)]


def export_entity(
    *, entity: str, fmt: str = "csv", out: str | Path | IO | None = None, user: Any = None
) -> int:
    """Write every row of ``entity`` that ``user`` may see (all when None) to ``out`` (a path, a
    stream, or stdout when None).

    ``fmt`` is ``csv`` (UTF-8 with BOM to a file, so spreadsheets read Cyrillic right) or
    ``xlsx``. Returns the number of data rows written.
    """
    if entity not in ENTITIES:
        raise ImportFileError(
            _("Unknown entity “%(entity)s”. Choose one of: %(names)s.")
            % {"entity": entity, "names": ", ".join(ENTITY_NAMES)},
            code="entity",
        )
    if fmt not in FORMATS:
        raise ImportFileError(_("Unknown format “%s”: use csv or xlsx.") % fmt, code="format")
    if fmt == "xlsx":
        return tabular.xlsx_write(
            export_rows(entity, user), sys.stdout.buffer if out is None else out, sheet=entity
        )
    return _write_csv(export_rows(entity, user), out)


def _write_csv(rows: Iterator[list[Any]], out: str | Path | IO | None) -> int:
    counted = Counted(rows)
    if isinstance(out, str | Path):
        with open(out, "wb") as fh:
            for chunk in tabular.csv_stream(counted):
                fh.write(chunk)
    elif out is None or isinstance(out, io.TextIOBase) or hasattr(out, "encoding"):
        stream = sys.stdout if out is None else out
        for line in tabular.csv_lines(counted, bom=False):
            stream.write(line)
    else:
        for chunk in tabular.csv_stream(counted, bom=False):
            out.write(chunk)
    return counted.data_rows


class Counted:
    """The rows passed through, counting the data rows (all but the header)."""

    def __init__(self, rows: Iterator[list[Any]]) -> None:
        self.rows = rows
        self.data_rows = 0

    def __iter__(self) -> Iterator[list[Any]]:
        for i, row in enumerate(self.rows):
            self.data_rows = i
            yield row
