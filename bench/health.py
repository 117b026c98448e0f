"""Benchmark the health recompute against a straightforward pandas computation of the same score.

Run from the repository root::

    .venv/bin/python bench/health.py --scale small          # builds bench/out/health-small.sqlite3
    .venv/bin/python bench/health.py --scale medium --reuse # measure an existing build again
    .venv/bin/python bench/health.py --scale tiny --json out.json   # and write the figures

1. builds (or, with ``--reuse``, reuses) the demo at ``--scale`` in a SQLite file under
   ``bench/out/`` (git-ignored); the demo's own stage already fills twelve months of history;
2. times a recompute of every account's health (``health_refresh(everything=True)``: the key
   accounts and the rest, one aggregate query per kind of data: the nightly job), best of
   three, then the recompute of all key accounts (marked stale, then refreshed: the target);
3. marks 5 % of the accounts stale and times the refresh of only those;
4. times the pandas reference: the raw interactions, their contacts and participants, the roles
   and the senior positions read with ``pandas.read_sql``, the same six components and the
   weighted score computed with DataFrame operations; checks that both give the same scores;
5. runs the health backtest (as of the end of the month seven months back, six months ahead)
   and prints its AUC next to recency alone.

Targets (issue 16): full recompute of all key accounts < 10 s at the large scale on SQLite,
refresh after 5 % changed < 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def setup(db: Path) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    os.environ["KAM_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("KAM_SECRET_KEY", "bench-not-secret")
    os.environ.setdefault("KAM_VAR_DIR", str(OUT))
    import django

    django.setup()


def build(scale: str, seed: int) -> None:
    from django.core.management import call_command

    from kam.demo.build import demo_build

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    demo_build(scale=scale, seed=seed)
    print(f"built the {scale} demo in {time.perf_counter() - started:.1f} s")


def best_of(n: int, step: Any) -> tuple[float, Any]:
    best, result = math.inf, None
    for _ in range(n):
        started = time.perf_counter()
        result = step()
        best = min(best, time.perf_counter() - started)
    return best, result


def pandas_scores(as_of: dt.date) -> dict[int, float]:
    """The default profile's weighted score of every account, from the raw tables."""
    import pandas as pd
    from django.db import connection

    from kam.customers.models import Unit

    end = pd.Timestamp(as_of + dt.timedelta(days=1), tz="UTC")
    accounts = dict(Unit.objects.account_ids())
    acc = pd.Series(accounts, name="account")
    connection.ensure_connection()
    raw = connection.connection  # the DB-API connection pandas reads from
    q = lambda sql: pd.read_sql(sql, raw)  # noqa: E731
    inter = q("SELECT id, unit_id, occurred_at FROM interactions_interaction")
    inter["occurred_at"] = pd.to_datetime(inter["occurred_at"], utc=True, format="mixed")
    inter = inter[(inter.occurred_at < end) & (inter.occurred_at >= end - pd.Timedelta(days=400))]
    inter["account"] = inter.unit_id.map(acc)
    month_start = pd.Timestamp(as_of.replace(day=1), tz="UTC")
    first = month_start - pd.DateOffset(months=11)
    freq = inter[inter.occurred_at >= end - pd.Timedelta(days=90)].groupby("account").size()
    last12 = inter[inter.occurred_at >= first]
    months = last12.assign(m=last12.occurred_at.dt.strftime("%Y-%m")).groupby("account").m.nunique()
    ic = q("SELECT interaction_id, contact_id FROM interactions_interaction_contacts")
    ic = ic.merge(inter[["id", "account", "occurred_at"]], left_on="interaction_id", right_on="id")
    ic = ic[ic.occurred_at >= end - pd.Timedelta(days=365)]
    last_met = ic.groupby(["account", "contact_id"]).occurred_at.max().reset_index()
    recent = last_met[last_met.occurred_at >= end - pd.Timedelta(days=180)]
    ip = q(
        "SELECT p.interaction_id, u.function FROM interactions_interaction_participants p "
        "JOIN people_user u ON u.id = p.user_id"
    )
    ip = ip.merge(inter[["id", "account", "occurred_at"]], left_on="interaction_id", right_on="id")
    ip = ip[(ip.occurred_at >= end - pd.Timedelta(days=180)) & (ip.function != "")]
    ours = ip.groupby("account").function.nunique()
    roles = q("SELECT account_id AS account, contact_id, role FROM relationships_buyingrole")
    dmu = roles.drop_duplicates(["account", "contact_id"])
    dmu_size = dmu.groupby("account").size()
    touched = recent.merge(dmu, on=["account", "contact_id"]).groupby("account").size()
    emp = q(
        "SELECT unit_id, contact_id, start_date, end_date, seniority FROM customers_employment "
        "WHERE seniority IN ('senior', 'board')"
    )
    day = as_of.isoformat()
    emp = emp[(emp.end_date.isna() | (emp.end_date.astype(str) > day))]
    emp = emp[(emp.start_date.isna() | (emp.start_date.astype(str) <= day))]
    emp["account"] = emp.unit_id.map(acc)
    seniors = emp[["account", "contact_id"]].drop_duplicates()
    deep = recent.merge(seniors, on=["account", "contact_id"]).groupby("account").size()
    deciders = roles[roles.role == "decider"][["account", "contact_id"]].drop_duplicates()
    dec = (
        last_met.merge(deciders, on=["account", "contact_id"]).groupby("account").occurred_at.max()
    )
    days = (end - dec).dt.days.clip(lower=0)
    frame = pd.DataFrame(index=pd.Index(sorted(set(accounts.values())), name="account"))
    frame["frequency"] = (freq.reindex(frame.index, fill_value=0) / 3 / 4).clip(upper=1)
    frame["continuity"] = months.reindex(frame.index, fill_value=0) / 12
    size = dmu_size.reindex(frame.index, fill_value=0)
    frame["breadth"] = (touched.reindex(frame.index, fill_value=0) / size.where(size > 0)).fillna(0)
    frame["depth"] = (deep.reindex(frame.index, fill_value=0) / 2).clip(upper=1)
    frame["our_side"] = (ours.reindex(frame.index, fill_value=0) / 3).clip(upper=1)
    frame["recency"] = (2 ** (-days.reindex(frame.index) / 30)).fillna(0)
    weights = {
        "frequency": 25,
        "continuity": 20,
        "breadth": 20,
        "depth": 10,
        "our_side": 10,
        "recency": 15,
    }
    comps = sum((frame[k] * 100).round(1) * w for k, w in weights.items()) / sum(weights.values())
    return {int(k): round(float(v), 1) for k, v in comps.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="small", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="reuse an existing build")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"health-{args.scale}-{args.seed}.sqlite3"
    fresh = not (args.reuse and db.exists())
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    setup(db)
    if fresh:
        build(args.scale, args.seed)
    from django.utils import timezone

    from kam.customers.models import Tier, Unit
    from kam.demo.health import backtest_day
    from kam.health import backtest
    from kam.health.models import AccountHealth
    from kam.health.services import health_mark_stale, health_refresh
    from kam.interactions.models import Interaction

    today = timezone.localdate()
    accounts = Unit.objects.accounts().count()
    keys = Unit.objects.accounts().exclude(tier=Tier.TRANSACTIONAL).count()
    print(
        f"{args.scale}: {accounts} accounts ({keys} key), "
        f"{Interaction.objects.count()} interactions"
    )
    everything, n_all = best_of(3, lambda: health_refresh(everything=True))
    print(f"recompute of every account ({n_all}, the nightly job): {everything:.2f} s")
    key_paths = list(
        Unit.objects.accounts().exclude(tier=Tier.TRANSACTIONAL).values_list("path", flat=True)
    )

    def recompute_keys() -> int:
        health_mark_stale(paths=key_paths)
        return health_refresh()

    full, n = best_of(3, recompute_keys)
    print(f"full recompute of the {n} key accounts: {full:.2f} s")
    paths = list(Unit.objects.accounts().order_by("?").values_list("path", flat=True))
    some = paths[: max(1, len(paths) // 20)]

    def refresh() -> int:
        health_mark_stale(paths=some)
        return health_refresh()

    part, n_part = best_of(3, refresh)
    print(f"refresh of {n_part} stale accounts (5 %): {part:.2f} s")
    ref, scores = best_of(1, lambda: pandas_scores(today))
    kept = {
        pk: float(s)
        for pk, s, v in AccountHealth.objects.values_list("account_id", "score", "version_id")
    }
    diffs = [abs(kept[pk] - scores.get(pk, 0.0)) for pk in kept]
    worst = max(diffs) if diffs else 0.0
    print(
        f"pandas reference: {ref:.2f} s; ratio OpenKAM/pandas (every account) "
        f"{everything / ref:.2f}"
    )
    print(f"largest score difference against pandas: {worst:.2f} points (rounding: ≤ 0.1)")
    horizon_day = backtest_day(today)
    started = time.perf_counter()
    result = backtest.run(as_of=horizon_day, horizon_months=6)
    print(
        f"backtest as of {horizon_day} ({time.perf_counter() - started:.1f} s): "
        f"{result['accounts']} accounts, {result['fell']} fell; AUC health {result['auc']}, "
        f"recency alone {result['baseline']['auc']}; precision of poor "
        f"{result['precision_poor']} vs {result['baseline']['precision_lowest']}; "
        f"verdict {result['verdict']}"
    )
    print()
    print("Targets:")
    print(
        f"  full recompute of the key accounts < 10 s ({args.scale}): {full:.2f} s "
        f"{'PASS' if full < 10 else 'MISS'}"
    )
    print(f"  refresh of 5 % < 2 s ({args.scale}): {part:.2f} s {'PASS' if part < 2 else 'MISS'}")
    if args.json:
        data = {
            "scale": args.scale,
            "seed": args.seed,
            "accounts": accounts,
            "key_accounts": keys,
            "interactions": Interaction.objects.count(),
            "every_account": {"accounts": n_all, "seconds": everything},
            "key_recompute": {
                "accounts": n,
                "seconds": full,
                "target_seconds": 10,
                "verdict": "PASS" if full < 10 else "MISS",
            },
            "refresh_5pct": {
                "accounts": n_part,
                "seconds": part,
                "target_seconds": 2,
                "verdict": "PASS" if part < 2 else "MISS",
            },
            # the same-run baseline: the pandas computation of every account's score
            "pandas_seconds": ref,
            "ratio": everything / ref,  # OpenKAM's every-account recompute ÷ pandas
            "largest_difference": worst,
            "backtest": result,  # AUC and precision against recency alone (JSON-ready)
        }
        Path(args.json).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
