"""Risks of KAM itself (DOMAIN §11): each trigger and non-trigger, HHI and top-5 share."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam.core.metrics import Metric, MetricUnit, registry
from kam.programme.selectors import (
    buyer_power,
    capacity,
    concentration,
    dependence,
    margin_erosion,
    risks,
    service_creep,
)
from kam.testing.factories import UserFactory, make_unit

from .helpers import AS_OF, key, revenue

pytestmark = pytest.mark.django_db


def test_dependence_warns_above_10_and_alerts_above_20_per_cent() -> None:
    big, mid = make_unit("Big"), make_unit("Mid")
    revenue(big, 25)
    revenue(mid, 15)
    for i in range(6):
        revenue(make_unit(f"Small {i}"), 10)
    shares = {s.account_id: s for s in dependence(AS_OF)}
    assert shares[big.pk].share == Decimal("25.00") and shares[big.pk].level == "alert"
    assert shares[mid.pk].share == Decimal("15.00") and shares[mid.pk].level == "warn"
    assert {s.level for s in shares.values() if s.account_id not in (big.pk, mid.pk)} == {"ok"}


def test_no_dependence_when_revenue_is_spread() -> None:
    for i in range(20):
        revenue(make_unit(f"Even {i}"), 5)
    assert {s.level for s in dependence(AS_OF)} == {"ok"}
    found = {r.key: r for r in risks(as_of=AS_OF)["items"]}
    assert found["dependence"].level == "ok" and found["dependence"].accounts == []


def test_revenue_outside_the_last_12_full_months_does_not_count() -> None:
    a = make_unit("Old")
    revenue(a, 100, month=dt.date(2025, 6, 1))
    assert dependence(AS_OF) == []


def test_herfindahl_index_and_top_five_share() -> None:
    for name, amount in (("A", 40), ("B", 20), ("C", 10), ("D", 10), ("E", 10), ("F", 5), ("G", 5)):
        revenue(make_unit(name), amount)
    conc = concentration(dependence(AS_OF), pareto_points=3)
    assert conc["top5"] == 90.0
    assert conc["hhi"] == 40**2 + 20**2 + 3 * 10**2 + 2 * 5**2  # 2350
    assert [p["cumulative"] for p in conc["pareto"]] == [40.0, 60.0, 70.0, 100.0]
    assert conc["pareto"][-1]["account_id"] is None  # the rest as one point


def _quarters(account: object, margins: list[int]) -> None:
    """One costed sale of 100 in each of the last three full quarters, with these margins %."""
    for month, margin in zip(
        (dt.date(2026, 3, 1), dt.date(2026, 6, 1), dt.date(2026, 9, 1)), margins, strict=True
    ):
        revenue(account, 100, month=month, cost=100 - margin)  # type: ignore[arg-type]


def test_margin_erosion_when_a_key_account_trails_the_non_key_trend_twice() -> None:
    eroding, steady = key("Eroding"), key("Steady")
    _quarters(make_unit("Non-key"), [30, 30, 30])
    _quarters(eroding, [30, 25, 20])
    _quarters(steady, [30, 25, 30])  # fell once, then recovered: not two periods
    risk = margin_erosion(as_of=AS_OF, key_ids=[eroding.pk, steady.pk])
    assert risk.level == "warn" and risk.accounts == [eroding.pk]


def test_margin_erosion_compares_with_the_non_key_accounts_only() -> None:
    """The non-key trend leaves the key accounts out: a large key account losing margin fast
    does not lower the bar for the others (the non-key sums are all sums less the key ones)."""
    falling, mild = key("Falling"), key("Mild")
    _quarters(make_unit("Non-key"), [30, 30, 30])
    _quarters(mild, [30, 28, 26])
    for month, margin in zip(
        (dt.date(2026, 3, 1), dt.date(2026, 6, 1), dt.date(2026, 9, 1)), [30, 10, 0], strict=True
    ):
        revenue(falling, 1000, month=month, cost=1000 - 10 * margin)
    risk = margin_erosion(as_of=AS_OF, key_ids=[falling.pk, mild.pk])
    assert risk.accounts == [falling.pk, mild.pk]
    assert risk.figures["non_key_trend"] == [0.0, 0.0]


def test_no_margin_erosion_without_cost_data() -> None:
    a = key("A")
    revenue(a, 100)
    risk = margin_erosion(as_of=AS_OF, key_ids=[a.pk])
    assert risk.level == "no_data" and "margin" in risk.summary.lower()


def _growth_metric(name: str, now: dict[int, float], before: dict[int, float]) -> Metric:
    def compute(ids: object, as_of: dt.date) -> dict[int, float]:
        return now if as_of == AS_OF else before

    return Metric(key=name, label=name, unit=MetricUnit.MONEY, compute=compute)


def test_service_creep_and_buyer_power_say_no_data_without_their_figures() -> None:
    a = key("A")
    assert service_creep(as_of=AS_OF, key_ids=[a.pk]).level == "no_data"
    assert buyer_power(as_of=AS_OF, key_ids=[a.pk]).level == "no_data"
    assert "cost" in service_creep(as_of=AS_OF, key_ids=[a.pk]).summary


def test_service_creep_and_buyer_power_with_their_figures() -> None:
    a, b = key("A"), key("B")
    keys = ("sales.revenue_12m", "sales.cost_to_serve", "sales.discount_pct")
    saved = [registry.get(k) for k in keys]
    for k in keys:
        registry.unregister(k)
    registry.register(
        _growth_metric("sales.revenue_12m", {a.pk: 110, b.pk: 100}, {a.pk: 100, b.pk: 100})
    )
    registry.register(
        _growth_metric("sales.cost_to_serve", {a.pk: 150, b.pk: 105}, {a.pk: 100, b.pk: 100})
    )
    registry.register(_growth_metric("sales.discount_pct", {a.pk: 5, b.pk: 8}, {a.pk: 5, b.pk: 6}))
    try:
        creep = service_creep(as_of=AS_OF, key_ids=[a.pk, b.pk])
        power = buyer_power(as_of=AS_OF, key_ids=[a.pk, b.pk])
    finally:
        for k in keys:
            registry.unregister(k)
        for metric in saved:
            registry.register(metric)
    # a: cost +50 % against revenue +10 %; b: cost +5 % against revenue 0 %
    assert creep.accounts == [a.pk, b.pk]
    # b: discount up with flat revenue; a: discount flat
    assert power.accounts == [b.pk]


def test_too_many_key_accounts_for_a_kams_capacity() -> None:
    kam = UserFactory(username="busy", role="kam", capacity=2)
    ids = [key(f"K{i}", account_manager=kam).pk for i in range(3)]
    risk = capacity(key_ids=ids)
    assert risk.level == "warn" and sorted(risk.accounts) == sorted(ids)


def test_capacity_fine_within_limits() -> None:
    kam = UserFactory(username="calm", role="kam", capacity=5)
    ids = [key(f"K{i}", account_manager=kam).pk for i in range(3)]
    risk = capacity(key_ids=ids)
    assert risk.level == "ok" and risk.accounts == []


def test_without_cost_or_discount_data_the_page_says_which_input_is_missing(
    client_for: object,
) -> None:
    """Decisions 105 and 107: without cost or list-price data service creep and buyer power show
    "no data" and say, in words, where to enter the missing input."""
    a = key("A")
    creep = service_creep(as_of=AS_OF, key_ids=[a.pk])
    power = buyer_power(as_of=AS_OF, key_ids=[a.pk])
    assert "sales.cost_to_serve" in creep.missing and "cost of serving" in creep.missing
    assert "Costs to serve page" in creep.missing and "costs-to-serve" in creep.missing
    assert "sales.discount_pct" in power.missing and "list prices" in power.missing
    assert "Price list page" in power.missing and "list-prices" in power.missing
    page = client_for("kam").get("/programme/")  # type: ignore[operator]
    html = page.content.decode()
    for risk in ("service_creep", "buyer_power"):
        row = html[html.index(f'data-risk="{risk}"') :].split("</tr>")[0]
        assert 'data-level="no_data"' in row and "risk-missing" in row and "Missing input" in row
    dependence_row = html[html.index('data-risk="dependence"') :].split("</tr>")[0]
    assert "risk-missing" not in dependence_row
