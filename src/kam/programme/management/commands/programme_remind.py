"""``kam programme_remind``: remind the respondents of open assessment campaigns (a daily job)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kam.programme.services import campaigns_remind_due


class Command(BaseCommand):
    help = "Notify respondents who have not yet answered an open assessment campaign."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = campaigns_remind_due()
        self.stdout.write(f"{sent} reminders sent")
