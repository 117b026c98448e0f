"""What each new database connection of the app is given (decision 134), and the pages that
plan their statements for the values they run with (decision 136)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction


def postgres_prepared_cache(sender: Any, connection: Any, **kwargs: Any) -> None:
    """A PostgreSQL connection that prepares its statements keeps up to
    ``KAM_DB_PREPARED_MAX`` of them: psycopg's 100 are fewer than the statements of the pages,
    so each new one evicted another and the evicted ones were prepared again and again."""
    if connection.vendor != "postgresql":
        return
    if connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold") is None:
        return
    connection.connection.prepared_max = settings.KAM_DB_PREPARED_MAX


@contextmanager
def plans_per_value(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the block in a transaction in which PostgreSQL plans each prepared statement for its
    parameters' values (``SET LOCAL plan_cache_mode = force_custom_plan``; decision 136). For the
    pages whose queries cost what the account's size makes them cost: once a statement has run
    five times, PostgreSQL may keep one generic plan for every account, fitted to an average
    one, and the largest account's buying centre then took 162 ms in the database instead of
    98. The setting ends with the transaction, so it never reaches another request, nor another
    client of a pooler in transaction mode. Elsewhere (SQLite, or parameters bound by the
    client) the block runs as it is."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.settings_dict.get("OPTIONS", {}).get(
        "prepare_threshold"
    ):
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield
