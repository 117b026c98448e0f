"""The kept list-price sums behind ``sales.discount_pct`` (decision 122): equal to a direct
computation from the raw sales, marked stale by the writers of sales, list prices and currency
rates, refreshed by a reader for a few accounts and by the worker for many."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from kam.customers.models import Tier, Unit
from kam.customers.services import unit_move
from kam.dataio.services import import_file
from kam.programme.selectors import buyer_power
from kam.sales import discounts
from kam.sales.discounts import discounts_refresh, discounts_refresh_due, discounts_stale
from kam.sales.metrics import discount_pct_values, full_months_window
from kam.sales.models import CurrencyRate, KeptDiscount, ListPrice, Transaction
from kam.sales.services import currency_rate_save, list_price_save, transactions_create
from kam.testing.factories import ProductFactory, make_unit

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 30)


def _sale(unit, product, day, qty, net) -> None:
    transactions_create(
        rows=[
            {
                "date": day,
                "unit_id": unit.pk,
                "product_id": product.pk,
                "quantity": Decimal(qty),
                "net_amount": Decimal(net),
            }
        ]
    )


def _direct(account_ids: list[int], as_of: dt.date) -> dict[int, Decimal]:
    """The discount straight from the raw sales, as decision 105 defines it."""
    start, end = full_months_window(as_of)
    prices = defaultdict(list)
    for p in ListPrice.objects.order_by("valid_from"):
        prices[p.product_id].append(p)
    rates = list(CurrencyRate.objects.all())
    out = {}
    for pk in account_ids:
        account = Unit.objects.get(pk=pk)
        net = listed = Decimal(0)
        for t in Transaction.objects.filter(
            unit__path__startswith=account.path, date__gte=start, date__lt=end, quantity__gt=0
        ):
            valid = [p for p in prices[t.product_id] if p.valid_from <= t.date]
            if not valid:
                continue
            price = valid[-1]
            rate = Decimal(1)
            if price.currency != "EUR":
                found = [
                    r.rate
                    for r in rates
                    if r.currency == price.currency
                    and r.valid_from <= t.date
                    and (r.valid_to is None or t.date <= r.valid_to)
                ]
                if not found:
                    continue
                rate = found[-1]
            net += t.net_amount
            listed += t.quantity * price.price * rate
        if listed > 0:
            out[pk] = (100 * (1 - net / listed)).quantize(Decimal("0.01"))
    return out


@pytest.fixture
def priced(settings):
    """Three accounts with sub-units, priced and unpriced products, two price periods and a
    price in another currency; sales over two years."""
    settings.KAM_CURRENCY = "EUR"
    accounts = [make_unit(name) for name in ("A", "B", "C")]
    sites = [make_unit(f"{a.name} site", parent=a) for a in accounts]
    bolt, nut, unpriced = ProductFactory(), ProductFactory(), ProductFactory()
    list_price_save(product_id=bolt.pk, valid_from=dt.date(2024, 1, 1), price="10")
    list_price_save(product_id=bolt.pk, valid_from=dt.date(2026, 6, 1), price="12")
    list_price_save(product_id=nut.pk, valid_from=dt.date(2024, 1, 1), price="2", currency="USD")
    currency_rate_save(currency="USD", valid_from=dt.date(2024, 1, 1), rate="0.5")
    for i, (account, site) in enumerate(zip(accounts, sites, strict=True)):
        for month in range(1, 24):
            day = dt.date(2024 + (month + 11) // 12, (month + 11) % 12 + 1, 5 + i)
            _sale(account, bolt, day, str(3 + i), str(27 + month))
            _sale(site, nut, day, "10", str(8 + i))
            _sale(site, unpriced, day, "1", "500")
    return accounts, bolt


def test_kept_discounts_equal_the_direct_computation(priced) -> None:
    accounts, _bolt = priced
    ids = [a.pk for a in accounts]
    for as_of in (AS_OF, dt.date(2025, 11, 30), dt.date(2026, 6, 15)):
        kept = discount_pct_values(ids, as_of)
        assert kept == _direct(ids, as_of)
        assert len(kept) == 3
    assert discounts_stale(ids) == []


def test_a_new_sale_marks_its_account_and_the_next_read_includes_it(priced) -> None:
    accounts, bolt = priced
    ids = [a.pk for a in accounts]
    before = discount_pct_values(ids, AS_OF)
    _sale(accounts[0], bolt, dt.date(2026, 10, 1), "100", "500")  # half the list price
    assert discounts_stale(ids) == [accounts[0].pk]
    after = discount_pct_values(ids, AS_OF)
    assert Decimal(str(after[accounts[0].pk])) > Decimal(str(before[accounts[0].pk])) + 10
    assert after == _direct(ids, AS_OF)
    assert after[accounts[1].pk] == before[accounts[1].pk]


@pytest.mark.parametrize("how", ["service", "import", "rate"])
def test_a_list_price_or_rate_marks_every_kept_account(priced, how: str, tmp_path) -> None:
    accounts, bolt = priced
    ids = [a.pk for a in accounts]
    before = discount_pct_values(ids, AS_OF)
    if how == "service":
        list_price_save(product_id=bolt.pk, valid_from=dt.date(2026, 9, 1), price="20")
    elif how == "import":
        path = tmp_path / "prices.csv"
        path.write_text(f"product,valid_from,price\n{bolt.sku},2026-09-01,20\n")
        report = import_file(entity="list-prices", path=path)
        assert not report.errors and report.created == 1, report
    else:
        CurrencyRate.objects.all().delete()
        currency_rate_save(currency="USD", valid_from=dt.date(2024, 1, 1), rate="2")
    assert discounts_stale(ids) == ids
    after = discount_pct_values(ids, AS_OF)
    assert after == _direct(ids, AS_OF)
    assert all(after[pk] != before[pk] for pk in ids)


def test_moving_a_unit_marks_both_accounts(priced) -> None:
    accounts, _bolt = priced
    ids = [a.pk for a in accounts]
    discount_pct_values(ids, AS_OF)
    site = Unit.objects.get(name="A site")
    unit_move(unit=site, new_parent=accounts[1])
    assert discounts_stale(ids) == ids[:2]
    assert discount_pct_values(ids, AS_OF) == _direct(ids, AS_OF)


def test_many_stale_accounts_are_read_as_kept_and_left_to_the_worker(
    priced, monkeypatch, django_assert_max_num_queries
) -> None:
    accounts, bolt = priced
    ids = [a.pk for a in accounts]
    new = make_unit("D", tier=Tier.KEY)
    _sale(new, bolt, dt.date(2026, 10, 1), "1", "5")
    kept = discount_pct_values(ids, AS_OF)
    monkeypatch.setattr(discounts, "INLINE", 1)
    list_price_save(product_id=bolt.pk, valid_from=dt.date(2026, 9, 1), price="20")
    # four stale (three marked, one never kept): the read refreshes none of them (the stale
    # ones, a savepoint around registering the new one, the sums)
    with django_assert_max_num_queries(5):
        values = discount_pct_values([*ids, new.pk], AS_OF)
    assert values == kept  # the figures last kept; the new account has none yet
    assert discounts_stale([*ids, new.pk]) == [*ids, new.pk]
    power = buyer_power(as_of=AS_OF, key_ids=[*ids, new.pk])
    assert "4 key accounts are being" in power.summary
    assert discounts_refresh_due() == 4
    assert discounts_stale([*ids, new.pk]) == []
    assert discount_pct_values([*ids, new.pk], AS_OF) == _direct([*ids, new.pk], AS_OF)


def test_the_worker_keeps_every_key_account(priced) -> None:
    accounts, bolt = priced
    key = make_unit("K", tier=Tier.KEY)
    _sale(key, bolt, dt.date(2026, 10, 1), "1", "5")
    assert discounts_refresh_due() == 1  # the key account only: A, B, C are transactional
    assert KeptDiscount.objects.get(pk=key.pk).current
    assert not KeptDiscount.objects.filter(pk__in=[a.pk for a in accounts]).exists()
    assert discounts_refresh_due() == 0


def test_reading_current_accounts_takes_two_queries_whatever_their_number(
    priced, django_assert_num_queries
) -> None:
    accounts, bolt = priced
    more = [make_unit(f"E{i}") for i in range(10)]
    for unit in more:
        _sale(unit, bolt, dt.date(2026, 10, 1), "2", "18")
    ids = [a.pk for a in [*accounts, *more]]
    discounts_refresh(account_ids=ids)
    with django_assert_num_queries(2):
        values = discount_pct_values(ids[:3], AS_OF)
    assert len(values) == 3
    with django_assert_num_queries(2):
        values = discount_pct_values(ids, AS_OF)
    assert len(values) == 13 and values[more[0].pk] == Decimal("25.00")  # 18 for 2 × 12
