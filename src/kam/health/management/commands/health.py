"""``kam health``: recompute relationship health (the stale accounts, or all of them)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.core.errors import DomainError
from kam.health.services import health_history_build, health_refresh

from ._dates import parse_date


class Command(BaseCommand):
    help = (
        "Recompute the health of the accounts whose data changed (--all: every account; "
        "--history N: also the last N months of history)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="recompute every account")
        parser.add_argument(
            "--history", type=int, metavar="MONTHS", help="rebuild this many months of history"
        )
        parser.add_argument("--as-of", help="use data up to this date (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_date(options["as_of"])
        started = time.perf_counter()
        try:
            if options["history"] is not None:
                count = health_history_build(months=options["history"], as_of=as_of)
                what = f"{count} monthly and current figures"
            else:
                count = health_refresh(everything=options["all"], as_of=as_of)
                what = f"the health of {count} accounts"
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Computed {what} in {time.perf_counter() - started:.2f} s.")
