"""``kam permissions_doc``: render docs/permissions.md from the permission matrix."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kam.web.endpoints import render_permissions_doc


class Command(BaseCommand):
    help = _(
        "Write the permission matrix (roles, actions, relations, and the pages and API "
        "operations of each action) as Markdown, to stdout or a file."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help=_("the file to write (default: stdout)"))

    def handle(self, *args, **options):
        text = render_permissions_doc() + "\n"
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
