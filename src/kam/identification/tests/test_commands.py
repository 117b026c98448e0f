import datetime as dt
import json
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


def test_backtest_captures_on_a_hand_built_portfolio(history):
    """Revenue capture against the best possible K, growth capture against the best growth K
    (growth = the 12 months after the cut-off minus the 12 before it)."""
    result = backtest(as_of=AS_OF, horizon_months=12, tops=[1, 2], model=history)
    assert result["period"] == (dt.date(2025, 7, 1), dt.date(2026, 7, 1))
    assert result["population"] == 4
    one, two = result["results"]
    names = {key: [a["name"] for a in pick["accounts"]] for key, pick in one["picks"].items()}
    assert names == {
        "model": ["Growing"],
        "naive": ["Big"],
        "best_revenue": ["Newcomer"],
        "best_growth": ["Newcomer"],
    }
    # model: 900 / 1200; growth (900 − 400) / (1200 − 10)
    assert one["picks"]["model"]["revenue_capture"] == 0.75
    assert one["picks"]["model"]["growth_capture"] == round(500 / 1190, 4)
    # naive: 500 / 1200; growth (500 − 1000) / 1190
    assert one["picks"]["naive"]["revenue_capture"] == round(500 / 1200, 4)
    assert one["picks"]["naive"]["growth_capture"] == round(-500 / 1190, 4)
    assert one["picks"]["best_revenue"]["revenue_capture"] == 1.0
    assert one["overlap"] == 0
    # K = 2: model Growing + Medium = 1200 of the best 2100; growth 500 − 300 of 1190 + 500
    assert two["picks"]["model"]["revenue_capture"] == round(1200 / 2100, 4)
    assert two["picks"]["model"]["growth_capture"] == round(200 / 1690, 4)
    assert two["picks"]["naive"]["revenue_capture"] == round(800 / 2100, 4)
    assert two["overlap"] == 1  # Medium
    with pytest.raises(DomainError):
        backtest(as_of=AS_OF, tops=[0], model=history)


def test_backtest_population_is_the_accounts_that_existed_at_the_cut_off(history, sell):
    late = make_unit("Late")  # created today, long after the cut-off, sells only later
    sell(late, 50000, NEXT)
    make_unit("Prospect")  # created today, no sales at all
    result = backtest(as_of=AS_OF, tops=[10], model=history)
    assert result["population"] == 4
    picked = {a["name"] for a in result["results"][0]["picks"]["best_revenue"]["accounts"]}
    assert picked == {"Big", "Growing", "Medium", "Newcomer"}


def test_backtest_command_prints_the_picks(history):
    out = StringIO()
    call_command("backtest", "--as-of", "2025-06-30", "--top", "1,2", "--model", "100", stdout=out)
    text = out.getvalue()
    assert "4 accounts existed on 2025-06-30" in text
    assert "(exclusive): 2,900.00." in text
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines()]
    rows = {(row[0], row[1]): row[2:5] for row in cells if len(row) == 6}
    assert rows[("2", "model")] == ["0.571", "0.118", "1,200.00"]
    assert rows[("2", "naive (last 12 months)")] == ["0.381", "-0.473", "800.00"]
    assert rows[("2", "best possible (revenue)")][0] == "1.000"
    assert rows[("2", "overlap model / naive")][-1] == ""
    assert not ScoringRun.objects.exists()  # a backtest saves nothing


def test_backtest_json_has_the_shape_of_the_issue(history):
    out = StringIO()
    call_command(
        "backtest", "--as-of", "2025-06-30", "--top", "1,2", "--horizon-months", "6",
        "--model", "100", "--json", stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    assert set(data) == {"as_of", "horizon_months", "population", "results"}
    assert (data["as_of"], data["horizon_months"], data["population"]) == ("2025-06-30", 6, 4)
    assert [r["top"] for r in data["results"]] == [1, 2]
    picks = data["results"][0]["picks"]
    assert set(picks) == {"model", "naive", "best_revenue", "best_growth"}
    for pick in picks.values():
        assert set(pick) == {"revenue_capture", "growth_capture", "accounts"}
        assert isinstance(pick["revenue_capture"], float)
        assert set(pick["accounts"][0]) == {"external_id", "name"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "30.06.2025"], "--as-of: '30.06.2025' is not a date; use YYYY-MM-DD."),
        (["--as-of", "9999-12-31"], "--as-of: 9999-12-31 is in the future"),
        (["--as-of", "2025-06-30", "--top", "0"], "--top: K must be a positive number."),
        (["--as-of", "2025-06-30", "--top", "a,b"], "--top: 'a,b' is not a list of numbers"),
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
