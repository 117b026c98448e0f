"""Benchmark the transaction import against django-import-export and the database's raw bulk load.

Run from the repository root::

    .venv/bin/python bench/import_transactions.py                   # 1M rows, SQLite + PostgreSQL
    .venv/bin/python bench/import_transactions.py --rows 100000 --db sqlite

What it does (see bench/README.md for how to read the numbers):

1. writes a deterministic CSV of ``--rows`` transaction rows (external_id, date, unit, product,
   quantity, net_amount, currency, cost), a file of the first quarter of them and a slice of the
   first ``--die-rows`` for django-import-export, all in a temporary folder;
2. per database: migrates a fresh database (a temporary SQLite file; for PostgreSQL a throwaway
   server started by ``scripts/with-postgres.sh``, which this script runs itself), creates the
   units, product lines and products the rows refer to;
3. runs every measurement in its own child process on an empty transaction table, so that the
   peak resident memory (VmHWM) of the child is the peak of that measurement alone:

   * ``openkam``: ``kam.dataio.services.import_file(entity="transactions", ...)`` on the full
     file and on the quarter file (memory must not grow with the file);
   * ``django-import-export``: a ``ModelResource`` with foreign-key widgets by unit external id
     and product SKU, ``import_data(dry_run=False, use_transactions=True)`` on the slice;
   * ``floor``: the same rows with ids resolved beforehand, loaded with no validation and no
     roll-ups: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

It never touches ``var/``: the database, the secret key and the files live in a temporary folder
that is removed at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import bench_env as child_env
from _common import (
    check_inner_postgres,
    child_main,
    log,
    print_targets,
    remove_sqlite,
    run_step,
    run_under_postgres,
    verdict,
)

SCRIPT = Path(__file__).resolve()
# The density of DESIGN.md's typical large user (10M lines a year for 100k units): 1M rows are
# one year of 10,000 units, 100 lines a unit, from 3 of the 12 product lines each, so about
# 2.8 lines per unit × product line × month (--rows and --units change the density).
UNITS_PER_ACCOUNT = 10  # one top-level unit and 9 subsidiaries / sites
LINES = 12
PRODUCTS_PER_LINE = 50
LINES_PER_UNIT = 3
FIRST_DAY = dt.date(2025, 1, 1)
DAYS = 365  # rows in date order, as an ERP export writes them

TARGET_ROWS_PER_S = 100_000  # on PostgreSQL
TARGET_VS_DIE = 20.0  # OpenKAM rows/s ÷ django-import-export rows/s
TARGET_VS_FLOOR = 2.5  # floor rows/s ÷ OpenKAM rows/s, at most
TARGET_FLAT = 1.25  # peak RSS on the full file ÷ peak RSS on the quarter file, at most

STEPS = ("floor", "quarter", "full", "die")


# --- the data ------------------------------------------------------------------------------------


def unit_ids(n_units: int) -> list[str]:
    return [f"U{i:06d}" for i in range(n_units)]


def line_codes() -> list[str]:
    return [f"L{i + 1:02d}" for i in range(LINES)]


def sku(line: int, product: int) -> str:
    return f"L{line + 1:02d}-{product + 1:03d}"


def generate(workdir: Path, rows: int, n_units: int, die_rows: int, seed: int) -> dict[str, Path]:
    """Write the full file, its first quarter and the django-import-export slice."""
    tag = f"of{rows}_units{n_units}_seed{seed}"
    paths = {
        "full": workdir / f"transactions_{rows}_{tag}.csv",
        "quarter": workdir / f"transactions_{rows // 4}_{tag}.csv",
        "die": workdir / f"transactions_{min(die_rows, rows)}_{tag}.csv",
    }
    if all(p.exists() for p in paths.values()):
        return paths
    rng = random.Random(seed)
    units = unit_ids(n_units)
    unit_lines = [[(u * 7 + k * 5) % LINES for k in range(LINES_PER_UNIT)] for u in range(n_units)]
    header = "external_id,date,unit,product,quantity,net_amount,currency,cost\n"
    limits = {"full": rows, "quarter": rows // 4, "die": min(die_rows, rows)}
    with contextlib.ExitStack() as stack:
        outs = {
            name: stack.enter_context(open(path, "w", encoding="utf-8", newline=""))
            for name, path in paths.items()
        }
        for fh in outs.values():
            fh.write(header)
        randrange, random_ = rng.randrange, rng.random
        for i in range(rows):
            day = FIRST_DAY + dt.timedelta(days=i * DAYS // rows)
            u = randrange(n_units)
            line = unit_lines[u][randrange(LINES_PER_UNIT)]
            product = randrange(PRODUCTS_PER_LINE)
            qty_milli = randrange(1, 200) * 1000 + (500 if random_() < 0.1 else 0)
            price_cents = 500 + randrange(50_000)
            net_cents = qty_milli * price_cents // 1000
            net = f"{net_cents // 100}.{net_cents % 100:02d}"
            qty = f"{qty_milli // 1000}.{qty_milli % 1000:03d}"
            if random_() < 0.8:
                cost_cents = net_cents * (55 + randrange(30)) // 100
                cost = f"{cost_cents // 100}.{cost_cents % 100:02d}"
            else:
                cost = ""
            text = (
                f"TX{i + 1:09d},{day.isoformat()},{units[u]},{sku(line, product)},"
                f"{qty},{net},EUR,{cost}\n"
            )
            for name, fh in outs.items():
                if i < limits[name]:
                    fh.write(text)
    return paths


# --- child processes -----------------------------------------------------------------------------


def memory_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB: VmRSS / VmHWM, or getrusage off Linux."""
    try:
        status = Path("/proc/self/status").read_text()
        values = {
            line.split(":")[0]: int(line.split()[1])
            for line in status.splitlines()
            if line.startswith(("VmRSS", "VmHWM"))
        }
        return values["VmRSS"] / 1024, values["VmHWM"] / 1024
    except (OSError, KeyError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = peak / 1024 if sys.platform.startswith("linux") else peak / 1024 / 1024
        return peak, peak


def empty_tables() -> None:
    """Start every measurement from an empty transaction table and no roll-ups."""
    from django.db import connection

    from kam.sales.models import MonthlyRollup, Transaction

    tables = [Transaction._meta.db_table, MonthlyRollup._meta.db_table]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def check_loaded(rows: int, rollups: bool) -> int:
    """Check the table holds ``rows`` rows (and the roll-ups add up); the number of roll-ups."""
    from django.db.models import Count, Sum

    from kam.sales.models import MonthlyRollup, Transaction

    count = Transaction.objects.count()
    if count != rows:
        raise SystemExit(f"expected {rows} transactions in the table, found {count}")
    if not rollups:
        return 0
    totals = Transaction.objects.aggregate(net=Sum("net_amount"), cost=Sum("cost"))
    rolled = MonthlyRollup.objects.aggregate(
        n=Count("id"), lines=Sum("lines"), net=Sum("net_amount"), cost=Sum("cost")
    )
    # SQLite sums decimals as floats: allow a cent of rounding per thousand rows
    slack = max(1, rows // 1000) / 100
    if rolled["lines"] != rows or any(abs(rolled[k] - totals[k]) > slack for k in ("net", "cost")):
        raise SystemExit(f"the roll-ups do not add up: {rolled} for {rows} rows, {totals}")
    return rolled["n"]


def child_setup(args: argparse.Namespace) -> dict:
    """Migrate and create the catalogue; write the id-resolved file the floor loads."""
    import polars as pl
    from django.core.management import call_command

    from kam.customers.models import Unit
    from kam.dataio.fastpath import COLUMNS
    from kam.sales.models import Product, ProductLine

    call_command("migrate", verbosity=0, interactive=False)
    batch: list[Unit] = []
    for i, external_id in enumerate(unit_ids(args.units)):
        account, member = divmod(i, UNITS_PER_ACCOUNT)
        root_path = Unit._get_path(None, 1, account + 1)
        if member == 0:
            remaining = args.units - i - 1
            path, numchild = root_path, min(UNITS_PER_ACCOUNT - 1, remaining)
        else:
            path, numchild = Unit._get_path(root_path, 2, member), 0
        batch.append(
            Unit(
                path=path,
                depth=len(path) // Unit.steplen,
                numchild=numchild,
                name=f"Unit {external_id}",
                kind="group" if member == 0 else "site",
                external_id=external_id,
            )
        )
    Unit.objects.bulk_create(batch, batch_size=1000)
    lines = ProductLine.objects.bulk_create(
        [ProductLine(code=code, name=f"Line {code}") for code in line_codes()]
    )
    Product.objects.bulk_create(
        [
            Product(line=line, sku=sku(li, p), name=f"Product {sku(li, p)}")
            for li, line in enumerate(lines)
            for p in range(PRODUCTS_PER_LINE)
        ]
    )
    units = pl.DataFrame(
        list(Unit.objects.values_list("external_id", "pk")),
        schema={"unit": pl.String, "unit_id": pl.Int64},
        orient="row",
    )
    products = pl.DataFrame(
        list(Product.objects.values_list("sku", "pk", "line_id")),
        schema={"product": pl.String, "product_id": pl.Int64, "product_line_id": pl.Int64},
        orient="row",
    )
    (
        pl.read_csv(args.csv, infer_schema=False)
        .join(units, on="unit", how="left", maintain_order="left")
        .join(products, on="product", how="left", maintain_order="left")
        # the file is in the reporting currency: no original amount (decision 59)
        .with_columns(
            pl.lit(None, pl.String).alias("original_amount"),
            pl.lit("").alias("original_currency"),
        )
        .select(COLUMNS)
        .write_csv(args.resolved, include_header=False, null_value="")
    )
    return {"units": args.units, "products": LINES * PRODUCTS_PER_LINE}


def child_openkam(args: argparse.Namespace) -> dict:
    from kam.dataio import fastpath  # Polars loaded before the base figure
    from kam.dataio.services import import_file

    if args.batch_size:
        fastpath.BATCH_SIZE = args.batch_size

    empty_tables()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    base, _peak = memory_mb()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = import_file(entity="transactions", path=args.csv)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    _rss, peak = memory_mb()
    if report.errors:
        raise SystemExit(f"import reported errors: {report.errors[:5]}")
    if report.created != args.rows:
        raise SystemExit(f"import created {report.created} rows, expected {args.rows}")
    rollups = check_loaded(args.rows, rollups=True)
    if profiler:
        import pstats

        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(20)
    return {"seconds": seconds, "base_mb": base, "peak_mb": peak, "rollups": rollups}


def transaction_resource():
    """The usual django-import-export resource: FK widgets by unit external id and product SKU."""
    from import_export import fields, resources, widgets

    from kam.customers.models import Unit
    from kam.sales.models import Product, Transaction

    class TransactionResource(resources.ModelResource):
        unit = fields.Field(
            column_name="unit",
            attribute="unit",
            widget=widgets.ForeignKeyWidget(Unit, field="external_id"),
        )
        product = fields.Field(
            column_name="product",
            attribute="product",
            widget=widgets.ForeignKeyWidget(Product, field="sku"),
        )

        class Meta:
            model = Transaction
            import_id_fields = ("external_id",)
            fields = (
                "external_id",
                "date",
                "unit",
                "product",
                "quantity",
                "net_amount",
                "currency",
                "cost",
            )

        def before_save_instance(self, instance, row, **kwargs):
            instance.product_line_id = instance.product.line_id

    return TransactionResource()


def child_die(args: argparse.Namespace) -> dict:
    import tablib

    empty_tables()
    resource = transaction_resource()
    base, _peak = memory_mb()
    started = time.perf_counter()
    with open(args.csv, encoding="utf-8") as fh:
        dataset = tablib.Dataset().load(fh.read(), format="csv")
    result = resource.import_data(dataset, dry_run=False, use_transactions=True)
    seconds = time.perf_counter() - started
    _rss, peak = memory_mb()
    if result.has_errors() or result.has_validation_errors():
        rows = result.invalid_rows[:3] or [r.errors for r in result.rows if r.errors][:3]
        raise SystemExit(f"django-import-export reported errors: {rows}")
    check_loaded(args.rows, rollups=False)
    return {"seconds": seconds, "base_mb": base, "peak_mb": peak}


def child_floor(args: argparse.Namespace) -> dict:
    from django.db import connection, transaction

    from kam.dataio.fastpath import COLUMNS
    from kam.sales.models import Transaction

    empty_tables()
    table = Transaction._meta.db_table
    columns = ", ".join(Transaction._meta.get_field(c).column for c in COLUMNS)
    if connection.vendor == "postgresql":
        base, _peak = memory_mb()
        started = time.perf_counter()
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
            open(args.resolved, "rb") as fh,
        ):
            while block := fh.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
    else:
        import csv
        import sqlite3

        # by name, in the engine's column order (it grew the original amount and currency)
        keys = {"unit_id", "product_id", "product_line_id"}
        optional = {"cost", "original_amount"}

        def typed(row: list[str]) -> tuple:
            return tuple(
                int(v) if c in keys else (v or None) if c in optional else v
                for c, v in zip(COLUMNS, row, strict=True)
            )

        with open(args.resolved, encoding="utf-8", newline="") as fh:
            rows = [typed(row) for row in csv.reader(fh)]  # pre-resolved, before the clock
        connection.close()
        db = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        db.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        )
        base, _peak = memory_mb()
        started = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(COLUMNS))})",
            rows,
        )
        db.execute("COMMIT")
        seconds = time.perf_counter() - started
        db.close()
        del rows
    _rss, peak = memory_mb()
    check_loaded(args.rows, rollups=False)
    return {"seconds": seconds, "base_mb": base, "peak_mb": peak}


CHILDREN = {
    "setup": child_setup,
    "openkam": child_openkam,
    "die": child_die,
    "floor": child_floor,
}


def run_child(mode: str, env: dict[str, str], **options: Any) -> dict[str, Any]:
    return run_step(SCRIPT, mode, env, **options)


# --- one database --------------------------------------------------------------------------------


def bench_env(workdir: Path, database_url: str) -> dict[str, str]:
    return child_env(database_url, workdir / "var", KAM_IMPORT_MAX_BYTES=str(1 << 40))


def bench_database(db: str, args: argparse.Namespace, files: dict[str, Path]) -> list[dict]:
    workdir = Path(args.workdir)
    resolved = workdir / f"resolved_{db}.csv"
    if db == "sqlite":
        template = workdir / "template.sqlite3"
        remove_sqlite(template)
        setup_env = bench_env(workdir, f"sqlite:///{template}")
    else:
        database_url = os.environ["KAM_DATABASE_URL"]
        setup_env = bench_env(workdir, database_url)

    def env_for(name: str) -> dict:
        if db != "sqlite":
            return setup_env
        path = workdir / f"{name}.sqlite3"
        remove_sqlite(path)
        shutil.copyfile(template, path)
        return bench_env(workdir, f"sqlite:///{path}")

    log(f"{db}: migrate, {args.units} units, {LINES * PRODUCTS_PER_LINE} products")
    run_child("setup", setup_env, csv=files["full"], resolved=resolved, units=args.units)
    plan = {
        "floor": ("floor", "floor", files["full"], args.rows),
        "quarter": ("openkam", "OpenKAM import_file", files["quarter"], args.rows // 4),
        "full": ("openkam", "OpenKAM import_file", files["full"], args.rows),
        "die": ("die", "django-import-export", files["die"], min(args.die_rows, args.rows)),
    }
    results = []
    for step in args.steps:
        mode, label, path, rows = plan[step]
        log(f"{db}: {label}, {rows:,} rows ...")
        run_name = f"{mode}_{rows}"
        measured = run_child(
            mode,
            env_for(run_name),
            csv=path,
            resolved=resolved,
            rows=rows,
            profile=args.profile and mode == "openkam",
            batch_size=args.batch_size if mode == "openkam" else None,
        )
        measured.update(db=db, method=label, mode=mode, rows=rows)
        measured["rows_per_s"] = rows / measured["seconds"]
        log(
            f"{db}: {label}: {measured['seconds']:.1f} s, {measured['rows_per_s']:,.0f} rows/s, "
            f"peak {measured['peak_mb']:.0f} MB"
        )
        results.append(measured)
        if db == "sqlite":
            remove_sqlite(workdir / f"{run_name}.sqlite3")
    return results


def bench_postgres(args: argparse.Namespace, files: dict[str, Path]) -> list[dict]:
    """Run the PostgreSQL half of the benchmark under scripts/with-postgres.sh."""
    flags = [
        "--db",
        "postgres",
        "--rows",
        str(args.rows),
        "--units",
        str(args.units),
        "--die-rows",
        str(args.die_rows),
        "--seed",
        str(args.seed),
        "--workdir",
        args.workdir,
        "--steps",
        ",".join(args.steps),
    ]
    if args.profile:
        flags.append("--profile")
    if args.batch_size:
        flags += ["--batch-size", str(args.batch_size)]
    return run_under_postgres(SCRIPT, flags, Path(args.workdir) / "postgres_results.json")


# --- the report ----------------------------------------------------------------------------------


def report(results: list[dict], args: argparse.Namespace) -> None:
    header = f"{'db':<9}{'method':<23}{'rows':>10}{'seconds':>9}{'rows/s':>10}{'peak MB':>9}  ratio"
    print()
    print(header)
    print("-" * (len(header) + 24))
    targets: list[str] = []
    for db in ("sqlite", "postgres"):
        mine = [r for r in results if r["db"] == db]
        if not mine:
            continue
        by = {(r["mode"], r["rows"]): r for r in mine}
        full = by.get(("openkam", args.rows))
        quarter = by.get(("openkam", args.rows // 4))
        die = next((r for r in mine if r["mode"] == "die"), None)
        floor = next((r for r in mine if r["mode"] == "floor"), None)
        for r in mine:
            ratio = ""
            if r is die and full:
                ratio = f"OpenKAM {full['rows_per_s'] / r['rows_per_s']:.1f}x faster"
            elif r is floor and full:
                ratio = f"floor {r['rows_per_s'] / full['rows_per_s']:.2f}x OpenKAM"
            elif r is quarter and full:
                ratio = f"peak at 4x the rows: {full['peak_mb'] / r['peak_mb']:.2f}x"
            elif r is full:
                ratio = f"{r['rollups']:,} roll-ups; {r['base_mb']:.0f} MB before the import"
            print(
                f"{db:<9}{r['method']:<23}{r['rows']:>10,}{r['seconds']:>9.1f}"
                f"{r['rows_per_s']:>10,.0f}{r['peak_mb']:>9.0f}  {ratio}"
            )
        if not full:
            continue
        if db == "postgres":
            targets.append(
                f"{db}: >= {TARGET_ROWS_PER_S:,} rows/s: {full['rows_per_s']:,.0f} "
                f"{verdict(full['rows_per_s'] >= TARGET_ROWS_PER_S)}"
            )
        if die:
            x = full["rows_per_s"] / die["rows_per_s"]
            targets.append(
                f"{db}: >= {TARGET_VS_DIE:.0f}x django-import-export: {x:.1f}x "
                f"{verdict(x >= TARGET_VS_DIE)}"
            )
        if floor:
            x = floor["rows_per_s"] / full["rows_per_s"]
            targets.append(
                f"{db}: within {TARGET_VS_FLOOR}x of the floor: {x:.2f}x "
                f"{verdict(x <= TARGET_VS_FLOOR)}"
            )
        if quarter:
            x = full["peak_mb"] / quarter["peak_mb"]
            targets.append(
                f"{db}: memory flat in file size (peak at 4x the rows <= {TARGET_FLAT}x): "
                f"{x:.2f}x {verdict(x <= TARGET_FLAT)}"
            )
    print()
    print("OpenKAM validates every row and keeps the monthly roll-ups in step (included in its")
    print("time); django-import-export and the floor write the transaction rows only, no roll-ups.")
    print(f"django-import-export runs on the first {args.die_rows:,} rows (rows/s compared).")
    print("Peak MB: peak resident memory (VmHWM) of the process that ran the step.")
    print_targets(targets)


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the full file")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--units", type=int, default=10_000, help="customer units (10 per account)")
    parser.add_argument(
        "--die-rows", type=int, default=50_000, help="rows for django-import-export"
    )
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help="comma-separated measurements to run (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the OpenKAM imports (to stderr)"
    )
    parser.add_argument(
        "--batch-size", type=int, help="override kam.dataio.fastpath.BATCH_SIZE (rows a batch)"
    )
    parser.add_argument("--workdir", help="folder for the files (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--json", help="also write the results to this JSON file")
    # internal: a measurement in a child process, or the PostgreSQL half under with-postgres.sh
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--resolved", help=argparse.SUPPRESS)
    parser.add_argument("--inner-results", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = set(args.steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}; choose from {', '.join(STEPS)}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        child_main(CHILDREN, args)
        return
    if args.inner_results:  # the PostgreSQL half, under with-postgres.sh
        check_inner_postgres()
        files = generate(Path(args.workdir), args.rows, args.units, args.die_rows, args.seed)
        results = bench_database("postgres", args, files)
        Path(args.inner_results).write_text(json.dumps(results))
        return
    if args.rows < 4:
        raise SystemExit("--rows must be at least 4")
    own_workdir = not args.workdir
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="kam-bench-")
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    try:
        log(f"generating {args.rows:,} rows in {args.workdir}")
        started = time.perf_counter()
        files = generate(Path(args.workdir), args.rows, args.units, args.die_rows, args.seed)
        size_mb = files["full"].stat().st_size / 1e6
        log(f"CSV: {size_mb:.0f} MB in {time.perf_counter() - started:.0f} s")
        results: list[dict] = []
        if args.db in ("sqlite", "both"):
            results += bench_database("sqlite", args, files)
        if args.db in ("postgres", "both"):
            results += bench_postgres(args, files)
        report(results, args)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    finally:
        if own_workdir and not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)
        elif args.keep:
            log(f"kept {args.workdir}")


if __name__ == "__main__":
    main()
