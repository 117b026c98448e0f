"""One account's bad stored data (written behind the app's back) never fails a whole run."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from kam.identification.facts import accounts_mark_stale
from kam.identification.models import AccountScore, RunStatus
from kam.identification.services import scoring_run_execute
from kam.sales.models import MonthlyRollup, Transaction
from kam.testing.factories import make_unit

from .conftest import make_model

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 10)


@pytest.fixture
def portfolio(sell):
    good, bad = make_unit("Good Ltd"), make_unit("Broken Ltd")
    sell(good, 1000, DAY)
    sell(bad, 500, DAY)
    return good, bad, make_model([("revenue", "potential", "revenue_12m", "percentile", 1)])


def _raw(sql: str, params: list) -> None:
    """Write behind validation, as a database tool or an old version could have done."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _far_future_sale(unit) -> None:
    tx = Transaction.objects.get(unit=unit)
    _raw("UPDATE sales_transaction SET date = %s WHERE id = %s", ["9999-12-31", tx.pk])
    _raw("UPDATE sales_monthlyrollup SET month = %s WHERE unit_id = %s", ["9999-12-01", unit.pk])
    accounts_mark_stale(unit_ids=[unit.pk])


def test_a_sale_in_year_9999_skips_that_account_and_scores_the_rest(portfolio):
    good, bad, model = portfolio
    _far_future_sale(bad)
    run = scoring_run_execute(model=model, as_of=dt.date(2025, 6, 30))
    assert run.status == RunStatus.DONE
    assert list(AccountScore.objects.filter(run=run).values_list("account_id", flat=True)) == [
        good.pk
    ]
    assert [(s["account_id"], s["name"]) for s in run.skipped] == [(bad.pk, "Broken Ltd")]
    assert "9999-12" in run.skipped[0]["reason"]


@pytest.mark.sqlite_only  # PostgreSQL refuses to store such an amount in the first place
def test_a_huge_stored_amount_skips_that_account(portfolio):
    good, bad, model = portfolio
    _raw(
        "UPDATE sales_monthlyrollup SET net_amount = %s WHERE unit_id = %s",
        ["1e30", bad.pk],
    )
    accounts_mark_stale(unit_ids=[bad.pk])
    run = scoring_run_execute(model=model, as_of=dt.date(2025, 6, 30))
    assert run.status == RunStatus.DONE
    assert [s["account_id"] for s in run.skipped] == [bad.pk]
    assert AccountScore.objects.filter(run=run).count() == 1


def test_the_account_is_scored_again_once_repaired(portfolio):
    good, bad, model = portfolio
    _far_future_sale(bad)
    scoring_run_execute(model=model, as_of=dt.date(2025, 6, 30))
    _raw("UPDATE sales_monthlyrollup SET month = %s WHERE unit_id = %s", ["2025-03-01", bad.pk])
    run = scoring_run_execute(model=model, as_of=dt.date(2025, 6, 30))
    assert run.skipped == []
    assert AccountScore.objects.filter(run=run).count() == 2
    assert MonthlyRollup.objects.count() == 2


def test_the_score_command_and_the_scores_page_list_the_skipped_account(portfolio, client_for):
    _good, bad, _model = portfolio
    _far_future_sale(bad)
    out = StringIO()
    call_command("score", "--as-of", "2025-06-30", stdout=out)
    assert f"Skipped account Broken Ltd (id {bad.pk})" in out.getvalue()
    html = client_for("admin").get(reverse("identification:scores")).content.decode()
    skipped = html.split('id="run-skipped"')[1]
    assert "Broken Ltd" in skipped
    assert "9999-12" in skipped


def test_a_backtest_leaves_the_account_out_and_says_so(portfolio):
    from kam.identification.selectors import backtest

    good, bad, model = portfolio
    _far_future_sale(bad)
    result = backtest(as_of=dt.date(2025, 6, 30), horizon_months=3, tops=[1], model=model)
    assert result["population"] == 1
    assert list(result["skipped"]) == [bad.pk]
    out = StringIO()
    call_command(
        "backtest", "--as-of", "2025-06-30", "--horizon-months", "3", "--top", "1", stdout=out
    )
    assert f"Skipped account id {bad.pk}" in out.getvalue()
