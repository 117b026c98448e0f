"""Bad files: each problem gets its own message, and nothing is written."""

from __future__ import annotations

import csv

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from kam.customers.models import Contact, Employment, Unit
from kam.dataio import fastpath, formats
from kam.dataio.formats import ImportFileError
from kam.dataio.services import import_file

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db


def _write(tmp_path, text: str, name: str = "f.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_an_undecodable_file_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(b"id,name\n\x00\x01\x02\xff\xfe binary junk\n")
    with pytest.raises(ImportFileError) as exc:
        import_file(entity="units", path=path)
    assert exc.value.code == "encoding"
    assert "UTF-8" in exc.value.message
    assert not Unit.objects.exists()


def test_utf8_with_bom_and_tab_delimiter_is_read(tmp_path):
    path = _write(tmp_path, "id\tname\tcountry\nA\tÄlpha\tDE\n", encoding="utf-8-sig")
    report = import_file(entity="units", path=path)
    assert not report.errors
    assert Unit.objects.get(external_id="A").name == "Älpha"


def test_a_missing_required_column_is_named(tmp_path):
    path = _write(tmp_path, "id,title\nA,Alpha\n")
    with pytest.raises(ImportFileError) as exc:
        import_file(entity="units", path=path)
    assert exc.value.code == "missing_column"
    assert exc.value.message.startswith("Missing required column: name")
    assert "id, title" in exc.value.message


@pytest.mark.parametrize("text", ["", "\n\n", "id,name\n"])
def test_an_empty_file_is_refused(tmp_path, text):
    path = _write(tmp_path, text)
    with pytest.raises(ImportFileError) as exc:
        import_file(entity="units", path=path)
    assert exc.value.code == "empty"


@pytest.mark.parametrize("entity", ["units", "transactions"])
def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch, entity):
    path = _write(tmp_path, "id,name\n" + "A,Alpha\n" * 20)

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(formats, "open", no_reading, raising=False)
    monkeypatch.setattr(fastpath.pl, "scan_csv", no_reading)
    with override_settings(KAM_IMPORT_MAX_BYTES=100), pytest.raises(ImportFileError) as exc:
        import_file(entity=entity, path=path)
    assert exc.value.code == "too_big"
    assert "over the import limit of 100 bytes" in exc.value.message
    assert "KAM_IMPORT_MAX_BYTES" in exc.value.message


def test_a_100_mb_file_is_refused_by_a_100_mb_limit_with_the_size_named(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as out:  # sparse: 100 MB on paper, nothing on disk
        out.write(b"id,name\n")
        out.truncate(100 * 1024 * 1024 + 1)
    with (
        override_settings(KAM_IMPORT_MAX_BYTES=100 * 1024 * 1024),
        pytest.raises(ImportFileError) as exc,
    ):
        import_file(entity="transactions", path=path)
    assert exc.value.code == "too_big"
    assert "over the import limit of 104857600 bytes (100.0\xa0MB;" in exc.value.message
    assert not Unit.objects.exists()


def test_malformed_numbers_and_dates_are_reported_with_line_column_and_value(tmp_path):
    units = _write(tmp_path, "id;name;employees;turnover\nA;Alpha;many;1,5\nB;Beta;10;12abc\n")
    report = import_file(entity="units", path=units)
    assert [(e.line, e.column, e.value, e.reason) for e in report.errors] == [
        (2, "employees", "many", "not a number"),
        (3, "turnover", "12abc", "not a number"),
    ]
    assert not Unit.objects.exists()
    Unit.objects.add_root(create_kwargs={"name": "U", "kind": "company", "external_id": "U"})
    Contact.objects.create(first_name="A", last_name="B", external_id="C")
    employments = _write(
        tmp_path,
        "external_id,contact,unit,start_date,end_date\n"
        "E1,C,U,2020/12/31,\nE2,C,U,2020-02-30,\nE3,C,U,2021-01-01,2020-01-01\n",
        name="e.csv",
    )
    report = import_file(entity="employments", path=employments)
    assert [(e.line, e.column, e.value) for e in report.errors] == [
        (2, "start_date", "2020/12/31"),
        (3, "start_date", "2020-02-30"),
        (4, "end_date", "2020-01-01"),
    ]
    assert report.errors[0].reason == "not a date (use YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY)"
    assert report.errors[2].reason == "the end is before the start"
    assert not Employment.objects.exists()


def test_formula_cells_are_rejected_unless_quoted(tmp_path):
    path = _write(
        tmp_path,
        "external_id,first_name,last_name,notes\n"
        'C1,Eve,"=HYPERLINK(""http://x"")",\n'
        "C2,Bob,Smith,@SUM(A1)\n"
        "C3,Ann,Lee,'=1+1\n"
        "C4,Max,Muster,+49 30 123\n",
    )
    report = import_file(entity="contacts", path=path)
    assert [(e.line, e.column) for e in report.errors] == [(2, "last_name"), (3, "notes")]
    assert "formula" in report.errors[0].reason
    assert not Contact.objects.exists()
    report = import_file(entity="contacts", path=path, skip_bad_rows=True)
    assert report.created == 2
    assert report.skipped == 2
    assert Contact.objects.get(external_id="C3").notes == "=1+1"
    assert Contact.objects.get(external_id="C4").notes == "+49 30 123"


def test_unknown_references_are_row_errors(tmp_path):
    path = _write(tmp_path, "external_id,contact,unit\nE1,NOBODY,NOWHERE\n")
    report = import_file(entity="employments", path=path)
    reasons = {e.column: e.reason for e in report.errors}
    assert reasons == {"contact": "unknown contact: NOBODY", "unit": "unknown unit: NOWHERE"}


def test_dry_run_counts_but_writes_nothing(tmp_path):
    report = import_file(entity="units", path=FIXTURES / "units.csv", dry_run=True)
    assert report.created == 6
    assert not report.written
    assert "dry run" in report.summary()
    assert not Unit.objects.exists()


def test_the_command_prints_a_table_exits_non_zero_and_writes_a_report(tmp_path, capsys):
    path = _write(tmp_path, "id,name,employees\nA,Alpha,x\nB,,3\nC,Gamma,4\n")
    out_report = tmp_path / "report.csv"
    with pytest.raises(CommandError) as exc:
        call_command("import", "units", str(path), "--report", str(out_report))
    assert str(exc.value) == ("units: 2 of 3 rows have errors (2 problems); nothing was written.")
    printed = capsys.readouterr().out
    assert "Rows with errors" in printed
    assert "a value is required" in printed
    with open(out_report, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows == [
        ["line", "column", "value", "reason"],
        ["2", "employees", "x", "not a number"],
        ["3", "name", "", "a value is required"],
    ]
    assert not Unit.objects.exists()
    call_command("import", "units", str(path), "--skip-bad-rows")
    assert list(Unit.objects.values_list("external_id", flat=True)) == ["C"]
    assert "1 created" in capsys.readouterr().out


def test_the_command_reports_a_file_problem_in_one_line(tmp_path):
    path = _write(tmp_path, "foo,bar\n1,2\n")
    with pytest.raises(CommandError, match=r"^Missing required column: external_id"):
        call_command("import", "units", str(path))
