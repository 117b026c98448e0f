"""Tree and account arithmetic: the helpers of customers.models, and that nobody else does it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import OuterRef, Subquery

from kam.customers.models import (
    Unit,
    account_path,
    account_path_sql,
    ancestor_paths,
    child_path,
    parent_path,
    parent_path_of,
    path_depth,
    path_step,
)
from kam.testing.factories import make_unit

SRC = Path(__file__).resolve().parents[2]  # src/kam
HELPERS = SRC / "customers" / "models.py"

# What only the tree helpers may do: slice a path, compute with the step length, test for the
# account depth or take a path's prefix in SQL.
FORBIDDEN = [
    (re.compile(r"""path["']?\]?\s*\[[^\]\n]*:"""), "slices a path"),
    (re.compile(r"\bdepth\s*(==|!=|=|>|<=)\s*1\b"), "tests the account depth"),
    (re.compile(r"\bsteplen\b", re.IGNORECASE), "uses the path step length"),
    (re.compile(r"\bALPHABET\b"), "encodes paths"),
    (re.compile(r"""substr\(\s*(OuterRef\()?["']?[\w.]*path""", re.IGNORECASE), "cuts a path"),
]
# Modules that may still do it. Keep it empty: a new module calls the helpers instead.
ALLOWED: set[str] = set()


def _sources() -> list[Path]:
    return [
        p
        for p in sorted(SRC.rglob("*.py"))
        if "migrations" not in p.parts and "tests" not in p.parts and p != HELPERS
    ]


def test_no_module_outside_the_tree_helpers_does_path_arithmetic():
    offences = []
    for path in _sources():
        rel = path.relative_to(SRC.parent).as_posix()
        if rel in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            for pattern, what in FORBIDDEN:
                if pattern.search(code):
                    offences.append(f"{rel}:{number}: {what}: {line.strip()}")
    assert offences == [], "use kam.customers.models' tree helpers:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    "line",
    [
        "x = unit.path[:5]",
        "x = unit.path[: -Unit.steplen]",
        'roots = {u["path"][:step] for u in units}',
        "Unit.objects.filter(depth=1)",
        "if unit.depth == 1:",
        "if unit.depth > 1:",
        "step = Unit.steplen",
        'annotate(root=Substr("path", 1, 5))',
        "f'SELECT substr(u.path, 1, 5)'",
    ],
)
def test_the_guard_recognises_path_arithmetic(line):
    assert any(pattern.search(line) for pattern, _what in FORBIDDEN)


def test_the_guard_lets_ordinary_code_through():
    ordinary = [
        "Unit.objects.accounts()",
        "paths = {u.parent_path for u in units}",
        "qs.filter(depth=depth)",
        "items = rows[:10]",
    ]
    assert [line for line in ordinary if any(p.search(line) for p, _w in FORBIDDEN)] == []


def test_path_helpers():
    assert account_path("0000100002000A3") == "00001"
    assert account_path("00001") == "00001"
    assert parent_path("0000100002000A3") == "0000100002"
    assert parent_path("00001") is None
    assert ancestor_paths("0000100002000A3") == ["00001", "0000100002"]
    assert ancestor_paths("00001") == []
    assert path_depth("0000100002000A3") == 3


def test_path_steps_count_in_base_36_and_refuse_overflow():
    assert path_step(1) == "00001"
    assert path_step(36) == "00010"
    assert path_step(36**5 - 1) == "ZZZZZ"
    with pytest.raises(ValueError):
        path_step(36**5)


@pytest.fixture
def tree(db):
    """A ─ A1 ─ A11, A ─ A2, B (paths made by treebeard through the service)."""
    a = make_unit("A")
    b = make_unit("B")
    a1 = make_unit("A1", parent=a)
    a2 = make_unit("A2", parent=a)
    a11 = make_unit("A11", parent=a1)
    return {u.name: Unit.objects.get(pk=u.pk) for u in (a, b, a1, a2, a11)}


def test_child_path_and_parent_path_match_treebeards_own_paths(tree):
    assert tree["A"].path == child_path(None, 1)
    assert tree["B"].path == child_path(None, 2)
    assert tree["A2"].path == child_path(tree["A"].path, 2)
    assert tree["A11"].path == child_path(tree["A1"].path, 1)
    assert parent_path(tree["A11"].path) == tree["A1"].path
    assert tree["A11"].parent_path == Unit.objects.get_parent(tree["A11"]).path
    assert path_depth(tree["A11"].path) == tree["A11"].depth


def names(units) -> list[str]:
    return sorted(u.name for u in units)


def test_accounts_subtree_and_in_account(tree):
    assert names(Unit.objects.accounts()) == ["A", "B"]
    assert names(Unit.objects.sub_units()) == ["A1", "A11", "A2"]
    assert names(Unit.objects.subtree(tree["A1"])) == ["A1", "A11"]
    assert names(Unit.objects.in_account(tree["A11"])) == ["A", "A1", "A11", "A2"]
    assert names(Unit.objects.filter(name__in=["A11", "B"]).accounts_of()) == ["A", "B"]


def test_in_account_hashed_asks_each_database_by_what_it_estimates_well(tree):
    """For joins to all of an account's people: on PostgreSQL by the indexed account path (its
    statistics give the account's size); on SQLite by the path index's range (decision 131).
    The same units as in_account either way."""
    from django.db import connection

    sql = str(Unit.objects.in_account_hashed(tree["A2"]).query)
    if connection.vendor == "postgresql":
        assert "SUBSTRING" in sql and ">=" not in sql
    else:
        assert ">=" in sql and "LIKE" in sql
    assert ">=" in str(Unit.objects.in_account(tree["A2"]).query)
    for unit in (tree["A2"], tree["A11"], tree["B"]):
        assert names(Unit.objects.in_account_hashed(unit)) == names(Unit.objects.in_account(unit))
    assert names(Unit.objects.in_account_hashed(tree["A2"])) == ["A", "A1", "A11", "A2"]


def test_the_units_of_accounts_by_path_few_or_many(tree, monkeypatch):
    from kam.customers import models

    a, b = tree["A"].path, tree["B"].path
    assert names(Unit.objects.of_account_paths([a])) == ["A", "A1", "A11", "A2"]
    assert names(Unit.objects.of_account_paths([a, b, a])) == ["A", "A1", "A11", "A2", "B"]
    assert list(Unit.objects.of_account_paths([])) == []
    ranges = str(Unit.objects.of_account_paths([a, b]).query)
    assert "SUBSTR" not in ranges.upper()  # a few accounts: the path index's ranges
    monkeypatch.setattr(models, "PATH_RANGES_MAX", 1)
    many = Unit.objects.of_account_paths([a, b])
    assert "SUBSTR" in str(many.query).upper()  # more: each unit's account path
    assert names(many) == ["A", "A1", "A11", "A2", "B"]


def test_the_account_of_a_unit(tree, django_assert_num_queries):
    assert tree["A"].account == tree["A"]
    assert tree["A"].is_account
    assert not tree["A11"].is_account
    with django_assert_num_queries(1):
        assert tree["A11"].account == tree["A"]
        assert tree["A11"].account == tree["A"]  # kept after the first query
    ids = Unit.objects.filter(name__in=["A11", "A2", "B"]).account_ids()
    assert ids == {
        tree["A11"].pk: tree["A"].pk,
        tree["A2"].pk: tree["A"].pk,
        tree["B"].pk: tree["B"].pk,
    }


def test_sql_and_orm_expressions_find_the_account_and_the_parent(tree):
    table = Unit._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.name, a.name FROM {table} u "
            f"JOIN {table} a ON a.path = {account_path_sql('u.path')} ORDER BY u.path"
        )
        pairs = cursor.fetchall()
    assert pairs == [("A", "A"), ("A1", "A"), ("A11", "A"), ("A2", "A"), ("B", "B")]
    parents = Unit.objects.annotate(
        parent_name=Subquery(
            Unit.objects.filter(path=parent_path_of(OuterRef("path"))).values("name")[:1]
        )
    )
    assert dict(parents.values_list("name", "parent_name")) == {
        "A": None,
        "A1": "A",
        "A11": "A1",
        "A2": "A",
        "B": None,
    }
