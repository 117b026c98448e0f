"""``kam demo-logins``: the six demo logins and what to look at first."""

from __future__ import annotations

from typing import TextIO, cast

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from rich.console import Console
from rich.table import Table

from kam.demo.build import DEMO_LOGINS, DEMO_PASSWORD
from kam.people.models import Role


class Command(BaseCommand):
    help = _("Show the demo logins (one per role) and where to start.")

    def handle(self, *args, **options):
        console = Console(file=cast(TextIO, self.stdout), highlight=False, soft_wrap=True)
        table = Table(title=_("OpenKAM demo logins"))
        table.add_column(_("Role"))
        table.add_column(_("Username"))
        table.add_column(_("Password"))
        table.add_column(_("Look at first"))
        labels = dict(Role.choices)
        for login in DEMO_LOGINS:
            table.add_row(str(labels[login.role]), login.username, DEMO_PASSWORD,
                          str(login.look_first))  # fmt: skip
        console.print(table)
