"""``kam demo-data``: build a deterministic, realistic demo portfolio (see kam.demo.build)."""

from __future__ import annotations

from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from kam.core.errors import DomainError
from kam.demo.build import COUNT_LABELS, SCALES, Reporter, demo_build, demo_has_data, demo_reset


class RichReporter(Reporter):
    """One progress line per stage: a bar where the size is known, a spinner otherwise."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.task: TaskID | None = None

    def _finish(self) -> None:
        if self.task is not None:
            done = self.progress.tasks[-1].completed or 1
            self.progress.update(self.task, total=done, completed=done)

    def stage(self, label: str, total: int | None) -> None:
        self._finish()
        self.task = self.progress.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)

    def close(self) -> None:
        self._finish()


class Command(BaseCommand):
    help = _("Build a realistic demo portfolio (same seed, same data).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", choices=list(SCALES), default="small",
            help=_("tiny ≈ 60 units, small ≈ 2,000, medium ≈ 20,000, large ≈ 100,000."),
        )  # fmt: skip
        parser.add_argument("--seed", type=int, default=1, help=_("Random seed."))
        parser.add_argument(
            "--if-empty", action="store_true",
            help=_("Do nothing (and succeed) when the database already holds customers."),
        )  # fmt: skip
        parser.add_argument(
            "--reset", action="store_true",
            help=_("Delete the existing customer, sales and interaction data first."),
        )  # fmt: skip

    def handle(self, *args, scale, seed, if_empty, reset, **options):
        console = Console(file=cast(TextIO, self.stdout), highlight=False, soft_wrap=True)
        if demo_has_data():
            if if_empty:
                console.print(_("The database already holds customer data: demo data skipped."))
                return
            if not reset:
                raise CommandError(
                    _("The database already holds customer data: use --reset to replace it.")
                )
        progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), console=console,
        )  # fmt: skip
        reporter = RichReporter(progress)
        try:
            # Reset and build commit together: a failed build leaves the old data in place.
            with progress, transaction.atomic():
                if reset and demo_has_data():
                    reporter.stage(_("Deleting the existing data"), None)
                    demo_reset()
                summary = demo_build(scale=scale, seed=seed, reporter=reporter)
                reporter.close()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        table = Table(
            title=_("Demo data (%(scale)s, seed %(seed)s)") % {"scale": scale, "seed": seed}
        )
        table.add_column(_("What"))
        table.add_column(_("Rows"), justify="right")
        for name, count in summary.counts.items():
            table.add_row(str(COUNT_LABELS.get(name, name)), f"{count:,}")
        console.print(table)
        phases = Table(title=_("Time per phase"))
        phases.add_column(_("Phase"))
        phases.add_column(_("Seconds"), justify="right")
        phases.add_column(_("CPU seconds"), justify="right")
        for label, seconds, cpu in summary.phases:
            phases.add_row(label, f"{seconds:.1f}", f"{cpu:.1f}")
        console.print(phases)
        console.print(
            _("Built in %(seconds).1f s. Log in with `kam demo-logins`.")
            % {"seconds": summary.seconds}
        )
