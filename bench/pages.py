"""Page benchmark: every page and main API list, warm, through the real middleware stack.

Run from the repository root::

    .venv/bin/python bench/pages.py                              # large, SQLite + PostgreSQL
    .venv/bin/python bench/pages.py --scale medium --db sqlite   # quicker
    .venv/bin/python bench/pages.py --scale small --repeat 10 --only portfolio,api-units

What it does (bench/README.md, "Page benchmark", says how to read the table):

1. builds, or reuses, the demo portfolio at ``--scale`` (the same SQLite file as
   ``bench/score_portfolio.py``, under ``bench/out/``), then once per build a copy of it with a
   scoring run (``kam score``) so that the scores, matrix and nomination pages have data;
2. per database, in a child process: logs each persona in (a real session row, the real session
   and authentication middleware), requests each page of ``PAGES`` ``--warm`` times, then
   ``--repeat`` times with the clock running: p50 and p95 in milliseconds, and once more with the
   SQL queries counted. Every answer must be 200; a page that answers anything else is reported
   as an error (the run goes on);
3. the same-run baselines: the sign-in page (a signed-out GET that renders a template through the
   whole stack) and a bare ``SELECT 1`` (the database round trip). The ratio column is the page's
   p95 divided by the sign-in page's p50: a slower or faster machine moves the figures, but not
   the ratios;
4. PostgreSQL runs under ``scripts/with-postgres.sh`` (a throwaway server): migrated, filled by
   copying every table of the scored SQLite copy, analysed, then measured the same way. To
   measure an existing PostgreSQL database instead, pass ``--db postgres://user@host/name``
   (it must already hold a scored demo build; nothing is written except sessions).

The pages are listed in ``src/kam/testing/pages.py`` (``PAGES``), shared with the test that
checks that no page's query count grows with the data (web/tests/test_query_bounds.py): a new
page is one line there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, check_inner_postgres, child_main, log, remove_sqlite, run_step
from _common import bench_env as child_env
from _common import run_under_postgres as run_pg

SCRIPT = Path(__file__).resolve()
OUT = ROOT / "bench" / "out"

# --- in the child process ----------------------------------------------------------------------


def _static_without_manifest() -> None:
    """The benchmark does not run collectstatic: static URLs come from the source folders."""
    from django.conf import settings
    from django.test.utils import override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages, DEBUG=False).enable()


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _time(call: Callable[[], Any], warm: int, repeat: int) -> dict[str, float]:
    for _ in range(warm):
        call()
    samples, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return {
        "p50": statistics.median(samples),
        "p95": _percentile(samples, 0.95),
        "max": max(samples),
        # this process's CPU per request: what the neighbours' load does not inflate (on SQLite
        # it includes the database's work, on PostgreSQL not)
        "cpu_p50": statistics.median(cpu),
    }


def child_measure(args: argparse.Namespace) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kam.core.runtime import settle
    from kam.people.models import User
    from kam.testing.pages import PAGES, find_ids

    _static_without_manifest()
    ids = find_ids()
    settle()  # as kam.wsgi does once the application is loaded; the middleware does the rest
    only = set(args.only.split(",")) if args.only else None
    clients: dict[str, Client] = {}

    def client_for(username: str | None) -> Client:
        key = username or ""
        if key not in clients:
            client = Client(HTTP_HOST="localhost")
            if username:
                client.force_login(User.objects.get(username=username))
            clients[key] = client
        return clients[key]

    def measure(name: str, url: str, username: str | None, target: int | None) -> dict:
        client = client_for(username)
        status: list[int] = []

        def get() -> None:
            status.append(client.get(url).status_code)

        row: dict[str, Any] = {"name": name, "url": url, "user": username, "target_ms": target}
        row.update(_time(get, args.warm, args.repeat))
        with CaptureQueriesContext(connection) as queries:
            get()
        row["queries"] = len(queries.captured_queries)
        bad = sorted({s for s in status if s != 200})
        row["error"] = f"HTTP {', '.join(map(str, bad))}" if bad else None
        log(
            f"{connection.vendor}: {name:<24} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms"
            f"  CPU {row['cpu_p50']:6.1f} ms"
            f"  {row['queries']:3d} queries{'  ' + row['error'] if row['error'] else ''}"
        )
        return row

    def select_one() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    baselines = [
        {"name": "baseline: SELECT 1", **_time(select_one, args.warm, args.repeat * 5)},
        measure("baseline: sign-in page", "/login/", None, None),
    ]
    rows: list[dict] = []
    for page in PAGES:
        if only and page.name not in only:
            continue
        url = page.url(ids)
        if url is None:
            rows.append({"name": page.name, "skipped": "nothing to show in this build"})
            continue
        rows.append(measure(page.name, url, page.login(ids), page.target_ms))
    return {"database": connection.vendor, "baselines": baselines, "pages": rows}


def child_prepare(args: argparse.Namespace) -> dict:
    """Score the copy once: the scores, matrix and nomination pages need a run."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("score", "--as-of", args.as_of, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return {"seconds": time.perf_counter() - started}


def child_migrate(args: argparse.Namespace) -> dict:
    """Bring a reused build to the code's schema: a build made before a migration would
    otherwise fail on its first page (the kept account sums, decision 114)."""
    from django.core.management import call_command

    from kam.sales.discounts import discounts_refresh_due
    from kam.sales.services import account_revenue_refresh_due

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    # what the worker keeps before a user looks: every account's kept sums (a migration may
    # have marked them, decision 123) and the key accounts' list-price sums (decision 122)
    kept = time.perf_counter()
    refreshed = account_revenue_refresh_due()
    if refreshed:
        log(f"kept revenue of {refreshed} accounts in {time.perf_counter() - kept:.1f} s")
    kept = time.perf_counter()
    refreshed = discounts_refresh_due()
    if refreshed:
        log(f"kept discounts of {refreshed} accounts in {time.perf_counter() - kept:.1f} s")
    return {"seconds": time.perf_counter() - started}


def child_load(args: argparse.Namespace) -> dict:
    from score_portfolio import child_load as load

    return load(args)


CHILDREN = {
    "measure": child_measure,
    "prepare": child_prepare,
    "migrate": child_migrate,
    "load": child_load,
}


# --- the parent --------------------------------------------------------------------------------


def bench_env(database_url: str) -> dict[str, str]:
    return child_env(database_url, OUT / "var")


def run_child(mode: str, env: dict[str, str], args: argparse.Namespace, **options: Any) -> dict:
    flags = ["--scale", args.scale, "--seed", str(args.seed), "--repeat", str(args.repeat)]
    flags += ["--warm", str(args.warm)]
    if args.only:
        flags += ["--only", args.only]
    return run_step(SCRIPT, mode, env, *flags, echo=True, **options)


def scored_path(args: argparse.Namespace) -> Path:
    return OUT / f"{args.scale}-seed{args.seed}-pages.sqlite3"


def ensure_scored(args: argparse.Namespace) -> dict:
    """The demo build (shared with score_portfolio.py), copied once and scored; its record
    (``build_seconds``, ``phases``), with ``built_now`` saying whether this call built it."""
    import score_portfolio

    build_args = argparse.Namespace(
        scale=args.scale, seed=args.seed, rebuild=args.rebuild, repeat=1, profile=False
    )
    built_now = not score_portfolio.build_reusable(build_args)
    meta = score_portfolio.ensure_build(build_args)
    source = score_portfolio.sqlite_path(build_args)
    target = scored_path(args)
    record = target.with_suffix(".json")
    if record.exists() and target.exists() and not args.rebuild:
        run_child("migrate", bench_env(f"sqlite:///{target}"), args)
        return {**meta, "built_now": built_now}
    remove_sqlite(target)
    log(f"copying {source.name} to {target.name} and scoring it ...")
    shutil.copyfile(source, target)
    run_child("migrate", bench_env(f"sqlite:///{target}"), args)
    done = run_child("prepare", bench_env(f"sqlite:///{target}"), args, as_of=meta["today"])
    record.write_text(json.dumps({**meta, "score_seconds": done["seconds"]}, indent=2))
    return {**meta, "built_now": built_now}


def bench_postgres_inner(args: argparse.Namespace) -> dict:
    env = bench_env(os.environ["KAM_DATABASE_URL"])
    log("postgres: copying the scored SQLite build ...")
    run_child("load", env, args, source=scored_path(args))
    return run_child("measure", env, args)


def report(results: list[dict], args: argparse.Namespace) -> list[dict]:
    """Print one table per database; return the flat rows (for RESULTS.md)."""
    flat: list[dict] = []
    for result in results:
        db = result["database"]
        baseline = result["baselines"][1]["p50"]
        print()
        print(f"Pages on {db} ({args.scale} scale, {args.repeat} timed requests each, warm)")
        print(
            f"{'page':<26}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms':>8}{'target':>8}{'queries':>9}"
            f"{'ratio':>8}  verdict"
        )
        for b in result["baselines"]:
            print(
                f"{b['name']:<26}{b['p50']:9.1f}{b['p95']:9.1f}{b['cpu_p50']:8.1f}{'':>8}"
                f"{b.get('queries', ''):>9}"
            )
        for row in result["pages"]:
            if "skipped" in row:
                print(f"{row['name']:<26}  skipped: {row['skipped']}")
                continue
            ratio = row["p95"] / baseline if baseline else float("nan")
            ok = row["error"] is None and row["p95"] <= row["target_ms"]
            verdict = row["error"] or ("PASS" if ok else "MISS")
            print(
                f"{row['name']:<26}{row['p50']:9.1f}{row['p95']:9.1f}{row['cpu_p50']:8.1f}"
                f"{row['target_ms']:8d}"
                f"{row['queries']:9d}{ratio:8.1f}  {verdict}"
            )
            flat.append({**row, "database": db, "ratio": ratio, "verdict": verdict})
    return flat


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["tiny", "small", "medium", "large"], default="large")
    parser.add_argument(
        "--db",
        default="both",
        help="sqlite, postgres (a throwaway server), both, or postgres://… (an existing database)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument("--warm", type=int, default=3, help="untimed requests per page first")
    parser.add_argument("--only", help="comma-separated page names")
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--inner-results", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        child_main(CHILDREN, args)
        return
    if args.inner_results:
        check_inner_postgres()
        Path(args.inner_results).write_text(json.dumps(bench_postgres_inner(args)))
        return
    results: list[dict] = []
    build = None  # the demo build measured: None for an existing PostgreSQL database
    if args.db.startswith("postgres://") or args.db.startswith("postgresql://"):
        results.append(run_child("measure", bench_env(args.db), args))
    else:
        meta = ensure_scored(args)
        build = {
            "scale": args.scale,
            "seed": args.seed,
            "built_now": meta["built_now"],  # False: an earlier run's build, reused
            "seconds": meta.get("build_seconds"),
            "phases": meta.get("phases"),  # [label, wall seconds, CPU seconds]
            "counts": meta.get("counts"),
        }
        if args.db in ("sqlite", "both"):
            results.append(run_child("measure", bench_env(f"sqlite:///{scored_path(args)}"), args))
        if args.db in ("postgres", "both"):
            flags = ["--scale", args.scale, "--seed", str(args.seed), "--repeat", str(args.repeat)]
            flags += ["--warm", str(args.warm)] + (["--only", args.only] if args.only else [])
            out = OUT / f"{args.scale}-seed{args.seed}-pages-postgres.json"
            results.append(run_pg(SCRIPT, flags, out))
    flat = report(results, args)
    if args.json:
        data = {"scale": args.scale, "rows": flat, "build": build}
        Path(args.json).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    sys.exit(main())
