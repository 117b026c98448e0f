"""``kam backtest``: how much of the next period's revenue the model's top-K picked."""

from __future__ import annotations

from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from kam.core.errors import DomainError
from kam.identification.selectors import backtest

from ._common import parse_date, pick_model


class Command(BaseCommand):
    help = (
        "Score on data up to --as-of and compare the following period's revenue of the model's "
        "top-K with the naive top-K (last-12-month revenue) and the best possible top-K."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="score on data up to this date")
        parser.add_argument("--horizon-months", type=int, default=12, help="months to look ahead")
        parser.add_argument("--top", type=int, default=10, help="K: accounts picked")
        parser.add_argument("--model", type=int, help="scoring model version (default: active)")

    def handle(self, *args, **options):
        as_of = parse_date(options["as_of"])
        assert as_of is not None  # --as-of is a required option
        if options["top"] <= 0:
            raise CommandError("--top: K must be a positive number.")
        if options["horizon_months"] <= 0:
            raise CommandError("--horizon-months must be at least 1.")
        model = pick_model(options["model"])
        try:
            result = backtest(
                as_of=as_of,
                horizon_months=options["horizon_months"],
                top=options["top"],
                model=model,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        start, end = result["period"]
        console = Console(file=cast(TextIO, self.stdout), highlight=False, width=120)
        console.print(
            f"Backtest of {model}: scored {result['accounts']} accounts on data up to "
            f"{as_of}; revenue {start} – {end} (exclusive): {result['total']:,.2f}."
        )
        table = Table("pick", f"top {result['top']} revenue", "% of total", "accounts")
        for label, key in (
            ("model", "model"),
            ("naive (last 12 months)", "naive"),
            ("best possible", "best"),
        ):
            pick = result[key]
            table.add_row(
                label,
                f"{pick['amount']:,.2f}",
                f"{pick['pct']:.1f}%",
                ", ".join(pick["accounts"][:5]) + (" …" if len(pick["accounts"]) > 5 else ""),
            )
        console.print(table)
        for account_id, reason in sorted(result["skipped"].items()):
            console.print(f"Skipped account id {account_id}: {reason}", markup=False)
