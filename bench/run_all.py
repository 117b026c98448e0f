"""Run every benchmark of bench/ and write bench/RESULTS.md (``make bench``).

Run from the repository root::

    .venv/bin/python bench/run_all.py                   # small sizes: a few minutes
    .venv/bin/python bench/run_all.py --scale large     # the issue's sizes: long the first time
    .venv/bin/python bench/run_all.py --only pages,score --db sqlite

Each benchmark runs as its own script with ``--json``; this script only collects the figures into
one table: each figure, its target, and its ratio to a baseline measured in the same run (so the
table can be compared across machines). RESULTS.md is regenerated each time, with the date and
the machine's facts. A benchmark that fails is listed as failed; the others still run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, log

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "RESULTS.md"

# (script, its options at the small size, its options at the large size)
SIZES: dict[str, tuple[str, list[str], list[str]]] = {
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
}
SQLITE_ONLY = {"contention"}

Row = dict[str, Any]  # figure, value, target, ratio, verdict


def _ms(value: float) -> str:
    return f"{value:,.1f} ms"


def rows_pages(data: dict) -> list[Row]:
    out = []
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


COLLECT: dict[str, Callable[[Any], list[Row]]] = {
    "pages": rows_pages,
    "score": rows_score,
    "import": rows_import,
    "contention": rows_contention,
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


def write_results(rows: list[Row], failed: list[str], args: argparse.Namespace) -> None:
    lines = [
        "# Benchmark results",
        "",
        "<!-- Written by `make bench` (bench/run_all.py); regenerated on each run. -->",
        "",
        *machine(),
        f"- Sizes: {args.scale}; databases: {args.db}",
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--only", help=f"comma-separated, of: {', '.join(SIZES)}")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(SIZES)
    OUT.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    failed: list[str] = []
    for name in names:
        script, small, large = SIZES[name]
        out = OUT / f"results-{name}.json"
        out.unlink(missing_ok=True)
        command = [sys.executable, str(ROOT / "bench" / script)]
        command += small if args.scale == "small" else large
        if name not in SQLITE_ONLY:
            command += ["--db", args.db]
        elif args.db == "postgres":
            continue
        command += ["--json", str(out)]
        log(f"{name}: {' '.join(command[1:])}")
        done = subprocess.run(command, cwd=ROOT)
        if done.returncode or not out.exists():
            failed.append(name)
            continue
        rows += COLLECT[name](json.loads(out.read_text()))
    write_results(rows, failed, args)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
