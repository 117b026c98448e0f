"""``kam alerts``: evaluate every alert rule and bring the alert store in line."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.alerts.rules import rules
from kam.alerts.services import alerts_refresh
from kam.customers.models import Unit


class Command(BaseCommand):
    help = (
        "Evaluate every registered alert rule on all accounts (or --account ID): raise new "
        "alerts, wake snoozed ones whose day came, resolve those whose condition cleared."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="evaluate as of this date (YYYY-MM-DD); default today")
        parser.add_argument("--account", type=int, action="append", help="only this account id")
        parser.add_argument(
            "--quiet-owners", action="store_true", help="do not notify owners of new alerts"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError(
                    f"--as-of: '{options['as_of']}' is not a date; use YYYY-MM-DD."
                ) from exc
        ids = options["account"]
        if ids:
            found = set(Unit.objects.accounts().filter(pk__in=ids).values_list("pk", flat=True))
            missing = sorted(set(ids) - found)
            if missing:
                raise CommandError(f"--account: no account with id {missing[0]}.")
        started = time.monotonic()
        result = alerts_refresh(
            account_ids=ids or None, as_of=as_of, notify_owners=not options["quiet_owners"]
        )
        self.stdout.write(
            f"{len(rules.all())} rules on {result.accounts} accounts in "
            f"{time.monotonic() - started:.1f} s: {result.raised} raised, {result.updated} "
            f"updated, {result.woke} woke from snooze, {result.cleared} resolved (cleared)."
        )
