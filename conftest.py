"""Shared fixtures: one user per role plus an outsider, and a headless Chromium page."""

from __future__ import annotations

import os

import pytest
from django.utils import translation

from kam.testing.factories import PASSWORD, UserFactory

# The "another KAM" personas (kam_a, kam_b) of the outsider tests.
pytest_plugins = ["kam.testing.personas"]

ROLES = ["executive", "kam", "sales_manager", "field_rep", "specialist", "admin"]


def pytest_collection_modifyitems(config, items):
    """Tests of a SQLite-only code path are deselected (not skipped) on a PostgreSQL run: the
    path does not exist there, and the SQLite run of `make test` runs them. Tests that need
    PostgreSQL (several workers on one database) are deselected on SQLite the same way: the
    PostgreSQL run of `make test` runs them."""
    _restore_seeded_rows(items)
    postgres = os.environ.get("KAM_DATABASE_URL", "").startswith("postgres")
    other = "sqlite_only" if postgres else "postgres_only"
    kept = [item for item in items if item.get_closest_marker(other) is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def _restore_seeded_rows(items):
    """A transactional test (browser, live server, several workers) empties the database when it
    ends, migration-seeded rows included (the default scoring model, plan templates, settings
    rows, …), so the next transactional test on the same worker would find none. Each of them
    gets ``serialized_rollback``: it starts from the database as the migrations left it."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        transactional = (marker is not None and marker.kwargs.get("transaction")) or (
            "live_server" in fixtures or "transactional_db" in fixtures
        )
        if not transactional:
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        kwargs.update(transaction=True, serialized_rollback=True)
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Static files from the source folders (no collectstatic manifest); a fast password hash."""
    # A request as a Russian user leaves Russian active on the thread (the user-language
    # middleware activates it per request); each test starts in the default language.
    translation.activate(settings.LANGUAGE_CODE)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def users(db):
    """One user per role, plus ``outsider``: an active login without any role."""
    made = {role: UserFactory(username=role, role=role) for role in ROLES}
    made["outsider"] = UserFactory(username="outsider", role="")
    return made


@pytest.fixture
def client_for(client, users):
    def login(who: str):
        client.force_login(users[who])
        return client

    return login


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    _clicks_wait_for_the_page_scripts()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _clicks_wait_for_the_page_scripts() -> None:
    """A click waits for the current document's ``load`` event first, as a person's click comes
    after the page's scripts ran. Without it a click right after a navigation can land between
    the button being drawn and htmx binding it: the request it should send is never sent (seen
    once in CI: the bell's menu never loaded)."""
    from playwright.sync_api import Locator, Page

    if getattr(Page.click, "_kam_waits", False):
        return

    def waiting(original, page_of):
        def click(self, *args, **kwargs):
            page_of(self).wait_for_load_state("load")
            return original(self, *args, **kwargs)

        click._kam_waits = True  # type: ignore[attr-defined]
        return click

    Page.click = waiting(Page.click, lambda page: page)  # type: ignore[method-assign]
    Locator.click = waiting(Locator.click, lambda locator: locator.page)  # type: ignore[method-assign]


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory, worker_id):
    """One migrated SQLite file per test session, shared by the xdist workers."""
    from kam.testing import sqlite_files

    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    return sqlite_files.template(root / "kam-template")


@pytest.fixture
def migrated_sqlite(_sqlite_template):
    """``migrated_sqlite(path)`` puts a freshly migrated database file at ``path``: for the tests
    that start ``kam`` in a subprocess (a copy of one migration instead of a migration each)."""
    from kam.testing import sqlite_files

    return lambda target: sqlite_files.migrated_copy(_sqlite_template, target)


_DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


def _uses_the_database(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(names & _DB_FIXTURES)


@pytest.fixture(scope="session", autouse=True)
def _seeded_rows_snapshot(request, django_db_blocker):
    """The database as the migrations left it, serialised once per worker: what
    ``serialized_rollback`` reloads before a transactional test. In full runs the test
    database sometimes came without it, and the rows the migrations seed (scoring model, plan
    templates, settings rows…) were then missing after an earlier transactional test; kept
    here too (``kam.testing.seeded``) for the tests that check for them. A run of tests that
    use no database (one such module alone) gets no test database from pytest-django, and
    nothing is serialised."""
    from django.db import connection

    from kam.testing import seeded

    if not any(_uses_the_database(item) for item in request.session.items):
        return
    request.getfixturevalue("django_db_setup")
    with django_db_blocker.unblock():
        snapshot = getattr(connection, "_test_serialized_contents", None)
        if snapshot is None:
            snapshot = connection.creation.serialize_db_to_string()
            setattr(connection, "_test_serialized_contents", snapshot)  # noqa: B010
        seeded.SNAPSHOT = snapshot
