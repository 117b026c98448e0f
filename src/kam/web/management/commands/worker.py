"""``kam worker``: run background jobs (django-tasks database backend)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _("Run the background job worker (several may run on several machines).")

    def handle(self, *args, **options):
        call_command("db_worker")
