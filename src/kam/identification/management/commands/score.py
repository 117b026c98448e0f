"""``kam score``: score every account now, with a progress bar and a summary."""

from __future__ import annotations

import datetime as dt
from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kam.core.errors import DomainError
from kam.core.periods import add_months, month_start
from kam.core.progress import LineProgress
from kam.customers.models import Unit
from kam.identification.facts import facts_refresh
from kam.identification.selectors import run_scores, scoring_window
from kam.identification.services import scoring_run_execute

from ._common import parse_date, pick_model


class Command(BaseCommand):
    help = "Score all accounts with the active scoring model (or --model VERSION)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="use data up to this date (YYYY-MM-DD); default today")
        parser.add_argument("--model", type=int, help="scoring model version (default: active)")
        parser.add_argument("--top", type=int, default=10, help="rows in the summary table")
        parser.add_argument(
            "--allow-no-sales",
            action="store_true",
            help="score even when no sales fall in the 12 months before --as-of (decision 56)",
        )
        parser.add_argument(
            "--recompute-facts",
            action="store_true",
            help="first compute every account's scoring facts from scratch (needed only after "
            "data was written into the database by other means than OpenKAM)",
        )

    def handle(self, *args, **options):
        as_of = parse_date(options["as_of"])
        model = pick_model(options["model"])
        if not Unit.objects.accounts().exists():
            raise CommandError("There are no accounts to score; import customers first.")
        self._check_window(as_of or timezone.localdate(), options["allow_no_sales"])
        console = Console(file=cast(TextIO, self.stdout), highlight=False)
        if options["recompute_facts"]:
            computed = facts_refresh(everything=True)
            console.print(f"Computed the scoring facts of {computed} accounts from scratch.")
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=not console.is_terminal,
        ) as bar:
            task = bar.add_task(f"Scoring with {model}", total=100)

            # outside a terminal (pipes, cron, CI logs) a plain line every 10 %
            lines = LineProgress(lambda text: self.stderr.write(text), _("Scoring"), unit="%")

            def progress(percent: int, message: str) -> None:
                if console.is_terminal:
                    bar.update(task, completed=percent, description=str(message))
                else:
                    lines(percent, 100)

            try:
                run = scoring_run_execute(model=model, as_of=as_of, progress=progress)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        console.print(
            f"Scored {run.accounts_count} accounts with {model} on data up to {run.as_of}: "
            f"{run.candidates_count} key candidates (run {run.pk})."
        )
        for item in run.skipped:
            console.print(
                f"Skipped account {item['name']} (id {item['account_id']}): {item['reason']}",
                markup=False,
            )
        table = Table("rank", "account", "score", "potential", "recommendation", "scope", "data %")
        for score in run_scores(run=run)[: max(options["top"], 0)]:
            table.add_row(
                str(score.rank),
                score.account.name,
                f"{score.total:.1f}",
                f"{score.potential:.1f}",
                score.get_recommendation_display(),
                score.get_scope_display(),
                f"{score.completeness:.0f}",
            )
        if options["top"] > 0:
            console.print(table)

    def _check_window(self, as_of, allow: bool) -> None:
        """No sales in the scoring window scores every account's potential 0 without a word:
        stop with the date to use instead (or warn and go on with --allow-no-sales)."""
        window = scoring_window(as_of=as_of)
        if window["has_sales"]:
            return
        last_day = window["end"] - dt.timedelta(days=1)
        latest = window["latest"]
        # the last day of the latest transaction's month: that month then counts as full
        suggest = add_months(month_start(latest), 1) - dt.timedelta(days=1) if latest else None
        params = {"start": window["start"], "end": last_day, "latest": latest, "as_of": suggest}
        if window["latest"] is None:
            message = _(
                "There are no transactions at all: every account's revenue, share of wallet and "
                "growth are scored 0. Import transactions first."
            )
        else:
            message = (
                _(
                    "No transactions between %(start)s and %(end)s, the scoring window: the latest "
                    "transaction is on %(latest)s: use --as-of %(as_of)s."
                )
                % params
            )
        if not allow:
            raise CommandError(message + " " + _("(Or --allow-no-sales to score anyway.)"))
        self.stderr.write(_("Warning: %s") % message)
