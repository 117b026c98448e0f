"""Benchmark the executive dashboard: the kept page warm, its recompute, against the portfolio.

Run from the repository root::

    .venv/bin/python bench/dashboard.py --scale small          # builds bench/out/dashboard-small…
    .venv/bin/python bench/dashboard.py --scale large --reuse   # measure an existing build again
    .venv/bin/python bench/dashboard.py --scale tiny --json out.json  # and write the figures

1. builds (or, with ``--reuse``, reuses) the demo at ``--scale`` in a SQLite file under
   ``bench/out/`` (git-ignored) and scores it once (``kam score``), so the matrix has data;
2. times, through the Django test client as the demo executive, warm (``--warm`` requests
   first): the dashboard page (the kept snapshot read in one query), its API and, as the
   same-run baseline, the plain portfolio page (``/accounts/``) — each ``--repeat`` times, p50
   and p95 — and counts the dashboard's queries;
3. times the recompute of the snapshot (``dashboard_refresh``: what the first view after a
   write, or the nightly tick, pays), best of three, and its queries.

The ratio column is each figure divided by the portfolio page's p50, so a slower or faster
machine moves the figures but not the ratios.

Target (issue 17): the dashboard answers in under 300 ms warm at the large demo scale, with a
bounded query count (web/tests/test_query_bounds.py checks the count does not grow).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _common import ROOT, log, print_targets, verdict

OUT = ROOT / "bench" / "out"
TARGET_MS = 300.0


def setup(db: Path) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    os.environ["KAM_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("KAM_SECRET_KEY", "bench-not-secret")
    os.environ.setdefault("KAM_VAR_DIR", str(OUT))
    os.environ["KAM_DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import override_settings

    storages = {  # no collectstatic: static URLs come from the source folders
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages, DEBUG=False, ALLOWED_HOSTS=["localhost"]).enable()


def build(scale: str, seed: int) -> None:
    from django.core.management import call_command

    from kam.demo.build import demo_build

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    demo_build(scale=scale, seed=seed)
    call_command("score", stdout=io.StringIO(), stderr=io.StringIO())
    log(f"built and scored the {scale} demo in {time.perf_counter() - started:.1f} s")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(client: Any, url: str, warm: int, repeat: int) -> dict[str, float]:
    for _ in range(warm):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        status = client.get(url).status_code
        samples.append((time.perf_counter() - started) * 1000)
        assert status == 200, (url, status)
    return {"p50": statistics.median(samples), "p95": percentile(samples, 0.95)}


def measure(warm: int, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kam.customers.models import Unit
    from kam.people.models import User
    from kam.programme.services import dashboard_refresh

    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="executive"))
    out: dict[str, Any] = {
        "accounts": Unit.objects.accounts().count(),
        "portfolio": timed(client, "/accounts/", warm, repeat),
        "dashboard": timed(client, "/dashboard/", warm, repeat),
        "api": timed(client, "/api/v1/programme/dashboard", warm, repeat),
    }
    with CaptureQueriesContext(connection) as queries:
        client.get("/dashboard/")
    out["queries"] = len(queries.captured_queries)
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            dashboard_refresh()
        best = min(best, time.perf_counter() - started)
    out["refresh_ms"] = best * 1000
    out["refresh_queries"] = len(queries.captured_queries)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="small", help="demo scale: tiny, small, medium, large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="measure an existing build again")
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"dashboard-{args.scale}.sqlite3"
    if not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    fresh = not db.exists()
    setup(db)
    if fresh:
        build(args.scale, args.seed)
    r = measure(args.warm, args.repeat)
    base = r["portfolio"]["p50"]
    print()
    print(f"Executive dashboard, {args.scale} demo ({r['accounts']:,} accounts), SQLite")
    print(f"  {'':<34} {'p50':>10} {'p95':>10}   ratio to the portfolio p50")
    for name, key in (
        ("portfolio page (baseline)", "portfolio"),
        ("dashboard page, warm", "dashboard"),
        ("dashboard API, warm", "api"),
    ):
        v = r[key]
        print(
            f"  {name:<34} {v['p50']:>7.1f} ms {v['p95']:>7.1f} ms   "
            f"p50 {v['p50'] / base:.2f}×, p95 {v['p95'] / base:.2f}×"
        )
    print(f"  {'dashboard page queries':<34} {r['queries']:>10}")
    print(
        f"  {'snapshot recompute (best of 3)':<34} {r['refresh_ms']:>7.1f} ms"
        f"{'':>11}   {r['refresh_ms'] / base:.1f}× ({r['refresh_queries']} queries)"
    )
    print_targets(
        [
            f"dashboard p95 warm < {TARGET_MS:.0f} ms at this scale: "
            f"{r['dashboard']['p95']:.1f} ms {verdict(r['dashboard']['p95'] < TARGET_MS)}"
            + ("" if args.scale == "large" else " (the issue's target is at the large scale)"),
        ]
    )
    if args.json:
        ratios = {
            key: {"p50": r[key]["p50"] / base, "p95": r[key]["p95"] / base}
            for key in ("portfolio", "dashboard", "api")
        }
        ratios["refresh"] = r["refresh_ms"] / base
        data = {
            "scale": args.scale,
            **r,  # p50 / p95 in ms; the portfolio page is the same-run baseline
            "ratios": ratios,  # each figure ÷ the portfolio page's p50
            "target_ms": TARGET_MS,
            "verdict": verdict(r["dashboard"]["p95"] < TARGET_MS),
        }
        Path(args.json).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
