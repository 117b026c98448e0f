"""The database as the migrations left it, serialised once per test worker (see the root
conftest's ``_seeded_rows_snapshot``), and a way to put those rows back."""

from __future__ import annotations

from django.db import connection

SNAPSHOT: str | None = None


def restore() -> None:
    """Reload the rows the migrations seed, as ``serialized_rollback`` does."""
    if SNAPSHOT is None:
        raise RuntimeError("no snapshot of the migrated database was taken in this session")
    connection.creation.deserialize_db_from_string(SNAPSHOT)
