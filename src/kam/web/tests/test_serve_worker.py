"""`kam serve` starts its job worker again when it dies."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import kam

# The subprocess runs on its own SQLite file whatever database the suite uses: the PostgreSQL
# half of `make test` would only run it a second time.
pytestmark = pytest.mark.sqlite_only


SOURCE = str(Path(kam.__file__).parents[1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workers(server_pid: int) -> list[int]:
    # A restarted worker is the child of the supervisor's thread: look under every thread.
    children = [
        pid
        for task in Path(f"/proc/{server_pid}/task").iterdir()
        for pid in (task / "children").read_text().split()
    ]
    found = []
    for pid in children:
        try:
            if "kam.cli\x00worker" in Path(f"/proc/{pid}/cmdline").read_text():
                found.append(int(pid))
        except OSError:  # gone meanwhile
            continue
    return found


def _nice(pid: int) -> int:
    # /proc/<pid>/stat: the 19th field, counted after the command name in parentheses
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_kam_serve_restarts_a_killed_job_worker(tmp_path, migrated_sqlite):
    env = {
        **os.environ,
        "KAM_VAR_DIR": str(tmp_path),
        "KAM_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "kam.settings",
        "PYTHONPATH": os.pathsep.join([SOURCE, os.environ.get("PYTHONPATH", "")]),
        "KAM_DEBUG": "1",  # static files from the source folders: no collectstatic needed
        "KAM_SCORING_EVERY_HOURS": "0",
    }
    migrated_sqlite(tmp_path / "serve.sqlite3")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kam.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5):
                    break
            except OSError:
                assert server.poll() is None
                assert time.monotonic() < deadline
                time.sleep(0.3)
        workers = _workers(server.pid)
        assert len(workers) == 1
        # requests come first: the job worker runs at a lower CPU priority than the server
        assert _nice(workers[0]) == 10
        assert _nice(server.pid) == 0
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            again = [pid for pid in _workers(server.pid) if pid != workers[0]]
            if again:
                break
            assert time.monotonic() < deadline, "the job worker was not started again"
            time.sleep(0.2)
        assert len(_workers(server.pid)) == 1
        assert _nice(again[0]) == 10
    finally:
        server.terminate()
        server.wait(timeout=20)
    deadline = time.monotonic() + 15
    while os.path.exists(f"/proc/{again[0]}") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not os.path.exists(f"/proc/{again[0]}")
