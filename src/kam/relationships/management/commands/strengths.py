"""``kam strengths``: recompute the activity strengths of our links (the stale ones, or all)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kam.relationships.services import strengths_refresh


class Command(BaseCommand):
    help = (
        "Recompute the activity strengths of the links that new interactions made stale "
        "(--all: every link, as the worker does nightly)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="recompute every link")
        parser.add_argument("--as-of", help="compute as of this date (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError(
                    f"--as-of: '{options['as_of']}' is not a date; use YYYY-MM-DD."
                ) from exc
            if as_of > timezone.localdate():
                raise CommandError(f"--as-of: {as_of} is in the future.")
        started = time.perf_counter()
        count = strengths_refresh(everything=options["all"], as_of=as_of)
        self.stdout.write(
            f"Computed the strengths of {count} links in {time.perf_counter() - started:.2f} s."
        )
