"""Transactions: the Polars fast path, incremental roll-ups, all-or-nothing writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from kam.dataio import fastpath
from kam.dataio.services import import_file
from kam.sales import services as sales_services
from kam.sales.models import MonthlyRollup, Transaction

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    for entity, name in [
        ("units", "units.csv"),
        ("units", "units_ru_cp1251.csv"),
        ("product-lines", "product_lines.csv"),
        ("products", "products.csv"),
    ]:
        assert not import_file(entity=entity, path=FIXTURES / name).errors


def rollups() -> dict:
    return {
        (r.unit_id, r.product_line_id, r.month): (
            r.net_amount,
            r.quantity,
            r.cost,
            r.costed_amount,
            r.lines,
        )
        for r in MonthlyRollup.objects.all()
    }


def direct_sums() -> dict:
    """What the roll-ups must hold: sums straight from the transactions."""
    result = {}
    rows = (
        Transaction.objects.annotate(month=TruncMonth("date"))
        .values("unit_id", "product_line_id", "month")
        .annotate(n=Sum("net_amount"), q=Sum("quantity"), c=Sum("cost"), lines=Count("id"))
        .order_by()
    )
    for r in rows:
        costed = Transaction.objects.filter(
            unit_id=r["unit_id"],
            product_line_id=r["product_line_id"],
            date__year=r["month"].year,
            date__month=r["month"].month,
            cost__isnull=False,
        ).aggregate(s=Sum("net_amount"))["s"] or Decimal("0")
        month = r["month"].date() if hasattr(r["month"], "date") else r["month"]
        result[(r["unit_id"], r["product_line_id"], month)] = (
            r["n"],
            r["q"],
            r["c"] or Decimal("0"),
            costed,
            r["lines"],
        )
    return result


@pytest.fixture
def no_rebuild(monkeypatch):
    def refuse():
        raise AssertionError("roll-ups must be updated incrementally, not rebuilt")

    monkeypatch.setattr(sales_services, "rollups_rebuild", refuse)


def test_a_russian_windows_1251_file_imports(catalogue, no_rebuild, settings):
    settings.KAM_CURRENCY = "RUB"  # the file is in the reporting currency (decision 59)
    report = import_file(entity="transactions", path=FIXTURES / "transactions_ru_cp1251.csv")
    assert not report.errors
    assert report.created == 4
    r1 = Transaction.objects.get(external_id="R-1")
    assert (str(r1.date), r1.net_amount, r1.cost, r1.currency) == (
        "2024-01-15",
        Decimal("1000.50"),
        Decimal("600.25"),
        "RUB",
    )
    r2 = Transaction.objects.get(external_id="R-2")
    assert (str(r2.date), r2.quantity, r2.cost) == ("2024-01-31", Decimal("2.5"), None)
    assert str(Transaction.objects.get(external_id="R-4").date) == "2024-02-15"
    assert rollups() == direct_sums()
    january = MonthlyRollup.objects.get(unit__external_id="RU-CO1", month="2024-01-01")
    assert (january.net_amount, january.lines, january.account.external_id) == (
        Decimal("1250.50"),
        2,
        "RU-GRP",
    )


def test_rollups_follow_a_reimport_with_changed_rows(catalogue, no_rebuild, tmp_path, monkeypatch):
    if connection.vendor == "postgresql":  # new rows must go in by COPY there

        def no_bulk_create(*args, **kwargs):
            raise AssertionError("bulk_create used instead of COPY")

        monkeypatch.setattr(Transaction.objects, "bulk_create", no_bulk_create)
    first = import_file(entity="transactions", path=FIXTURES / "transactions.csv")
    assert first.created == 5
    assert rollups() == direct_sums()
    before = rollups()
    again = import_file(entity="transactions", path=FIXTURES / "transactions.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert rollups() == before
    assert Transaction.objects.count() == 5
    changed = tmp_path / "tx.csv"
    changed.write_text(
        "external_id,date,unit,product,quantity,net_amount,currency,cost\n"
        "T-1,2024-01-15,U-ACME-DE,SKU-100,10,1100.00,EUR,600.00\n"  # amount
        "T-2,2024-03-20,U-ACME-DE,SKU-101,5,250.50,EUR,\n"  # month
        "T-3,2024-02-03,U-NORD,SKU-200,2,200.00,EUR,150.00\n"  # unit and product line
        "T-5,2024-03-01,U-NORD,SKU-200,100,12345.67,EUR,9000.00\n"  # unchanged
        "T-6,2024-04-01,U-ROMASH,SKU-100,1,10.00,EUR,\n",  # new
        encoding="utf-8",
    )
    report = import_file(entity="transactions", path=changed)
    assert (report.created, report.updated, report.unchanged) == (1, 3, 1)
    assert Transaction.objects.count() == 6
    assert rollups() == direct_sums()
    assert not MonthlyRollup.objects.filter(
        unit__external_id="U-ACME-DE-MUC"
    ).exists()  # its only line moved away


def test_bad_transaction_rows_are_reported_and_nothing_is_written(catalogue, tmp_path):
    path = tmp_path / "tx.csv"
    path.write_text(
        "external_id;date;unit;product;quantity;net_amount\n"
        "X-1;2024-13-01;U-ACME;SKU-100;1;10\n"
        "X-2;01.02.2024;NOWHERE;SKU-100;1;10\n"
        "X-3;01.02.2024;U-ACME;NOSKU;1;10\n"
        "X-4;01.02.2024;U-ACME;SKU-100;1;12,3,4\n"
        "X-5;01.02.2024;U-ACME;SKU-100;1;\n"
        "X-1;01.02.2024;U-ACME;SKU-100;1;1\n"
        "X-7;01.02.2024;U-ACME;SKU-100;1;5\n",
        encoding="utf-8",
    )
    report = import_file(entity="transactions", path=path)
    assert [(e.line, e.column, e.value, e.reason) for e in report.errors] == [
        (2, "date", "2024-13-01", "not a date (use YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY)"),
        (3, "unit", "NOWHERE", "unknown unit"),
        (4, "product", "NOSKU", "unknown product"),
        (5, "net_amount", "12,3,4", "not a number"),
        (6, "net_amount", "", "a value is required"),
        (7, "external_id", "X-1", "duplicate of line 2 in this file"),
    ]
    assert not Transaction.objects.exists()
    assert not MonthlyRollup.objects.exists()
    report = import_file(entity="transactions", path=path, skip_bad_rows=True)
    assert report.created == 1
    assert report.skipped == 6
    assert list(Transaction.objects.values_list("external_id", flat=True)) == ["X-7"]
    assert rollups() == direct_sums()


def test_a_crash_half_way_leaves_the_database_as_before(catalogue, monkeypatch):
    monkeypatch.setattr(fastpath, "BATCH_SIZE", 2)
    real = fastpath.write_new_rows
    calls = []

    def crash_after_first_batch(df):
        calls.append(df.height)
        if len(calls) > 1:
            raise RuntimeError("disk full")
        real(df)

    monkeypatch.setattr(fastpath, "write_new_rows", crash_after_first_batch)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(entity="transactions", path=FIXTURES / "transactions.csv")
    assert calls == [2, 2]
    assert not Transaction.objects.exists()
    assert not MonthlyRollup.objects.exists()


def test_batches_and_the_progress_callback(catalogue, monkeypatch, no_rebuild):
    monkeypatch.setattr(fastpath, "BATCH_SIZE", 2)
    seen = []
    report = import_file(
        entity="transactions",
        path=FIXTURES / "transactions.csv",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert report.created == 5
    assert seen[-1] == (5, 5)
    assert rollups() == direct_sums()


def test_an_xlsx_transaction_file_imports(catalogue, tmp_path):
    import xlsxwriter

    path = tmp_path / "tx.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Номер", "Дата", "Клиент", "Артикул", "Количество", "Сумма"])
    import datetime as dt

    date_format = book.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write_string(1, 0, "XL-1")
    sheet.write_datetime(1, 1, dt.datetime(2024, 5, 17), date_format)
    sheet.write_row(1, 2, ["U-ACME-DE", "SKU-100", 3, 123.45])
    book.close()
    report = import_file(entity="transactions", path=path)
    assert not report.errors
    assert report.created == 1
    tx = Transaction.objects.get(external_id="XL-1")
    assert (str(tx.date), tx.quantity, tx.net_amount) == (
        "2024-05-17",
        Decimal("3"),
        Decimal("123.45"),
    )


def test_an_empty_currency_cell_takes_the_default_and_is_not_dropped(catalogue, tmp_path, settings):
    settings.KAM_CURRENCY = "RUB"
    p = tmp_path / "tx.csv"
    p.write_text(
        "external_id,date,unit,product,quantity,net_amount,currency,cost,rate\n"
        "A-1,2024-01-15,U-ACME-DE,SKU-100,10,1100.00,,600.00,\n"
        "A-2,2024-01-15,U-ACME-DE,SKU-100,10,1100.00,EUR,600.00,100\n"
    )
    report = import_file(entity="transactions", path=p)
    assert report.ok
    assert report.created == 2
    assert Transaction.objects.count() == 2
    assert Transaction.objects.get(external_id="A-1").currency == "RUB"
    a2 = Transaction.objects.get(external_id="A-2")
    assert (a2.currency, a2.original_currency, a2.net_amount) == ("RUB", "EUR", 110000)


def test_a_cost_only_change_updates_the_rollup_costs(catalogue, tmp_path):
    p = tmp_path / "tx.csv"
    p.write_text(
        "external_id,date,unit,product,quantity,net_amount,currency,cost\n"
        "A-1,2024-01-15,U-ACME-DE,SKU-100,10,1100.00,EUR,600.00\n"
    )
    import_file(entity="transactions", path=p)
    p.write_text(
        "external_id,date,unit,product,quantity,net_amount,currency,cost\n"
        "A-1,2024-01-15,U-ACME-DE,SKU-100,10,1100.00,EUR,700.00\n"
    )
    r = import_file(entity="transactions", path=p)
    assert r.updated == 1
    assert rollups() == direct_sums()


def test_duplicates_across_batches_and_blocks(catalogue, tmp_path, monkeypatch):
    from kam.dataio import fastpath

    monkeypatch.setattr(fastpath, "BATCH_SIZE", 2)
    monkeypatch.setattr(fastpath, "READ_BLOCK", 16)
    p = tmp_path / "tx.csv"
    p.write_text(
        "external_id,date,unit,product,quantity,net_amount,currency,cost\n"
        "D-1,2024-01-15,U-ACME-DE,SKU-100,10,1.00,EUR,\n"
        '"D-2",2024-01-15,"U-ACME-DE",SKU-100,10,"2.00",EUR,\n'
        "D-3,2024-01-15,U-ACME-DE,SKU-100,10,3.00,EUR,\n"
        " D-1 ,2024-01-15,U-ACME-DE,SKU-100,10,4.00,EUR,\n"
        "D-4,2024-01-15,U-ACME-DE,SKU-100,10,5.00,EUR,\n"
        "D-1,2024-01-15,U-ACME-DE,SKU-100,10,6.00,EUR,\n"
        "D-2,2024-01-15,U-ACME-DE,SKU-100,10,7.00,EUR,\n"
    )
    r = import_file(entity="transactions", path=p)
    assert [(e.line, e.value, e.reason) for e in r.errors] == [
        (5, " D-1 ", "duplicate of line 2 in this file"),
        (7, "D-1", "duplicate of line 2 in this file"),
        (8, "D-2", "duplicate of line 3 in this file"),
    ]
    r = import_file(entity="transactions", path=p, skip_bad_rows=True)
    assert r.created == 4
    assert r.skipped == 3
    assert sorted(Transaction.objects.values_list("external_id", "net_amount")) == [
        ("D-1", Decimal("1.00")),
        ("D-2", Decimal("2.00")),
        ("D-3", Decimal("3.00")),
        ("D-4", Decimal("5.00")),
    ]
    assert rollups() == direct_sums()


def test_thousand_separators_and_decimal_commas_still_parse(catalogue, tmp_path):
    p = tmp_path / "tx.csv"
    p.write_text(
        "external_id;date;unit;product;quantity;net_amount;cost\n"
        "N-1;01.02.2024;U-ACME-DE;SKU-100;1,5;1.234,56;1 000,5\n"
        "N-2;2024-02-01;U-ACME-DE;SKU-100;+2;99;\n"
        "N-3;2024-02-01;U-ACME-DE;SKU-100;1e5;99;\n",
        encoding="utf-8",
    )
    r = import_file(entity="transactions", path=p, skip_bad_rows=True)
    assert [(e.line, e.column, e.reason) for e in r.errors] == [(4, "quantity", "not a number")]
    n1 = Transaction.objects.get(external_id="N-1")
    assert (n1.quantity, n1.net_amount, n1.cost, str(n1.date)) == (
        Decimal("1.5"),
        Decimal("1234.56"),
        Decimal("1000.50"),
        "2024-02-01",
    )
    assert Transaction.objects.get(external_id="N-2").quantity == Decimal("2")


def test_ids_the_export_quoted_reimport_without_the_quote(catalogue, tmp_path):
    """The fast path takes off the same quote as every other import: in front of a tab too."""
    p = tmp_path / "tx.csv"
    p.write_text(
        "external_id,date,unit,product,quantity,net_amount\n"
        "'=T-1,2024-01-15,U-ACME-DE,SKU-100,1,10.00\n"
        '"\'\tT-2",2024-01-15,U-ACME-DE,SKU-100,1,10.00\n',
        encoding="utf-8",
    )
    report = import_file(entity="transactions", path=p)
    assert report.errors == []
    assert sorted(Transaction.objects.values_list("external_id", flat=True)) == ["\tT-2", "=T-1"]
