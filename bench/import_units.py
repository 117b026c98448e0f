"""Benchmark the unit import: units per second at 20,000 and 100,000 units on SQLite, and the
ratio to the unit-by-unit path (``UnitImporter.bulk = False``) in the same run.

Run from the repository root::

    .venv/bin/python bench/import_units.py                       # 20k and 100k, baseline at 20k
    .venv/bin/python bench/import_units.py --sizes 5000 --baseline 2000
    .venv/bin/python bench/import_units.py --sizes 2000 10000 --baseline 1000 --json out.json

Target (issue 10): at least 5,000 units/s at 100,000 units, and a flat cost per row (the rate at
100k within 20 % of the rate at 20k). The tree: a tenth of the units are accounts, the rest
spread over four levels below them, parents named by external id, in a shuffled file. Each
measurement starts from an empty unit table of a temporary SQLite database; ``var/`` is not
touched.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_tree(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    rows: list[tuple[str, str, str]] = []
    levels: list[list[str]] = [[]]
    accounts = max(1, n // 10)
    for i in range(n):
        ext = f"U{i:07d}"
        if i < accounts:
            levels[0].append(ext)
            rows.append((ext, f"Group {i}", ""))
            continue
        depth = min(4, 1 + rng.randrange(4))
        while len(levels) <= depth:
            levels.append([])
        parents = levels[depth - 1] or levels[0]
        levels[depth].append(ext)
        rows.append((ext, f"Unit {i}", rng.choice(parents)))
    # parents before children is not required: the importer orders by level
    rng.shuffle(rows)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["external_id", "name", "parent", "country"])
        for ext, name, parent in rows:
            out.writerow([ext, name, parent, "DE"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--baseline", type=int, default=20_000, help="units for the old path")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kam-bench-units-"))
    os.environ["KAM_VAR_DIR"] = str(tmp)
    os.environ["KAM_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from kam.dataio.importers import UnitImporter
    from kam.dataio.services import import_file

    call_command("migrate", verbosity=0)

    def empty() -> None:
        with connection.cursor() as cursor:
            for table in (
                "customers_unit",
                "customers_historicalunit",
                "identification_staleaccount",
            ):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names

    def measure(n: int, bulk: bool) -> tuple[float, float, float]:
        """Units per second (wall clock), wall seconds and CPU seconds of this process."""
        path = tmp / f"units-{n}.csv"
        if not path.exists():
            write_tree(path, n)
        empty()
        UnitImporter.bulk = bulk
        start, cpu = time.perf_counter(), time.process_time()
        report = import_file(entity="units", path=path)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        UnitImporter.bulk = True
        assert report.ok and report.created == n, report.summary()
        return n / elapsed, elapsed, cpu

    def line(label: str, n: int, rate: float, elapsed: float, cpu: float) -> None:
        print(
            f"{label}, {n:>7,} units: {rate:>8,.0f} units/s"
            f"  ({elapsed:,.2f} s wall, {cpu:,.2f} s CPU: {n / cpu:,.0f} units per CPU second)",
            flush=True,
        )

    rates = {}
    runs = []
    for n in args.sizes:
        rates[n], elapsed, cpu = measure(n, bulk=True)
        line("bulk", n, rates[n], elapsed, cpu)
        runs.append({"units": n, "units_per_s": rates[n], "seconds": elapsed, "cpu_seconds": cpu})
    old, elapsed, cpu = measure(args.baseline, bulk=False)
    line("one by one", args.baseline, old, elapsed, cpu)
    baseline = {"units": args.baseline, "units_per_s": old, "seconds": elapsed, "cpu_seconds": cpu}
    for n in args.sizes:
        print(f"ratio at {n:,}: {rates[n] / old:,.1f} × the unit-by-unit path")
    big, small = max(args.sizes), min(args.sizes)
    flat = rates[big] >= 0.8 * rates[small]
    print(f"target ≥ 5,000 units/s at {big:,}: {'PASS' if rates[big] >= 5000 else 'MISS'}")
    print(f"flat per-row cost ({small:,} → {big:,}): {'PASS' if flat else 'MISS'}")
    if args.json:
        for run in runs:
            run["ratio"] = run["units_per_s"] / old  # × the unit-by-unit path
        data = {
            "bulk": runs,
            "baseline": baseline,  # the unit-by-unit path, same run
            "rate": {
                "units": big,
                "units_per_s": rates[big],
                "target_units_per_s": 5000,
                "verdict": "PASS" if rates[big] >= 5000 else "MISS",
            },
            "flat": {
                "from_units": small,
                "to_units": big,
                "ratio": rates[big] / rates[small],  # at least 0.8
                "verdict": "PASS" if flat else "MISS",
            },
        }
        Path(args.json).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
