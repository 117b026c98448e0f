"""``kam import <entity> FILE``: validate a CSV/XLSX file, then upsert it in one transaction."""

from __future__ import annotations

from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kam.core.errors import DomainError
from kam.core.progress import LineProgress
from kam.dataio.importers import ENTITY_NAMES
from kam.dataio.services import import_file

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = _(
        "Import customer units, contacts, employments, users, products, transactions and more "
        "from a CSV or XLSX file. Rows are matched by their external id (or code, SKU, "
        "username), so importing the same file twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("entity", choices=ENTITY_NAMES, help=_("what the file holds"))
        parser.add_argument("file", help=_("a .csv (any common encoding; , ; or tab) or .xlsx"))
        parser.add_argument(
            "--mapping",
            help=_(
                "a JSON or two-column CSV file: file column → field; JSON may also hold "
                "value maps, constants and options (see the user guide)"
            ),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=_("check and count, write nothing")
        )
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help=_("write the good rows even when some rows have errors"),
        )
        parser.add_argument("--report", help=_("write every bad row to this CSV file"))
        parser.add_argument(
            "--encoding",
            help=_("the text encoding of a CSV file, e.g. cp1252 or cp1251 (default: detected)"),
        )
        parser.add_argument(
            "--date-order",
            choices=["auto", "dmy", "mdy"],
            help=_(
                "how dates with slashes read: dmy (DD/MM/YYYY), mdy (MM/DD/YYYY) or auto "
                "(decided by the file; day first when unclear)"
            ),
        )
        parser.add_argument(
            "--round-amounts",
            action="store_true",
            default=None,
            help=_("round amounts with more decimals than kept instead of refusing the row"),
        )

    def handle(self, *args, **options):
        console = Console(file=cast(TextIO, self.stdout), soft_wrap=True)
        err_console = Console(stderr=True)
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal,
        ) as bar:
            task = bar.add_task(_("rows"), total=None)
            # outside a terminal (pipes, cron, CI logs) a plain line every 10 %
            lines = LineProgress(lambda text: self.stderr.write(text), _("Import"))

            def progress(done: int, total: int | None) -> None:
                if err_console.is_terminal:
                    bar.update(task, completed=done, total=total)
                else:
                    lines(done, total)

            try:
                report = import_file(
                    entity=options["entity"],
                    path=options["file"],
                    mapping=options["mapping"],
                    dry_run=options["dry_run"],
                    skip_bad_rows=options["skip_bad_rows"],
                    progress=progress,
                    encoding=options["encoding"],
                    date_order=options["date_order"],
                    round_amounts=options["round_amounts"],
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        if options["report"]:
            report.write_csv(options["report"])
        if report.errors:
            table = Table(title=_("Rows with errors"))
            for name in (_("line"), _("column"), _("value"), _("reason")):
                table.add_column(name)
            for err in report.errors[:SHOWN_ERRORS]:
                table.add_row(str(err.line), err.column, err.value, err.reason)
            console.print(table)
            if len(report.errors) > SHOWN_ERRORS:
                console.print(
                    _("… and %s more; use --report FILE to get them all.")
                    % (len(report.errors) - SHOWN_ERRORS)
                )
        for note in report.notes():
            console.print(note, markup=False, highlight=False)
        if not report.ok:
            raise CommandError(report.summary())
        console.print(report.summary(), markup=False, highlight=False)
