"""Units imported a tree level at a time end up exactly as the unit-by-unit path leaves them
(issue 10): same paths, same parents, same child counts, same accounts marked for the scoring
facts, on random trees, including moves of units already in the database; and that a bulk
import writes every unit's history entry, marks each account once, in a bounded number of
queries."""

from __future__ import annotations

import csv
import random
import tempfile
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from kam.customers.models import Unit
from kam.dataio.importers import UnitImporter
from kam.dataio.services import import_file
from kam.health.models import StaleHealth
from kam.identification.models import StaleAccount
from kam.relationships.models import StaleFigures


def _write(folder: Path, name: str, rows: list[tuple[str, str | None]]) -> Path:
    path = folder / name
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["external_id", "name", "parent"])
        for ext, parent in rows:
            out.writerow([ext, f"Unit {ext}", parent or ""])
    return path


def _files(seed: int, first: int, second: int) -> tuple[list, list]:
    """A first file of ``first`` units, then a file naming all of them and ``second`` new ones,
    each under a unit earlier in a fresh random order (so units move, and no cycle forms)."""
    rng = random.Random(seed)
    exts = [f"U{i:03d}" for i in range(first)]
    one = []
    for i, ext in enumerate(exts):
        one.append((ext, rng.choice([None, *exts[:i]]) if i and rng.random() < 0.8 else None))
    both = exts + [f"N{i:03d}" for i in range(second)]
    order = both[:]
    rng.shuffle(order)
    two = []
    for i, ext in enumerate(order):
        two.append((ext, rng.choice(order[:i]) if i and rng.random() < 0.85 else None))
    rng.shuffle(two)  # the file's order is not the tree's
    return one, two


def _state() -> tuple[dict, set]:
    units = {u.pk: u for u in Unit.objects.all()}
    by_path = {u.path: u for u in units.values()}
    tree = {
        u.external_id: (
            u.path,
            by_path[u.path[:-5]].external_id if u.depth > 1 else None,
            u.numchild,
        )
        for u in units.values()
    }
    return tree, set(StaleAccount.objects.values_list("root_path", flat=True))


class BulkEqualsOneByOne(TestCase):
    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(seed=st.integers(0, 10**6), first=st.integers(1, 20), second=st.integers(0, 20))
    def test_same_tree_either_way(self, seed: int, first: int, second: int) -> None:
        one, two = _files(seed, first, second)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            files = [_write(folder, "one.csv", one), _write(folder, "two.csv", two)]
            results = []
            for bulk in (True, False):
                Unit.objects.all().delete()
                StaleAccount.objects.all().delete()
                UnitImporter.bulk = bulk
                try:
                    for path in files:
                        report = import_file(entity="units", path=path)
                        assert report.ok, report.errors
                finally:
                    UnitImporter.bulk = True
                results.append(_state())
        assert results[0] == results[1]
        tree, _marks = results[0]
        assert len(tree) == first + second

        assert Unit.objects.find_problems() == ([], [], [], [], [])  # treebeard's own check


def _tree_file(folder: Path, accounts: int, per_account: int) -> Path:
    """``accounts`` accounts, each with ``per_account`` companies and as many sites below the
    first company, in reverse order (children before parents)."""
    rows: list[tuple[str, str | None]] = []
    for a in range(accounts):
        rows.append((f"A{a}", None))
        for c in range(per_account):
            rows.append((f"A{a}C{c}", f"A{a}"))
            rows.append((f"A{a}S{c}", f"A{a}C0"))
    return _write(folder, f"tree-{accounts}-{per_account}.csv", rows[::-1])


class LevelsInBulk(TestCase):
    def test_every_unit_has_its_history_entry_and_every_account_one_mark(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            report = import_file(entity="units", path=_tree_file(Path(tmp), 4, 3))
        assert report.ok and report.created == 4 * 7, report.errors
        units = dict(Unit.objects.values_list("external_id", "pk"))
        entries = list(Unit.history.values_list("id", "history_type", "name"))
        assert sorted(entries) == sorted((pk, "+", f"Unit {ext}") for ext, pk in units.items())
        accounts = set(Unit.objects.accounts().values_list("path", flat=True))
        # three levels written, each account marked once for the kept figures (appended marks)
        assert sorted(StaleFigures.objects.values_list("root_path", flat=True)) == sorted(accounts)
        assert set(StaleAccount.objects.values_list("root_path", flat=True)) == accounts
        assert set(StaleHealth.objects.values_list("account_path", flat=True)) == accounts
        assert Unit.objects.get(external_id="A2C0").numchild == 3
        assert Unit.objects.find_problems() == ([], [], [], [], [])

    def test_the_queries_do_not_grow_with_the_number_of_units(self) -> None:
        counts = []
        with tempfile.TemporaryDirectory() as tmp:
            for accounts in (3, 30):
                Unit.objects.all().delete()
                path = _tree_file(Path(tmp), accounts, 4)
                with CaptureQueriesContext(connection) as queries:
                    report = import_file(entity="units", path=path)
                assert report.ok and report.created == accounts * 9, report.errors
                counts.append(len(queries))
        assert counts[0] == counts[1], counts
