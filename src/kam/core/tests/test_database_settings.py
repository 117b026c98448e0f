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


# --- plans for the values a page runs with (decision 136) ---------------------------------------


def _plan_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return str(cursor.fetchone()[0])


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)  # the setting ends with the block's own transaction
def test_within_plans_per_value_postgresql_plans_for_the_values_then_goes_back() -> None:
    from kam.core.dbsessions import plans_per_value

    assert _plan_mode() == "auto"
    with plans_per_value():
        assert _plan_mode() == "force_custom_plan"
    assert _plan_mode() == "auto"
    with pytest.raises(ZeroDivisionError), plans_per_value():
        raise ZeroDivisionError
    assert _plan_mode() == "auto"  # an error in the block leaves the connection as it was


@pytest.mark.sqlite_only
@pytest.mark.django_db
def test_plans_per_value_costs_nothing_on_sqlite() -> None:
    from django.test.utils import CaptureQueriesContext

    from kam.core.dbsessions import plans_per_value

    with CaptureQueriesContext(connection) as queries, plans_per_value():
        pass
    assert queries.captured_queries == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_buying_centre_is_planned_for_its_account(
    client: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its gaps' queries run with the account's own plan, and the connection is back to
    PostgreSQL's default for the next request."""
    from django.urls import reverse

    from kam.relationships import selectors
    from kam.testing.factories import UserFactory, make_unit

    kam = UserFactory(role="kam")
    account = make_unit("Acme", account_manager=kam)
    gaps = selectors.account_gaps
    seen: list[str] = []

    def recorded(**kwargs: object) -> object:
        seen.append(_plan_mode())
        return gaps(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(selectors, "account_gaps", recorded)
    client.force_login(kam)  # type: ignore[attr-defined]
    page = client.get(reverse("relationships:buying_centre", args=[account.pk]))  # type: ignore[attr-defined]
    assert page.status_code == 200
    assert seen == ["force_custom_plan"]
    assert _plan_mode() == "auto"
