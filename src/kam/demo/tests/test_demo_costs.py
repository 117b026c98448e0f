"""The demo enters costs to serve and list prices (issue 17): the programme risks page judges
service creep and buyer power from them, with some key accounts flagged and not all."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.demo.build import demo_build
from kam.programme.selectors import key_accounts, risks
from kam.sales.models import CostToServe, ListPrice, MonthlyRollup, Product, Transaction
from kam.sales.services import rollups_rebuild

TODAY = dt.date(2026, 6, 15)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_both_risks_are_judged_on_the_demo_with_some_accounts_flagged() -> None:
    built = demo_build(scale="tiny", seed=3, today=TODAY)
    assert built.counts["costs_to_serve"] == CostToServe.objects.count() > 0
    assert ListPrice.objects.count() == Product.objects.count()
    found = {r.key: r for r in risks(as_of=TODAY)["items"]}
    keys = key_accounts().count()
    for name in ("service_creep", "buyer_power"):
        risk = found[name]
        assert risk.level == "warn" and risk.missing == "", name
        assert 0 < len(risk.accounts) < keys, name


def test_the_pressed_quantities_keep_the_rollups_exact() -> None:
    demo_build(scale="tiny", seed=3, today=TODAY)
    kept = sorted(
        MonthlyRollup.objects.values_list("unit_id", "product_line_id", "month", "quantity")
    )
    assert Transaction.objects.exists()
    rollups_rebuild()
    again = sorted(
        MonthlyRollup.objects.values_list("unit_id", "product_line_id", "month", "quantity")
    )
    assert kept == again
