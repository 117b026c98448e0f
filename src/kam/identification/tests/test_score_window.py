"""``kam score`` on a window without sales stops and names the date to use (decision 56)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kam.identification.models import ScoringRun
from kam.testing.factories import make_unit

from .conftest import make_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_sales(sell):
    account = make_unit("Retailer")
    sell(account, 100, dt.date(2011, 12, 9))
    return make_model([("revenue", "potential", "revenue_12m", "percentile", 1)])


def test_no_sales_in_the_window_stops_with_the_latest_date(old_sales):
    with pytest.raises(CommandError) as err:
        call_command("score", "--as-of", "2026-06-30", "--model", "100", stdout=StringIO())
    message = str(err.value)
    assert "latest transaction is on 2011-12-09: use --as-of 2011-12-31" in message
    assert "2025-07-01 and 2026-06-30" in message
    assert "\n" not in message
    assert not ScoringRun.objects.exists()


def test_the_suggested_date_scores_the_sales(old_sales):
    out = StringIO()
    call_command("score", "--as-of", "2011-12-31", "--model", "100", stdout=out)
    assert "Scored 1 accounts" in out.getvalue()


def test_allow_no_sales_warns_and_scores(old_sales):
    err = StringIO()
    call_command(
        "score",
        "--as-of",
        "2026-06-30",
        "--model",
        "100",
        "--allow-no-sales",
        stdout=StringIO(),
        stderr=err,
    )
    assert "Warning:" in err.getvalue() and "2011-12-09" in err.getvalue()
    assert ScoringRun.objects.get().status == "done"


def test_no_transactions_at_all_is_said(db):
    make_unit("Retailer")
    make_model([("revenue", "potential", "revenue_12m", "percentile", 1)])
    with pytest.raises(CommandError, match="no transactions at all"):
        call_command("score", "--model", "100", stdout=StringIO())
