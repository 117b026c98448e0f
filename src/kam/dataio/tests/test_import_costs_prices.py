"""The import entities ``costs-to-serve`` and ``list-prices`` (issue 17): a good file (CSV and
XLSX), bad rows reported by line and column, nothing written when any row is bad."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import xlsxwriter

from kam.dataio.forms import ENTITY_LABELS
from kam.dataio.importers import ENTITY_NAMES
from kam.dataio.services import import_file
from kam.sales.models import CostToServe, ListPrice
from kam.testing.factories import ProductFactory, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
    account = make_unit("Acme", external_id="U-ACME")
    site = make_unit("Acme plant", parent=account, external_id="U-ACME-1")
    return account, site


def test_both_entities_are_offered_with_a_label() -> None:
    for name in ("costs-to-serve", "list-prices"):
        assert name in ENTITY_NAMES and name in ENTITY_LABELS


def test_a_good_costs_file_is_imported_and_a_second_run_changes_nothing(units, tmp_path) -> None:
    account, site = units
    path = tmp_path / "costs.csv"
    path.write_text(
        "unit;month;category;amount;note\n"
        "U-ACME;2026-03-01;logistics;1200.50;trucks\n"
        "U-ACME-1;15.03.2026;Special terms;300;\n"
        "U-ACME;2026-04-01;service;80;field visits\n",
        encoding="utf-8",
    )
    report = import_file(entity="costs-to-serve", path=path)
    assert not report.errors and report.created == 3, report
    stored = {(c.unit_id, c.month, c.category): c.amount for c in CostToServe.objects.all()}
    assert stored == {
        (account.pk, dt.date(2026, 3, 1), "logistics"): Decimal("1200.50"),
        (site.pk, dt.date(2026, 3, 1), "special_terms"): Decimal("300"),
        (account.pk, dt.date(2026, 4, 1), "service"): Decimal("80"),
    }
    again = import_file(entity="costs-to-serve", path=path)
    assert again.unchanged == 3 and again.created == 0 and CostToServe.objects.count() == 3


def test_bad_cost_rows_are_reported_and_nothing_is_written(units, tmp_path) -> None:
    path = tmp_path / "costs.csv"
    path.write_text(
        "unit,month,category,amount\n"
        "U-ACME,2026-03-01,logistics,100\n"  # good
        "U-NOPE,2026-03-01,logistics,100\n"  # unknown unit
        "U-ACME,1800-01-01,logistics,100\n"  # month out of range
        "U-ACME,2026-03-01,parties,100\n"  # unknown category
        "U-ACME,2026-05-01,logistics,-4\n"  # below 0
        "U-ACME,2026-03-20,logistics,7\n",  # the month and category of line 2 again
        encoding="utf-8",
    )
    report = import_file(entity="costs-to-serve", path=path)
    found = {(e.line, e.column) for e in report.errors}
    assert found == {(3, "unit"), (4, "month"), (5, "category"), (6, "amount"), (7, "category")}
    assert not CostToServe.objects.exists()


def test_a_list_price_file_in_xlsx(tmp_path, settings) -> None:
    ProductFactory(sku="BOLT-1")
    ProductFactory(sku="NUT-1")
    path = tmp_path / "prices.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate(
        [
            ["product", "valid_from", "price", "currency"],
            ["BOLT-1", "2026-01-01", "12.3456", ""],
            ["NUT-1", "2026-01-01", "0.5", "usd"],
        ]
    ):
        sheet.write_row(r, 0, row)
    book.close()
    report = import_file(entity="list-prices", path=path)
    assert not report.errors and report.created == 2, report
    prices = {p.product.sku: (p.price, p.currency) for p in ListPrice.objects.all()}
    assert prices == {
        "BOLT-1": (Decimal("12.3456"), settings.KAM_CURRENCY),
        "NUT-1": (Decimal("0.5"), "USD"),
    }


def test_bad_list_price_rows_are_reported_and_nothing_is_written(tmp_path) -> None:
    ProductFactory(sku="BOLT-1")
    path = tmp_path / "prices.csv"
    path.write_text(
        "sku,valid_from,price,currency\n"
        "BOLT-1,2026-01-01,10,\n"  # good
        "BOLT-2,2026-01-01,10,\n"  # unknown product (did you mean BOLT-1?)
        "BOLT-1,2026-02-01,0,\n"  # not above 0
        "BOLT-1,2026-03-01,10,EURO\n"  # not a currency code
        "BOLT-1,2026-01-01,11,\n",  # the product and start of line 2 again
        encoding="utf-8",
    )
    report = import_file(entity="list-prices", path=path)
    found = {(e.line, e.column) for e in report.errors}
    assert found == {(3, "sku"), (4, "price"), (5, "currency"), (6, "valid_from")}
    assert "BOLT-1" in next(e.reason for e in report.errors if e.line == 3)
    assert not ListPrice.objects.exists()


def test_an_export_of_both_entities_imports_again_unchanged(units, tmp_path) -> None:
    from kam.dataio.exporters import export_entity

    account, site = units
    ProductFactory(sku="BOLT-1")
    costs, prices = tmp_path / "costs.csv", tmp_path / "prices.csv"
    costs.write_text(
        "unit,month,category,amount,note\nU-ACME-1,2026-03-01,service,12.5,visits\n",
        encoding="utf-8",
    )
    prices.write_text("product,valid_from,price\nBOLT-1,2026-01-01,3.25\n", encoding="utf-8")
    assert not import_file(entity="costs-to-serve", path=costs).errors
    assert not import_file(entity="list-prices", path=prices).errors
    for entity in ("costs-to-serve", "list-prices"):
        out = tmp_path / f"{entity}-export.csv"
        assert export_entity(entity=entity, out=out) == 1
        report = import_file(entity=entity, path=out)
        assert not report.errors and report.unchanged == 1, (entity, report)
