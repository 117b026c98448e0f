"""Out-of-range dates and amounts are row errors of an import, and nothing is written."""

from __future__ import annotations

import pytest

from kam.dataio.services import import_file
from kam.interactions.models import Interaction
from kam.sales.models import Opportunity, Transaction

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db

HEADER = "external_id,date,unit,product,quantity,net_amount,currency,cost\n"
GOOD = "T-OK,2024-01-15,U-ACME-DE,SKU-100,1,10.00,EUR,\n"


@pytest.fixture
def catalogue(db):
    for entity, name in [
        ("users", "users.csv"),
        ("units", "units.csv"),
        ("product-lines", "product_lines.csv"),
        ("products", "products.csv"),
    ]:
        assert not import_file(entity=entity, path=FIXTURES / name).errors


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ("T-9,9999-12-31,U-ACME-DE,SKU-100,1,10.00,EUR,\n", "date", "2100-12-31"),
        ("T-9,1800-01-01,U-ACME-DE,SKU-100,1,10.00,EUR,\n", "date", "1900-01-01"),
        (
            "T-9,2024-01-15,U-ACME-DE,SKU-100,1,99999999999999.99,EUR,\n",
            "net_amount",
            "9999999999999.99",
        ),
        ("T-9,2024-01-15,U-ACME-DE,SKU-100,1,10.00,EUR,99999999999999.99\n", "cost", "amount"),
    ],
)
def test_transaction_import_rejects_out_of_range_values(catalogue, tmp_path, line, column, reason):
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + GOOD + line, encoding="utf-8")
    report = import_file(entity="transactions", path=path)
    assert [(e.line, e.column) for e in report.errors] == [(3, column)]
    assert reason in report.errors[0].reason
    assert not Transaction.objects.exists()


def test_opportunity_import_rejects_far_dates_and_huge_amounts(catalogue, tmp_path):
    path = tmp_path / "opps.csv"
    path.write_text(
        "external_id,name,unit,stage,amount,expected_close\n"
        "O-1,Far,U-ACME-DE,qualify,10,9999-12-31\n"
        "O-2,Old,U-ACME-DE,qualify,10,1800-01-01\n"
        "O-3,Huge,U-ACME-DE,qualify,99999999999999.99,2025-01-01\n",
        encoding="utf-8",
    )
    report = import_file(entity="opportunities", path=path)
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "expected_close"),
        (3, "expected_close"),
        (4, "amount"),
    ]
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_interaction_import_rejects_extreme_datetimes(catalogue, tmp_path, when):
    path = tmp_path / "interactions.csv"
    path.write_text(
        f"external_id,type,occurred_at,unit,summary\nI-1,call,{when},U-ACME-DE,Hello\n",
        encoding="utf-8",
    )
    report = import_file(entity="interactions", path=path)
    assert [(e.line, e.column) for e in report.errors] == [(2, "occurred_at")]
    assert "between" in report.errors[0].reason
    assert not Interaction.objects.exists()
