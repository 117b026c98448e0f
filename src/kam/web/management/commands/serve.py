"""``kam serve``: run OpenKAM under gunicorn, a production-grade WSGI server."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


# The job worker beside the web server runs at a lower CPU priority: on a machine the two share,
# a user's request is served first and the jobs (imports, refreshes of kept figures) take the
# time left; under the load test the worker's refreshes had a tenth of the processor.
WORKER_NICE = 10


class WorkerSupervisor:
    """Keeps one ``kam worker`` process running beside the web server.

    When it exits (a crash, a kill), it is started again after a wait that doubles from 1 s to
    at most a minute, and starts again from 1 s once a worker has run for a minute.
    """

    FIRST_DELAY = 1.0
    MAX_DELAY = 60.0

    def __init__(self, command: list[str] | None = None):
        self.command = command or [sys.executable, "-m", "kam.cli", "worker"]
        self.process: subprocess.Popen[bytes] | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self._watch, name="kam-worker-supervisor", daemon=True
        )

    def _spawn(self) -> None:
        self.process = subprocess.Popen(self.command)  # noqa: S603
        os.setpriority(os.PRIO_PROCESS, self.process.pid, WORKER_NICE)
        self.started = time.monotonic()

    def _watch(self) -> None:
        delay = self.FIRST_DELAY
        while not self.stop.is_set():
            process = self.process
            if process is None or process.poll() is not None:
                if process is not None:
                    # gunicorn's arbiter may reap our child first: the code is then unknown (0).
                    log.warning(
                        "The job worker (pid %s) exited with code %s; starting it again in %.0f s",
                        process.pid,
                        process.returncode,
                        delay,
                    )
                    if time.monotonic() - self.started > 60:
                        delay = self.FIRST_DELAY
                    if self.stop.wait(delay):
                        return
                    delay = min(self.MAX_DELAY, delay * 2)
                self._spawn()
            self.stop.wait(0.5)

    def start(self) -> None:
        self._spawn()
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def static_is_stale() -> bool:
    """True when the collected static files are missing or older than one of their sources."""
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return True
    collected_at = manifest.stat().st_mtime
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            if Path(storage.path(path)).stat().st_mtime > collected_at:
                return True
    return False


def default_workers() -> int:
    """``KAM_WORKERS``, else four worker processes per core (at least 2, at most 8).

    A request holds Python's lock while it computes, so threads of one process share one core,
    and a thread whose query has returned waits for the lock while another thread of its
    process computes. Under the load test on 2 cores with PostgreSQL (decision 138) 8
    processes of 2 threads answered with a p95 of 360–400 ms where 4 of 4 gave 540 ms, at the
    same CPU per request; 16 processes of 1 thread cost a third more CPU per request (each
    process prepares its own statements and warms its own caches).
    """
    if os.environ.get("KAM_WORKERS"):
        return int(os.environ["KAM_WORKERS"])
    return max(2, min(8, 4 * (os.cpu_count() or 1)))


def default_threads() -> int:
    """``KAM_THREADS``, else 2 threads per worker process (docs/deploy.md, "Sizing")."""
    return max(1, int(os.environ.get("KAM_THREADS") or 2))


def _close_connections(server: object, worker: object) -> None:
    """gunicorn's post_fork hook: a worker never uses a connection its parent opened (an
    SQLite handle or a PostgreSQL socket shared by two processes corrupts both sides)."""
    connections.close_all()


class Command(BaseCommand):
    help = _("Serve OpenKAM with gunicorn (static files by WhiteNoise).")

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("KAM_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KAM_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=default_workers())
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
        if not 0 < options["port"] < 65536:
            raise CommandError(_("The port must be between 1 and 65535."))
        if static_is_stale():
            # a fresh checkout or changed sources: collect now rather than refuse to start
            self.stdout.write(_("Collecting the static files…"))
            call_command("collectstatic", interactive=False, verbosity=0)

        # Deliberately late: importing kam.wsgi builds the WSGI application (loads every
        # middleware), which only a server that passed the checks above should do.
        from kam.wsgi import application

        bind = f"{options['host']}:{options['port']}"
        config = {
            "bind": bind,
            "workers": max(1, options["workers"]),
            "threads": default_threads(),
            "accesslog": "-",
            "timeout": 120,
            # an idle connection stays open 20 s, longer than a user's pause between two clicks:
            # with gunicorn's 2 s a client reusing the connection as the server closed it got
            # "connection reset by peer" (6 of 11,588 requests in bench/load.py); gthread keeps
            # idle connections in its poller, not on a thread
            "keepalive": 20,
            # connections are kept per thread (decision 125): none may cross a fork
            "post_fork": _close_connections,
        }

        class Server(BaseApplication):
            def load_config(self):
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self):
                return application

        job_worker = None
        if not options["no_job_worker"]:
            # One job worker beside the web server, so imports and scoring runs proceed; it is
            # started again whenever it exits.
            job_worker = WorkerSupervisor()
            job_worker.start()
        self.stdout.write(_("OpenKAM is running at http://%s/ (Ctrl+C to stop)") % bind)
        connections.close_all()  # the arbiter forks the workers: they open their own
        try:
            Server().run()
        finally:
            if job_worker is not None:
                job_worker.close()
