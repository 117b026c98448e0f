"""``kam backup`` / ``kam restore``: the round trip and every refusal, on the suite's database.

The suite runs once on SQLite and once on PostgreSQL; these tests use whichever database the
run has, so each run exercises its own vendor's path (online backup API, pg_dump/pg_restore).
They commit real rows (``transactional_db``): a backup sees only committed data.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from kam.core.backup import POSTGRES_MAGIC, SQLITE_MAGIC, sqlite_backup_to_file
from kam.customers.models import Unit
from kam.people.models import User
from kam.testing.factories import EmploymentFactory, InteractionFactory, UserFactory, make_unit

pytestmark = pytest.mark.django_db(transaction=True)

FUTURE_MIGRATION = ("customers", "9999_from_a_newer_openkam")


# A leaf data migration (nothing depends on it; it only clears fields, so it runs again safely).
def _leaf(app: str) -> tuple[str, str]:
    """The app's newest migration (a leaf of the graph): unapplying it makes an older schema."""
    from django.db.migrations.loader import MigrationLoader

    return MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes(app)[0]


# the API app: its newest migration only changes validators, and no other app depends on it
LEAF_MIGRATION = _leaf("api")


def fingerprints() -> dict[str, tuple[int, str]]:
    """Per table: the number of rows and a hash of all rows in a stable order."""
    result = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows = sorted(repr(row) for row in cursor.fetchall())
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            result[table] = (len(rows), digest)
    return result


def some_data() -> None:
    """Users, an account with a sub-unit, people working there, an interaction; history rows."""
    kam = UserFactory(username="kam", role="kam")
    UserFactory(username="exec", role="executive")
    account = make_unit("Acme Group", account_manager=kam)
    plant = make_unit("Acme Plant", parent=account)
    for _ in range(3):
        EmploymentFactory(unit=plant)
    InteractionFactory(unit=account)


def other_vendor_magic() -> bytes:
    return POSTGRES_MAGIC if connection.vendor == "sqlite" else SQLITE_MAGIC


@pytest.fixture
def backup_file(tmp_path: Path) -> Path:
    return tmp_path / "kam.backup"


def test_round_trip_restores_every_row(backup_file):
    some_data()
    before = fingerprints()

    call_command("backup", str(backup_file))
    call_command("flush", interactive=False, verbosity=0)
    assert fingerprints() != before
    call_command("restore", str(backup_file))

    assert fingerprints() == before


def test_restored_accounts_keep_their_tree_and_users(backup_file):
    some_data()
    call_command("backup", str(backup_file))
    call_command("flush", interactive=False, verbosity=0)

    call_command("restore", str(backup_file))

    assert User.objects.count() == 2
    assert Unit.objects.count() == 2
    assert Unit.objects.get(name="Acme Plant").account == Unit.objects.get(name="Acme Group")


def test_the_restored_database_takes_new_rows(backup_file):
    some_data()
    call_command("backup", str(backup_file))
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(backup_file))

    new = UserFactory(username="after_restore")

    assert new.pk > max(User.objects.exclude(pk=new.pk).values_list("pk", flat=True))


def test_the_backup_file_is_readable_by_its_owner_only(backup_file):
    some_data()

    call_command("backup", str(backup_file))

    assert stat.S_IMODE(os.stat(backup_file).st_mode) == 0o600


def test_a_backup_replaces_an_existing_file(backup_file):
    backup_file.write_bytes(b"an old backup")
    some_data()

    call_command("backup", str(backup_file))

    assert backup_file.read_bytes().startswith(
        SQLITE_MAGIC if connection.vendor == "sqlite" else POSTGRES_MAGIC
    )


def test_restore_refuses_a_database_with_data_without_force(backup_file):
    some_data()
    call_command("backup", str(backup_file))
    User.objects.filter(username="exec").delete()
    changed = fingerprints()

    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(backup_file))

    assert fingerprints() == changed


def test_restore_with_force_replaces_a_database_with_data(backup_file):
    some_data()
    call_command("backup", str(backup_file))
    before = fingerprints()
    User.objects.filter(username="exec").delete()
    make_unit("Added after the backup")

    call_command("restore", str(backup_file), force=True)

    assert fingerprints() == before


def test_restore_refuses_a_backup_from_a_newer_schema(backup_file):
    some_data()
    recorder = MigrationRecorder(connection)
    recorder.record_applied(*FUTURE_MIGRATION)
    call_command("backup", str(backup_file))
    recorder.record_unapplied(*FUTURE_MIGRATION)
    call_command("flush", interactive=False, verbosity=0)
    empty = fingerprints()

    with pytest.raises(CommandError, match=r"newer OpenKAM \(migration customers\.9999_from"):
        call_command("restore", str(backup_file))

    assert fingerprints() == empty


def test_restore_check_refuses_a_backup_from_a_newer_schema(backup_file):
    MigrationRecorder(connection).record_applied(*FUTURE_MIGRATION)
    call_command("backup", str(backup_file))
    MigrationRecorder(connection).record_unapplied(*FUTURE_MIGRATION)

    with pytest.raises(CommandError, match="upgrade OpenKAM first"):
        call_command("restore", str(backup_file), check=True)


def test_restore_migrates_an_older_backup_forward(backup_file):
    some_data()
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied(*LEAF_MIGRATION)
    call_command("backup", str(backup_file))
    call_command("flush", interactive=False, verbosity=0)

    call_command("restore", str(backup_file))

    assert LEAF_MIGRATION in recorder.applied_migrations()
    assert User.objects.count() == 2


def test_a_failed_forward_migration_says_the_data_is_back(backup_file, monkeypatch):
    some_data()
    call_command("backup", str(backup_file))
    call_command("flush", interactive=False, verbosity=0)

    def migrate_fails(*args, **kwargs):
        raise RuntimeError("table already exists")

    monkeypatch.setattr("kam.core.backup.call_command", migrate_fails)

    with pytest.raises(CommandError, match="was restored, but migrating it forward failed"):
        call_command("restore", str(backup_file))
    assert User.objects.count() == 2


def test_restore_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "missing.backup"))


def test_restore_refuses_a_file_that_is_no_backup(backup_file):
    backup_file.write_text("id,name\n1,Acme\n")

    with pytest.raises(CommandError, match="is not an OpenKAM backup"):
        call_command("restore", str(backup_file))


def test_restore_refuses_a_backup_of_the_other_database_kind(backup_file):
    backup_file.write_bytes(other_vendor_magic() + b"\0" * 200)

    with pytest.raises(CommandError, match="restore it into a"):
        call_command("restore", str(backup_file))


def test_restore_refuses_a_truncated_backup_and_changes_nothing(backup_file):
    some_data()
    call_command("backup", str(backup_file))
    data = backup_file.read_bytes()
    backup_file.write_bytes(data[: len(data) // 3])
    before = fingerprints()

    with pytest.raises(CommandError, match="is damaged"):
        call_command("restore", str(backup_file), force=True)

    assert fingerprints() == before


def test_restore_refuses_a_database_file_without_migration_history(backup_file):
    other = sqlite3.connect(backup_file)
    other.execute("CREATE TABLE t (x)")
    other.close()
    if connection.vendor != "sqlite":
        expected = "is a SQLite backup but the database is PostgreSQL"
    else:
        expected = "has no migration history"

    with pytest.raises(CommandError, match=expected):
        call_command("restore", str(backup_file))


def test_backup_refuses_a_missing_folder(tmp_path):
    with pytest.raises(CommandError, match="no such folder"):
        call_command("backup", str(tmp_path / "missing" / "kam.backup"))


def test_backup_refuses_a_folder_as_file(tmp_path):
    with pytest.raises(CommandError, match="is a folder"):
        call_command("backup", str(tmp_path))


def test_sqlite_backup_is_consistent_while_another_connection_writes(tmp_path):
    """What the app's WAL database gives a backup made while a writer is in its transaction."""
    live = tmp_path / "live.sqlite3"
    setup = sqlite3.connect(live)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x INTEGER)")
    setup.executemany("INSERT INTO t VALUES (?)", [(1,), (2,), (3,)])
    setup.commit()
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (4)")
    reader = sqlite3.connect(live)

    sqlite_backup_to_file(reader, tmp_path / "copy.sqlite3")
    writer.execute("COMMIT")

    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    assert copy.execute("SELECT count(*) FROM t").fetchone() == (3,)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
