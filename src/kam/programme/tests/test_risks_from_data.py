"""Service creep and buyer power judged from entered data (issue 17, decision 107): costs to
serve and list prices of a small hand-built portfolio flag the right key accounts, and the risks
page shows them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam.programme.selectors import buyer_power, risks, service_creep
from kam.sales.models import Product
from kam.sales.services import cost_to_serve_save, list_price_save, transactions_create
from kam.testing.factories import ProductFactory

from .helpers import AS_OF, key

pytestmark = pytest.mark.django_db

NOW, BEFORE = dt.date(2026, 6, 10), dt.date(2025, 6, 10)  # inside this year's / last year's window


def _sale(account, product: Product, day: dt.date, qty: str, net: str) -> None:
    transactions_create(
        rows=[
            {
                "date": day,
                "unit_id": account.pk,
                "product_id": product.pk,
                "quantity": Decimal(qty),
                "net_amount": Decimal(net),
            }
        ]
    )


def _cost(account, day: dt.date, amount: str) -> None:
    cost_to_serve_save(unit_id=account.pk, month=day, category="logistics", amount=amount)


@pytest.fixture
def portfolio():
    """Four key accounts, each selling one product listed at 10 in both years.

    * creeping: revenue 1000 → 1100 (+10 %), cost to serve 50 → 80 (+60 %): service creep.
    * lean: revenue 1000 → 1200 (+20 %), cost 50 → 55 (+10 %): fine.
    * squeezed: revenue 1000 → 1000 for 110 → 125 units: a discount of 9.09 % → 20 % without
      revenue growth: buyer power.
    * growing: discount 9.09 % → 16.67 % but revenue 1000 → 1500: more volume, fine.
    """
    bolt = ProductFactory()
    list_price_save(product_id=bolt.pk, valid_from=dt.date(2024, 1, 1), price="10")
    creeping, lean, squeezed, growing = (
        key(n) for n in ("Creeping", "Lean", "Squeezed", "Growing")
    )
    for account, (before, now) in {
        creeping: ("1000", "1100"),
        lean: ("1000", "1200"),
    }.items():
        _sale(account, bolt, BEFORE, "100", before)
        _sale(account, bolt, NOW, "100", now)
    _cost(creeping, BEFORE, "50")
    _cost(creeping, NOW, "80")
    _cost(lean, BEFORE, "50")
    _cost(lean, NOW, "55")
    _sale(squeezed, bolt, BEFORE, "110", "1000")
    _sale(squeezed, bolt, NOW, "125", "1000")
    _sale(growing, bolt, BEFORE, "110", "1000")
    _sale(growing, bolt, NOW, "180", "1500")
    return {"creeping": creeping, "lean": lean, "squeezed": squeezed, "growing": growing}


def test_service_creep_flags_the_account_whose_costs_outgrow_its_revenue(portfolio) -> None:
    ids = [a.pk for a in portfolio.values()]
    risk = service_creep(as_of=AS_OF, key_ids=ids)
    assert risk.level == "warn" and risk.missing == ""
    assert risk.accounts == [portfolio["creeping"].pk]


def test_buyer_power_flags_the_account_with_more_discount_and_no_more_revenue(portfolio) -> None:
    ids = [a.pk for a in portfolio.values()]
    risk = buyer_power(as_of=AS_OF, key_ids=ids)
    assert risk.level == "warn" and risk.missing == ""
    assert risk.accounts == [portfolio["squeezed"].pk]


def test_the_risks_page_shows_both_judged_with_their_accounts(portfolio, client_for) -> None:
    found = {r.key: r for r in risks(as_of=AS_OF)["items"]}
    assert found["service_creep"].level == found["buyer_power"].level == "warn"
    html = client_for("executive").get("/programme/").content.decode()
    for name in ("service_creep", "buyer_power"):
        row = html[html.index(f'data-risk="{name}"') :].split("</tr>")[0]
        assert 'data-level="warn"' in row and "risk-missing" not in row
    detail = client_for("executive").get("/programme/risks/service_creep/").content.decode()
    assert "Creeping" in detail and "Lean" not in detail
    detail = client_for("executive").get("/programme/risks/buyer_power/").content.decode()
    assert "Squeezed" in detail and "Growing" not in detail


def test_both_risks_raise_an_alert_on_the_flagged_account_with_its_figures(portfolio) -> None:
    from kam.alerts.models import Alert
    from kam.alerts.rules import rules
    from kam.alerts.services import alerts_refresh

    alerts_refresh(account_ids=[a.pk for a in portfolio.values()], as_of=AS_OF)
    creep = list(Alert.objects.filter(kind="programme.service_creep", status="open"))
    assert [a.account_id for a in creep] == [portfolio["creeping"].pk]
    assert creep[0].params == {"cost": "+60.0", "revenue": "+10.0"}
    power = list(Alert.objects.filter(kind="programme.buyer_power", status="open"))
    assert [a.account_id for a in power] == [portfolio["squeezed"].pk]
    assert power[0].params == {"before": "9.1", "now": "20.0", "revenue": "+0.0"}
    for kind in ("programme.service_creep", "programme.buyer_power"):
        assert not rules.get(kind).intensity


def test_the_accounts_behind_a_risk_show_their_figures(portfolio, client_for) -> None:
    creep = client_for("executive").get("/programme/risks/service_creep/").content.decode()
    row = creep[creep.index(f'data-account="{portfolio["creeping"].pk}"') :].split("</tr>")[0]
    assert "cost to serve +60.0 %, revenue +10.0 % over the year" in row
    power = client_for("executive").get("/programme/risks/buyer_power/").content.decode()
    row = power[power.index(f'data-account="{portfolio["squeezed"].pk}"') :].split("</tr>")[0]
    assert "discount 9.1 % → 20.0 %, revenue +0.0 % over the year" in row
