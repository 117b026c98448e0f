"""The health backtest on a hand-built history where the answer is known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from kam.health.backtest import auc, run
from kam.health.models import BacktestResult
from kam.relationships.models import BuyingRole
from kam.sales.models import MonthlyRollup
from kam.testing.factories import ContactFactory, ProductLineFactory, make_unit

from .conftest import meet

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 6, 30)


def test_auc_matches_the_textbook_cases() -> None:
    assert auc([True, False], [1.0, 0.0]) == 1.0
    assert auc([True, False], [0.0, 1.0]) == 0.0
    assert auc([True, False, True, False], [1.0, 1.0, 1.0, 1.0]) == 0.5
    assert auc([True, True], [1.0, 2.0]) is None


def _account(name: str, contact: bool, falls: bool) -> None:
    account = make_unit(name)
    line = ProductLineFactory()
    decider = ContactFactory()
    BuyingRole.objects.create(account=account, contact=decider, role="decider")
    if contact:  # weekly contact with the decider for a year
        for week in range(52):
            meet(account, AS_OF - dt.timedelta(days=7 * week), contacts=(decider,))
    for m in range(1, 13):  # Jan–Jun 2025 before, Jul–Dec 2025 after
        month = dt.date(2025, m, 1)
        amount = Decimal(1000) if m <= 6 or not falls else Decimal(300)
        MonthlyRollup.objects.create(
            account=account, unit=account, product_line=line, month=month, net_amount=amount
        )


def test_neglected_accounts_that_fell_are_found_by_health() -> None:
    for i in range(3):
        _account(f"Kept {i}", contact=True, falls=False)
        _account(f"Neglected {i}", contact=False, falls=True)
    result = run(as_of=AS_OF, horizon_months=6)
    assert result["accounts"] == 6
    assert result["fell"] == 3
    assert result["auc"] == 1.0
    assert result["precision_poor"] == 1.0
    poor = next(r for r in result["by_grade"] if r["grade"] == "poor")
    assert poor == {"grade": "poor", "accounts": 3, "fell": 3, "fall_rate": 1.0}
    assert result["baseline"]["auc"] == 1.0  # recency alone finds them too here
    assert result["verdict"] == "tie"


def test_the_command_prints_json_and_keeps_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    _account("Kept", contact=True, falls=False)
    _account("Neglected", contact=False, falls=True)
    call_command("health-backtest", "--as-of", AS_OF.isoformat(), "--json")
    out = capsys.readouterr().out
    assert '"auc": 1.0' in out
    assert BacktestResult.objects.get().result["accounts"] == 2


def test_the_command_refuses_bad_dates() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a date"):
        call_command("health-backtest", "--as-of", "yesterday")
    with pytest.raises(CommandError, match="nothing to check"):
        call_command("health-backtest", "--as-of", AS_OF.isoformat())
