"""Units imported a tree level at a time end up exactly as the unit-by-unit path leaves them
(issue 10): same paths, same parents, same child counts, same accounts marked for the scoring
facts, on random trees, including moves of units already in the database."""

from __future__ import annotations

import csv
import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from kam.customers.models import Unit
from kam.dataio.importers import UnitImporter
from kam.dataio.services import import_file
from kam.identification.models import StaleAccount


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
