"""The app's database sessions: PostgreSQL's JIT is off for them (decision 129); statements are
prepared and kept per connection (decision 134)."""

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


# --- prepared statements (decision 134) ----------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_query_run_again_on_postgresql_runs_as_a_prepared_statement() -> None:
    """The second run of a page's query is not planned again: the connection prepared it."""
    from django.conf import settings

    from kam.people.models import User

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return int(cursor.fetchone()[0])

    before = prepared()
    for pk in (1, 2, 3):
        list(User.objects.filter(pk=pk, is_active=True))
    assert prepared() > before
    assert connection.connection.prepared_max == settings.KAM_DB_PREPARED_MAX


def _reloaded_settings(monkeypatch: pytest.MonkeyPatch, **env: str):
    import importlib

    import kam.settings

    monkeypatch.setenv("KAM_DATABASE_URL", "postgres://kam@db.invalid/kam")
    for name in ("KAM_DB_PREPARE_AFTER", "KAM_DB_PREPARED_MAX"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(kam.settings)


def test_postgresql_prepares_statements_unless_told_off(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import kam.settings

    try:
        db = _reloaded_settings(monkeypatch).DATABASES["default"]
        assert db["OPTIONS"]["server_side_binding"] is True
        assert db["OPTIONS"]["prepare_threshold"] == 2
        assert db["CONN_MAX_AGE"] == 600
        fresh = _reloaded_settings(monkeypatch, KAM_DB_PREPARE_AFTER="5", KAM_DB_PREPARED_MAX="80")
        assert fresh.DATABASES["default"]["OPTIONS"]["prepare_threshold"] == 5
        assert fresh.KAM_DB_PREPARED_MAX == 80
        # behind a pooler in transaction mode: client-side parameters, nothing prepared
        off = _reloaded_settings(monkeypatch, KAM_DB_PREPARE_AFTER="off").DATABASES["default"]
        assert "server_side_binding" not in off["OPTIONS"]
        assert "prepare_threshold" not in off["OPTIONS"]
        for bad in ({"KAM_DB_PREPARE_AFTER": "often"}, {"KAM_DB_PREPARED_MAX": "0"}):
            with pytest.raises(ImproperlyConfigured, match="KAM_DB_PREPARE"):
                _reloaded_settings(monkeypatch, **bad)
    finally:
        monkeypatch.undo()
        importlib.reload(kam.settings)
