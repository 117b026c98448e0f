"""Benchmark the relationship map, the coverage matrix and warm paths on one very large account.

Run from the repository root::

    .venv/bin/python bench/relationship_map.py            # 10,000 contacts, 200,000 interactions
    .venv/bin/python bench/relationship_map.py --contacts 2000 --interactions 40000   # quick
    .venv/bin/python bench/relationship_map.py --rebuild  # after a change to the generator
    .venv/bin/python bench/relationship_map.py --json out.json   # and write the figures

What it does:

1. builds, or reuses, one account in its own SQLite file under ``var/`` of the checkout
   (``var/bench-relationship-map-<contacts>-<interactions>.sqlite3``): 60 units, ``--contacts``
   people in a reporting tree over 11 functions, 40 of our people each with a beat of 150 of
   theirs, ``--interactions`` interactions (1–2 of ours, 1–3 of their beat's people each, over two
   years), buying roles and attitudes for
   one person in twenty, then the kept link strengths (``strengths_refresh``);
2. times, warm, through the Django test client as the account's KAM: the map page, its graph
   JSON (the clustered overview and one opened cluster), the coverage matrix page and API, and
   the warm paths to ten targets (API); each ``--repeat`` times, p50 and p95. The warm-up
   request computes the account's kept figures (decision 106), the timed ones read them; the
   refresh the worker runs for a marked account is timed once at the end;
3. times same-run baselines: the map data the naive way (one query per person for links and
   roles, as an ORM loop would do) and warm paths as a breadth-first search over the ORM (one
   query per visited person), and prints the ratios.

Targets (issue 13): map page + data and the coverage matrix under 500 ms warm on SQLite; warm
paths under 200 ms; the query count of the map does not grow with the number of contacts (the
test suite checks that with ×10 data).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from _common import ROOT, log, print_targets, remove_sqlite, verdict

TARGET_PAGE_MS = 500.0
TARGET_PATHS_MS = 200.0
FUNCTIONS = [
    "management", "purchasing", "production", "engineering", "quality", "logistics",
    "finance", "it", "marketing", "legal", "other",
]  # fmt: skip
SENIORITY = ["operational"] * 6 + ["middle"] * 3 + ["senior"]


def _setup(db: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    os.environ["KAM_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("KAM_SECRET_KEY", "bench-not-secret")
    os.environ["KAM_DEBUG"] = "0"
    os.environ["KAM_ALLOWED_HOSTS"] = "testserver"
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.conf import settings

    django.setup()
    # pages render without a collected static manifest (the files are not served here)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def build(contacts: int, interactions: int, seed: int) -> None:
    import datetime as dt

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from kam.customers.models import Contact, Employment
    from kam.interactions.models import Interaction
    from kam.people.models import User
    from kam.relationships.models import BuyingRole, ContactStance
    from kam.relationships.services import strengths_refresh
    from kam.testing.factories import make_unit

    rnd = random.Random(seed)
    call_command("migrate", verbosity=0)
    kam = User.objects.create(username="bench-kam", role="kam", first_name="Kira", last_name="Am")
    ours = [kam] + [
        User.objects.create(
            username=f"bench-{i}", role="field_rep", first_name="Rep", last_name=str(i)
        )
        for i in range(39)
    ]
    account = make_unit("Megacorp Group", account_manager=kam, country="DE")
    companies = [make_unit(f"Megacorp {c}", parent=account) for c in "ABCDE"]
    units = [account, *companies]
    for company in companies:
        units += [
            make_unit(f"{company.name} site {s}", parent=company, kind="site") for s in range(11)
        ]
    log(f"units: {len(units)}")
    with transaction.atomic():
        people = Contact.objects.bulk_create(
            [Contact(first_name=f"P{i}", last_name=f"Person {i:05d}") for i in range(contacts)],
            batch_size=2000,
        )
        rows: list[Employment] = []
        for i, person in enumerate(people):
            unit = units[0] if i < 20 else units[rnd.randrange(len(units))]
            rows.append(
                Employment(
                    contact=person,
                    unit=unit,
                    function=FUNCTIONS[i % len(FUNCTIONS)],
                    seniority="board" if i < 5 else rnd.choice(SENIORITY),
                    title=f"Title {i}",
                    start_date=dt.date(2020, 1, 1),
                )
            )
        Employment.objects.bulk_create(rows, batch_size=2000)
        # a reporting tree: each person reports to someone earlier in the list
        for i, row in enumerate(rows[1:], start=1):
            row.reports_to = rows[rnd.randrange(max(1, i // 3), i) if i > 3 else 0]
        Employment.objects.bulk_update(rows[1:], ["reports_to"], batch_size=2000)
        log(f"contacts: {contacts}")
        now = timezone.now()
        # Each of our people has a beat: the ~150 people of theirs they deal with (a quarter of
        # the account is met at all), as in the field; the KAM's beat is the senior people.
        known = people[: contacts // 4]
        beats = [people[:150]] + [rnd.sample(known, min(150, len(known))) for _ in ours[1:]]
        batch = 20000
        PT = Interaction.participants.through
        CT = Interaction.contacts.through
        for start in range(0, interactions, batch):
            n = min(batch, interactions - start)
            made = Interaction.objects.bulk_create(
                [
                    Interaction(
                        type=rnd.choice(["meeting", "call", "email", "visit", "review"]),
                        occurred_at=now - dt.timedelta(minutes=rnd.randrange(2 * 365 * 24 * 60)),
                        unit=units[rnd.randrange(len(units))],
                        summary="Bench interaction",
                    )
                    for _ in range(n)
                ],
                batch_size=2000,
            )
            parts, conts = [], []
            for it in made:
                lead = rnd.randrange(len(ours))
                team = {lead, rnd.randrange(len(ours))} if rnd.random() < 0.3 else {lead}
                for u in team:
                    parts.append(PT(interaction_id=it.pk, user_id=ours[u].pk))
                for person in rnd.sample(beats[lead], rnd.randint(1, 3)):
                    conts.append(CT(interaction_id=it.pk, contact_id=person.pk))
            PT.objects.bulk_create(parts, batch_size=5000)
            CT.objects.bulk_create(conts, batch_size=5000)
        log(f"interactions: {interactions}")
        roles = ["initiator", "user", "influencer", "decider", "approver", "buyer", "gatekeeper"]
        attitudes = ["champion", "supporter", "neutral", "critic", "opponent"]
        BuyingRole.objects.bulk_create(
            [BuyingRole(account=account, contact=p, role=rnd.choice(roles)) for p in people[::20]]
        )
        ContactStance.objects.bulk_create(
            [
                ContactStance(account=account, contact=p, attitude=rnd.choice(attitudes))
                for p in people[::20]
            ]
        )
    t = time.perf_counter()
    written = strengths_refresh(everything=True)
    log(f"link strengths: {written} in {time.perf_counter() - t:.1f}s")


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1)}


def _time(fn: Any, repeat: int) -> list[float]:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(1000 * (time.perf_counter() - t))
    return samples


def naive_map(account: Any) -> int:
    """The map data as an ORM loop per person would load it (the baseline)."""
    from kam.relationships.models import BuyingRole, ContactStance, LinkStrength
    from kam.relationships.network import current_positions

    n = 0
    for emp in current_positions(account).select_related("contact", "unit"):
        n += len(list(LinkStrength.objects.filter(contact_id=emp.contact_id)))
        n += len(list(BuyingRole.objects.filter(account=account, contact_id=emp.contact_id)))
        n += ContactStance.objects.filter(account=account, contact_id=emp.contact_id).count()
    return n


def naive_paths(account: Any, target: int) -> int | None:
    """Breadth-first search over the ORM from the target to the nearest of our people: hops."""
    from kam.customers.models import Employment
    from kam.relationships.models import LinkStrength

    seen = {target}
    queue = deque([(target, 0)])
    while queue:
        contact, hops = queue.popleft()
        if LinkStrength.objects.filter(contact_id=contact, strength__gt=0).exists():
            return hops + 1
        emp = Employment.objects.filter(contact_id=contact, end_date__isnull=True).first()
        if emp is None:
            continue
        near = []
        if emp.reports_to_id:
            near.append(Employment.objects.get(pk=emp.reports_to_id).contact_id)
        near += list(emp.direct_reports.values_list("contact_id", flat=True))
        for nxt in near:
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, hops + 1))
    return None


def measure(repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from kam.customers.models import Unit
    from kam.people.models import User
    from kam.relationships.models import LinkStrength
    from kam.relationships.network import current_positions

    account = Unit.objects.get(name="Megacorp Group")
    kam = User.objects.get(username="bench-kam")
    client = Client()
    client.force_login(kam)
    linked = set(LinkStrength.objects.values_list("contact_id", flat=True))
    unknown = [
        cid
        for cid in current_positions(account).values_list("contact_id", flat=True)
        if cid not in linked
    ]
    targets = random.Random(7).sample(unknown, min(10, len(unknown)))
    graph = client.get(reverse("relationships_map:map_data", args=[account.pk])).json()
    cluster = max((n for n in graph["nodes"] if n["kind"] == "cluster"), key=lambda n: n["count"])
    api = f"/api/v1/accounts/{account.pk}"

    def get(url: str) -> Any:
        def call() -> None:
            answer = client.get(url)
            assert answer.status_code == 200, (url, answer.status_code)

        return call

    cases = {
        "map page": reverse("relationships_map:map", args=[account.pk]),
        "map data (overview)": reverse("relationships_map:map_data", args=[account.pk]),
        "map data (one cluster)": reverse("relationships_map:map_data", args=[account.pk])
        + f"?cluster={cluster['cluster']}",
        "coverage matrix page": reverse("relationships_map:coverage", args=[account.pk]),
        "coverage matrix API": f"{api}/coverage-matrix",
    }
    results: dict[str, Any] = {
        "mode": graph["mode"],
        "clusters": len(graph["nodes"]),
        "cluster_size": cluster["count"],
    }
    for name, url in cases.items():
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        results[name] = {**_stats(_time(get(url), repeat)), "queries": len(ctx.captured_queries)}
        log(f"{name}: {results[name]}")
    samples: list[float] = []
    found = 0
    for target in targets:
        url = f"{api}/warm-paths/{target}"
        found += bool(client.get(url).json()["paths"])
        samples += _time(get(url), max(2, repeat // 5))
    results["warm paths"] = {**_stats(samples), "targets": len(targets), "with_a_path": found}
    log(f"warm paths: {results['warm paths']}")
    # what the worker pays once per marked account and day (decision 106)
    from kam.relationships.services import figures_refresh

    t = time.perf_counter()
    figures_refresh(account=account)
    results["kept figures refresh"] = round(1000 * (time.perf_counter() - t), 1)
    t = time.perf_counter()
    naive_map(account)
    results["baseline map (per-person queries)"] = round(1000 * (time.perf_counter() - t), 1)
    t = time.perf_counter()
    for target in targets:
        naive_paths(account, target)
    results["baseline warm paths (BFS over the ORM)"] = round(
        1000 * (time.perf_counter() - t) / max(1, len(targets)), 1
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    db = ROOT / "var" / f"bench-relationship-map-{args.contacts}-{args.interactions}.sqlite3"
    if args.rebuild:
        remove_sqlite(db)
    fresh = not db.exists()
    _setup(db)
    if fresh:
        log(f"building {db.name}")
        try:
            build(args.contacts, args.interactions, args.seed)
        except BaseException:
            remove_sqlite(db)
            raise
    else:  # a build kept from before a model change
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    r = measure(args.repeat)
    page_data = r["map page"]["p50"] + r["map data (overview)"]["p50"]
    map_ratio = r["baseline map (per-person queries)"] / max(r["map data (overview)"]["p50"], 0.1)
    path_ratio = r["baseline warm paths (BFS over the ORM)"] / max(r["warm paths"]["p50"], 0.1)
    print()
    print(
        f"Account: {args.contacts} contacts, {args.interactions} interactions "
        f"({r['mode']}: {r['clusters']} nodes; largest cluster {r['cluster_size']} people)"
    )
    for name in (
        "map page",
        "map data (overview)",
        "map data (one cluster)",
        "coverage matrix page",
        "coverage matrix API",
        "warm paths",
    ):
        v = r[name]
        extra = f", {v['queries']} queries" if "queries" in v else ""
        print(f"  {name:<26} p50 {v['p50']:>8.1f} ms   p95 {v['p95']:>8.1f} ms{extra}")
    print(
        f"  kept figures refresh (worker, per account and day): {r['kept figures refresh']:.0f} ms"
    )
    naive_map_ms = r["baseline map (per-person queries)"]
    naive_paths_ms = r["baseline warm paths (BFS over the ORM)"]
    print(
        f"  baseline map data, one query per person: {naive_map_ms:.0f} ms"
        f"  (×{map_ratio:.0f} slower)"
    )
    print(
        f"  baseline warm path, BFS over the ORM: {naive_paths_ms:.0f} ms"
        f" per target (×{path_ratio:.1f} slower, and it finds only the hop count)"
    )
    coverage_ms = r["coverage matrix page"]["p50"]
    print_targets(
        [
            f"map page + data p50 {page_data:.0f} ms < {TARGET_PAGE_MS:.0f} ms: "
            f"{verdict(page_data < TARGET_PAGE_MS)}",
            f"coverage matrix page p50 {coverage_ms:.0f} ms < "
            f"{TARGET_PAGE_MS:.0f} ms: {verdict(coverage_ms < TARGET_PAGE_MS)}",
            f"warm paths p50 {r['warm paths']['p50']:.0f} ms < {TARGET_PATHS_MS:.0f} ms: "
            f"{verdict(r['warm paths']['p50'] < TARGET_PATHS_MS)}",
        ]
    )
    if args.json:
        targets = [
            ("map page + data p50", page_data, TARGET_PAGE_MS),
            ("coverage matrix page p50", coverage_ms, TARGET_PAGE_MS),
            ("warm paths p50", r["warm paths"]["p50"], TARGET_PATHS_MS),
        ]
        data = {
            "contacts": args.contacts,
            "interactions": args.interactions,
            "measured": r,  # p50 / p95 in ms per request; the baselines and the refresh in ms
            "map_ratio": map_ratio,  # the per-person baseline ÷ the map data's p50
            "paths_ratio": path_ratio,  # the BFS baseline ÷ the warm paths' p50
            "targets": [
                {"figure": name, "ms": ms, "target_ms": limit, "verdict": verdict(ms < limit)}
                for name, ms, limit in targets
            ],
        }
        Path(args.json).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
