"""``GET /api/v1/export/{entity}``: the files of ``kam export``, downloaded over the API.

CSV streams row by row from the exporter's keyset-paginated reader, so memory stays flat for
millions of rows; XLSX is written to a temporary file by the exporter and then sent. Both carry
the import's column names (a download re-imports) and neutralise formula-looking text cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from django.http import FileResponse, StreamingHttpResponse
from ninja import Field, Query, Router, Schema

from kam.core.api.helpers import responses
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import require
from kam.core.tabular import CSV_TYPE, XLSX_TYPE
from kam.dataio.exporters import export_permission
from kam.dataio.importers import ENTITY_NAMES
from kam.dataio.models import ExportChannel
from kam.dataio.services import export_csv_logged, export_xlsx_logged

router = Router(tags=["export"])

# The stored values of each choice, a Literal for the OpenAPI enum; mypy cannot read a Literal
# built at runtime, so to it a choice is text.
if TYPE_CHECKING:
    EntityLit = str
else:
    EntityLit = Literal[tuple(ENTITY_NAMES)]


class ExportParams(Schema):
    format: Literal["csv", "xlsx"] = Field("csv", description="csv (default) or xlsx.")


@router.get(
    "/export/{entity}",
    response=responses({200: None}),
    summary="Download every row of an entity as CSV or XLSX",
    description=(
        "The same file as `kam export`: the import's column names, so it can be edited and "
        "imported again; text cells that a spreadsheet would run as a formula start with `'`. "
        "CSV (UTF-8 with BOM) is streamed; XLSX is built first, so prefer CSV for very large "
        "entities. Needs read access; `contacts`, `transactions` and `users` need the bulk "
        "export permission (administrators and executives). Every download is logged."
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
    require(request.auth, export_permission(entity))
    filename = f"{entity}.{params.format}"
    if params.format == "xlsx":
        return FileResponse(
            export_xlsx_logged(entity=entity, user=request.auth, channel=ExportChannel.API),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_TYPE,
        )
    response = StreamingHttpResponse(
        export_csv_logged(entity=entity, user=request.auth, channel=ExportChannel.API),
        content_type=CSV_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
