"""``units_create_level``: a tree level in bulk, from plain tuples. The same checks, history and
marks as ``unit_create``, and a number of queries that does not grow with the level."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kam.core.errors import DomainError
from kam.customers.models import Unit
from kam.customers.services import unit_create, units_create_level
from kam.customers.signals import accounts_changed
from kam.health.models import StaleHealth
from kam.identification.models import StaleAccount
from kam.relationships.models import StaleFigures
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db


def _fields(i: int, **more) -> dict:
    return {"name": f"Unit {i}", "kind": "company", "external_id": f"L{i:04d}", **more}


def test_a_level_gets_paths_after_the_siblings_in_the_database_and_parents_count_them():
    group = make_unit("Group")
    make_unit("Old child", parent=group)
    other = make_unit("Other")
    made = units_create_level(
        items=[(group.pk, _fields(1)), (other.pk, _fields(2)), (group.pk, _fields(3))]
    )
    units = {u.pk: u for u in Unit.objects.filter(pk__in=[pk for pk, _p in made])}
    assert [(units[pk].external_id, path) for pk, path in made] == [
        ("L0001", group.path + "00002"),
        ("L0002", other.path + "00001"),
        ("L0003", group.path + "00003"),
    ]
    assert all(units[pk].path == path and units[pk].depth == 2 for pk, path in made)
    assert Unit.objects.get(pk=group.pk).numchild == 3
    assert Unit.objects.get(pk=other.pk).numchild == 1
    assert Unit.objects.find_problems() == ([], [], [], [], [])  # treebeard's own check


def test_new_accounts_follow_the_last_one_and_keep_every_field_given(users):
    make_unit("First")
    manager = users["kam"]
    made = units_create_level(
        items=[
            (
                None,
                _fields(
                    1,
                    country=" de ",
                    city="Köln",
                    employees=120,
                    turnover=Decimal("1234.50"),
                    latitude=Decimal("50.93753"),
                    account_manager=manager,
                    tier="transactional",  # the tier it starts with: not a change
                ),
            ),
            (None, {"name": "Bare", "kind": "group"}),
        ]
    )
    (pk, path), (bare_pk, bare_path) = made
    assert (path, bare_path) == ("00002", "00003")
    unit = Unit.objects.get(pk=pk)
    assert (unit.country, unit.city, unit.employees, unit.turnover, unit.latitude) == (
        "DE",
        "Köln",
        120,
        Decimal("1234.50"),
        Decimal("50.93753"),
    )
    assert (unit.account_manager_id, unit.tier, unit.numchild) == (manager.pk, "transactional", 0)
    bare = Unit.objects.get(pk=bare_pk)
    # what a field not given holds: the same as unit_create leaves
    reference = unit_create(name="Reference", kind="group")
    for name in Unit.DETAIL_FIELDS:
        if name not in ("name", "kind"):
            assert getattr(bare, name) == getattr(reference, name), name


def test_each_new_unit_gets_its_creation_entry_in_the_history():
    group = make_unit("Group")
    made = units_create_level(items=[(group.pk, _fields(i, city="Riga")) for i in range(5)])
    for pk, _path in made:
        (entry,) = Unit.history.filter(id=pk)
        unit = Unit.objects.get(pk=pk)
        assert entry.history_type == "+"
        assert (entry.name, entry.external_id, entry.city) == (unit.name, unit.external_id, "Riga")
        assert entry.created_at == unit.created_at


def test_the_accounts_concerned_are_marked_once_each():
    a, b = make_unit("A"), make_unit("B")
    StaleAccount.objects.all().delete()
    StaleFigures.objects.all().delete()
    StaleHealth.objects.all().delete()
    units_create_level(items=[(a.pk, _fields(1)), (a.pk, _fields(2)), (b.pk, _fields(3))])
    assert set(StaleAccount.objects.values_list("root_path", flat=True)) == {a.path, b.path}
    assert sorted(StaleFigures.objects.values_list("root_path", flat=True)) == [a.path, b.path]
    assert set(StaleHealth.objects.values_list("account_path", flat=True)) == {a.path, b.path}


def test_a_caller_may_announce_the_accounts_itself():
    group = make_unit("Group")
    sent: list = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    accounts_changed.connect(receiver, dispatch_uid="test_units_create_level")
    try:
        units_create_level(items=[(group.pk, _fields(1))], announce=False)
        assert sent == []
        units_create_level(items=[(group.pk, _fields(2))])
    finally:
        accounts_changed.disconnect(dispatch_uid="test_units_create_level")
    assert [list(s["paths"]) for s in sent] == [[group.path]]


@pytest.mark.parametrize(
    ("parent", "fields", "field", "message"),
    [
        (None, {"name": "  ", "kind": "group"}, "name", "needs a name"),
        (None, {"name": "X", "kind": "group", "country": "XX"}, "country", "two-letter ISO"),
        (None, {"name": "X", "kind": "group", "tier": "key"}, "tier", "nomination"),
        (None, {"name": "X", "kind": "group", "latitude": 91}, "latitude", "between -90"),
        (None, {"name": "X", "kind": "group", "path": "0"}, None, "Unknown unit fields: path"),
        ("group", {"name": "X", "kind": "site", "account_manager": "kam"}, "account_manager", ""),
    ],
)
def test_a_bad_row_refuses_the_whole_level_as_unit_create_does(
    users, parent, fields, field, message
):
    group = make_unit("Group")
    if fields.get("account_manager"):
        fields = {**fields, "account_manager": users[fields["account_manager"]]}
    parent_id = group.pk if parent else None
    before = Unit.objects.count()
    with pytest.raises(DomainError) as bulk:
        units_create_level(items=[(group.pk, _fields(1)), (parent_id, fields)])
    with pytest.raises(DomainError) as single:
        unit_create(parent=group if parent else None, **fields)
    assert (bulk.value.field, bulk.value.message) == (single.value.field, single.value.message)
    assert bulk.value.field == field and message in bulk.value.message
    assert Unit.objects.count() == before
    assert Unit.objects.get(pk=group.pk).numchild == 0


def _queries(n: int) -> int:
    parents = [make_unit(f"Parent {n} {i}") for i in range(3)]
    items = [(parents[i % 3].pk, _fields(n * 1000 + i, country="DE")) for i in range(n)]
    with CaptureQueriesContext(connection) as queries:
        units_create_level(items=items, batch_size=50)
    return len(queries)


def test_the_queries_do_not_grow_with_the_number_of_units_of_a_batch():
    small = _queries(10)
    assert small <= 20
    assert _queries(49) == small
    # a batch more: one INSERT of the units, one read-back of their ids, one of the entries
    assert _queries(99) <= small + 3
