"""Benchmark web writes during a big transaction import on SQLite (a benchmark, not a test).

Run from the repository root::

    .venv/bin/python bench/contention.py                    # 1M rows, 20 clients
    .venv/bin/python bench/contention.py --rows 250000      # quicker

What it does (see bench/README.md):

1. writes the deterministic transaction CSV of ``bench/import_transactions.py`` and creates the
   same catalogue (units, product lines, products) in a new SQLite database in a temporary
   folder, with one administrator and a read-write API token;
2. starts the production server (``kam serve`` on a loopback port, with its job worker);
3. baseline: ``--clients`` threads make API writes (``PATCH /api/v1/units/{id}``, each client its
   own unit, ``--think`` seconds between writes) for ``--baseline`` seconds with no import;
4. contention: the same clients write while ``kam import transactions`` loads the file, until
   the import ends (at most ``--max-seconds``);
5. prints, for both phases, the writes' p50 / p95 / max wait (the request's round trip), the
   count of server errors (5xx), of 503 "busy" answers among them and of failed connections,
   and the import's time; then the ratio of the contention p95 to the baseline p95.

Target (issue 9): 0 server errors and p95 wait under 2 s during the import.
Only loopback connections; the temporary folder is removed at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import import_transactions as it  # noqa: E402  (the data generator and the catalogue)
from _common import ROOT  # noqa: E402

TARGET_P95 = 2.0
PASSWORD = "bench-not-a-secret-password"


def log(message: str) -> None:
    it.log(message)


def kam(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kam.cli", *args], env=env, check=True, cwd=ROOT, **kwargs
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SETUP_SCRIPT = """
import json, sys
import django
django.setup()
from kam.api.services import token_create
from kam.customers.models import Unit
from kam.people.models import User
user = User.objects.create_user(username="bench", password=sys.argv[1], role="admin")
_token, plain = token_create(user=user, name="bench", scope="read_write")
units = list(Unit.objects.order_by("pk").values_list("pk", flat=True)[: int(sys.argv[2])])
print(json.dumps({"token": plain, "units": units}))
"""


class Clients:
    """``n`` threads, each PATCHing its own unit in a loop until stopped."""

    def __init__(self, port: int, token: str, units: list[int], think: float, cap: int):
        self.port, self.token, self.units, self.think, self.cap = port, token, units, think, cap
        self.waits: list[float] = []
        self.status: dict[int, int] = {}
        self.failed = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self.run, args=(unit,), daemon=True) for unit in units
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def run(self, unit: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        n = 0
        while not self.stop.is_set() and n < self.cap:
            n += 1
            body = json.dumps({"city": f"City {n}"})
            started = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                conn.request("PATCH", f"/api/v1/units/{unit}", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                status = response.status
            except OSError:
                with self.lock:
                    self.failed += 1
                self.stop.wait(self.think)
                continue
            wait = time.monotonic() - started
            with self.lock:
                self.waits.append(wait)
                self.status[status] = self.status.get(status, 0) + 1
            self.stop.wait(self.think)

    def figures(self) -> dict:
        waits = sorted(self.waits)
        if not waits:
            return {"writes": 0}
        p95 = waits[min(len(waits) - 1, int(round(0.95 * (len(waits) - 1))))]
        return {
            "writes": len(waits),
            "p50": statistics.median(waits),
            "p95": p95,
            "max": waits[-1],
            "server_errors": sum(c for s, c in self.status.items() if s >= 500),
            "busy_503": self.status.get(503, 0),
            "other_non_2xx": sum(c for s, c in self.status.items() if s < 200 or 300 <= s < 500),
            "failed_connections": self.failed,
            "status": dict(sorted(self.status.items())),
        }


def wait_for_server(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not start")


def phase(name: str, clients: Clients, seconds: float | None, importer=None) -> dict:
    log(f"{name}: {len(clients.units)} clients writing")
    started = time.monotonic()
    clients.start()
    if importer is None:
        time.sleep(seconds or 0)
    else:
        importer.wait()
    elapsed = time.monotonic() - started
    clients.finish()
    result = clients.figures()
    result["seconds"] = elapsed
    return result


def line(name: str, r: dict) -> str:
    if not r.get("writes"):
        return f"{name:<22} no writes"
    return (
        f"{name:<22} {r['writes']:>6} {r['p50']:>7.3f} {r['p95']:>7.3f} {r['max']:>7.3f} "
        f"{r['server_errors']:>6} {r['busy_503']:>5} {r['failed_connections']:>6}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds between a client's writes"
    )
    parser.add_argument("--baseline", type=float, default=30.0, help="seconds of the baseline")
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="limit of the import")
    parser.add_argument("--cap", type=int, default=5000, help="writes per client at most")
    parser.add_argument("--workdir")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="kam-bench-contention-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = it.bench_env(workdir, f"sqlite:///{workdir / 'bench.sqlite3'}")
    env["PYTHONPATH"] = str(ROOT / "src")
    server = None
    try:
        log(f"writing {args.rows:,} rows")
        files = it.generate(workdir, args.rows, args.units, 1, 1)
        log("migrating and creating the catalogue")
        it.run_child(
            "setup",
            env,
            rows=args.rows,
            units=args.units,
            csv=files["full"],
            resolved=workdir / "resolved.csv",
        )
        made = subprocess.run(
            [sys.executable, "-c", SETUP_SCRIPT, PASSWORD, str(args.clients)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        setup = json.loads(made.stdout.strip().splitlines()[-1])
        kam(env, "collectstatic", "--noinput", "-v", "0")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "kam.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_server(port, time.monotonic() + 120)

        def clients() -> Clients:
            return Clients(port, setup["token"], setup["units"], args.think, args.cap)

        baseline = phase("baseline", clients(), args.baseline)
        log(f"contention: importing {args.rows:,} rows")
        import_started = time.monotonic()
        importer = subprocess.Popen(
            [sys.executable, "-m", "kam.cli", "import", "transactions", str(files["full"])],
            env={**env, "KAM_LOG_LEVEL": "INFO"},  # the import logs how long it held the lock
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        timer = threading.Timer(args.max_seconds, importer.kill)
        timer.start()
        during = phase("during the import", clients(), None, importer)
        timer.cancel()
        import_seconds = time.monotonic() - import_started
        output = importer.stdout.read() if importer.stdout else ""
        published = [ln for ln in output.splitlines() if "published in" in ln]
        if importer.returncode:
            raise SystemExit(f"the import failed (exit {importer.returncode}): {output[-2000:]}")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"SQLite, {args.rows:,} transaction rows imported in {import_seconds:.1f} s while "
        f"{args.clients} clients wrote (PATCH a unit, {args.think:g} s between writes)"
    )
    print(
        f"{'phase':<22} {'writes':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'5xx':>6} "
        f"{'503':>5} {'failed':>6}"
    )
    print(line("baseline (no import)", baseline))
    print(line("during the import", during))
    for published_line in published:
        print("import: " + published_line.split("] ")[-1].split(": ", 1)[-1])
    if baseline.get("writes") and during.get("writes"):
        print(f"ratio p95 during / baseline: {during['p95'] / baseline['p95']:.1f}x")
        ok_errors = during["server_errors"] == 0 and during["failed_connections"] == 0
        ok_p95 = during["p95"] < TARGET_P95
        print(f"target 0 server errors: {'PASS' if ok_errors else 'MISS'}")
        print(f"target p95 wait < {TARGET_P95:g} s: {'PASS' if ok_p95 else 'MISS'}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "rows": args.rows,
                    "import_seconds": import_seconds,
                    "baseline": baseline,
                    "during": during,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
