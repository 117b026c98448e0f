"""``kam alerts-digest``: e-mail the alert digests that are due."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kam.alerts.models import DigestFrequency
from kam.alerts.services import digests_send


class Command(BaseCommand):
    help = (
        "E-mail each user who asked for a daily (or weekly) digest the new alerts of their "
        "accounts, through Django's e-mail settings (KAM_EMAIL_BACKEND)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--frequency",
            choices=[DigestFrequency.DAILY, DigestFrequency.WEEKLY],
            default=DigestFrequency.DAILY,
        )
        parser.add_argument(
            "--force", action="store_true", help="send even if the last digest is recent"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = digests_send(frequency=options["frequency"], force=options["force"])
        self.stdout.write(f"{sent} digests sent.")
