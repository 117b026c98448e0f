"""``GET /api/v1/export/{entity}``: the files of ``kam export``, downloaded over the API.

CSV streams row by row from the exporter's keyset-paginated reader, so memory stays flat for
millions of rows; XLSX is written to a temporary file by the exporter and then sent. Both carry
the import's column names (a download re-imports) and neutralise formula-looking text cells.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from django.http import FileResponse, StreamingHttpResponse
from ninja import Field, Query, Router, Schema

from kam.core.http import AuthedHttpRequest
from kam.core.permissions import require
from kam.dataio.exporters import _text_cell, export_entity, iter_rows
from kam.dataio.importers import ENTITIES, ENTITY_NAMES

from .helpers import responses

router = Router(tags=["export"])

VIEW, ADMINISTER = "kam.view_account", "kam.administer"
# Entities that only administrators may read in full.
ADMIN_ONLY = {"users"}
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CHUNK_BYTES = 64 * 1024

# The stored values of each choice, a Literal for the OpenAPI enum; mypy cannot read a Literal
# built at runtime, so to it a choice is text.
if TYPE_CHECKING:
    EntityLit = str
else:
    EntityLit = Literal[tuple(ENTITY_NAMES)]


class ExportParams(Schema):
    format: Literal["csv", "xlsx"] = Field("csv", description="csv (default) or xlsx.")


class _Echo:
    """A file-like object whose ``write`` hands the line back, for ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(entity: str) -> Iterator[bytes]:
    """The CSV file of ``entity`` as UTF-8 byte chunks: a BOM and the header first."""
    spec = ENTITIES[entity]
    writer = csv.writer(_Echo())
    rows = iter_rows(entity)
    buffer = ["\ufeff", writer.writerow(next(rows))]
    size = 0
    for row in rows:
        line = writer.writerow([_text_cell(f, v) for f, v in zip(spec.fields, row, strict=True)])
        buffer.append(line)
        size += len(line)
        if size >= CSV_CHUNK_BYTES:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    yield "".join(buffer).encode("utf-8")


def _xlsx_file(entity: str):
    """The XLSX file of ``entity``, open for reading; it has no name left on disk."""
    fd, path = tempfile.mkstemp(prefix="kam-export-", suffix=".xlsx")
    os.close(fd)
    try:
        export_entity(entity=entity, fmt="xlsx", out=path)
        return open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    finally:
        os.unlink(path)


@router.get(
    "/export/{entity}",
    response=responses({200: None}),
    summary="Download every row of an entity as CSV or XLSX",
    description=(
        "The same file as `kam export`: the import's column names, so it can be edited and "
        "imported again; text cells that a spreadsheet would run as a formula start with `'`. "
        "CSV (UTF-8 with BOM) is streamed; XLSX is built first, so prefer CSV for very large "
        "entities. Needs read access; `users` needs an administrator."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment named <entity>.<format>.",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def export(request: AuthedHttpRequest, entity: EntityLit, params: Query[ExportParams]):
    require(request.auth, ADMINISTER if entity in ADMIN_ONLY else VIEW)
    filename = f"{entity}.{params.format}"
    if params.format == "xlsx":
        return FileResponse(
            _xlsx_file(entity), as_attachment=True, filename=filename, content_type=XLSX_TYPE
        )
    response = StreamingHttpResponse(csv_chunks(entity), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
