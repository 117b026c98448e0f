"""A stored value that cannot be read becomes one marked cell; the export goes on."""

from __future__ import annotations

import csv
import io
from decimal import InvalidOperation

import pytest
from django.db import connection

from kam.dataio import exporters
from kam.dataio.exporters import BAD_CELL, export_entity
from kam.dataio.services import import_file
from kam.sales.models import Transaction

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(db):
    for entity, name in [
        ("units", "units.csv"),
        ("product-lines", "product_lines.csv"),
        ("products", "products.csv"),
        ("transactions", "transactions.csv"),
    ]:
        assert not import_file(entity=entity, path=FIXTURES / name).errors


def _unreadable_amount(bad: Transaction, monkeypatch) -> None:
    if connection.vendor == "sqlite":  # SQLite stores what it is given, behind validation
        with connection.cursor() as cursor:
            cursor.execute("UPDATE sales_transaction SET net_amount = 1e30 WHERE id = %s", [bad.pk])
        return
    # PostgreSQL refuses such a value; a value that fails on the way out stands in for it
    original = exporters.export_value

    def failing(f, value):
        if f.name == "net_amount" and value == bad.net_amount:
            raise InvalidOperation
        return original(f, value)

    monkeypatch.setattr(exporters, "export_value", failing)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_unreadable_amount_is_a_marked_cell_and_the_other_rows_export(
    sales, tmp_path, fmt, monkeypatch
):
    _unreadable_amount(Transaction.objects.get(external_id="T-2"), monkeypatch)
    out = tmp_path / f"tx.{fmt}"
    written = export_entity(entity="transactions", fmt=fmt, out=out)
    assert written == Transaction.objects.count()
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        by_id = {r["external_id"]: r for r in rows}
        assert by_id["T-2"]["net_amount"] == BAD_CELL
        assert by_id["T-1"]["net_amount"] == "1000.00"
