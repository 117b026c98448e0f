"""``kam restore FILE``: replace the whole database with a backup of ``kam backup``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kam.core.backup import BackupError, backup_restore, restore_check, vendor_label


class Command(BaseCommand):
    help = _(
        "Replace the whole database with a backup made by kam backup, then migrate it to this "
        "version. Stop the app and its workers first. Refuses, changing nothing: a missing or "
        "damaged file, a backup of the other database kind (SQLite/PostgreSQL), a backup from a "
        "newer OpenKAM (upgrade first), and a database that already has user accounts unless "
        "--force is given. A failed restore leaves the database as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("the backup file to restore"))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("replace a database that already holds data (user accounts)"),
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help=_("only check that FILE can be restored here; change nothing"),
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            if options["check"]:
                vendor = restore_check(path=path)
                self.stdout.write(
                    _("%(file)s is a %(vendor)s backup this OpenKAM can restore")
                    % {"file": path, "vendor": vendor_label(vendor)}
                )
                return
            result = backup_restore(path=path, force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Restored the %(vendor)s database from %(file)s")
            % {"vendor": vendor_label(result.vendor), "file": result.path}
        )
        if result.migrations_applied:
            self.stdout.write(
                _("Migrated forward: %(migrations)s")
                % {"migrations": ", ".join(result.migrations_applied)}
            )
