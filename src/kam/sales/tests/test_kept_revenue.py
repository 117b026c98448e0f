"""The revenue of the last 12 full months kept per account (decision 111): the portfolio sorts
by it; writers of roll-ups mark their accounts, and the next read or the worker refreshes them;
with many stale accounts the portfolio reads the live sums."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kam.core.periods import add_months, full_months_end
from kam.customers.services import unit_move
from kam.sales import services
from kam.sales.models import AccountRevenue
from kam.sales.services import (
    account_revenue_current,
    account_revenue_refresh,
    account_revenue_refresh_due,
    account_revenue_stale,
    transactions_create,
    transactions_delete,
)
from kam.testing.factories import ProductFactory, make_unit

pytestmark = pytest.mark.django_db


def _last_month() -> dt.date:
    return add_months(timezone.localdate().replace(day=1), -1)


def _sell(unit, amount: str, product, day: dt.date | None = None) -> None:
    transactions_create(
        rows=[
            {
                "date": day or _last_month(),
                "unit_id": unit.pk,
                "product_id": product.pk,
                "quantity": 1,
                "net_amount": Decimal(amount),
                "cost": None,
            }
        ]
    )


def _kept(account) -> Decimal | None:
    row = AccountRevenue.objects.filter(account=account).first()
    return row.revenue_12m if row and row.month == full_months_end(timezone.localdate()) else None


def _portfolio_names(client) -> list[str]:
    html = client.get(reverse("web:portfolio")).content.decode()
    names = ["Alpha", "Beta", "Gamma"]
    return sorted((n for n in names if n in html), key=html.index)


@pytest.fixture
def three():
    product = ProductFactory()
    alpha, beta, gamma = make_unit("Alpha"), make_unit("Beta"), make_unit("Gamma")
    site = make_unit("Beta site", parent=beta, kind="site")
    _sell(alpha, "100", product)
    _sell(site, "300", product)
    _sell(gamma, "200", product)
    _sell(gamma, "9000", product, day=add_months(_last_month(), -13))  # outside the 12 months
    return alpha, beta, gamma, site, product


def test_the_refresh_keeps_the_sums_of_the_last_12_full_months(three) -> None:
    alpha, beta, gamma, _site, _product = three
    assert account_revenue_refresh(today=timezone.localdate()) == 3
    assert [_kept(a) for a in (alpha, beta, gamma)] == [100, 300, 200]


def test_the_kept_prior_year_cost_and_costed_revenue_equal_the_metrics_sums(three) -> None:
    """Decision 114: the modes page adds up these per group; they are the roll-up sums every
    page reads (``sales.metrics.rollup_sums``)."""
    from kam.sales.metrics import rollup_sums

    alpha, beta, gamma, _site, product = three
    _sell(gamma, "50", product, day=add_months(_last_month(), -11))  # the 12th month back
    transactions_create(
        rows=[
            {
                "date": _last_month(),
                "unit_id": alpha.pk,
                "product_id": product.pk,
                "quantity": 1,
                "net_amount": Decimal("80"),
                "cost": Decimal("60"),
            }
        ]
    )
    today = timezone.localdate()
    account_revenue_refresh(today=today)
    ids = [alpha.pk, beta.pk, gamma.pk]
    live = rollup_sums(ids, today)
    for row in AccountRevenue.objects.filter(account_id__in=ids):
        sums = live.get(row.account_id, {})
        assert (row.revenue_12m, row.prior_12m, row.cost_12m, row.costed_12m) == (
            sums.get("revenue", 0),
            sums.get("prior", 0),
            sums.get("cost", 0),
            sums.get("costed", 0),
        )
    gamma_kept = AccountRevenue.objects.get(account=gamma)
    assert (gamma_kept.revenue_12m, gamma_kept.prior_12m) == (250, 9000)  # 13 months back: prior
    assert AccountRevenue.objects.get(account=alpha).cost_12m == 60


def test_on_a_months_last_day_the_window_moves_and_the_kept_sums_are_stale(three) -> None:
    """A month counts once it is over, on its last day too (``full_months_end``): sums kept
    earlier that month covered the window before it."""
    alpha, _beta, _gamma, _site, product = three
    mid = dt.date(2026, 3, 15)
    last_day = dt.date(2026, 3, 31)
    account_revenue_refresh(today=mid)
    assert not account_revenue_stale(today=mid, limit=10)
    assert len(account_revenue_stale(today=last_day, limit=10)) == 3
    account_revenue_refresh(today=last_day)
    assert not account_revenue_stale(today=dt.date(2026, 4, 10), limit=10)


def test_the_portfolio_sorts_by_the_kept_revenue_and_shows_a_new_sale(three, client_for) -> None:
    alpha, beta, _gamma, _site, product = three
    client = client_for("kam")
    assert _portfolio_names(client) == ["Beta", "Gamma", "Alpha"]  # kept on this first read
    assert _kept(beta) == 300
    _sell(alpha, "1000", product)  # the roll-up writer marks Alpha in its transaction
    assert _kept(alpha) is None
    assert account_revenue_stale(today=timezone.localdate(), limit=10) == [alpha.pk]
    assert _portfolio_names(client) == ["Alpha", "Beta", "Gamma"]
    assert _kept(alpha) == 1100
    transactions_delete(ids=list(alpha.transactions.values_list("pk", flat=True)))
    assert _portfolio_names(client) == ["Beta", "Gamma", "Alpha"]
    assert _kept(alpha) == 0


def test_a_unit_moved_to_another_account_marks_both(three) -> None:
    alpha, beta, _gamma, site, _product = three
    account_revenue_refresh(today=timezone.localdate())
    unit_move(unit=site, new_parent=alpha)
    assert _kept(alpha) is None and _kept(beta) is None
    assert account_revenue_current(today=timezone.localdate())
    assert (_kept(alpha), _kept(beta)) == (400, 0)


def test_last_months_figures_are_stale_in_a_new_month(three) -> None:
    alpha, _beta, _gamma, _site, _product = three
    account_revenue_refresh(today=timezone.localdate())
    next_month = add_months(timezone.localdate().replace(day=1), 1)
    assert len(account_revenue_stale(today=next_month, limit=10)) == 3
    account_revenue_refresh_due(today=next_month)
    assert not account_revenue_stale(today=next_month, limit=10)
    assert AccountRevenue.objects.get(account=alpha).month == next_month


def test_with_many_stale_accounts_the_portfolio_reads_the_live_sums(
    three, client_for, monkeypatch
) -> None:
    monkeypatch.setattr(services, "KEPT_REVENUE_INLINE", 2)
    client = client_for("kam")
    assert not account_revenue_current(today=timezone.localdate())  # three stale > two
    assert not AccountRevenue.objects.exists()  # nothing written by the page either
    assert _portfolio_names(client) == ["Beta", "Gamma", "Alpha"]  # the live sums
    assert not AccountRevenue.objects.exists()
    assert account_revenue_refresh_due() == 3  # the worker does them all at once
    assert account_revenue_current(today=timezone.localdate())


def test_every_account_is_refreshed_in_short_transactions(three, monkeypatch) -> None:
    """The worker's refresh of every account holds the write lock a chunk at a time."""
    opened = []
    atomic = transaction.atomic

    def counting(*args, **kwargs):
        opened.append(1)
        return atomic(*args, **kwargs)

    monkeypatch.setattr(services, "_CHUNK", 2)
    monkeypatch.setattr(services, "transaction", SimpleNamespace(atomic=counting))
    assert account_revenue_refresh(today=timezone.localdate()) == 3
    assert len(opened) == 2  # three accounts, two per transaction
    alpha, beta, gamma, _site, _product = three
    assert [_kept(a) for a in (alpha, beta, gamma)] == [100, 300, 200]
