"""kam.core.bulk: the plain inserts of the bulk writers (unit import, demo build) write what
``bulk_create_with_history`` would, ids included when asked for; ``insert_values`` the same from
plain tuples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kam.core.bulk import insert_creation_history, insert_rows, insert_values
from kam.customers.models import Contact, Unit

pytestmark = pytest.mark.django_db


def _contacts(n: int) -> list[Contact]:
    return [
        Contact(
            first_name=f"Anna{i}",
            last_name="Petrova",
            email=f"a{i}@example.org",
            external_id=f"B{i:05d}",
        )  # fmt: skip
        for i in range(n)
    ]


def test_returning_sets_each_objects_own_id_across_batches():
    objs = _contacts(2500)
    insert_rows(Contact, objs, batch_size=700, returning=True)
    assert all(o.pk is not None and not o._state.adding for o in objs)
    stored = dict(
        Contact.objects.filter(external_id__startswith="B").values_list("pk", "external_id")
    )
    assert len(stored) == 2500
    assert all(stored[o.pk] == o.external_id for o in objs)
    assert len({o.pk for o in objs}) == 2500


def test_creation_history_follows_the_returned_ids():
    objs = _contacts(30)
    insert_rows(Contact, objs, returning=True)
    insert_creation_history(Contact, objs)
    first = objs[7]
    entries = Contact.history.filter(id=first.pk)
    assert entries.count() == 1
    entry = entries.get()
    assert entry.history_type == "+"
    assert entry.first_name == "Anna7"


def test_without_returning_no_ids_come_back_but_rows_are_written():
    objs = _contacts(5)
    insert_rows(Contact, objs)
    assert all(o.pk is None for o in objs)
    assert Contact.objects.filter(external_id__startswith="B").count() == 5


@pytest.mark.sqlite_only  # the fallback reads the cursor's lastrowid, which SQLite reports
def test_a_database_without_multi_row_returning_still_gets_each_id(monkeypatch):
    from django.db import connection

    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    objs = _contacts(12)
    insert_rows(Contact, objs, returning=True)
    stored = dict(
        Contact.objects.filter(external_id__startswith="B").values_list("pk", "external_id")
    )
    assert len({o.pk for o in objs}) == 12
    assert all(stored[o.pk] == o.external_id for o in objs)


# --- insert_values: rows as tuples ------------------------------------------------------------


def test_tuples_get_their_ids_in_order_across_batches_and_the_other_columns_their_defaults():
    rows = [
        (
            f"Unit {i}",
            "site",
            f"X{i:04d}",
            f"{i + 1:05d}",
            1,
            0,
            Decimal("12.50") if i % 2 else None,
        )
        for i in range(45)
    ]
    names = ["name", "kind", "external_id", "path", "depth", "numchild", "turnover"]
    ids = insert_values(Unit, names, rows, key="external_id", batch_size=10)
    stored = {u.pk: u for u in Unit.objects.filter(external_id__startswith="X")}
    assert len(ids) == len(set(ids)) == 45
    assert [stored[pk].external_id for pk in ids] == [r[2] for r in rows]
    unit = stored[ids[3]]
    assert (unit.name, unit.kind, unit.path, unit.turnover) == (
        "Unit 3",
        "site",
        "00004",
        Decimal("12.50"),
    )
    assert stored[ids[2]].turnover is None
    # not named: the defaults a new instance has, one moment for the stamps
    assert (unit.tier, unit.country, unit.account_manager_id, unit.latitude) == (
        "transactional",
        "",
        None,
        None,
    )
    assert unit.created_at is not None and unit.created_at == unit.updated_at
    assert len({u.created_at for u in stored.values()}) == 1


def test_tuples_get_a_creation_entry_each_holding_what_the_row_holds(users):
    manager = users["kam"]
    rows = [(f"Unit {i}", "group", f"H{i}", f"Z{i:04d}", 1, 0, manager.pk) for i in range(7)]
    names = ["name", "kind", "external_id", "path", "depth", "numchild", "account_manager_id"]
    ids = insert_values(Unit, names, rows, key="path", history=True, batch_size=3)
    entries = Unit.history.filter(id__in=ids)
    assert entries.count() == 7
    for pk, row in zip(ids, rows, strict=True):
        entry = entries.get(id=pk)
        unit = Unit.objects.get(pk=pk)
        assert entry.history_type == "+"
        assert (entry.name, entry.kind, entry.external_id, entry.account_manager_id) == (
            row[0],
            row[1],
            row[2],
            manager.pk,
        )
        assert entry.tier == unit.tier and entry.created_at == unit.created_at
        assert entry.history_date == unit.created_at
        assert entry.history_user_id is None and entry.history_change_reason == ""


def test_tuples_refuse_what_they_cannot_write_as_given():
    with pytest.raises(ValueError, match="created_at"):  # a stamp: set by the call
        insert_values(Unit, ["name", "created_at"], [("A", None)])
    with pytest.raises(ValueError, match="nope"):
        insert_values(Unit, ["name", "nope"], [("A", 1)])
    with pytest.raises(ValueError, match="name"):  # not unique: ids cannot be read back by it
        insert_values(Unit, ["name", "path"], [("A", "00001")], key="name")
    with pytest.raises(ValueError, match="key"):
        insert_values(Unit, ["name", "path"], [("A", "00001")], history=True)
    assert not Unit.objects.exists()
