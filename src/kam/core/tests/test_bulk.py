"""kam.core.bulk: the plain inserts of the bulk writers (unit import, demo build) write what
``bulk_create_with_history`` would, ids included when asked for."""

from __future__ import annotations

import pytest

from kam.core.bulk import insert_creation_history, insert_rows
from kam.customers.models import Contact

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
