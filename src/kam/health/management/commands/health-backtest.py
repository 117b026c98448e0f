"""``kam health-backtest --as-of DATE --horizon-months 6 [--json]``: does the health grade
predict a revenue fall of ≥ 20 %? Prints AUC, precision of "poor" and a table by grade next
to a baseline of recency alone, and keeps the result for the health page."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.health.backtest import run
from kam.health.services import backtest_store

from ._dates import parse_date


class Command(BaseCommand):
    help = "Check how well the health grade predicted a revenue fall of 20 % or more."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", required=True, help="compute health with data up to DATE")
        parser.add_argument("--horizon-months", type=int, default=6, help="months after DATE")
        parser.add_argument("--key-only", action="store_true", help="key accounts only")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--no-store", action="store_true", help="do not keep the result")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_date(options["as_of"])
        assert as_of is not None
        horizon = options["horizon_months"]
        if not 1 <= horizon <= 36:
            raise CommandError("--horizon-months: give 1 to 36 months.")
        result = run(as_of=as_of, horizon_months=horizon, key_only=options["key_only"])
        if not result["accounts"]:
            raise CommandError(
                f"No account had revenue in the {horizon} months up to {as_of}: nothing to check."
            )
        if not options["no_store"]:
            backtest_store(as_of=as_of, horizon_months=horizon, result=result)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        out = self.stdout.write
        out(f"Health as of {result['as_of']}, revenue over the next {horizon} months")
        if not result["horizon_complete"]:
            out("  (the horizon is not over yet: later months count as zero revenue)")
        out(f"  accounts {result['accounts']}, revenue fell ≥ 20 %: {result['fell']}")
        out(f"  AUC of the health score: {result['auc']}")
        out(f"  AUC of recency alone:    {result['baseline']['auc']}")
        out(
            f"  precision of 'poor': {result['precision_poor']} ({result['poor']} accounts); "
            f"least recent as many: {result['baseline']['precision_lowest']}"
        )
        out("  grade   accounts  fell  rate")
        for row in result["by_grade"]:
            out(f"  {row['grade']:<7} {row['accounts']:>8} {row['fell']:>5}  {row['fall_rate']}")
        out(f"  verdict: {result['verdict']}")
