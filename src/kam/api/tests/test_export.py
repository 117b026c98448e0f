"""GET /api/v1/export/{entity}: the files of ``kam export``, over the API."""

import csv
import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from kam.api import export as export_api
from kam.core import tabular
from kam.dataio import exporters
from kam.dataio.exporters import export_entity
from kam.testing.factories import ContactFactory, make_unit

PAYLOAD = "=cmd|' /C calc'!A0"


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def units():
    top = make_unit(PAYLOAD, external_id="U1", city="@home")
    make_unit("Plant Köln", parent=top, external_id="U2", region="+7")
    return top


def test_csv_download_is_the_file_of_kam_export(api_as, units, tmp_path):
    response = api_as("kam", scope="read").get("/export/units?format=csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="units.csv"'
    data = _body(response)
    path = tmp_path / "units.csv"
    export_entity(entity="units", fmt="csv", out=path)
    assert data == path.read_bytes()
    rows = _csv_rows(data)
    assert [(r["external_id"], r["name"], r["parent"]) for r in rows] == [
        ("U1", "'" + PAYLOAD, ""),
        ("U2", "Plant Köln", "U1"),
    ]
    assert (rows[0]["city"], rows[1]["region"]) == ("'@home", "'+7")


def test_every_download_neutralises_tab_and_carriage_return_cells(api_as, client_for, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    make_unit("\tTabbed", external_id="U1", city="\rReturned")
    api = _body(api_as("admin").get("/export/units"))
    page = _body(
        client_for("admin").get(
            reverse("dataio:export_download"), {"entity": "units", "format": "csv"}
        )
    )
    for data in (api, page):
        row = _csv_rows(data)[0]
        assert (row["name"], row["city"]) == ("'\tTabbed", "'\rReturned")
    assert api == page


def test_csv_is_the_default_and_streams_in_chunks(api_as, monkeypatch):
    monkeypatch.setattr(exporters, "CHUNK", 3)
    monkeypatch.setattr(tabular, "CSV_CHUNK_BYTES", 10)
    for i in range(8):
        ContactFactory(external_id=f"C{i}", first_name=f"Name{i}")
    response = api_as("executive").get("/export/contacts")
    assert response.status_code == 200
    chunks = list(response.streaming_content)
    assert len(chunks) > 2
    rows = _csv_rows(b"".join(chunks))
    assert [r["external_id"] for r in rows] == [f"C{i}" for i in range(8)]
    assert rows[3]["first_name"] == "Name3"


def test_xlsx_download_parses_back_to_the_rows(api_as, units):
    response = api_as("kam", scope="read").get("/export/units?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == export_api.XLSX_TYPE
    assert 'filename="units.xlsx"' in response["Content-Disposition"]
    data = _body(response)
    assert data.startswith(b"PK")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    header = sheet[0]
    rows = [dict(zip(header, row, strict=True)) for row in sheet[1:]]
    assert [(r["external_id"], r["name"], r["parent"]) for r in rows] == [
        ("U1", "'" + PAYLOAD, ""),
        ("U2", "Plant Köln", "U1"),
    ]
    api = api_as("kam", scope="read")
    csv_rows = _csv_rows(_body(api.get("/export/units")))
    assert header == list(csv_rows[0].keys())


def test_an_empty_entity_is_just_the_header(api_as):
    data = _body(api_as("kam").get("/export/product-lines"))
    assert data.decode("utf-8-sig").splitlines() == ["code,name"]


def test_the_browser_session_may_download(client_for, units, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client_for("field_rep").get("/api/v1/export/units")
    assert response.status_code == 200
    assert len(_csv_rows(_body(response))) == 2


def test_outsider_is_403(api_as, units):
    api = api_as("outsider")
    for path in ["/export/units", "/export/units?format=xlsx", "/export/users"]:
        response = api.get(path)
        assert response.status_code == 403, path
        assert response.json()["code"] == "forbidden"


def test_no_token_is_401(api_as):
    response = api_as(None).get("/export/units")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_users_need_the_bulk_export_permission(api_as):
    response = api_as("kam", scope="read").get("/export/users")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    response = api_as("admin", scope="read").get("/export/users")
    assert response.status_code == 200
    usernames = {r["username"] for r in _csv_rows(_body(response))}
    assert {"admin", "kam", "outsider"} <= usernames


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/export/planets", "entity"),
        ("/export/units?format=pdf", "format"),
        ("/export/UNITS", "entity"),
    ],
)
def test_unknown_entity_or_format_is_a_json_4xx(api_as, path, field):
    response = api_as("admin").get(path)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation"
    assert [e["field"] for e in body["errors"]] == [field]


def test_export_queries_do_not_grow_with_rows(api_as, django_assert_max_num_queries):
    top = make_unit("Top", external_id="T")
    for i in range(40):
        make_unit(f"Child {i}", parent=top, external_id=f"C{i}")
    api = api_as("kam")
    # the token, its rate counter, the bulk-export and visibility checks, the rows in keyset
    # pages, and the export log entry (written, then completed)
    with django_assert_max_num_queries(9):
        rows = _csv_rows(_body(api.get("/export/units")))
    assert len(rows) == 41
