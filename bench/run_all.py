"""Run every benchmark of bench/ and write bench/RESULTS.md (``make bench``).

Run from the repository root::

    .venv/bin/python bench/run_all.py                   # small sizes: about 10 minutes
    .venv/bin/python bench/run_all.py --scale large     # the issue's sizes: long the first time
    .venv/bin/python bench/run_all.py --only pages,score --db sqlite

Each benchmark runs as its own script with ``--json``; this script only collects the figures into
one table: each figure, its target, and its ratio to a baseline measured in the same run (so the
table can be compared across machines). The page benchmark's JSON also says which demo build
it measured, and whether it built it in this run: that is the table's "demo build" row.
RESULTS.md is regenerated each time, with the date, the machine's facts and each benchmark's
run time. A benchmark that fails is listed as failed; the others still run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, log, remove_sqlite, verdict
from load import P95_TARGET_MS, SATURATION_P95_MS, saturation

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "RESULTS.md"

# (script, its options at the small size, its options at the large size), in the order they run
SIZES: dict[str, tuple[str, list[str], list[str]]] = {
    # first: it builds (or reuses) the demo that load.py and, at large, dashboard and health use
    "pages": ("pages.py", ["--scale", "small", "--repeat", "10"], ["--scale", "large"]),
    "score": ("score_portfolio.py", ["--scale", "small", "--repeat", "1"], ["--scale", "large"]),
    "import": (
        "import_transactions.py",
        ["--rows", "100000", "--die-rows", "5000", "--units", "2000"],
        [],
    ),
    "contention": (
        "contention.py",
        ["--rows", "100000", "--units", "2000", "--clients", "5", "--baseline", "10"],
        [],
    ),
    "load": (
        "load.py",
        # small: a short smoke of the 200 users, no saturation steps
        ["--scale", "small", "--duration", "30", "--baseline-seconds", "10"]
        + ["--steps", "", "--down-steps", ""],
        [],  # medium build, 200 users for 300 s, then the saturation steps
    ),
    "dashboard": (
        "dashboard.py",
        ["--scale", "small", "--repeat", "10"],
        ["--scale", "large", "--reuse"],
    ),
    "health": ("health.py", ["--scale", "small"], ["--scale", "large", "--seed", "1", "--reuse"]),
    "relationship_map": (
        "relationship_map.py",
        ["--contacts", "2000", "--interactions", "40000", "--repeat", "5"],
        [],  # 10,000 contacts, 200,000 interactions
    ),
    "capture": ("capture.py", ["--events", "2000", "--messages", "2000"], []),
    "import_units": (
        "import_units.py",
        ["--sizes", "4000", "20000", "--baseline", "2000"],
        [],  # 20,000 and 100,000 units, the unit-by-unit path at 20,000
    ),
    "field_route": ("field_route.py", [], []),
    "backtest": ("backtest.py", ["--accounts", "500"], []),  # large: 2,000 accounts and CDNOW
}
# no --db option: SQLite only (left out with --db postgres), or no database at all (always run)
SQLITE_ONLY = {"contention", "dashboard", "health", "relationship_map", "capture", "import_units"}
NO_DATABASE = {"field_route", "backtest"}
# At the large size these measure a fresh copy of the page benchmark's scored build (the file
# they reuse, as bench/README.md runs them) instead of building the large demo once more each.
COPY_OF_BUILD = {"dashboard": "dashboard-large.sqlite3", "health": "health-large-1.sqlite3"}
BUILD_TARGET_S = 900  # the large demo build, issue 18: 15 minutes

Row = dict[str, Any]  # figure, value, target, ratio, verdict


def _ms(value: float) -> str:
    return f"{value:,.1f} ms"


def rows_build(build: dict | None) -> list[Row]:
    """The demo build the page benchmark measured: built in this run, or an earlier run's. Its
    time is the build's own report (the sum of its phases, as ``kam demo-data`` gives it), without
    the migration and the judgement inputs the benchmark adds; an old record has only the total."""
    if not build or build.get("seconds") is None:
        return []
    phases = build.get("phases") or []
    seconds = sum(phase[1] for phase in phases) if phases else build["seconds"]
    large = build["scale"] == "large"
    value = f"{seconds:,.0f} s" + ("" if build["built_now"] else " (earlier build)")
    slowest = max(phases, key=lambda phase: phase[1], default=None)
    if slowest:
        value += f"; slowest phase: {slowest[0]}, {slowest[1]:,.0f} s"
    return [
        {
            "figure": f"demo build at {build['scale']} (seed {build['seed']})",
            "value": value,
            "target": f"≤ {BUILD_TARGET_S} s (15 min)"
            if large
            else f"none at this scale (≤ {BUILD_TARGET_S} s at large)",
            "ratio": "",  # no same-run baseline
            "verdict": verdict(seconds <= BUILD_TARGET_S) if large else "—",
        }
    ]


def rows_pages(data: dict) -> list[Row]:
    out = rows_build(data.get("build"))
    for r in data["rows"]:
        out.append(
            {
                "figure": f"{r['database']}: page `{r['name']}` p95 ({r['queries']} queries)",
                "value": f"{_ms(r['p95'])} (CPU {_ms(r['cpu_p50'])})",
                "target": f"≤ {r['target_ms']} ms",
                "ratio": f"{r['ratio']:.1f}× the sign-in page",
                "verdict": r["verdict"],
            }
        )
    return out


def rows_score(data: list[dict]) -> list[Row]:
    out = []
    for r in data:
        ours, theirs = r["openkam"]["seconds"], r["pandas_seconds"]
        target = "< 10 s, ≥ 10× pandas" if r["db"] == "sqlite" else "≥ 10× pandas"
        ok = theirs / ours >= 10 and (r["db"] != "sqlite" or ours < 10)
        out.append(
            {
                "figure": f"{r['db']}: full rescoring, {r['accounts']:,} accounts",
                "value": f"{ours:.2f} s",
                "target": target,
                "ratio": f"{theirs / ours:.1f}× faster than the pandas reference",
                "verdict": "PASS" if ok and r["agree"] else "MISS",
            }
        )
    return out


def rows_import(data: list[dict]) -> list[Row]:
    out = []
    for db in ("sqlite", "postgres"):
        mine = [r for r in data if r["db"] == db]
        ours = [r for r in mine if r["mode"] == "openkam"]
        full = max(ours, key=lambda r: r["rows"], default=None)
        if full is None:
            continue
        die = next((r for r in mine if r["mode"] == "die"), None)
        floor = next((r for r in mine if r["mode"] == "floor"), None)
        ratios = []
        if die:
            ratios.append(f"{full['rows_per_s'] / die['rows_per_s']:.1f}× django-import-export")
        if floor:
            ratios.append(f"floor {floor['rows_per_s'] / full['rows_per_s']:.2f}× OpenKAM")
        ok = (not die or full["rows_per_s"] / die["rows_per_s"] >= 20) and (
            not floor or floor["rows_per_s"] / full["rows_per_s"] <= 2.5
        )
        if db == "postgres":
            ok = ok and full["rows_per_s"] >= 100_000
        target = "≥ 20× d-i-e, ≤ 2.5× floor" + (", ≥ 100k rows/s" if db == "postgres" else "")
        out.append(
            {
                "figure": f"{db}: transaction import, {full['rows']:,} rows",
                "value": f"{full['rows_per_s']:,.0f} rows/s",
                "target": target,
                "ratio": "; ".join(ratios),
                "verdict": "PASS" if ok else "MISS",
            }
        )
    return out


def rows_contention(data: dict) -> list[Row]:
    base, during = data["baseline"], data["during"]
    if not during.get("writes"):
        return []
    ok = during["p95"] < 2 and during["server_errors"] == 0 and during["failed_connections"] == 0
    return [
        {
            "figure": f"sqlite: web write p95 during a {data['rows']:,}-row import",
            "value": f"{during['p95']:.2f} s ({during['server_errors']} server errors)",
            "target": "< 2 s, 0 errors",
            "ratio": f"{during['p95'] / base['p95']:.1f}× the p95 without the import"
            if base.get("p95")
            else "",
            "verdict": "PASS" if ok else "MISS",
        }
    ]


def rows_load(data: dict) -> list[Row]:
    out = []
    for r in data["results"]:
        db, base, main = r["database"], r["baseline"], r["main"]
        if main["p95"] is None:  # no request answered: locust had no figure
            target = f"0 errors, p95 < {P95_TARGET_MS} ms"
            no_answer = {"value": "no request answered", "target": target, "ratio": ""}
            out.append({"figure": f"{db}: load", **no_answer, "verdict": verdict(False)})
            continue
        ok = main["failures"] == 0 and main["p95"] < P95_TARGET_MS
        out.append(
            {
                "figure": f"{db}: load, {main['users']} users for {main['seconds']} s "
                "with an import running",
                "value": f"p95 {main['p95']:,.0f} ms, {main['rps']:.1f} req/s, "
                f"{main['failures']} failed",
                "target": f"0 errors, p95 < {P95_TARGET_MS} ms",
                "ratio": f"{main['p95'] / base['p95']:.1f}× the p95 of {base['users']} users alone"
                if base["p95"]
                else "",
                "verdict": verdict(ok),
            }
        )
        sat = saturation(r)
        out.append(
            {
                "figure": f"{db}: load, saturation (highest rate with p95 < "
                f"{SATURATION_P95_MS / 1000:g} s)",
                "value": f"{sat:.1f} req/s" if sat else "below the first run's rate",
                "target": "measured, no target",
                "ratio": f"{sat / base['rps']:.1f}× the rate of {base['users']} users alone"
                if sat and base["rps"]
                else "",
                "verdict": "—",
            }
        )
    return out


def rows_dashboard(data: dict) -> list[Row]:
    scale = data["scale"]
    return [
        {
            "figure": f"sqlite: dashboard p95, warm ({scale}, {data['accounts']:,} accounts, "
            f"{data['queries']} queries)",
            "value": _ms(data["dashboard"]["p95"]),
            "target": f"< {data['target_ms']:.0f} ms"
            + ("" if scale == "large" else " (the issue's, at large)"),
            "ratio": f"{data['ratios']['dashboard']['p95']:.2f}× the portfolio page's p50",
            "verdict": data["verdict"],
        }
    ]


def rows_health(data: dict) -> list[Row]:
    scale, keys, part = data["scale"], data["key_recompute"], data["refresh_5pct"]
    out = [
        {
            "figure": f"sqlite: health, recompute of the {keys['accounts']:,} key accounts "
            f"({scale})",
            "value": f"{keys['seconds']:.2f} s",
            "target": f"< {keys['target_seconds']} s",
            "ratio": f"every account ({data['every_account']['accounts']:,}): "
            f"{data['ratio']:.2f}× the pandas reference",
            "verdict": keys["verdict"],
        },
        {
            "figure": f"sqlite: health, refresh of {part['accounts']:,} stale accounts (5 %)",
            "value": f"{part['seconds']:.2f} s",
            "target": f"< {part['target_seconds']} s",
            "ratio": f"{part['seconds'] / keys['seconds']:.2f}× the key accounts' recompute"
            if keys["seconds"]
            else "",
            "verdict": part["verdict"],
        },
    ]
    test = data["backtest"]
    if test.get("auc") is not None and test["baseline"].get("auc"):
        out.append(
            {
                "figure": f"sqlite: health backtest AUC, {test['horizon_months']} months "
                f"after {test['as_of']} ({test['accounts']:,} accounts)",
                "value": f"{test['auc']:.3f}",
                "target": "measured, no target",
                "ratio": f"{test['auc'] / test['baseline']['auc']:.2f}× recency alone's "
                f"({test['baseline']['auc']:.3f})",
                "verdict": test["verdict"],
            }
        )
    return out


def rows_relationship_map(data: dict) -> list[Row]:
    ratios = {
        "map page + data p50": f"the per-person baseline {data['map_ratio']:.0f}× the map data",
        "warm paths p50": f"the BFS baseline {data['paths_ratio']:.1f}× the warm paths",
    }
    return [
        {
            "figure": f"sqlite: {t['figure']}, one account of {data['contacts']:,} contacts, "
            f"{data['interactions']:,} interactions",
            "value": _ms(t["ms"]),
            "target": f"< {t['target_ms']:.0f} ms",
            "ratio": ratios.get(t["figure"], ""),
            "verdict": t["verdict"],
        }
        for t in data["targets"]
    ]


def rows_capture(data: dict) -> list[Row]:
    return [
        {
            "figure": f"sqlite: capture of a {r['size']:,}-item {r['source']}",
            "value": f"{r['seconds']:.2f} s (CPU {r['cpu_seconds']:.2f} s)",
            "target": f"< {r['target_seconds']:.0f} s",
            "ratio": f"{r['ratio']:.1f}× parsing the file alone",
            "verdict": r["verdict"],
        }
        for r in data["results"]
    ]


def rows_import_units(data: dict) -> list[Row]:
    rate, flat, base = data["rate"], data["flat"], data["baseline"]
    ratio = rate["units_per_s"] / base["units_per_s"]
    return [
        {
            "figure": f"sqlite: unit import, {rate['units']:,} units",
            "value": f"{rate['units_per_s']:,.0f} units/s",
            "target": f"≥ {rate['target_units_per_s']:,} units/s",
            "ratio": f"{ratio:.1f}× the unit-by-unit path ({base['units']:,} units)",
            "verdict": rate["verdict"],
        },
        {
            "figure": f"sqlite: unit import, flat cost ({flat['from_units']:,} → "
            f"{flat['to_units']:,} units)",
            "value": f"{flat['ratio']:.0%} of the smaller import's rate",
            "target": "≥ 80 %",
            "ratio": "",
            "verdict": flat["verdict"],
        },
    ]


def rows_field_route(data: dict) -> list[Row]:
    return [
        {
            "figure": f"route of a week's {data['visits']} visits (VROOM)",
            "value": _ms(data["vroom_ms"]),
            "target": f"< {data['limit_ms']:,.0f} ms, tour ≤ nearest neighbour's",
            "ratio": f"tour {data['ratio']:.2f}× the nearest-neighbour tour",
            "verdict": data["verdict"],
        }
    ]


def rows_backtest(data: dict) -> list[Row]:
    names = {"v2": "model v2", "ceil": "the ceiling (the generator's own expectation)"}
    return [
        {
            "figure": f"backtest: {names[s['label']]} on {s['set']} (cut-offs × horizons × K)",
            "value": f"revenue target met in {s['revenue_met']} of {s['rows']} rows, "
            f"growth in {s['growth_met']} of {s['rows']}",
            "target": "every row: revenue capture ≥ naive, growth capture ≥ naive + 0.10",
            "ratio": f"revenue capture {s['revenue_capture_mean']:.3f} vs naive "
            f"{s['naive_revenue_capture_mean']:.3f} (mean)",
            "verdict": s["verdict"],
        }
        for s in data["summary"]
        if s["label"] in names
    ]


COLLECT: dict[str, Callable[[Any], list[Row]]] = {
    "pages": rows_pages,
    "score": rows_score,
    "import": rows_import,
    "contention": rows_contention,
    "load": rows_load,
    "dashboard": rows_dashboard,
    "health": rows_health,
    "relationship_map": rows_relationship_map,
    "capture": rows_capture,
    "import_units": rows_import_units,
    "field_route": rows_field_route,
    "backtest": rows_backtest,
}


def machine() -> list[str]:
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    postgres = ""
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres")):
        postgres = subprocess.run([str(d), "--version"], capture_output=True, text=True).stdout
    return [
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs, {memory or 'memory unknown'}, "
        f"{platform.system()} {platform.release()}",
        f"- Processor: {platform.processor() or 'unknown'}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"PostgreSQL {postgres.split()[2] if postgres else 'not installed'}",
        f"- Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}",
    ]


def write_results(
    rows: list[Row], failed: list[str], took: dict[str, float], args: argparse.Namespace
) -> None:
    lines = [
        "# Benchmark results",
        "",
        "<!-- Written by `make bench` (bench/run_all.py); regenerated on each run. -->",
        "",
        *machine(),
        f"- Sizes: {args.scale}; databases: {args.db}",
        "- Time per benchmark: "
        + ", ".join(f"{name} {seconds / 60:.1f} min" for name, seconds in took.items()),
        "",
        "Ratios are to a baseline measured in the same run (see bench/README.md): they move far",
        "less than the raw figures from one machine, or one load, to the next.",
        "",
        "| figure | value | target | same-run ratio | verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['figure']} | {r['value']} | {r['target']} | {r['ratio']} | {r['verdict']} |"
        )
    for name in failed:
        lines.append(f"| {name} | failed (see the run's output) | | | MISS |")
    RESULTS.write_text("\n".join(lines) + "\n")
    log(f"wrote {RESULTS.relative_to(ROOT)}")


def copy_of_build(name: str) -> None:
    """At the large size: a fresh copy of the page benchmark's scored build (migrated by it in
    this run) where dashboard.py or health.py reuses one; without that build they make their own."""
    source = OUT / "large-seed1-pages.sqlite3"
    if not source.exists():
        log(f"{name}: no {source.name}; it builds the large demo itself")
        return
    target = OUT / COPY_OF_BUILD[name]
    remove_sqlite(target)
    log(f"{name}: copying {source.name} to {target.name}")
    shutil.copyfile(source, target)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--only", help=f"comma-separated, of: {', '.join(SIZES)}")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(SIZES)
    unknown = [name for name in names if name not in SIZES]
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    OUT.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    failed: list[str] = []
    took: dict[str, float] = {}
    for name in names:
        script, small, large = SIZES[name]
        out = OUT / f"results-{name}.json"
        out.unlink(missing_ok=True)
        command = [sys.executable, str(ROOT / "bench" / script)]
        command += small if args.scale == "small" else large
        if name in SQLITE_ONLY:
            if args.db == "postgres":
                continue
        elif name not in NO_DATABASE:
            command += ["--db", args.db]
        command += ["--json", str(out)]
        started = time.monotonic()
        if args.scale == "large" and name in COPY_OF_BUILD:
            copy_of_build(name)
        log(f"{name}: {' '.join(command[1:])}")
        done = subprocess.run(command, cwd=ROOT)
        took[name] = time.monotonic() - started
        # the figures are written last: a file means the benchmark ran to its end (field_route.py
        # exits 1 on a MISS after writing them)
        if not out.exists():
            failed.append(name)
            continue
        if done.returncode:
            log(f"{name}: exit {done.returncode} after writing its figures")
        try:
            rows += COLLECT[name](json.loads(out.read_text()))
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as error:
            log(f"{name}: its figures could not be read: {error!r}")
            failed.append(name)
    write_results(rows, failed, took, args)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
