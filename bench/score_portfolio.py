"""Benchmark full rescoring of the portfolio against a straightforward pandas implementation.

Run from the repository root::

    .venv/bin/python bench/score_portfolio.py                          # large, SQLite + PostgreSQL
    .venv/bin/python bench/score_portfolio.py --scale medium --db sqlite

What it does (see bench/README.md, "Scoring benchmark", for how to read the numbers):

1. builds, or reuses, the demo portfolio at ``--scale`` / ``--seed`` in a SQLite file under
   ``bench/out/`` (git-ignored): ``kam demo-data`` (``demo_build``), which assesses the larger
   half of the customers, plus ``seed_judgement()``: assessments (willingness, agreement horizon,
   joint initiatives, buying-criteria counts, some manual wallets; written with their history
   rows) and listed buying criteria for a deterministic share of the other accounts, so that every
   criterion of the default model has data across the population. A ``.json`` file next to the
   database records the build (counts, the demo's ``today``, which is the ``as_of`` the scoring
   uses). The build is keyed by scale and seed only: after a change to the generator, pass
   ``--rebuild``;
2. per database, in a child process: times full rescoring with OpenKAM,
   ``scoring_run_execute(model=<active model>, as_of=...)``, three times (best counts), then the
   pandas reference ``bench/reference_pandas_scoring.py`` once (it reads the raw tables —
   transactions, units, employments, assessments, buying criteria — with ``pandas.read_sql``), and
   checks that both give the same scores;
3. PostgreSQL runs under ``scripts/with-postgres.sh`` (a throwaway server, started by this script
   itself): the database is migrated and filled by copying every table of the SQLite build with
   ``COPY`` (much faster than building the demo again), then analysed, then measured the same way.

The scoring runs the benchmark writes are deleted again, so the SQLite build stays reusable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
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

TARGET_SECONDS = 10.0  # full rescoring on SQLite, at most
TARGET_SPEEDUP = 10.0  # OpenKAM vs the pandas reference, at least
TARGET_PREDICTION = 1.5  # the run with the learned expected revenue vs without it (issue 11)
TOLERANCE = 1e-6  # scores must agree to this

BUYING_CRITERIA = [
    "Price",
    "Quality",
    "Delivery reliability",
    "Technical support",
    "Range",
    "Innovation",
    "Sustainability",
    "Payment terms",
]


# --- judgement inputs (shared with src/kam/identification/tests/test_reference.py) -------------


def seed_judgement(seed: int, recorded_at: dt.datetime | None = None) -> dict[str, int]:
    """Assessments and buying criteria for a deterministic share of the top-level accounts.

    Only accounts without any are given some: the demo generator assesses the larger half of the
    customers (without history rows). These assessments are written with their history rows dated
    ``recorded_at`` (default: now) and the buying criteria are created at ``recorded_at``, so
    scoring as of a past date after ``recorded_at`` sees them, and the demo's own not.
    """
    import random

    from django.db import transaction
    from django.utils import timezone
    from simple_history.utils import bulk_create_with_history

    from kam.customers.models import Unit
    from kam.identification.models import AccountAssessment, BuyingCriterion

    recorded_at = recorded_at or timezone.now()
    rng = random.Random(f"openkam-bench-judgement:{seed}")
    assessments: list[AccountAssessment] = []
    criteria: list[BuyingCriterion] = []
    assessed = set(AccountAssessment.objects.values_list("account_id", flat=True))
    listed = set(BuyingCriterion.objects.values_list("account_id", flat=True))
    accounts = Unit.objects.filter(depth=1).order_by("path").values_list("pk", "tier")
    for pk, tier in accounts:
        key = tier != "transactional"
        if rng.random() < (0.95 if key else 0.4) and pk not in assessed:
            assessments.append(
                AccountAssessment(
                    account_id=pk,
                    willingness=rng.choice([None, *range(11)]) if rng.random() < 0.9 else None,
                    agreement_horizon_months=rng.choice([None, 0, 6, 12, 24, 36, 48, 60]),
                    joint_initiatives=rng.choice([None, 0, 0, 1, 1, 2, 3, 4, 6]),
                    buying_criteria_count=rng.choice([None, None, 1, 2, 3, 5, 8]),
                    wallet_estimate=(
                        round(rng.lognormvariate(13, 1.2), 2) if rng.random() < 0.12 else None
                    ),
                    created_at=recorded_at,
                    updated_at=recorded_at,
                )
            )
        if rng.random() < (0.7 if key else 0.2) and pk not in listed:
            for name in rng.sample(BUYING_CRITERIA, rng.randint(1, 6)):
                criteria.append(
                    BuyingCriterion(account_id=pk, name=name, importance=rng.randint(1, 5))
                )
    with transaction.atomic():
        bulk_create_with_history(
            assessments, AccountAssessment, batch_size=2000, default_date=recorded_at
        )
        BuyingCriterion.objects.bulk_create(criteria, batch_size=2000)
        # auto_now_add ignores the value given: set the creation time afterwards
        BuyingCriterion.objects.filter(pk__in=[c.pk for c in criteria]).update(
            created_at=recorded_at, updated_at=recorded_at
        )
    return {"assessments": len(assessments), "buying_criteria": len(criteria)}


# --- child processes -----------------------------------------------------------------------------


def child_build(args: argparse.Namespace) -> dict:
    """Migrate an empty SQLite file and build the demo portfolio plus judgement inputs."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from kam.demo.build import demo_build

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    today = timezone.localdate()
    summary = demo_build(scale=args.scale, seed=args.seed, today=today)
    log(f"demo built in {summary.seconds:.0f} s: {summary.counts}")
    for label, seconds, cpu in summary.phases:
        log(f"  {seconds:8.1f} s wall {cpu:8.1f} s CPU  {label}")
    judgement = seed_judgement(args.seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "scale": args.scale,
        "seed": args.seed,
        "today": today.isoformat(),
        "counts": {**summary.counts, **{f"seeded_{k}": n for k, n in judgement.items()}},
        "build_seconds": time.perf_counter() - started,
        "phases": summary.phases,
    }


def load_reference():
    """bench/reference_pandas_scoring.py as a module (bench/ is not a package)."""
    import importlib.util

    path = ROOT / "bench" / "reference_pandas_scoring.py"
    spec = importlib.util.spec_from_file_location("reference_pandas_scoring", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def delete_runs(ids=None) -> None:
    """Remove scoring runs (and their scores) the benchmark wrote: all of them by default."""
    from django.db import connection

    from kam.identification.models import AccountScore, ScoringRun

    runs = ScoringRun.objects.all() if ids is None else ScoringRun.objects.filter(pk__in=ids)
    AccountScore.objects.filter(run__in=runs)._raw_delete(connection.alias)
    runs._raw_delete(connection.alias)


def openkam_frame(run):
    import pandas as pd

    from kam.identification.models import AccountScore

    rows = AccountScore.objects.filter(run=run).values_list(
        "account_id", "total", "potential", "complexity", "relational", "recommendation"
    )
    columns = ["account_id", "total", "potential", "complexity", "relational", "recommendation"]
    return pd.DataFrame(list(rows), columns=columns).sort_values("account_id")


def compare(ours, theirs) -> dict:
    """How far apart the two score tables are (0 and 0 when they agree)."""
    merged = ours.merge(theirs, on="account_id", how="outer", suffixes=("", "_ref"))
    missing = int(merged["total"].isna().sum() + merged["total_ref"].isna().sum())
    diff = max(
        float((merged[c] - merged[f"{c}_ref"]).abs().max())
        for c in ("total", "potential", "complexity", "relational")
    )
    recommendation = int((merged["recommendation"] != merged["recommendation_ref"]).sum())
    return {
        "max_difference": diff,
        "recommendation_mismatches": recommendation,
        "missing": missing,
        "agree": missing == 0 and diff <= TOLERANCE and recommendation == 0,
    }


def child_measure(args: argparse.Namespace) -> dict:
    """Time OpenKAM (best of ``--repeat``) and the pandas reference (once); compare the scores."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from kam.customers.models import Unit
    from kam.identification.facts import accounts_mark_stale, facts_refresh
    from kam.identification.models import AccountFacts, AccountScore
    from kam.identification.services import active_model, scoring_run_execute

    reference = load_reference()
    as_of = dt.date.fromisoformat(args.as_of)
    call_command("migrate", verbosity=0, interactive=False)  # a build made by older code
    delete_runs()
    model = active_model()
    # Every account's facts timeline from scratch (what a migration or a rebuild costs once);
    # not part of a scoring run, which reads the timelines that writes keep marked.
    started = time.perf_counter()
    facts_accounts = facts_refresh(everything=True)
    facts_seconds = time.perf_counter() - started
    facts_rows = AccountFacts.objects.count()
    log(
        f"{connection.vendor}: facts of {facts_accounts:,} accounts computed in "
        f"{facts_seconds:.1f} s ({facts_rows:,} timeline rows)"
    )
    runs, best = [], None
    for attempt in range(args.repeat + (1 if args.profile else 0)):
        profiler = None
        if args.profile and attempt == args.repeat:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        marks: dict[int, float] = {}

        def progress(percent: int, _message: str, marks=marks) -> None:
            marks.setdefault(percent, time.perf_counter())

        started = time.perf_counter()
        run = scoring_run_execute(model=model, as_of=as_of, progress=progress)
        seconds = time.perf_counter() - started
        runs.append(run.pk)
        if profiler:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(35)
            continue
        timing = {
            "seconds": seconds,
            "read": marks[10] - started,
            "score": marks[80] - marks[10],
            "save": started + seconds - marks[80],
        }
        log(
            f"{connection.vendor}: OpenKAM run {attempt + 1}: {seconds:.2f} s (read "
            f"{timing['read']:.2f}, score {timing['score']:.2f}, save {timing['save']:.2f})"
        )
        if best is None or seconds < best["seconds"]:
            best = timing
    ours = openkam_frame(run)
    # the learned model is not re-implemented by the reference: it gets the run's predictions
    expected = {
        account: (prediction or {}).get("value")
        for account, prediction in AccountScore.objects.filter(run=run).values_list(
            "account_id", "expected"
        )
    }
    delete_runs(runs)

    # The same run without the learned expected revenue, as runs were before it (decision 86):
    # issue 11 asks that the prediction keep the run under 1.5x that time.
    from kam.identification import services as scoring_services

    learn = scoring_services.attach_forecast
    scoring_services.attach_forecast = lambda inputs, *, as_of, accuracy=True: {}
    try:
        started = time.perf_counter()
        run = scoring_run_execute(model=model, as_of=as_of)
        plain_seconds = time.perf_counter() - started
    finally:
        scoring_services.attach_forecast = learn
    delete_runs([run.pk])
    log(f"{connection.vendor}: OpenKAM run without the prediction: {plain_seconds:.2f} s")

    # The run after a day of changes: 5 % of the accounts were written to (sales, contacts,
    # units) and are marked; the run computes their timelines first, inside its time.
    paths = list(Unit.objects.filter(depth=1).order_by("path").values_list("path", flat=True))
    changed = paths[::20]
    accounts_mark_stale(paths=changed)
    started = time.perf_counter()
    run = scoring_run_execute(model=model, as_of=as_of)
    changed_seconds = time.perf_counter() - started
    log(
        f"{connection.vendor}: OpenKAM run with {len(changed):,} changed accounts: "
        f"{changed_seconds:.2f} s"
    )
    delete_runs([run.pk])

    log(f"{connection.vendor}: pandas reference ...")
    started = time.perf_counter()
    theirs = reference.score_with_pandas(
        settings.DATABASE_URL,
        as_of,
        model_id=model.pk,
        today=timezone.localdate(),
        time_zone=settings.TIME_ZONE,
        expected={k: v for k, v in expected.items() if v is not None},
    )
    pandas_seconds = time.perf_counter() - started
    log(f"{connection.vendor}: pandas reference: {pandas_seconds:.2f} s")
    agreement = compare(ours, theirs)
    log(f"{connection.vendor}: comparison: {agreement}")
    return {
        "db": {"postgresql": "postgres"}.get(connection.vendor, connection.vendor),
        "accounts": len(ours),
        "openkam": best,
        "pandas_seconds": pandas_seconds,
        "facts_seconds": facts_seconds,
        "facts_rows": facts_rows,
        "changed_accounts": len(changed),
        "changed_seconds": changed_seconds,
        "plain_seconds": plain_seconds,
        **agreement,
    }


CHILDREN = {"build": child_build, "measure": child_measure}


def run_child(
    mode: str, env: dict[str, str], args: argparse.Namespace, **options: Any
) -> dict[str, Any]:
    flags = ["--scale", args.scale, "--seed", str(args.seed), "--repeat", str(args.repeat)]
    if args.profile:
        flags.append("--profile")
    return run_step(SCRIPT, mode, env, *flags, echo=True, **options)


def bench_env(database_url: str) -> dict[str, str]:
    return child_env(database_url, OUT / "var")


def sqlite_path(args: argparse.Namespace) -> Path:
    return OUT / f"{args.scale}-seed{args.seed}.sqlite3"


def build_reusable(args: argparse.Namespace) -> bool:
    """Whether ``ensure_build`` will reuse the build (its file and record exist) or build it."""
    path = sqlite_path(args)
    return path.with_suffix(".json").exists() and path.exists() and not args.rebuild


def ensure_build(args: argparse.Namespace) -> dict:
    """The SQLite build for scale + seed: reused when its record exists, else built."""
    path = sqlite_path(args)
    record = path.with_suffix(".json")
    if build_reusable(args):
        meta = json.loads(record.read_text())
        log(f"reusing {path.relative_to(ROOT)} (built {meta['today']}, {meta['counts']})")
        return meta
    OUT.mkdir(parents=True, exist_ok=True)
    record.unlink(missing_ok=True)
    remove_sqlite(path)
    log(f"building the {args.scale} demo portfolio (seed {args.seed}) into {path} ...")
    meta = run_child("build", bench_env(f"sqlite:///{path}"), args)
    record.write_text(json.dumps(meta, indent=2))
    log(f"built in {meta['build_seconds']:.0f} s")
    return meta


# --- one database --------------------------------------------------------------------------------


def bench_sqlite(args: argparse.Namespace, meta: dict) -> dict:
    env = bench_env(f"sqlite:///{sqlite_path(args)}")
    log(f"sqlite: scoring {args.scale} ...")
    return run_child("measure", env, args, as_of=meta["today"])


def child_load(args: argparse.Namespace) -> dict:
    """Migrate the (empty) PostgreSQL database and copy every table of the SQLite build into it."""
    import sqlite3

    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    source = sqlite3.connect(args.source)
    tables = {
        model._meta.db_table: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    copied: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        names = ", ".join(connection.ops.quote_name(t) for t in tables)
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")  # what migrations seeded
        for table, model in tables.items():
            columns = [f.column for f in model._meta.local_concrete_fields]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            rows = source.execute(f"SELECT {quoted} FROM {table}")
            n = 0
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            if n:
                copied[table] = n
        for sql in connection.ops.sequence_reset_sql(no_style(), list(tables.values())):
            cursor.execute(sql)
    source.close()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    seconds = time.perf_counter() - started
    log(f"postgres: copied {sum(copied.values()):,} rows in {seconds:.0f} s")
    return {"rows": copied, "seconds": seconds}


CHILDREN["load"] = child_load


def bench_postgres_inner(args: argparse.Namespace) -> dict:
    """Under with-postgres.sh: fill the throwaway database from the SQLite build, then measure."""
    env = bench_env(os.environ["KAM_DATABASE_URL"])
    log("postgres: copying the SQLite build ...")
    loaded = run_child("load", env, args, source=sqlite_path(args))
    result = run_child("measure", env, args, as_of=args.as_of)
    result["load_seconds"] = loaded["seconds"]
    return result


def bench_postgres(args: argparse.Namespace, meta: dict) -> dict:
    """Run the PostgreSQL half under scripts/with-postgres.sh (a throwaway server)."""
    flags = [
        "--scale",
        args.scale,
        "--seed",
        str(args.seed),
        "--repeat",
        str(args.repeat),
        "--as-of",
        meta["today"],
    ]
    if args.profile:
        flags.append("--profile")
    return run_under_postgres(SCRIPT, flags, OUT / f"{args.scale}-seed{args.seed}-postgres.json")


# --- the report ----------------------------------------------------------------------------------


def report(results: list[dict], meta: dict, args: argparse.Namespace) -> None:
    counts = meta["counts"]
    print()
    print(
        f"{meta['scale']} demo (seed {meta['seed']}): {counts['units']:,} units, "
        f"{counts['transactions']:,} transactions, {counts['rollups']:,} roll-ups, "
        f"{counts['employments']:,} employments; as of {meta['today']}"
    )
    header = f"{'db':<10}{'method':<28}{'accounts':>9}{'seconds':>9}  ratio"
    print()
    print(header)
    print("-" * (len(header) + 30))
    targets = []
    for r in results:
        ours, theirs = r["openkam"]["seconds"], r["pandas_seconds"]
        x = theirs / ours
        phases = "read {read:.2f} + score {score:.2f} + save {save:.2f}".format(**r["openkam"])
        print(
            f"{r['db']:<10}{'OpenKAM (best of ' + str(args.repeat) + ')':<28}"
            f"{r['accounts']:>9,}{ours:>9.2f}  1.0  ({phases})"
        )
        print(f"{r['db']:<10}{'pandas reference':<28}{r['accounts']:>9,}{theirs:>9.2f}  {x:.1f}x")
        if "changed_seconds" in r:
            changed = r["changed_seconds"]
            print(
                f"{r['db']:<10}{'OpenKAM, 5% changed':<28}{r['accounts']:>9,}{changed:>9.2f}  "
                f"{theirs / changed:.1f}x  ({r['changed_accounts']:,} accounts' facts computed "
                "first)"
            )
            print(
                f"{r['db']:<10}{'all facts from scratch':<28}{r['accounts']:>9,}"
                f"{r['facts_seconds']:>9.2f}  once, after a migration or rebuild "
                f"({r['facts_rows']:,} rows)"
            )
        if "plain_seconds" in r:
            plain = r["plain_seconds"]
            print(
                f"{r['db']:<10}{'OpenKAM, no prediction':<28}{r['accounts']:>9,}{plain:>9.2f}  "
                f"{theirs / plain:.1f}x  (as before the learned expected revenue)"
            )
            targets.append(
                f"{r['db']}: run with the prediction <= {TARGET_PREDICTION:.1f}x the run "
                f"without: {ours / plain:.2f}x {verdict(ours / plain <= TARGET_PREDICTION)}"
            )
        if r["db"] == "sqlite":
            targets.append(
                f"sqlite: full rescoring < {TARGET_SECONDS:.0f} s: {ours:.2f} s "
                f"{verdict(ours < TARGET_SECONDS)}"
            )
        targets.append(
            f"{r['db']}: >= {TARGET_SPEEDUP:.0f}x faster than pandas: {x:.1f}x "
            f"{verdict(x >= TARGET_SPEEDUP)}"
        )
        targets.append(
            f"{r['db']}: same scores (max difference {r['max_difference']:.2g}, "
            f"{r['recommendation_mismatches']} recommendations differ, {r['missing']} missing) "
            f"{verdict(r['agree'])}"
        )
    print()
    print("OpenKAM: scoring_run_execute() — read the inputs (one facts row per account, kept by")
    print("the writes; assessments), score in memory, save one AccountScore per account. The")
    print("pandas reference reads the raw tables (24 months of transactions) with read_sql.")
    print_targets(targets)


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["tiny", "small", "medium", "large"], default="large")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="OpenKAM runs (the best counts)")
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--build-only", action="store_true", help="build (or reuse), no timing")
    parser.add_argument("--profile", action="store_true", help="cProfile one OpenKAM run")
    parser.add_argument("--json", help="also write the results to this JSON file")
    # internal: a step in a child process, or the PostgreSQL half under with-postgres.sh
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
    if args.inner_results:  # the PostgreSQL half, under with-postgres.sh
        check_inner_postgres()
        results = bench_postgres_inner(args)
        Path(args.inner_results).write_text(json.dumps(results))
        return
    meta = ensure_build(args)
    if args.build_only:
        return
    results: list[dict] = []
    if args.db in ("sqlite", "both"):
        results.append(bench_sqlite(args, meta))
    if args.db in ("postgres", "both"):
        results.append(bench_postgres(args, meta))
    report(results, meta, args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
