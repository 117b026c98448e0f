"""``kam worker``: run background jobs (django-tasks database backend) and scheduled work."""

from __future__ import annotations

import logging
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.translation import gettext as _

from kam.identification.services import scoring_run_schedule

log = logging.getLogger(__name__)

TICK_SECONDS = 60


def schedule_tick() -> None:
    """Queue whatever scheduled work is due (today: the periodic scoring run)."""
    close_old_connections()
    try:
        run = scoring_run_schedule()
        if run is not None:
            log.warning("Scheduled scoring run %s queued", run.pk)
    except Exception:  # a failed tick must not stop the worker; the next one retries
        log.exception("Scheduled work failed")
    finally:
        close_old_connections()


class Command(BaseCommand):
    help = _("Run the background job worker (several may run on several machines).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-schedule",
            action="store_true",
            help=_("Do not queue scheduled work such as the periodic scoring run."),
        )

    def handle(self, *args, **options):
        stop = threading.Event()
        if not options["no_schedule"]:

            def loop():
                while not stop.is_set():
                    schedule_tick()
                    stop.wait(TICK_SECONDS)

            threading.Thread(target=loop, name="kam-schedule", daemon=True).start()
        try:
            call_command("db_worker")
        finally:
            stop.set()
