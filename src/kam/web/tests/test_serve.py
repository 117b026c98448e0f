"""`kam serve` runs gunicorn with hashed, compressed static files, as `make demo` does."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# The subprocess runs on its own SQLite file whatever database the suite uses: the PostgreSQL
# half of `make test` would only run it a second time.
pytestmark = pytest.mark.sqlite_only


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kam(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "kam.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def test_kam_serve_answers_pages_and_static_files(tmp_path, migrated_sqlite):
    env = {
        **os.environ,
        "KAM_VAR_DIR": str(tmp_path),
        "KAM_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "kam.settings",
    }
    migrated_sqlite(tmp_path / "serve.sqlite3")
    # no collectstatic: on a fresh checkout `kam serve` collects the static files itself
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kam.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180  # it collects the static files first
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login/", timeout=5) as response:
                    html = response.read().decode()
                    server_header = response.headers.get("Server", "")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert "Log in to OpenKAM" in html
        assert "gunicorn" in server_header
        css = re.search(r'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]+\.css)"', html)
        assert css, "static files are served with hashed names"
        request = urllib.request.Request(base + css.group(1), headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
            assert response.headers.get("Content-Encoding") == "gzip"
            assert "max-age" in response.headers.get("Cache-Control", "")
        # A job worker runs beside the web server ...
        children = [
            pid
            for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
            if "kam.cli\x00worker" in Path(f"/proc/{pid}/cmdline").read_text()
        ]
        assert len(children) == 1
    finally:
        server.terminate()
        server.wait(timeout=20)
    # ... and stops with it.
    deadline = time.monotonic() + 15
    while os.path.exists(f"/proc/{children[0]}") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not os.path.exists(f"/proc/{children[0]}")


def test_a_forked_server_worker_closes_the_connections_it_inherited(monkeypatch):
    """Connections are kept per thread (decision 125), so gunicorn's post_fork hook must drop
    any its parent held: two processes on one SQLite handle or socket corrupt both sides.
    (The test database on SQLite is in memory, where Django never closes: a stand-in counts.)"""
    from kam.web.management.commands import serve

    closed: list[str] = []

    class Connections:
        def close_all(self) -> None:
            closed.append("all")

    monkeypatch.setattr(serve, "connections", Connections())
    serve._close_connections(None, None)
    assert closed == ["all"]


def test_the_server_runs_four_worker_processes_of_two_threads_per_core_unless_told(monkeypatch):
    from kam.web.management.commands import serve

    monkeypatch.delenv("KAM_WORKERS", raising=False)
    monkeypatch.delenv("KAM_THREADS", raising=False)
    monkeypatch.setattr(serve.os, "cpu_count", lambda: 2)
    assert serve.default_workers() == 8
    assert serve.default_threads() == 2
    monkeypatch.setattr(serve.os, "cpu_count", lambda: 16)
    assert serve.default_workers() == 8  # capped: each process holds its own memory
    monkeypatch.setattr(serve.os, "cpu_count", lambda: None)
    assert serve.default_workers() == 4
    monkeypatch.setenv("KAM_WORKERS", "3")
    assert serve.default_workers() == 3
    monkeypatch.setenv("KAM_THREADS", "4")
    assert serve.default_threads() == 4
