"""Database helpers shared by the apps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import OperationalError, connection, models

CHUNK = 5000  # rows per executemany


def bulk_insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert prepared rows (values in ``columns`` order, as the database takes them).

    ``COPY`` on PostgreSQL, ``executemany`` in chunks elsewhere (dates as ISO text on SQLite,
    as Django stores them): for tables written in bulk
    (scores, facts), where model instances and ``bulk_create`` would cost more than the work
    that produced the rows. Returns the number of rows written.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
            return written
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        batch: list[tuple] = []
        for row in rows:
            batch.append(_as_sqlite_takes(row))
            if len(batch) >= CHUNK:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


@contextmanager
def sqlite_pragma(name: str, value: int) -> Iterator[None]:
    """On SQLite, the connection's ``PRAGMA name`` (an integer setting such as ``busy_timeout``
    or ``main.cache_size``) at ``value`` for the block, then as it was; elsewhere nothing."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA {name} = {before}")


BUSY_RETRY_AFTER = 5  # seconds a client is told to wait after a 503 "busy"


def _as_sqlite_takes(row: tuple) -> tuple:
    """A row with its dates as ISO text, as Django stores them on SQLite (the sqlite3 module's
    own date adapter is deprecated since Python 3.12). Datetimes are left to the caller."""
    return tuple(
        v.isoformat() if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else v
        for v in row
    )


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says another writer held the database past the busy timeout.

    SQLite answers "database is locked" (or "database table is locked") when the busy timeout
    (``KAM_DB_BUSY_TIMEOUT``) expires; PostgreSQL a lock-not-available error.
    """
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc).lower()
    return (
        "database is locked" in text
        or "table is locked" in text
        or "lock" in text
        and ("timeout" in text or "not available" in text)
    )
