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


def _sale_with_cost(unit, product, day: dt.date, amount: str, cost: str | None) -> None:
    transactions_create(
        rows=[
            {
                "date": day,
                "unit_id": unit.pk,
                "product_id": product.pk,
                "quantity": 1,
                "net_amount": Decimal(amount),
                "cost": None if cost is None else Decimal(cost),
            }
        ]
    )


def test_the_kept_quarters_give_the_margin_erosion_of_the_live_sums(three, monkeypatch) -> None:
    """Decision 123: the programme's margin erosion reads each account's costed revenue and
    cost per quarter from the kept row; from the roll-ups it gets the same sums."""
    from kam.customers.models import Tier, Unit
    from kam.programme import selectors as programme

    alpha, beta, gamma, site, product = three
    today = timezone.localdate()
    end = full_months_end(today)
    for months_back, margins in ((9, (30, 30, 20)), (6, (30, 25, 20)), (3, (30, 20, 20))):
        day = add_months(end, -months_back)
        for unit, margin in zip((alpha, site, gamma), margins, strict=True):
            _sale_with_cost(unit, product, day, "100", str(100 - margin))
    _sale_with_cost(alpha, product, add_months(end, -10), "100", "99")  # before the quarters
    _sale_with_cost(gamma, product, add_months(end, -1), "-50", "-10")  # a return: not costed
    Unit.objects.filter(pk__in=[alpha.pk, beta.pk]).update(tier=Tier.KEY)
    keys = [alpha.pk, beta.pk]
    account_revenue_refresh(today=today)
    kept = programme._margin_sums(today, keys)
    monkeypatch.setattr(programme, "account_revenue_current", lambda today: False)
    live = programme._margin_sums(today, keys)
    assert kept == live
    sums, totals = kept
    assert sums[(beta.pk, 1)] == [100, 75] and (alpha.pk, 0) in sums
    assert totals == {0: [300, 220], 1: [300, 225], 2: [300, 230]}
    risk = programme.margin_erosion(as_of=today, key_ids=keys)
    monkeypatch.undo()
    assert programme.margin_erosion(as_of=today, key_ids=keys) == risk
    # beta falls in both quarters; alpha holds once; the non-key account holds at 20 %
    assert risk.accounts == [beta.pk]


def test_the_revenue_metric_reads_the_kept_sums_of_both_windows(
    three, django_assert_num_queries
) -> None:
    """Decision 123: ``sales.revenue_12m`` of today's window and of the window a year before
    comes from the kept row when every account asked has a current one, the same figures as
    the roll-ups; a stale row sends it back to the roll-ups."""
    from kam.sales.metrics import revenue_12m_values, rollup_sums

    alpha, beta, gamma, _site, _product = three
    today = timezone.localdate()
    ids = [alpha.pk, beta.pk, gamma.pk]
    year_ago = today - dt.timedelta(days=365)
    account_revenue_refresh(today=today)
    with django_assert_num_queries(1):
        now = revenue_12m_values(ids, today)
    with django_assert_num_queries(1):
        before = revenue_12m_values(ids, year_ago)
    assert now == {pk: rollup_sums(ids, today).get(pk, {}).get("revenue", 0) for pk in ids}
    assert now == {alpha.pk: 100, beta.pk: 300, gamma.pk: 200}
    assert before[gamma.pk] == 9000
    AccountRevenue.objects.filter(account=beta).update(month=None)
    with django_assert_num_queries(2):  # the kept rows, then the roll-ups
        assert revenue_12m_values(ids, today) == now


def test_the_stage_rules_read_revenue_and_prior_from_the_kept_sums(
    three, django_assert_num_queries
) -> None:
    """The relationship stage's inputs (``revenue_and_prior``) come from the kept rows when
    they are current (one query, no roll-ups), with the roll-ups' figures; a stale row sends
    them back to the roll-ups."""
    from kam.sales.metrics import revenue_and_prior, rollup_sums

    alpha, beta, gamma, _site, product = three
    _sell(gamma, "40", product, day=add_months(_last_month(), -12))  # the prior year
    today = timezone.localdate()
    ids = [alpha.pk, beta.pk, gamma.pk]
    account_revenue_refresh(today=today)
    live = {
        pk: {"revenue": s["revenue"], "prior": s["prior"]}
        for pk, s in rollup_sums(ids, today).items()
    }
    with django_assert_num_queries(1) as queries:
        kept = revenue_and_prior(ids, today)
    assert "sales_monthlyrollup" not in queries.captured_queries[0]["sql"]
    assert kept == live
    assert kept[gamma.pk] == {"revenue": 200, "prior": 9040}  # 9,000 thirteen months back
    AccountRevenue.objects.filter(account=beta).update(month=None)
    with django_assert_num_queries(2):  # the kept rows, then the roll-ups
        assert revenue_and_prior(ids, today) == live


def test_a_page_reads_revenue_and_prior_once_for_both_figures(
    three, django_assert_num_queries
) -> None:
    """The account page's stage rules read revenue and prior, its share of wallet and revenue
    panel read the revenue: one read of the kept rows while the page reads."""
    from kam.core.metrics import reading
    from kam.sales.metrics import revenue_12m_values, revenue_and_prior

    alpha, beta, gamma, _site, _product = three
    today = timezone.localdate()
    ids = [alpha.pk, beta.pk, gamma.pk]
    account_revenue_refresh(today=today)
    with reading():
        with django_assert_num_queries(1):
            both = revenue_and_prior(ids, today)
        with django_assert_num_queries(0):
            revenue = revenue_12m_values([gamma.pk], today)
    assert revenue == {gamma.pk: both[gamma.pk]["revenue"]} == {gamma.pk: 200}
