"""Export of every importable entity, with the import's column names (an export re-imports).

Rows stream from the database in keyset-paginated chunks, so memory stays flat for millions of
rows. Text cells that a spreadsheet would run as a formula get a leading ``'`` (see ``formats``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Length, Substr
from django.utils.translation import gettext as _

from kam.customers.models import Unit
from kam.interactions.models import Interaction

from .entities import Entity, Field, export_value
from .formats import ImportFileError, neutralise
from .importers import ENTITIES, ENTITY_NAMES

CHUNK = 2000
FORMATS = ("csv", "xlsx")
TEXT_KINDS = ("text", "choice", "country", "list")


def _path(f: Field) -> str:
    if f.export:
        return f.export
    return f.name


def _queryset(entity: Entity):
    qs = entity.model._default_manager.all()
    if entity.name == "units":
        parent = Unit.objects.filter(
            path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Unit.steplen)
        ).values("external_id")[:1]
        qs = qs.annotate(parent_external_id=Subquery(parent))
    if entity.name == "users":
        qs = qs.annotate(territory_key=Coalesce(F("territory__external_id"), F("territory__name")))
    return qs


def _order(entity: Entity) -> str:
    return "path" if entity.name == "units" else "pk"


def iter_rows(entity_name: str) -> Iterator[list[Any]]:
    """The header, then every row as a list of Python values (keyset pagination)."""
    entity = ENTITIES[entity_name]
    plain = [f for f in entity.fields if f.kind != "list"]
    lists = [f for f in entity.fields if f.kind == "list"]
    order = _order(entity)
    paths = [_path(f) for f in plain]
    yield [f.name for f in entity.fields]
    last = None
    while True:
        qs = _queryset(entity).order_by(order)
        if last is not None:
            qs = qs.filter(**{f"{order}__gt": last})
        chunk = list(qs.values_list(order, "pk", *paths)[:CHUNK])
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
            yield [export_value(f, values[f.name]) for f in entity.fields]
        last = chunk[-1][0]


def _text_cell(f: Field, value: Any) -> Any:
    if isinstance(value, str) and (f.kind in TEXT_KINDS or f.ref is not None):
        return neutralise(value)
    return value


def export_entity(*, entity: str, fmt: str = "csv", out: str | Path | IO | None = None) -> int:
    """Write every row of ``entity`` to ``out`` (a path, a stream, or stdout when None).

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
    spec = ENTITIES[entity]
    rows = iter_rows(entity)
    header = next(rows)
    if fmt == "xlsx":
        return _write_xlsx(spec, header, rows, out)
    return _write_csv(spec, header, rows, out)


def _write_csv(spec: Entity, header: list[str], rows: Iterator[list], out) -> int:
    close = False
    if out is None:
        stream = sys.stdout
    elif isinstance(out, (str, Path)):
        stream = open(out, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        close = True
    elif isinstance(out, io.TextIOBase) or hasattr(out, "encoding"):
        stream = out
    else:
        stream = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(stream)
        writer.writerow(header)
        n = 0
        for row in rows:
            writer.writerow([_text_cell(f, v) for f, v in zip(spec.fields, row, strict=True)])
            n += 1
        return n
    finally:
        if close:
            stream.close()
        elif isinstance(stream, io.TextIOWrapper) and stream is not sys.stdout:
            stream.detach()


def _write_xlsx(spec: Entity, header: list[str], rows: Iterator[list], out) -> int:
    import xlsxwriter

    if out is None:
        out = sys.stdout.buffer
    target = str(out) if isinstance(out, (str, Path)) else io.BytesIO()
    book = xlsxwriter.Workbook(
        target,
        {"constant_memory": isinstance(target, str), "in_memory": not isinstance(target, str)},
    )
    sheet = book.add_worksheet(spec.name[:31])
    bold = book.add_format({"bold": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, name in enumerate(header):
        sheet.write_string(0, col, name, bold)
    n = 0
    for n, row in enumerate(rows, start=1):
        for col, (f, value) in enumerate(zip(spec.fields, row, strict=True)):
            if value in ("", None):
                continue
            if isinstance(value, bool):
                sheet.write_string(n, col, "true" if value else "false")
            elif isinstance(value, (int, float, Decimal)):
                sheet.write_number(n, col, float(value))
            elif f.kind == "date" and isinstance(value, str):
                sheet.write_datetime(n, col, dt.datetime.fromisoformat(value), date_format)
            else:
                sheet.write_string(n, col, str(_text_cell(f, value)))
    book.close()
    if not isinstance(target, str):
        out.write(target.getvalue())
    return n
