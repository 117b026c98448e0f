import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kam.core.errors import DomainError
from kam.identification.models import ScoringRun
from kam.identification.selectors import backtest
from kam.testing.factories import make_unit

from .conftest import make_model

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 6, 30)
LAST, PRIOR, NEXT = dt.date(2025, 3, 1), dt.date(2024, 3, 1), dt.date(2025, 9, 1)


@pytest.fixture
def history(sell):
    """Revenue (last 12, prior 12, following 12 months) of four accounts."""
    for name, last, prior, future in [
        ("Big", 1000, 1000, 500),
        ("Growing", 400, 100, 900),
        ("Medium", 600, 500, 300),
        ("Newcomer", 10, 0, 1200),
    ]:
        account = make_unit(name)
        for day, amount in ((LAST, last), (PRIOR, prior), (NEXT, future)):
            if amount:
                sell(account, amount, day)
        sell(account, 99999, dt.date(2026, 8, 1))  # after the horizon
    return make_model([("growth", "potential", "growth", "percentile", 1)])


def test_backtest_numbers_on_a_constructed_dataset(history):
    result = backtest(as_of=AS_OF, horizon_months=12, top=1, model=history)
    assert result["period"] == (dt.date(2025, 7, 1), dt.date(2026, 7, 1))
    assert result["total"] == Decimal("2900")
    assert (result["model"]["accounts"], result["model"]["amount"]) == (["Growing"], 900)
    assert (result["naive"]["accounts"], result["naive"]["amount"]) == (["Big"], 500)
    assert (result["best"]["accounts"], result["best"]["amount"]) == (["Newcomer"], 1200)
    assert (result["model"]["pct"], result["naive"]["pct"], result["best"]["pct"]) == (
        31.03,
        17.24,
        41.38,
    )
    two = backtest(as_of=AS_OF, top=2, model=history)
    assert two["model"]["accounts"] == ["Growing", "Medium"]
    assert two["model"]["amount"] == 1200
    assert two["naive"]["amount"] == 800
    assert two["best"]["amount"] == 2100
    with pytest.raises(DomainError):
        backtest(as_of=AS_OF, top=0, model=history)


def test_backtest_command_prints_the_three_picks(history):
    out = StringIO()
    call_command("backtest", "--as-of", "2025-06-30", "--top", "2", "--model", "100", stdout=out)
    text = out.getvalue()
    assert "(exclusive): 2,900.00." in text
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines()]
    rows = {row[0]: row[1:3] for row in cells if len(row) == 4}
    assert rows["model"] == ["1,200.00", "41.4%"]
    assert rows["naive (last 12 months)"] == ["800.00", "27.6%"]
    assert rows["best possible"] == ["2,100.00", "72.4%"]
    assert not ScoringRun.objects.exists()  # a backtest saves nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "30.06.2025"], "--as-of: '30.06.2025' is not a date; use YYYY-MM-DD."),
        (["--as-of", "9999-12-31"], "--as-of: 9999-12-31 is in the future"),
        (["--as-of", "2025-06-30", "--top", "0"], "--top: K must be a positive number."),
        (["--as-of", "2025-06-30", "--model", "77"], "--model: there is no scoring model"),
        (["--as-of", "2025-06-30"], "There are no accounts to score."),
    ],
)
def test_backtest_bad_input_is_one_line(args, message):
    with pytest.raises(CommandError) as err:
        call_command("backtest", *args, stdout=StringIO())
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_score_command_runs_and_summarises(history):
    out = StringIO()
    call_command("score", "--as-of", "2025-06-30", "--model", "100", stdout=out)
    run = ScoringRun.objects.get()
    assert (run.status, run.as_of, run.accounts_count) == ("done", AS_OF, 4)
    text = out.getvalue()
    assert "Scored 4 accounts" in text
    assert "Growing" in text
    call_command("score", stdout=StringIO())  # the active default model, today
    assert ScoringRun.objects.filter(model__version=1, status="done").count() == 1


def test_score_recompute_facts_picks_up_data_written_behind_openkams_back(history):
    from kam.identification.models import AccountScore
    from kam.sales.models import MonthlyRollup

    call_command("score", "--as-of", "2025-06-30", "--model", "100", stdout=StringIO())
    big = AccountScore.objects.get(account__name="Big")
    assert big.revenue_12m == 1000
    # a raw SQL load into the roll-ups sends no signal: the facts do not know it yet
    MonthlyRollup.objects.filter(account__name="Big", month=LAST).update(net_amount=5000)
    call_command("score", "--as-of", "2025-06-30", "--model", "100", stdout=StringIO())
    assert AccountScore.objects.filter(account__name="Big").latest("run_id").revenue_12m == 1000
    out = StringIO()
    call_command(
        "score", "--as-of", "2025-06-30", "--model", "100", "--recompute-facts", stdout=out
    )
    assert "Computed the scoring facts of 4 accounts" in out.getvalue()
    assert AccountScore.objects.filter(account__name="Big").latest("run_id").revenue_12m == 5000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2025-13-01"], "--as-of: '2025-13-01' is not a date"),
        (["--as-of", "9999-12-31"], "--as-of: 9999-12-31 is in the future"),
        (["--model", "42"], "--model: there is no scoring model version 42."),
        ([], "There are no accounts to score"),
    ],
)
def test_score_bad_input_is_one_line(args, message):
    with pytest.raises(CommandError) as err:
        call_command("score", *args, stdout=StringIO())
    assert str(err.value).startswith(message)
