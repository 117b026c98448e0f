"""The demo's last stage for the executive dashboard: a selection backtest is run and its
summary kept (the same cut-off and horizon as the health backtest), so the dashboard shows
both backtests; the dashboard itself is computed on first view (``make demo`` scores after the
build, which marks it stale anyway)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.identification.models import SelectionBacktest
from kam.identification.selectors import backtest
from kam.identification.services import backtest_store

from .health import HORIZON, backtest_day

TOPS = (20, 50, 100)


def make_selection_backtest(builder: Any) -> dict[str, int]:
    """Run and keep one selection backtest; returns counts for the summary."""
    builder.rep.stage(_("Selection backtest for the dashboard"), None)
    SelectionBacktest.objects.all().delete()
    try:
        result = backtest(as_of=backtest_day(builder.today), horizon_months=HORIZON, tops=TOPS)
    except DomainError:  # no active model or no account at the cut-off: "not run yet"
        return {"selection_backtests": 0}
    backtest_store(result=result)
    return {"selection_backtests": 1}
