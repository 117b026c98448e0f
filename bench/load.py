"""Load test: the production server as ``make demo`` runs it, under a realistic mix of users.

Run from the repository root::

    .venv/bin/python bench/load.py                          # medium, SQLite then PostgreSQL
    .venv/bin/python bench/load.py --db sqlite --duration 60 --steps 300,400   # quicker

What it does (bench/README.md, "Load test", says how to read the table):

1. builds, or reuses, the scored demo build of the page benchmark (``bench/pages.py``) at
   ``--scale`` (medium by default) and copies it, since the test writes (PostgreSQL: the copy
   is loaded into a throwaway server by ``scripts/with-postgres.sh``);
2. prepares the users in a child process: one real session per simulated user, spread over the
   build's key account managers, executives, sales managers and field reps, each with the
   accounts, plans and units they may see (``bench/locustfile.py`` says what each role does);
3. starts ``kam serve`` (gunicorn, its default workers and threads, and the job worker beside
   it) on a free port, and queues a transactions import that the job worker runs while the
   users work;
4. runs locust, headless: first one user of each role, each waiting 1 s between requests (the
   same-run baseline: the mix's p95 with almost no queueing), then ``--users`` users (200:
   each waits 2–8 s between requests, about 40 requests/s) for ``--duration`` seconds, then
   steps of more users (``--steps``, each ``--step-seconds`` long) until the p95 passes 1 s,
   or, when the main run's p95 is already over 1 s, steps of fewer users (``--down-steps``)
   until it holds: the highest rate reached with a p95 under 1 s is the saturation point;
5. prints one table per database, the CPU each kind of process spent per request in the main
   run (``CpuMeter``), and the targets: 0 errors and p95 under 300 ms at 200 users.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import (
    ROOT,
    check_inner_postgres,
    child_main,
    log,
    print_targets,
    remove_sqlite,
    run_step,
    run_under_postgres,
    verdict,
)
from _common import bench_env as child_env

SCRIPT = Path(__file__).resolve()
OUT = ROOT / "bench" / "out"
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
IMPORT_ROWS = 20_000
P95_TARGET_MS, SATURATION_P95_MS = 300, 1000
SETTLE_SECONDS = 600  # at most, for the job worker's first pass before the users come

# --- in the child process ----------------------------------------------------------------------


def child_prepare(args: argparse.Namespace) -> dict:
    """One signed-in session per simulated user, and what each may open, into a JSON file."""
    from django.test import Client

    from kam.customers.models import Unit
    from kam.field.models import FieldAssignment
    from kam.identification.models import Nomination
    from kam.people.models import User
    from kam.planning.models import AccountPlan

    rng = random.Random(args.seed)
    accounts = Unit.objects.accounts()
    key = list(accounts.exclude(tier="transactional").values_list("pk", "account_manager_id"))
    key_ids = [pk for pk, _m in key]
    plans: dict[int, list[int]] = {}
    for plan_id, account_id in AccountPlan.objects.values_list("pk", "account_id"):
        plans.setdefault(account_id, []).append(plan_id)
    reps: dict[int, list[int]] = {}
    for rep_id, unit_id in FieldAssignment.objects.filter(end__isnull=True).values_list(
        "rep_id", "unit_id"
    ):
        reps.setdefault(rep_id, []).append(unit_id)
    kams: dict[int, list[int]] = {}
    for pk, manager in key:
        if manager is not None:
            kams.setdefault(manager, []).append(pk)
    # units of each KAM's accounts, for logging interactions (a few per account)
    kam_units: dict[int, list[int]] = {}
    for manager, ids in kams.items():
        found = Unit.objects.filter(pk__in=ids).values_list("pk", flat=True)
        kam_units[manager] = list(found)
    users = {u.pk: u for u in User.objects.filter(is_active=True).exclude(role="")}
    nominated = set(Nomination.objects.values_list("account_id", flat=True))
    candidates = list(
        accounts.filter(tier="transactional")
        .exclude(pk__in=nominated)
        .order_by("pk")
        .values_list("pk", flat=True)[:1600]
    )

    pools: dict[str, list[dict[str, Any]]] = {"kam": [], "executive": [], "sales_manager": []}
    pools["field_rep"] = []
    for user_id, ids in sorted(kams.items()):
        if user_id in users and users[user_id].role == "kam":
            account_plans = [p for a in ids for p in plans.get(a, [])]
            pools["kam"].append(
                {
                    "user": user_id,
                    "accounts": ids,
                    "plans": account_plans,
                    "units": kam_units.get(user_id, []),
                }  # fmt: skip
            )
    for user in users.values():
        if user.role == "executive":
            sample = rng.sample(key_ids, min(200, len(key_ids)))
            pools["executive"].append(
                {
                    "user": user.pk,
                    "accounts": sample,
                    "plans": [p for a in sample for p in plans.get(a, [])],
                    "units": [],
                }  # fmt: skip
            )
        elif user.role == "field_rep" and reps.get(user.pk):
            units = reps[user.pk]
            pools["field_rep"].append(
                {
                    "user": user.pk,
                    "accounts": sorted(set(_accounts_of(units))),
                    "plans": [],
                    "units": units,
                }  # fmt: skip
            )
    managers = [u for u in users.values() if u.role == "sales_manager"]
    for user in managers:
        reports = [pk for pk, manager in key if manager in {
            r.pk for r in users.values() if r.manager_id == user.pk}]  # fmt: skip
        if reports:
            pools["sales_manager"].append(
                {"user": user.pk, "accounts": reports, "plans": [], "units": []}
            )
    # the share of each role among the simulated users
    shares = {"kam": 0.55, "field_rep": 0.25, "executive": 0.10, "sales_manager": 0.10}
    personas: list[dict[str, Any]] = []
    for role, share in shares.items():
        pool = [p for p in pools[role] if p["accounts"]]
        for i in range(round(args.users * share) if pool else 0):
            personas.append({**pool[i % len(pool)], "role": role})
    rng.shuffle(personas)
    # one of each role first: the baseline's users (``--baseline-users``)
    firsts = [next(p for p in personas if p["role"] == r) for r in shares if pools[r]]
    personas = firsts + [p for p in personas if all(p is not f for f in firsts)]
    for persona in personas:
        client = Client()
        client.force_login(users[persona["user"]])
        persona["session"] = client.cookies["sessionid"].value
    Path(args.personas).write_text(json.dumps({"personas": personas, "candidates": candidates}))
    counts = {role: sum(1 for p in personas if p["role"] == role) for role in shares}
    people = {role: len({p["user"] for p in personas if p["role"] == role}) for role in shares}
    log(f"{len(personas)} simulated users: {counts} (distinct people: {people})")
    return {"users": counts, "people": people}


def _accounts_of(unit_ids: list[int]) -> list[int]:
    from kam.customers.models import Unit, account_path

    paths = Unit.objects.filter(pk__in=unit_ids).values_list("path", flat=True)
    roots = {account_path(p) for p in paths}
    return list(Unit.objects.filter(path__in=roots).values_list("pk", flat=True))


def child_queue_import(args: argparse.Namespace) -> dict:
    """Queue a transactions import (``IMPORT_ROWS`` rows of known units and products), as an
    administrator uploading a file and confirming its columns would; the job worker runs it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kam.customers.models import Unit
    from kam.dataio.jobs import import_job_create, import_job_start
    from kam.people.models import User
    from kam.sales.models import Product

    rng = random.Random(args.seed)
    units = list(Unit.objects.exclude(external_id="").values_list("external_id", flat=True)[:5000])
    skus = list(Product.objects.values_list("sku", flat=True))
    today = time.strftime("%Y-%m-%d")
    lines = ["external_id,date,unit,product,quantity,net_amount,currency,cost"]
    stamp = int(time.time())
    for i in range(IMPORT_ROWS):
        net = rng.randrange(1_000, 500_000) / 100
        lines.append(
            f"LOAD{stamp}-{i:06d},{today},{rng.choice(units)},{rng.choice(skus)},"
            f"{rng.randrange(1, 50)},{net:.2f},EUR,{net * 0.7:.2f}"
        )
    upload = SimpleUploadedFile("load-transactions.csv", "\n".join(lines).encode())
    admin = User.objects.filter(is_active=True, role="admin").order_by("pk").first()
    job = import_job_create(user=admin, entity="transactions", upload=upload)
    job = import_job_start(job=job, mapping={})
    return {"job": job.pk, "rows": IMPORT_ROWS}


def child_import_status(args: argparse.Namespace) -> dict:
    from kam.dataio.models import ImportJob

    job = ImportJob.objects.get(pk=args.job)
    seconds = None
    if job.started_at and job.finished_at:
        seconds = (job.finished_at - job.started_at).total_seconds()
    return {"status": job.status, "rows": job.progress_done, "seconds": seconds}


def child_worker_settled(args: argparse.Namespace) -> dict:
    """Whether the job worker's first pass is done: every key account's coverage figures
    kept (decision 137), as in a system that has been in service for a day."""
    from kam.relationships.services import key_accounts_without_figures

    return {"waiting": key_accounts_without_figures().count()}


CHILDREN = {
    "prepare": child_prepare,
    "worker_settled": child_worker_settled,
    "queue_import": child_queue_import,
    "import_status": child_import_status,
}


# --- the parent --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(database_url: str) -> dict[str, str]:
    return child_env(database_url, OUT / "var", KAM_ALLOWED_HOSTS="127.0.0.1,localhost")


def run_child(mode: str, env: dict[str, str], args: argparse.Namespace, **options: Any) -> dict:
    return run_step(SCRIPT, mode, env, "--seed", str(args.seed), echo=True, **options)


class Server:
    """``kam serve`` in its own process group, as ``make demo`` starts it."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kam.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],  # fmt: skip
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(self.url + "/login/", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the server did not start; see {log_path}")
            time.sleep(1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


_RUNS = itertools.count()
_HZ = os.sysconf("SC_CLK_TCK")


def _cpu_by_process(server_group: int | None) -> dict[tuple[int, str], float]:
    """CPU seconds used so far by each process of this test (``/proc``), with its kind: the web
    server's processes, its job worker, PostgreSQL's, locust's; and the machine's busy time
    (all but idle and I/O wait) under ``(0, "machine")``."""
    out: dict[tuple[int, str], float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                command = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / _HZ
        if server_group is not None and int(fields[2]) == server_group:
            kind = "job worker" if " worker" in command else "web"
        elif command.startswith("postgres"):
            kind = "PostgreSQL"
        elif "locust" in command:
            kind = "locust"
        else:
            continue
        out[(int(entry), kind)] = seconds
    with open("/proc/stat", encoding="ascii") as fh:
        ticks = [int(x) for x in fh.readline().split()[1:]]
    out[(0, "machine")] = (sum(ticks[:8]) - ticks[3] - ticks[4]) / _HZ
    return out


class CpuMeter:
    """The CPU each kind of process spends per request over a locust run, from the end of its
    ramp (when locust resets its figures) to its end: a figure that, unlike the p95, hardly
    moves between runs, and says how many requests per second the machine can serve."""

    def __init__(self, server_group: int | None, delay: float) -> None:
        self.server_group = server_group
        self.first: dict[tuple[int, str], float] | None = None
        self.timer = threading.Timer(delay, self._start)
        self.timer.daemon = True
        self.timer.start()
        self.started = 0.0

    def _start(self) -> None:
        self.started = time.monotonic()
        self.first = _cpu_by_process(self.server_group)

    def stop(self, requests: int) -> dict[str, Any] | None:
        self.timer.cancel()
        if self.first is None or requests <= 0:
            return None
        last = _cpu_by_process(self.server_group)
        wall = time.monotonic() - self.started
        # a process that ended during the run is missed (a connection closed); one that
        # started counts from zero
        used: dict[str, float] = {}
        for (pid, kind), seconds in last.items():
            used[kind] = used.get(kind, 0.0) + seconds - self.first.get((pid, kind), 0.0)
        per_request = {kind: round(s * 1000 / requests, 1) for kind, s in sorted(used.items())}
        machine = per_request["machine"]
        return {
            "ms_per_request": per_request,
            "busy_pct": round(used["machine"] / wall * 100),
            "cores": os.cpu_count() or 1,
            # the rate at which the machine's cores would be all busy with this mix
            "capacity_rps": round((os.cpu_count() or 1) * 1000 / machine, 1) if machine else None,
        }


def locust(
    url: str,
    personas: Path,
    users: int,
    seconds: int,
    prefix: Path,
    wait: str | None = None,
    server_group: int | None = None,
) -> dict:
    """One headless locust run; the aggregated and per-request figures of its CSV, and the CPU
    per request of each kind of process (``CpuMeter``)."""
    # each run its own share of the accounts to nominate (bench/locustfile.py)
    env = dict(os.environ, KAM_LOAD_PERSONAS=str(personas), KAM_LOAD_PART=str(next(_RUNS)))
    if wait is not None:
        env["KAM_LOAD_WAIT"] = wait
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(users), "-r", str(max(1, users // 10)), "-t", f"{seconds}s",
        "--host", url, "--csv", str(prefix), "--only-summary", "--reset-stats",
        "--loglevel", "WARNING", "--exit-code-on-error", "0", "--stop-timeout", "10",
    ]  # fmt: skip
    started = time.monotonic()
    spawn_rate = max(1, users // 10)
    meter = CpuMeter(server_group, delay=users / spawn_rate + 1)
    proc = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode:
        sys.stdout.write(proc.stdout + proc.stderr)
        raise SystemExit(f"locust failed (exit {proc.returncode})")
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))  # noqa: SIM115
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8")))  # noqa: SIM115

    def number(text: str) -> float:
        return float("nan") if text in ("", "N/A") else float(text)

    def figures(row: dict[str, str]) -> dict[str, Any]:
        return {
            "name": row["Name"],
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": number(row["Requests/s"]),
            "p50": number(row["50%"]),
            "p95": number(row["95%"]),
            "p99": number(row["99%"]),
            "max": number(row["Max Response Time"]),
        }

    total = next(figures(r) for r in rows if r["Name"] == "Aggregated")
    return {
        "users": users,
        "seconds": seconds,
        "wall": time.monotonic() - started,
        **total,
        "cpu": meter.stop(total["requests"]),
        "by_name": [figures(r) for r in rows if r["Name"] != "Aggregated"],
        "failure_kinds": [
            {"name": f["Name"], "error": f["Error"][:160], "count": int(f["Occurrences"])}
            for f in failures
        ],
    }


def measure(args: argparse.Namespace, database_url: str, label: str) -> dict:
    """Everything of one database: prepare, serve, the baseline, the 200 users, the steps."""
    env = bench_env(database_url)
    personas = OUT / f"load-{label}-personas.json"
    prepared = run_child("prepare", env, args, users=max(args.steps + [args.users]),
                         personas=personas)  # fmt: skip
    server = Server(env, OUT / f"load-{label}-server.log")
    result: dict[str, Any] = {"database": label, "prepared": prepared, "url": server.url}
    try:
        # the steady state of a system in service, not the first minutes after an import: the
        # worker keeps every key account's figures (decision 137) before the users come
        started, left = time.monotonic(), run_child("worker_settled", env, args)["waiting"]
        while left and time.monotonic() - started < SETTLE_SECONDS:
            time.sleep(5)
            left = run_child("worker_settled", env, args)["waiting"]
        result["settled"] = {"seconds": round(time.monotonic() - started), "waiting": left}
        log(f"{label}: the job worker's first pass took {result['settled']['seconds']} s "
            f"({left} key accounts still without kept figures)")  # fmt: skip
        log(f"{label}: one user of each role, 1 s apart, for {args.baseline_seconds} s ...")
        result["baseline"] = locust(
            server.url,
            personas,
            4,
            args.baseline_seconds,
            OUT / f"load-{label}-baseline",
            "1",
            server_group=server.process.pid,
        )
        _say(label, result["baseline"])
        queued = run_child("queue_import", env, args)
        log(f"{label}: {args.users} users for {args.duration} s, an import of "
            f"{queued['rows']:,} rows running ...")  # fmt: skip
        result["main"] = locust(
            server.url,
            personas,
            args.users,
            args.duration,
            OUT / f"load-{label}-main",
            server_group=server.process.pid,
        )
        _say(label, result["main"])
        result["import"] = run_child("import_status", env, args, job=queued["job"])
        log(f"{label}: the import: {result['import']}")
        result["steps"] = []
        # up from the main run while the p95 holds under 1 s; down when even it does not
        up = result["main"]["p95"] <= SATURATION_P95_MS
        for users in args.steps if up else args.down_steps:
            log(f"{label}: {users} users for {args.step_seconds} s ...")
            step = locust(
                server.url,
                personas,
                users,
                args.step_seconds,
                OUT / f"load-{label}-{users}",
                server_group=server.process.pid,
            )
            _say(label, step)
            result["steps"].append(step)
            if (step["p95"] > SATURATION_P95_MS) == up:
                break
    finally:
        server.stop()
    return result


def _say(label: str, run: dict) -> None:
    log(
        f"{label}: {run['users']} users: {run['rps']:.1f} requests/s, {run['requests']} requests,"
        f" {run['failures']} failed, p50 {run['p50']:.0f} ms, p95 {run['p95']:.0f} ms,"
        f" p99 {run['p99']:.0f} ms"
    )


def saturation(result: dict) -> float | None:
    """The highest rate reached with a p95 under 1 s (the 200 users and every step)."""
    runs = [result["main"], *result["steps"]]
    ok = [
        r["rps"]
        for r in runs
        if r["p95"] is not None and r["p95"] < SATURATION_P95_MS and r["failures"] == 0
    ]
    return max(ok) if ok else None


def report(results: list[dict], args: argparse.Namespace) -> list[str]:
    targets: list[str] = []
    for result in results:
        db = result["database"]
        base = result["baseline"]
        print()
        print(f"Load on {db} ({args.scale} scale; {result['prepared']['users']} simulated users)")
        print(f"{'run':<22}{'req/s':>8}{'requests':>10}{'failed':>8}{'p50 ms':>8}{'p95 ms':>8}"
              f"{'p99 ms':>8}{'ratio':>7}")  # fmt: skip
        rows = [("4 users (baseline)", base), (f"{args.users} users", result["main"])]
        rows += [(f"{s['users']} users", s) for s in result["steps"]]
        for name, run in rows:
            ratio = run["p95"] / base["p95"] if base["p95"] else float("nan")
            print(f"{name:<22}{run['rps']:8.1f}{run['requests']:10d}{run['failures']:8d}"
                  f"{run['p50']:8.0f}{run['p95']:8.0f}{run['p99']:8.0f}{ratio:7.1f}")  # fmt: skip
        print(f"\nBy request, {args.users} users (p95 ms; the baseline's p95 beside it):")
        alone = {r["name"]: r for r in base["by_name"]}
        for row in sorted(result["main"]["by_name"], key=lambda r: -r["p95"]):
            b = alone[row["name"]]["p95"] if row["name"] in alone else float("nan")
            print(f"  {row['name']:<36}{row['requests']:7d} req  p95 {row['p95']:6.0f}"
                  f"  alone {b:6.0f}  failed {row['failures']}")  # fmt: skip
        for kind in result["main"]["failure_kinds"][:10]:
            print(f"  failure: {kind['count']} × {kind['name']}: {kind['error']}")
        cpu = result["main"].get("cpu")
        if cpu:
            per = cpu["ms_per_request"]
            kinds = ", ".join(f"{kind} {ms:.1f}" for kind, ms in per.items() if kind != "machine")
            print(
                f"CPU per request, {args.users} users (ms): {kinds}; the machine "
                f"{cpu['ms_per_request']['machine']:.1f} ({cpu['busy_pct']} % busy of "
                f"{cpu['cores'] * 100} %): its cores are full at {cpu['capacity_rps']} requests/s"
            )
        imp = result["import"]
        print(f"The background import: {imp['status']}, {imp['rows']} rows, {imp['seconds']} s")
        main = result["main"]
        sat = saturation(result)
        errors = main["failures"]
        targets.append(f"{db}: {args.users} users, 0 errors: {errors} {verdict(errors == 0)}")
        targets.append(
            f"{db}: {args.users} users, p95 < {P95_TARGET_MS} ms: {main['p95']:.0f} ms "
            f"({main['rps']:.1f} requests/s) {verdict(main['p95'] < P95_TARGET_MS)}"
        )
        targets.append(
            f"{db}: saturation (highest rate with p95 < 1 s): "
            + (f"{sat:.1f} requests/s" if sat else "below the first run's rate")
        )
    print_targets(targets)
    return targets


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["tiny", "small", "medium", "large"], default="medium")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=int, default=300, help="seconds of the main run")
    parser.add_argument("--baseline-seconds", type=int, default=60)
    parser.add_argument(
        "--steps",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[300, 400, 500, 700, 900],
        help="users of each saturation step, comma-separated",
    )
    parser.add_argument(
        "--down-steps",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[100, 50, 25],
        help="users of each step when the main run's p95 is already over 1 s",
    )
    parser.add_argument("--step-seconds", type=int, default=60)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--personas", help=argparse.SUPPRESS)
    parser.add_argument("--job", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--inner-results", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _pages_args(args: argparse.Namespace) -> argparse.Namespace:
    return argparse.Namespace(
        scale=args.scale, seed=args.seed, rebuild=args.rebuild, repeat=1, warm=0, only=None
    )


def load_copy(args: argparse.Namespace) -> Path:
    """A fresh copy of the scored build: the load test writes (sessions, interactions, imports)."""
    import pages

    pages.ensure_scored(_pages_args(args))
    copy = OUT / f"{args.scale}-seed{args.seed}-load.sqlite3"
    remove_sqlite(copy)
    shutil.copyfile(pages.scored_path(_pages_args(args)), copy)
    return copy


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        child_main(CHILDREN, args)
        return
    if args.inner_results:
        check_inner_postgres()
        import score_portfolio

        env = bench_env(os.environ["KAM_DATABASE_URL"])
        log("postgres: copying the scored SQLite build ...")
        run_step(Path(score_portfolio.__file__), "load", env, "--scale", args.scale, echo=True,
                 source=args.source)  # fmt: skip
        result = measure(args, os.environ["KAM_DATABASE_URL"], "postgresql")
        Path(args.inner_results).write_text(json.dumps(result))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    copy = load_copy(args)
    results: list[dict] = []
    if args.db in ("sqlite", "both"):
        results.append(measure(args, f"sqlite:///{copy}", "sqlite"))
    if args.db in ("postgres", "both"):
        flags = ["--scale", args.scale, "--seed", str(args.seed), "--users", str(args.users)]
        flags += ["--duration", str(args.duration), "--step-seconds", str(args.step_seconds)]
        flags += ["--baseline-seconds", str(args.baseline_seconds), "--source", str(copy)]
        flags += ["--steps", ",".join(map(str, args.steps))]
        flags += ["--down-steps", ",".join(map(str, args.down_steps))]
        results.append(run_under_postgres(SCRIPT, flags, OUT / f"load-{args.scale}-postgres.json"))
    targets = report(results, args)
    if args.json:
        document = _without_nan({"results": results, "targets": targets})
        Path(args.json).write_text(json.dumps(document, indent=2, allow_nan=False))


def _without_nan(value: Any) -> Any:
    """``null`` where locust had no figure ("N/A", kept as NaN above): strict JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _without_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nan(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
