"""``kam backtest``: the model's top K against the naive and the best possible picks.

Revenue capture and growth capture for several K at once, on the accounts that existed at the
cut-off (decision 85); ``--json`` prints the same as JSON.
"""

from __future__ import annotations

import json
from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from kam.core.errors import DomainError
from kam.identification.selectors import backtest, backtest_json
from kam.identification.services import backtest_store

from ._common import parse_date, pick_model

LABELS = {
    "model": "model",
    "naive": "naive (last 12 months)",
    "best_revenue": "best possible (revenue)",
    "best_growth": "best possible (growth)",
}


def parse_tops(value: str) -> list[int]:
    try:
        tops = [int(part) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"--top: '{value}' is not a list of numbers, e.g. 20,50,100.") from exc
    if not tops or min(tops) <= 0:
        raise CommandError("--top: K must be a positive number.")
    return tops


class Command(BaseCommand):
    help = (
        "Score on data up to --as-of the accounts that existed then and compare the following "
        "period of the model's top K with the naive top K (last-12-month revenue) and the best "
        "possible top K: revenue capture, growth capture, overlap."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="score on data up to this date")
        parser.add_argument("--horizon-months", type=int, default=12, help="months to look ahead")
        parser.add_argument(
            "--top", default="20,50,100", help="K, accounts picked; several with commas"
        )
        parser.add_argument("--model", type=int, help="scoring model version (default: active)")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        as_of = parse_date(options["as_of"])
        assert as_of is not None  # --as-of is a required option
        tops = parse_tops(str(options["top"]))
        if options["horizon_months"] <= 0:
            raise CommandError("--horizon-months must be at least 1.")
        model = pick_model(options["model"])
        try:
            result = backtest(
                as_of=as_of, horizon_months=options["horizon_months"], tops=tops, model=model
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        backtest_store(result=result)  # the dashboard shows the latest
        if options["json"]:
            self.stdout.write(json.dumps(backtest_json(result), ensure_ascii=False, indent=2))
            return
        start, end = result["period"]
        console = Console(file=cast(TextIO, self.stdout), highlight=False, width=140)
        console.print(
            f"Backtest of {model}: {result['population']} accounts existed on {as_of}; "
            f"revenue {start} – {end} (exclusive): {result['total']:,.2f}."
        )
        table = Table("K", "pick", "revenue capture", "growth capture", "revenue", "accounts")
        for row in result["results"]:
            for key, label in LABELS.items():
                pick = row["picks"][key]
                names = [a["name"] for a in pick["accounts"]]
                table.add_row(
                    str(row["top"]),
                    label,
                    f"{pick['revenue_capture']:.3f}",
                    f"{pick['growth_capture']:.3f}",
                    f"{pick['revenue']:,.2f}",
                    ", ".join(names[:4]) + (" …" if len(names) > 4 else ""),
                )
            table.add_row(str(row["top"]), "overlap model / naive", "", "", "", str(row["overlap"]))
        console.print(table)
        for account_id, reason in sorted(result["skipped"].items()):
            console.print(f"Skipped account id {account_id}: {reason}", markup=False)
