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


# --------------------------------------------------------------------------------------------
# Rows as tuples: no model instance at all


_KEY_IN = 900  # keys per read-back query (SQLite's default limit of bound parameters is 999)
_PLAIN_TYPES = frozenset(_PLAIN)


def _given_column(f: Field[Any, Any]) -> None:
    if _is_stamp(f) or type(f).pre_save is not Field.pre_save:
        raise ValueError(f"{f.attname}: its value comes from pre_save, not from the caller")


def _constant(f: Field[Any, Any], now: Any) -> Any:
    """The value of a column the caller does not give: the stamp, else the field's default."""
    if _is_stamp(f):
        return now
    if type(f).pre_save is not Field.pre_save or (f.has_default() and callable(f.default)):
        raise ValueError(f"{f.attname}: no constant value; pass it among the columns")
    return f.get_default()


def _prepared_batch(
    rows: Sequence[Sequence[Any]], fields: Sequence[Field[Any, Any]], connection: Any
) -> list[tuple[Any, ...]]:
    """``rows`` with every value the driver does not take as it is through its field's
    ``get_db_prep_save`` (once per distinct value), column by column: a column of plain values
    (text, numbers, None) costs one pass over its types."""
    plain = [r if type(r) is tuple else tuple(r) for r in rows]
    if not plain:
        return plain
    convert = [i for i in range(len(fields)) if not {type(r[i]) for r in plain} <= _PLAIN_TYPES]
    if not convert:
        return plain
    prepare = _preparer(fields, connection)
    columns = list(zip(*plain, strict=True))
    for i in convert:
        columns[i] = tuple(prepare(i, v) for v in columns[i])
    return list(zip(*columns, strict=True))


def insert_values(
    model: type[Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    key: str | None = None,
    history: bool = False,
    batch_size: int = 2000,
) -> list[Any]:
    """INSERT ``rows``, each the values of the columns ``names`` (attnames) in that order; the
    quickest of these writers, for bulk imports: no model instance at all, one ``executemany``
    of plain tuples per batch.

    The columns not named get what a new instance saved would store: the ``auto_now`` and
    ``auto_now_add`` stamps one moment for the whole call, every other column its (constant)
    default; a field that computes its value per row (``pre_save``, a callable default) must
    be named. Values the driver does not take as they are go through the field's
    ``get_db_prep_save``, as in :func:`insert_rows`.

    With ``key`` (a unique text or integer column among ``names``) the new ids are read back by
    it and returned in the order of ``rows``; ``history`` (needs ``key``) writes each row's
    creation entry ("+") to the model's simple-history table, as
    :func:`insert_creation_history` does.
    """
    if history and key is None:
        raise ValueError("the history entries need the ids: name a unique key column")
    if not rows:
        return []
    alias = router.db_for_write(model)
    connection = connections[alias]
    columns = _columns(model, skip_auto=True)
    by_attname = {f.attname: f for f in columns}
    unknown = [n for n in names if n not in by_attname]
    if unknown:
        raise ValueError(f"{model.__name__}: no columns {', '.join(unknown)}")
    given = [by_attname[n] for n in names]
    for f in given:
        _given_column(f)
    now = timezone.now()
    rest = [f for f in columns if f.attname not in set(names)]
    constants = tuple(f.get_db_prep_save(_constant(f, now), connection) for f in rest)
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    names_sql = ", ".join(ops.quote_name(f.column) for f in [*given, *rest])
    marks = ", ".join(["%s"] * (len(given) + len(rest)))
    sql = f"INSERT INTO {table} ({names_sql}) VALUES ({marks})"  # noqa: S608 - model metadata
    read_back = entries = None
    if key is not None:
        key_field = by_attname[key] if key in names else None
        if (
            key_field is None
            or not key_field.unique
            or key_field.get_internal_type()
            not in (
                "CharField",
                "IntegerField",
                "BigIntegerField",
            )
        ):
            raise ValueError(f"{key}: not a unique text or integer column among the names")
        key_at = list(names).index(key)
        pk = model._meta.pk
        assert pk is not None
        read_back = (
            f"SELECT {ops.quote_name(key_field.column)}, {ops.quote_name(pk.column)} "  # noqa: S608
            f"FROM {table} WHERE {ops.quote_name(key_field.column)} IN "
        )
        if history:
            entries = _CreationEntries(model, [f.attname for f in [*given, *rest]], now)
    ids: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            part = _prepared_batch(rows[start : start + batch_size], given, connection)
            full = [r + constants for r in part]
            cursor.executemany(sql, full)
            if read_back is None:
                continue
            keys = [r[key_at] for r in part]
            found: dict[Any, Any] = {}
            for at in range(0, len(keys), _KEY_IN):
                chunk = keys[at : at + _KEY_IN]
                cursor.execute(read_back + "(" + ", ".join(["%s"] * len(chunk)) + ")", chunk)
                found.update(cursor.fetchall())
            new_ids = [found[k] for k in keys]
            ids += new_ids
            if entries is not None:
                entries.write(cursor, full, new_ids)
    return ids


class _CreationEntries:
    """The creation entries of rows inserted as tuples: the tracked columns are taken from the
    row as inserted (so they hold exactly what the row holds), the id from the read-back."""

    def __init__(self, model: type[Model], row_names: list[str], now: Any) -> None:
        history = model.history.model  # type: ignore[attr-defined]
        alias = router.db_for_write(history)
        if alias != router.db_for_write(model):
            raise ValueError(f"{history.__name__}: not in the database of {model.__name__}")
        connection = connections[alias]
        tracked = {f.attname for f in history.tracked_fields}
        pk = model._meta.pk
        assert pk is not None
        default_user = history.get_default_history_user(model())
        extra = {
            "history_date": now,
            "history_user_id": getattr(default_user, "pk", None),
            "history_change_reason": "",
            "history_type": "+",
        }
        fields = _columns(history, skip_auto=True)
        picked: list[int] = []  # indexes into (row…, id)
        picked_fields: list[Field[Any, Any]] = []
        constant_fields: list[Field[Any, Any]] = []
        constants: list[Any] = []
        for f in fields:
            if (f.attname in tracked and f.attname == pk.attname) or (
                f.attname == "history_relation_id"
            ):
                picked.append(len(row_names))
                picked_fields.append(f)
            elif f.attname in tracked:
                if f.attname not in row_names:
                    raise ValueError(f"{history.__name__}.{f.attname}: not among the columns")
                picked.append(row_names.index(f.attname))
                picked_fields.append(f)
            elif f.attname in extra:
                constant_fields.append(f)
                constants.append(f.get_db_prep_save(extra[f.attname], connection))
            else:
                raise ValueError(f"{history.__name__}.{f.attname}: no value for a creation entry")
        self.constants = tuple(constants)
        self.pick = operator.itemgetter(*picked)
        ops = connection.ops
        table = ops.quote_name(history._meta.db_table)
        names = ", ".join(ops.quote_name(f.column) for f in [*picked_fields, *constant_fields])
        marks = ", ".join(["%s"] * (len(picked_fields) + len(constant_fields)))
        self.sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - metadata
        self.single = len(picked) == 1

    def write(self, cursor: Any, rows: list[tuple[Any, ...]], ids: list[Any]) -> None:
        pick, constants = self.pick, self.constants
        if self.single:
            entries = [(pick((*row, pk)),) + constants for row, pk in zip(rows, ids, strict=True)]
        else:
            entries = [pick((*row, pk)) + constants for row, pk in zip(rows, ids, strict=True)]
        cursor.executemany(self.sql, entries)
