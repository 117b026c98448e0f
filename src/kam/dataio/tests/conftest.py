"""Fixtures of the import/export tests: the sample files and a loader for all of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.dataio.services import import_file

FIXTURES = Path(__file__).parent / "fixtures"

# Every entity with its sample file, in an order where references already exist.
SAMPLES = [
    ("users", "users.csv"),
    ("units", "units.csv"),
    ("contacts", "contacts.csv"),
    ("employments", "employments.csv"),
    ("product-lines", "product_lines.csv"),
    ("products", "products.csv"),
    ("transactions", "transactions.csv"),
    ("opportunities", "opportunities.csv"),
    ("interactions", "interactions.csv"),
    ("competitor-shares", "competitor_shares.csv"),
    ("supplier-positions", "supplier_positions.csv"),
]


@pytest.fixture
def fixture_path():
    return lambda name: FIXTURES / name


@pytest.fixture
def load_samples(db):
    """Import every sample file; returns the reports by entity."""

    def load():
        reports = {}
        for entity, name in SAMPLES:
            report = import_file(entity=entity, path=FIXTURES / name)
            assert not report.errors, (entity, report.errors)
            reports[entity] = report
        return reports

    return load


def wipe_all():
    """Delete every imported row, in an order the foreign keys allow."""
    from kam.customers.models import Contact, Employment, Unit
    from kam.interactions.models import Interaction
    from kam.people.models import User
    from kam.sales.models import (
        Competitor,
        CompetitorShare,
        MonthlyRollup,
        Opportunity,
        Product,
        ProductLine,
        SupplierPosition,
        Transaction,
    )

    for model in (
        MonthlyRollup,
        Transaction,
        Interaction,
        Opportunity,
        CompetitorShare,
        SupplierPosition,
        Competitor,
        Employment,
        Contact,
        Product,
        ProductLine,
        Unit,
        User,
    ):
        model.objects.all().delete()
