"""Benchmark the capture of interactions: a 10,000-event .ics and a 10,000-message mbox.

Run from the repository root::

    .venv/bin/python bench/capture.py                    # 10,000 events and 10,000 messages
    .venv/bin/python bench/capture.py --events 2000 --messages 2000 --json out.json

Targets (issue 15): the calendar imported in under 10 s, the mailbox in under 20 s (read,
matched, merged and written, in a temporary SQLite database). Same-run baseline: reading the
same file alone (``parsers.parse_file``, no database): the ratio says what matching and writing
add to parsing. The world: 40 of our people, 60 customer units with 600 contacts; a tenth of
the calendar is weekly series expanded in the range, each event has an organizer of ours and
two to four attendees (one in ten unknown); each message has a sender and two recipients.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
USERS, UNITS, CONTACTS = 40, 60, 600


def ours(i: int) -> str:
    return f"rep{i % USERS}@ours.example"


def theirs(i: int) -> str:
    return f"contact{i % CONTACTS}@customer{i % CONTACTS % UNITS}.example"


def write_calendar(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//OpenKAM bench//EN"]
    series, made = n // 10 // 20, 0  # a tenth of the events: weekly series of 20
    for s in range(series):
        start = SINCE + dt.timedelta(days=rng.randrange(150), hours=8 + rng.randrange(9))
        contact = rng.randrange(CONTACTS)
        out += [
            "BEGIN:VEVENT",
            f"UID:series-{s}@bench.example",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            "RRULE:FREQ=WEEKLY;COUNT=20",
            f"SUMMARY:Weekly call {s}",
            f"ORGANIZER;CN=Rep {s}:mailto:{ours(s)}",
            f"ATTENDEE;CN=Contact {contact}:mailto:{theirs(contact)}",
            "END:VEVENT",
        ]
        made += 20
    for e in range(n - made):
        start = SINCE + dt.timedelta(days=rng.randrange(360), minutes=rng.randrange(600) + 480)
        c = rng.randrange(CONTACTS)
        attendees = [theirs(c), theirs(c + UNITS)]  # the same unit: c and c + UNITS
        if rng.random() < 0.5:
            attendees.append(ours(e + 7))
        if rng.random() < 0.1:
            attendees.append(f"unknown{e % 300}@elsewhere.example")
        out += [
            "BEGIN:VEVENT",
            f"UID:event-{e}@bench.example",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:Meeting {e} about the frame contract",
            f"ORGANIZER;CN=Rep:mailto:{ours(e)}",
            *(f"ATTENDEE:mailto:{a}" for a in attendees),
            "END:VEVENT",
        ]
    out.append("END:VCALENDAR")
    path.write_text("\r\n".join(out) + "\r\n", encoding="utf-8")


def write_mbox(path: Path, n: int, seed: int = 2) -> None:
    rng = random.Random(seed)
    parts = []
    for m in range(n):
        when = SINCE + dt.timedelta(minutes=rng.randrange(360 * 24 * 60))
        c = rng.randrange(CONTACTS)
        sender, to = (ours(m), theirs(c)) if m % 2 else (theirs(c), ours(m))
        parts.append(
            f"From {sender} {when:%a %b %d %H:%M:%S %Y}\n"
            f"Message-ID: <m{m}@bench.example>\n"
            f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}\n"
            f"From: Person {m} <{sender}>\n"
            f"To: {to}\n"
            f"Cc: {theirs(c + UNITS)}\n"
            f"Subject: =?utf-8?q?Re=3A_Offer_{m}_=E2=80=94_frame_contract?=\n"
            "Content-Type: text/plain; charset=utf-8\n\n"
            "Thank you for the offer. We will come back next week.\n\n"
        )
    path.write_text("".join(parts), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kam-bench-capture-"))
    os.environ["KAM_VAR_DIR"] = str(tmp)
    os.environ["KAM_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    from kam.customers.models import Contact, Employment
    from kam.customers.services import unit_create
    from kam.interactions.capture.parsers import parse_file
    from kam.interactions.capture.services import capture_import
    from kam.interactions.models import Interaction
    from kam.people.models import User

    call_command("migrate", verbosity=0)
    User.objects.bulk_create(
        User(username=f"rep{i}", email=ours(i), role="field_rep") for i in range(USERS)
    )
    units = [unit_create(name=f"Customer {u}", kind="group", country="DE") for u in range(UNITS)]
    contacts = Contact.objects.bulk_create(
        Contact(first_name="C", last_name=str(i), email=theirs(i)) for i in range(CONTACTS)
    )
    Employment.objects.bulk_create(
        Employment(contact=c, unit=units[i % UNITS]) for i, c in enumerate(contacts)
    )

    results = []
    figures: list[dict] = []
    for label, name, n, write, target in (
        ("calendar", "bench.ics", args.events, write_calendar, 10.0),
        ("mailbox", "bench.mbox", args.messages, write_mbox, 20.0),
    ):
        path = tmp / name
        write(path, n)
        data = path.read_bytes()
        start, cpu = time.perf_counter(), time.process_time()
        items = parse_file(data, filename=name, since=SINCE, until=UNTIL)
        parse, parse_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        summary = capture_import(files=[(name, data)], user=None, since=SINCE, until=UNTIL)
        took, took_cpu = time.perf_counter() - start, time.process_time() - cpu
        written = Interaction.objects.filter(source=label.replace("mailbox", "mail")).count()
        print(
            f"{label}: {len(items):,} items, {summary.matched:,} written ({written:,} in the log), "
            f"{summary.duplicates:,} duplicates, {summary.skipped_count:,} skipped, "
            f"{len(summary.unmatched):,} unmatched addresses",
            flush=True,
        )
        print(
            f"  import {took:.2f} s ({took_cpu:.2f} s CPU); parse only {parse:.2f} s "
            f"({parse_cpu:.2f} s CPU); ratio {took / parse:.1f}× parsing",
            flush=True,
        )
        start = time.perf_counter()
        again = capture_import(files=[(name, data)], user=None, since=SINCE, until=UNTIL)
        reimport = time.perf_counter() - start
        print(f"  re-import {reimport:.2f} s, {again.matched} new", flush=True)
        results.append((label, n, took, took_cpu, target))
        figures.append(
            {
                "source": label,
                "size": n,
                "items": len(items),
                "written": summary.matched,
                "in_the_log": written,
                "duplicates": summary.duplicates,
                "skipped": summary.skipped_count,
                "unmatched": len(summary.unmatched),
                "seconds": took,
                "cpu_seconds": took_cpu,
                "parse_seconds": parse,  # the same-run baseline
                "parse_cpu_seconds": parse_cpu,
                "ratio": took / parse,
                "reimport_seconds": reimport,
                "reimport_new": again.matched,
                "target_seconds": target,
                "verdict": "PASS" if took < target else "MISS",
            }
        )
    print()
    print("Targets:")
    for label, n, took, took_cpu, target in results:
        ok = "PASS" if took < target else "MISS"
        print(f"  {label} of {n:,} under {target:.0f} s: {took:.2f} s {ok} ({took_cpu:.2f} s CPU)")
    print("(wall time on a busy machine runs far above the CPU time: see bench/README.md)")
    if args.json:
        world = {"users": USERS, "units": UNITS, "contacts": CONTACTS}
        Path(args.json).write_text(json.dumps({**world, "results": figures}, indent=2))


if __name__ == "__main__":
    main()
