"""Export: import's columns, neutralised formulas, streaming, the command."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from kam.customers.models import Unit
from kam.dataio import exporters
from kam.dataio.exporters import export_entity
from kam.dataio.services import import_file
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db

PAYLOAD = "=cmd|' /C calc'!A0"


def test_formula_text_is_neutralised_in_csv_and_xlsx_and_reimports_exactly(tmp_path):
    make_unit(PAYLOAD, external_id="U1", city="@home", region="+7", industry="-x")
    csv_path = tmp_path / "units.csv"
    export_entity(entity="units", out=csv_path)
    with open(csv_path, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert (rows[0]["name"], rows[0]["city"], rows[0]["region"], rows[0]["industry"]) == (
        "'" + PAYLOAD,
        "'@home",
        "'+7",
        "'-x",
    )
    xlsx_path = tmp_path / "units.xlsx"
    export_entity(entity="units", fmt="xlsx", out=xlsx_path)
    sheet = CalamineWorkbook.from_path(str(xlsx_path)).get_sheet_by_index(0).to_python()
    assert sheet[0][:2] == ["external_id", "name"]
    assert sheet[1][1] == "'" + PAYLOAD
    for path in (csv_path, xlsx_path):
        report = import_file(entity="units", path=path)
        assert not report.errors
        assert report.unchanged == 1
    unit = Unit.objects.get()
    assert (unit.name, unit.city, unit.region, unit.industry) == (PAYLOAD, "@home", "+7", "-x")


def test_tab_and_carriage_return_cells_are_neutralised_and_reimport_exactly(tmp_path):
    make_unit("\tTabbed", external_id="U1", city="\rReturned")
    csv_path = tmp_path / "units.csv"
    export_entity(entity="units", out=csv_path)
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert (row["name"], row["city"]) == ("'\tTabbed", "'\rReturned")
    xlsx_path = tmp_path / "units.xlsx"
    export_entity(entity="units", fmt="xlsx", out=xlsx_path)
    sheet = CalamineWorkbook.from_path(str(xlsx_path)).get_sheet_by_index(0).to_python()
    assert sheet[1][1] == "'\tTabbed"
    for path in (csv_path, xlsx_path):
        report = import_file(entity="units", path=path)
        assert not report.errors
        assert report.unchanged == 1
    unit = Unit.objects.get()
    assert (unit.name, unit.city) == ("\tTabbed", "\rReturned")


def test_the_error_report_neutralises_the_file_s_values(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("external_id,name,employees\nA,Alpha,=1+1\n", encoding="utf-8")
    report = import_file(entity="units", path=path)
    out = tmp_path / "report.csv"
    report.write_csv(out)
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][:3] == ["2", "employees", "'=1+1"]


def test_negative_numbers_are_not_quoted(load_samples):
    load_samples()
    buf = io.StringIO()
    export_entity(entity="transactions", out=buf)
    assert "U-ACME-FR,SKU-200,1.000,-50.00,EUR,-30.00" in buf.getvalue()


def test_export_streams_in_chunks_and_keeps_tree_order(monkeypatch):
    monkeypatch.setattr(exporters, "CHUNK", 3)
    top = make_unit("Top", external_id="T")
    for i in range(7):
        make_unit(f"Child {i}", parent=top, external_id=f"C{i}")
    buf = io.StringIO()
    assert export_entity(entity="units", out=buf) == 8
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [r["external_id"] for r in rows] == ["T", *[f"C{i}" for i in range(7)]]
    assert {r["parent"] for r in rows[1:]} == {"T"}


def test_the_export_command_writes_csv_to_stdout_and_xlsx_to_a_file(load_samples, tmp_path, capsys):
    load_samples()
    call_command("export", "product-lines")
    assert capsys.readouterr().out.splitlines() == [
        "code,name",
        "PL-RES,Resins",
        "PL-COAT,Coatings",
    ]
    out = tmp_path / "lines.xlsx"
    call_command("export", "products", "-o", str(out))
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert sheet[0] == ["sku", "name", "line"]
    assert len(sheet) == 4
    with pytest.raises(CommandError, match="XLSX needs a file"):
        call_command("export", "units", "--format", "xlsx")
