"""Plain multi-row inserts for the bulk writers: one ``executemany`` per batch, no ORM per value.

Django's ``bulk_create`` prepares every value of every row through the field's expression
machinery (about 40 µs per row for a unit), and simple-history's ``bulk_history_create`` builds a
model instance per history row first. For the unit import of 100,000 rows that was most of the
time. These helpers send the same values: each field's ``pre_save`` (so ``auto_now`` stamps are
set as Django would) and, for values the database driver does not take as they are, the field's
own ``get_db_prep_save``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model
from django.utils import timezone

_PLAIN = (str, int, float, bool, type(None))


def _columns(model: type[Model], *, skip_auto: bool) -> list[Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if not (skip_auto and f.primary_key and getattr(f, "db_returning", False))
    ]


def _preparer(fields: Sequence[Field[Any, Any]], connection: Any) -> Callable[[int, Any], Any]:
    """``prepare(i, value)``: the database value of field ``i`` — plain values as they are,
    others through the field's ``get_db_prep_save``, once per distinct value (a batch shares
    its time stamps, countries, kinds…)."""
    cache: dict[tuple[int, Any], Any] = {}

    def prepare(i: int, value: Any) -> Any:
        if type(value) in _PLAIN:
            return value
        try:
            return cache[(i, value)]
        except KeyError:
            prepared = cache[(i, value)] = fields[i].get_db_prep_save(value, connection)
            return prepared
        except TypeError:  # unhashable
            return fields[i].get_db_prep_save(value, connection)

    return prepare


def _is_stamp(f: Field[Any, Any]) -> bool:
    return bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))


def insert_rows(
    model: type[Model],
    objs: Sequence[Model],
    *,
    batch_size: int = 2000,
    returning: bool = False,
) -> None:
    """INSERT ``objs`` (their concrete columns, the auto primary key left to the database).

    ``auto_now``/``auto_now_add`` stamps get one moment for the whole call (one use case, one
    moment) and are set on the objects, as ``save`` would. With ``returning`` the new ids are set
    on the objects (one multi-row ``INSERT … RETURNING`` per batch, as ``bulk_create`` does on
    SQLite and PostgreSQL); without it no ids come back and callers read them by a unique column
    when they need them (``executemany``, the quickest).
    """
    if not objs:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = _columns(model, skip_auto=True)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608 - model metadata
    now = timezone.now()
    prepare = _preparer(fields, connection)
    plain_pre_save = [type(f).pre_save is Field.pre_save for f in fields]
    stamps = [_is_stamp(f) for f in fields]

    def row(obj: Model) -> tuple[Any, ...]:
        values = []
        for i, f in enumerate(fields):
            if stamps[i]:
                value = now
                setattr(obj, f.attname, now)
            elif plain_pre_save[i]:
                value = getattr(obj, f.attname)
            else:
                value = f.pre_save(obj, add=True)
            values.append(prepare(i, value))
        return tuple(values)

    with connection.cursor() as cursor:
        if not returning:
            for start in range(0, len(objs), batch_size):
                part = objs[start : start + batch_size]
                cursor.executemany(sql + marks, [row(obj) for obj in part])
            return
        pk = model._meta.pk
        assert pk is not None

        def keep(obj: Model, new_id: Any) -> None:
            setattr(obj, pk.attname, new_id)
            obj._state.adding = False
            obj._state.db = alias

        if not connection.features.can_return_rows_from_bulk_insert:
            # no multi-row RETURNING on this database: one INSERT a row, its id as the backend
            # reports the last one
            for obj in objs:
                cursor.execute(sql + marks, row(obj))
                keep(obj, connection.ops.last_insert_id(cursor, model._meta.db_table, pk.column))
            return
        size = max(1, min(batch_size, connection.ops.bulk_batch_size(fields, objs)))
        returning_sql = " RETURNING " + connection.ops.quote_name(pk.column)
        for start in range(0, len(objs), size):
            part = objs[start : start + size]
            params = [value for obj in part for value in row(obj)]
            cursor.execute(sql + ", ".join([marks] * len(part)) + returning_sql, params)
            for obj, (new_id,) in zip(part, cursor.fetchall(), strict=True):
                keep(obj, new_id)


def insert_creation_history(
    model: type[Model], objs: Iterable[Model], *, batch_size: int = 2000
) -> None:
    """The creation entries ("+") of ``objs`` in the model's simple-history table, as
    ``bulk_history_create`` writes them (author from the object or the request context, the
    same moment for the batch), without building a history instance per row."""
    history = model.history.model  # type: ignore[attr-defined]
    objs = list(objs)
    if not objs:
        return
    now = timezone.now()
    default_user = history.get_default_history_user(objs[0])
    tracked = {f.attname for f in history.tracked_fields}
    fields = _columns(history, skip_auto=True)
    extra = {
        "history_date": lambda obj: getattr(obj, "_history_date", now),
        "history_user_id": lambda obj: getattr(
            getattr(obj, "_history_user", default_user), "pk", None
        ),
        "history_change_reason": lambda obj: "",
        "history_type": lambda obj: "+",
        "history_relation_id": lambda obj: obj.pk,
    }
    getters: list[tuple[Field[Any, Any], Callable[[Model], Any]]] = []
    for f in fields:
        if f.attname in tracked:
            getters.append((f, operator.attrgetter(f.attname)))
        elif f.attname in extra:
            getters.append((f, extra[f.attname]))
        else:
            raise ValueError(f"{history.__name__}.{f.attname}: no value for a creation entry")
    alias = router.db_for_write(history)
    connection = connections[alias]
    table = connection.ops.quote_name(history._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - model metadata

    prepare = _preparer([f for f, _compute in getters], connection)

    def row(obj: Model) -> tuple[Any, ...]:
        return tuple(prepare(i, compute(obj)) for i, (_f, compute) in enumerate(getters))

    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            cursor.executemany(sql, [row(obj) for obj in objs[start : start + batch_size]])


def create_with_history(
    model: type[Model], objs: Sequence[Model], *, batch_size: int = 2000
) -> None:
    """``bulk_create_with_history`` without the ORM's per-value work: the rows, with their new
    ids set on ``objs``, then one creation entry each in the model's history."""
    insert_rows(model, objs, batch_size=batch_size, returning=True)
    insert_creation_history(model, objs, batch_size=batch_size)
