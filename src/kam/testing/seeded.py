"""The database as the migrations left it, serialised once per test worker (see the root
conftest's ``_seeded_rows_snapshot``), and a way to put those rows back."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

SNAPSHOT: str | None = None


def restore() -> None:
    """Put the database back as the migrations left it, as ``serialized_rollback`` does.

    For transactional tests only. An earlier transactional test's flush re-creates the content
    types and permissions (``post_migrate``) under new ids, so the rows are emptied first without
    that signal — Django's own teardown for ``serialized_rollback`` — and then reloaded with their
    original ids."""
    if SNAPSHOT is None:
        raise RuntimeError("no snapshot of the migrated database was taken in this session")
    call_command(
        "flush",
        interactive=False,
        verbosity=0,
        inhibit_post_migrate=True,
        database=connection.alias,
    )
    ContentType.objects.clear_cache()
    connection.creation.deserialize_db_from_string(SNAPSHOT)
    ContentType.objects.clear_cache()
