"""``kam capture PATH [--since --until] [--dry-run]``: import calendar and mail files.

PATH is a file or a folder (its .ics, .eml, .mbox and .mbx files, recursively). Every file is
read before anything is written; a file with an error writes nothing and names the item.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.interactions.capture.forms import day_start
from kam.interactions.capture.services import capture_import, default_range

SUFFIXES = {".ics", ".eml", ".mbox", ".mbx"}


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("Not a date (YYYY-MM-DD): %s") % value) from exc


class Command(BaseCommand):
    help = "Log interactions from calendar (.ics) and mail (.eml, mbox) files or a folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="A file or a folder of .ics/.eml/.mbox files.")
        parser.add_argument("--since", type=_day, help="First day (default: 90 days ago).")
        parser.add_argument("--until", type=_day, help="Last day (default: in 30 days).")
        parser.add_argument("--dry-run", action="store_true", help="Match and count only.")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["path"])
        if root.is_dir():
            paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES)
        elif root.is_file():
            paths = [root]
        else:
            raise CommandError(_("No such file or folder: %s") % root)
        if not paths:
            raise CommandError(_("No .ics, .eml or .mbox file in %s") % root)
        default_since, default_until = default_range()
        since = day_start(options["since"]) if options["since"] else default_since
        until = (
            day_start(options["until"]) + dt.timedelta(days=1)
            if options["until"]
            else default_until
        )
        try:
            summary = capture_import(
                files=[
                    (str(p.relative_to(root) if root.is_dir() else p.name), p.read_bytes())
                    for p in paths
                ],
                user=None,
                since=since,
                until=until,
                dry_run=options["dry_run"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        out = self.stdout
        out.write(
            _(
                "%(files)s files, %(items)s items: %(matched)s new interactions, "
                "%(duplicates)s duplicates, %(updated)s updated, %(skipped)s skipped, "
                "%(unmatched)s unmatched addresses%(dry)s."
            )
            % {
                "files": len(paths),
                "items": summary.items,
                "matched": summary.matched,
                "duplicates": summary.duplicates,
                "updated": summary.updated,
                "skipped": summary.skipped_count,
                "unmatched": len(summary.unmatched),
                "dry": _(" (dry run: nothing written)") if summary.dry_run else "",
            }
        )
        for entry in sorted(summary.unmatched.values(), key=lambda u: (-u.items, u.email))[:50]:
            out.write(f"  ? {entry.email} {entry.name} ({entry.items})")
        for skipped in summary.skipped[:50]:
            out.write(f"  - {skipped.ref}: {skipped.reason}")
