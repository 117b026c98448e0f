"""``kam export <entity>``: every row of an entity as CSV or XLSX, in the import's columns."""

from __future__ import annotations

from typing import TextIO, cast

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.dataio.exporters import FORMATS
from kam.dataio.importers import ENTITY_NAMES
from kam.dataio.models import ExportChannel
from kam.dataio.services import export_file_logged


class Command(BaseCommand):
    help = _(
        "Export an entity to CSV or XLSX with the same columns the import reads, so the file "
        "can be edited and imported again."
    )

    def add_arguments(self, parser):
        parser.add_argument("entity", choices=ENTITY_NAMES)
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default=None,
            help=_("csv (default) or xlsx; taken from -o's extension if unset"),
        )
        parser.add_argument("-o", "--output", help=_("the file to write (default: stdout)"))
        parser.add_argument(
            "--user",
            help=_("export only the rows this user (a username) may see; default: every row"),
        )

    def handle(self, *args, **options):
        out = options["output"]
        fmt = options["format"] or ("xlsx" if out and out.lower().endswith(".xlsx") else "csv")
        if fmt == "xlsx" and not out:
            raise CommandError(_("XLSX needs a file: add -o FILE.xlsx"))
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("There is no user “%s”.") % options["user"])
        try:
            # logged like a web or API download, as the user named by --user (decision 33)
            count = export_file_logged(
                entity=options["entity"],
                fmt=fmt,
                out=out if out else cast(TextIO, self.stdout._out),
                user=user,
                channel=ExportChannel.CLI,
            )
        except (DomainError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        if out:
            self.stderr.write(_("%(n)s rows written to %(file)s") % {"n": count, "file": out})
