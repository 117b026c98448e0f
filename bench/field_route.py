"""A field rep's week of 40 visits ordered into a route (issue 15: under 1 s), with the tour
length against a pure-Python nearest-neighbour baseline measured in the same run.

Run: ``python bench/field_route.py`` (no database needed: the route works on coordinates);
``--json FILE`` also writes the figures to FILE."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

import django  # noqa: E402

django.setup()

from kam.field.route import haversine_km, route_minutes, route_order  # noqa: E402

LIMIT_S = 1.0


def nearest_neighbour(points: list[tuple[float, float]]) -> list[int]:
    order, left = [0], set(range(1, len(points)))
    while left:
        here = points[order[-1]]
        nxt = min(left, key=lambda i: haversine_km(here, points[i]))
        order.append(nxt)
        left.remove(nxt)
    return order


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    rng = random.Random(15)
    # 40 sites in a 150 km square around Essen
    points = [(51.45 + rng.uniform(-0.7, 0.7), 7.0 + rng.uniform(-1.1, 1.1)) for _ in range(40)]
    started = time.perf_counter()
    order = route_order(points)
    vroom_s = time.perf_counter() - started
    started = time.perf_counter()
    baseline = nearest_neighbour(points)
    nn_s = time.perf_counter() - started
    ours, theirs = route_minutes(points, order), route_minutes(points, baseline)
    print(
        f"40 visits ordered with VROOM in {vroom_s * 1000:.0f} ms (limit {LIMIT_S * 1000:.0f} ms)"
    )
    print(f"nearest neighbour (pure Python) in {nn_s * 1000:.1f} ms")
    ratio = ours / theirs
    print(f"travel: VROOM {ours:.0f} min, nearest neighbour {theirs:.0f} min, ratio {ratio:.2f}")
    ok = vroom_s < LIMIT_S and ours <= theirs * 1.0001
    print("PASS" if ok else "FAIL")
    if args.json:
        data = {
            "visits": len(points),
            "vroom_ms": vroom_s * 1000,
            "limit_ms": LIMIT_S * 1000,
            "nearest_neighbour_ms": nn_s * 1000,  # the same-run baseline
            "vroom_minutes": ours,
            "nearest_neighbour_minutes": theirs,
            "ratio": ratio,  # VROOM's travel ÷ the baseline's (at most 1)
            "verdict": "PASS" if ok else "MISS",
        }
        Path(args.json).write_text(json.dumps(data, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
