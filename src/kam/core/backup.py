"""Backup and restore of the whole database (``kam backup`` / ``kam restore``, decision 26).

A backup is the database's own format, so the usual tools read it and nothing wraps it:

- SQLite: a plain SQLite database file, copied with SQLite's online backup API from the live
  database. In WAL mode the copy is one read transaction, so it is consistent while the app and
  the workers write, and it does not block them.
- PostgreSQL: a ``pg_dump`` custom-format archive (``-Fc``); ``pg_dump`` reads one snapshot, so
  it is consistent while the app runs.

Both carry the ``django_migrations`` table, which is the schema version: restore reads it from
the file before it changes anything, refuses a backup that has a migration this code does not
know (a backup of a newer OpenKAM), and migrates an older backup forward after restoring it.

A restore replaces the whole database in one step: on SQLite the backup API copies the file into
the live database under an exclusive lock; on PostgreSQL the tables are dropped and the archive
loaded in one transaction (``pg_restore`` writes the script, ``psql`` runs it), so a restore that
fails half-way changes nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

SQLITE_MAGIC = b"SQLite format 3\x00"
POSTGRES_MAGIC = b"PGDMP"

# Where Debian/Ubuntu install each PostgreSQL version's programs; {major} is the server's.
PG_VERSION_BIN_DIR = "/usr/lib/postgresql/{major}/bin"

# libpq reads these from the environment, so no password ever appears on a command line.
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}

# Drops every table and sequence of the schema the app uses, so tables that a newer schema added
# do not survive a restore of an older backup (the migrations after it would then fail).
_PG_DROP_ALL = """
SET client_min_messages = warning;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
  END LOOP;
  FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %I CASCADE', r.sequencename);
  END LOOP;
END $$;
"""


class BackupError(Exception):
    """A backup or restore could not be made; the message is one line a person can act on."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    vendor: str
    size: int


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    vendor: str
    migrations_applied: list[str]


# --- the file ------------------------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    """``sqlite`` or ``postgresql`` from the file's first bytes; BackupError for anything else."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(_("%(file)s: no such file") % {"file": path}) from None
    except IsADirectoryError:
        raise BackupError(_("%(file)s is a folder, not a backup file") % {"file": path}) from None
    except OSError as exc:
        raise BackupError(
            _("%(file)s cannot be read: %(reason)s") % {"file": path, "reason": exc.strerror}
        ) from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(POSTGRES_MAGIC):
        return "postgresql"
    raise BackupError(
        _(
            "%(file)s is not an OpenKAM backup (neither a SQLite database nor a PostgreSQL "
            "custom-format dump)"
        )
        % {"file": path}
    )


def vendor_label(vendor: str) -> str:
    """The database product's name for messages: ``SQLite`` or ``PostgreSQL``."""
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(vendor, vendor)


def _private_temp_beside(path: Path) -> Path:
    """An empty file next to ``path``, readable by its owner only (a backup holds everything)."""
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise BackupError(_("%(file)s is a folder: name the backup file") % {"file": path})
    if not directory.is_dir():
        raise BackupError(_("%(dir)s: no such folder") % {"dir": directory})
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=directory)
    except OSError as exc:
        raise BackupError(
            _("cannot write in %(dir)s: %(reason)s") % {"dir": directory, "reason": exc.strerror}
        ) from None
    os.close(fd)
    os.chmod(name, 0o600)
    return Path(name)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


# --- schema version ------------------------------------------------------------------------------


def unknown_migrations(recorded: Iterable[tuple[str, str]]) -> list[str]:
    """The migrations of a backup that this code does not have: ``app.name``, sorted."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return sorted(f"{app}.{name}" for app, name in set(recorded) - known)


def _check_schema(path: Path, recorded: list[tuple[str, str]]) -> None:
    if not recorded:
        raise BackupError(
            _("%(file)s is not an OpenKAM backup: it has no migration history") % {"file": path}
        )
    newer = unknown_migrations(recorded)
    if newer:
        raise BackupError(
            _(
                "%(file)s is from a newer OpenKAM (migration %(migration)s); upgrade OpenKAM "
                "first, then restore"
            )
            % {"file": path, "migration": newer[0]}
        )


def _sqlite_open_backup(path: Path) -> sqlite3.Connection:
    """The backup file opened read-only, after SQLite's own quick check of every page."""
    try:
        source = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            result = source.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError:
            source.close()
            raise
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            _("%(file)s is damaged: %(reason)s") % {"file": path, "reason": exc}
        ) from None
    if not result or result[0] != "ok":
        source.close()
        raise BackupError(
            _("%(file)s is damaged: %(reason)s")
            % {"file": path, "reason": result[0] if result else "quick_check"}
        )
    return source


def _sqlite_recorded_migrations(source: sqlite3.Connection, path: Path) -> list[tuple[str, str]]:
    try:
        rows = source.execute("SELECT app, name FROM django_migrations").fetchall()
    except sqlite3.DatabaseError:
        raise BackupError(
            _("%(file)s is not an OpenKAM backup: it has no migration history") % {"file": path}
        ) from None
    return [(str(app), str(name)) for app, name in rows]


def _postgres_recorded_migrations(path: Path) -> list[tuple[str, str]]:
    """The rows of ``django_migrations`` in a pg_dump archive, read with pg_restore."""
    completed = _run(
        [
            _pg_program("pg_restore"),
            "--data-only",
            "--table=django_migrations",
            "--file=-",
            str(path),
        ],
        env=os.environ.copy(),
        capture=True,
    )
    if completed.returncode != 0:
        raise BackupError(
            _("%(file)s is damaged: %(reason)s")
            % {"file": path, "reason": _one_line(completed.stderr)}
        )
    rows: list[tuple[str, str]] = []
    in_copy = False
    for line in completed.stdout.splitlines():
        if line.startswith("COPY ") and "django_migrations" in line:
            columns = line[line.index("(") + 1 : line.index(")")].replace(" ", "").split(",")
            app_at, name_at = columns.index("app"), columns.index("name")
            in_copy = True
        elif in_copy and line == "\\.":
            in_copy = False
        elif in_copy:
            values = line.split("\t")
            rows.append((values[app_at], values[name_at]))
    return rows


# --- PostgreSQL programs -------------------------------------------------------------------------


def _pg_program(name: str) -> str:
    """The path of a PostgreSQL program of the server's major version where there is a choice.

    ``KAM_PG_BIN_DIR`` wins; then Debian's folder of the server's version; then ``PATH``.
    """
    configured = os.environ.get("KAM_PG_BIN_DIR", "")
    if configured:
        candidate = Path(configured) / name
        if candidate.is_file():
            return str(candidate)
        raise BackupError(
            _("%(program)s not found in KAM_PG_BIN_DIR (%(dir)s)")
            % {"program": name, "dir": configured}
        )
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        major = int(getattr(connection, "pg_version", 0)) // 10000
        candidate = Path(PG_VERSION_BIN_DIR.format(major=major)) / name
        if major and candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(
        _(
            "%(program)s not found: install the PostgreSQL client programs of the server's "
            "version, or set KAM_PG_BIN_DIR"
        )
        % {"program": name}
    )


def _pg_environment() -> dict[str, str]:
    """libpq's environment for the app's database (host, port, user, password, name, SSL)."""
    params = connection.settings_dict
    env = os.environ.copy()
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        value = params.get(key)
        if value:
            env[var] = str(value)
    for option, var in _LIBPQ_OPTIONS.items():
        value = (params.get("OPTIONS") or {}).get(option)
        if value:
            env[var] = str(value)
    return env


def _run(
    args: list[str], *, env: dict[str, str], capture: bool = False
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            args,
            env=env,
            text=True,
            capture_output=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise BackupError(
            _("%(program)s could not run: %(reason)s")
            % {"program": args[0], "reason": exc.strerror}
        ) from None


# --- backup --------------------------------------------------------------------------------------


def backup_create(*, path: Path) -> BackupResult:
    """Write a consistent copy of the whole database to ``path`` (replaced if it exists).

    The file is written beside ``path`` under a temporary name and renamed when complete, so an
    interrupted backup never leaves a half-written file under the real name.
    """
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(
            _("backups of %(vendor)s databases are not supported") % {"vendor": vendor}
        )
    partial = _private_temp_beside(path)
    try:
        if vendor == "sqlite":
            _sqlite_backup(partial)
        else:
            _postgres_backup(partial)
        try:
            os.replace(partial, path)
        except OSError as exc:
            raise BackupError(
                _("cannot write %(file)s: %(reason)s") % {"file": path, "reason": exc.strerror}
            ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=path, vendor=vendor, size=path.stat().st_size)


def _sqlite_backup(target_path: Path) -> None:
    connection.ensure_connection()
    source = connection.connection
    sqlite_backup_to_file(source, target_path)


def sqlite_backup_to_file(source: sqlite3.Connection, target_path: Path) -> None:
    """Copy ``source`` into the file ``target_path`` with the online backup API.

    One step (all pages at once) is one read transaction of the source: in WAL mode writers go
    on meanwhile, and the copy is the database as of the step's start. The copy is switched to a
    rollback journal, so the backup is one self-contained file.
    """
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.DatabaseError as exc:
        raise BackupError(_("the backup failed: %(reason)s") % {"reason": exc}) from None
    finally:
        target.close()


def _postgres_backup(target_path: Path) -> None:
    completed = _run(
        [
            _pg_program("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target_path}",
        ],
        env=_pg_environment(),
    )
    if completed.returncode != 0:
        raise BackupError(_("pg_dump failed: %(reason)s") % {"reason": _one_line(completed.stderr)})


# --- restore -------------------------------------------------------------------------------------


def database_holds_data() -> bool:
    """Whether restoring would replace something: the database has at least one user account.

    A database that ``kam migrate`` just created has none; one in use always has one.
    """
    user_model: Any = get_user_model()
    if user_model._meta.db_table not in connection.introspection.table_names():
        return False
    return bool(user_model.objects.exists())


def restore_check(*, path: Path) -> str:
    """Everything restore checks before it changes anything; returns the backup's vendor."""
    kind = backup_kind(path)
    vendor = connection.vendor
    if kind != vendor:
        raise BackupError(
            _(
                "%(file)s is a %(kind)s backup but the database is %(vendor)s: restore it into "
                "a %(kind)s database"
            )
            % {"file": path, "kind": vendor_label(kind), "vendor": vendor_label(vendor)}
        )
    if kind == "sqlite":
        source = _sqlite_open_backup(path)
        try:
            recorded = _sqlite_recorded_migrations(source, path)
        finally:
            source.close()
    else:
        recorded = _postgres_recorded_migrations(path)
    _check_schema(path, recorded)
    return kind


def backup_restore(*, path: Path, force: bool = False) -> RestoreResult:
    """Replace the whole database with the backup at ``path``, then migrate it forward.

    Refuses (BackupError, nothing changed) a missing, damaged or foreign file, a backup of a
    newer schema or of the other database vendor, and a database that holds data unless
    ``force``.
    """
    if connection.in_atomic_block:
        raise BackupError(_("a restore cannot run inside a database transaction"))
    vendor = restore_check(path=path)
    if not force and database_holds_data():
        raise BackupError(
            _(
                "the database already holds data (user accounts); a restore replaces all of "
                "it: stop the app and its workers, then run again with --force"
            )
        )
    if vendor == "sqlite":
        _sqlite_restore(path)
    else:
        _postgres_restore(path)
    restored = _applied_migrations()
    try:
        call_command("migrate", interactive=False, verbosity=0)
    except Exception as exc:  # the data is back; say so, and what is left to do
        raise BackupError(
            _(
                "%(file)s was restored, but migrating it forward failed (%(reason)s): "
                "run kam migrate"
            )
            % {"file": path, "reason": _one_line(str(exc)) or type(exc).__name__}
        ) from exc
    applied = sorted(_applied_migrations() - restored)
    return RestoreResult(path=path, vendor=vendor, migrations_applied=applied)


def _applied_migrations() -> set[str]:
    try:
        return {f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()}
    except DatabaseError:
        return set()


def _sqlite_restore(path: Path) -> None:
    source = _sqlite_open_backup(path)
    connection.ensure_connection()
    try:
        source.backup(connection.connection)
    except sqlite3.DatabaseError as exc:
        raise BackupError(_("the restore failed: %(reason)s") % {"reason": exc}) from None
    finally:
        source.close()
    # A fresh connection runs the connection's set-up again (foreign keys, WAL, busy timeout).
    connection.close()


def _postgres_restore(path: Path) -> None:
    """Drop every table and load the archive, all in one transaction of ``psql``.

    ``pg_restore`` turns the archive into SQL; the transaction is committed only when it
    finished without an error, so a damaged archive leaves the database as it was.
    """
    env = _pg_environment()
    pg_restore = _pg_program("pg_restore")
    psql = _pg_program("psql")
    # The app's connection must not hold a lock on a table the restore drops.
    connection.close()
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        try:
            producer = subprocess.Popen(
                [
                    pg_restore,
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--file=-",
                    str(path),
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=restore_err,
                stdin=subprocess.DEVNULL,
            )
            consumer = subprocess.Popen(
                [psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--file=-"],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=psql_err,
            )
        except OSError as exc:
            raise BackupError(
                _("the restore could not start: %(reason)s") % {"reason": exc.strerror}
            ) from None
        assert producer.stdout is not None
        assert consumer.stdin is not None
        psql_stopped = _pump(producer.stdout, consumer.stdin, producer)
        producer_rc = producer.wait()
        try:
            consumer.stdin.write(b"\nCOMMIT;\n" if producer_rc == 0 else b"\nROLLBACK;\n")
            consumer.stdin.close()
        except BrokenPipeError:
            pass
        consumer_rc = consumer.wait()
        if producer_rc != 0 and not psql_stopped:
            raise BackupError(
                _("%(file)s is damaged: %(reason)s")
                % {"file": path, "reason": _one_line(_read(restore_err))}
            )
        if consumer_rc != 0:
            raise BackupError(
                _("the restore failed: %(reason)s") % {"reason": _one_line(_read(psql_err))}
            )


def _pump(source: IO[bytes], sink: IO[bytes], producer: subprocess.Popen[bytes]) -> bool:
    """Feed BEGIN, the drops and pg_restore's script to psql; True when psql stopped early."""
    try:
        sink.write(b"BEGIN;\n" + _PG_DROP_ALL.encode())
        while chunk := source.read(1 << 20):
            sink.write(chunk)
    except BrokenPipeError:  # psql stopped at an error; its message says why
        producer.kill()
        return True
    finally:
        source.close()
    return False


def _read(fh: IO[bytes]) -> str:
    fh.seek(0)
    return fh.read().decode("utf-8", "replace")
