"""The app's database sessions: PostgreSQL's JIT is off for them (decision 129)."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_the_app_s_postgresql_sessions_run_without_jit() -> None:
    """The JIT compiled the pages' analytic queries for 0.3 s each at 100k units."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_kam_db_jit_on_leaves_the_server_s_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings are read at start: a fresh read with and without KAM_DB_JIT."""
    import importlib

    import kam.settings

    monkeypatch.setenv("KAM_DATABASE_URL", "postgres://kam@db.invalid/kam")
    monkeypatch.delenv("KAM_DB_JIT", raising=False)
    try:
        fresh = importlib.reload(kam.settings)
        assert "-c jit=off" in fresh.DATABASES["default"]["OPTIONS"]["options"]
        monkeypatch.setenv("KAM_DB_JIT", "on")
        fresh = importlib.reload(kam.settings)
        assert "jit" not in fresh.DATABASES["default"].get("OPTIONS", {}).get("options", "")
    finally:
        monkeypatch.undo()
        importlib.reload(kam.settings)
