"""``kam backup FILE``: a consistent copy of the whole database while the app runs."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kam.core.backup import BackupError, backup_create, vendor_label


class Command(BaseCommand):
    help = _(
        "Write a backup of the whole database to FILE while the app keeps running. SQLite: a "
        "copy of the database file made with SQLite's online backup API; PostgreSQL: a pg_dump "
        "custom-format archive (pg_dump of the server's version, from KAM_PG_BIN_DIR, the "
        "server's /usr/lib/postgresql/<version>/bin or PATH). FILE is replaced if it exists and "
        "is readable by its owner only. Restore it with kam restore."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("the backup file to write"))

    def handle(self, *args, **options):
        try:
            result = backup_create(path=Path(options["file"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Backup of the %(vendor)s database written to %(file)s (%(size)s bytes)")
            % {"vendor": vendor_label(result.vendor), "file": result.path, "size": result.size}
        )
