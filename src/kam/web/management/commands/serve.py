"""``kam serve``: run OpenKAM under gunicorn, a production-grade WSGI server."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _("Serve OpenKAM with gunicorn (static files by WhiteNoise).")

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("KAM_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KAM_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("KAM_WORKERS", "2")))
        parser.add_argument(
            "--no-job-worker",
            action="store_true",
            help=_("Do not start a background job worker beside the web server."),
        )

    def handle(self, *args, **options):
        try:
            from gunicorn.app.base import BaseApplication
        except ImportError as exc:  # pragma: no cover - gunicorn is a dependency
            raise CommandError(_("gunicorn is not installed: run make install.")) from exc
        if not (settings.STATIC_ROOT / "staticfiles.json").exists() and not settings.DEBUG:
            raise CommandError(_("Static files are not collected: run 'kam collectstatic'."))
        if not 0 < options["port"] < 65536:
            raise CommandError(_("The port must be between 1 and 65535."))

        # Deliberately late: importing kam.wsgi builds the WSGI application (loads every
        # middleware), which only a server that passed the checks above should do.
        from kam.wsgi import application

        bind = f"{options['host']}:{options['port']}"
        config = {
            "bind": bind,
            "workers": max(1, options["workers"]),
            "threads": 4,
            "accesslog": "-",
            "timeout": 120,
        }

        class Server(BaseApplication):
            def load_config(self):
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self):
                return application

        job_worker = None
        if not options["no_job_worker"]:
            # One job worker beside the web server, so imports and scoring runs proceed.
            job_worker = subprocess.Popen([sys.executable, "-m", "kam.cli", "worker"])  # noqa: S603
        self.stdout.write(_("OpenKAM is running at http://%s/ (Ctrl+C to stop)") % bind)
        try:
            Server().run()
        finally:
            if job_worker is not None:
                job_worker.terminate()
                try:
                    job_worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    job_worker.kill()
