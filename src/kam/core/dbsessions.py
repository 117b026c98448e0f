"""What each new database connection of the app is given (decision 134)."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def postgres_prepared_cache(sender: Any, connection: Any, **kwargs: Any) -> None:
    """A PostgreSQL connection that prepares its statements keeps up to
    ``KAM_DB_PREPARED_MAX`` of them: psycopg's 100 are fewer than the statements of the pages,
    so each new one evicted another and the evicted ones were prepared again and again."""
    if connection.vendor != "postgresql":
        return
    if connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold") is None:
        return
    connection.connection.prepared_max = settings.KAM_DB_PREPARED_MAX
