"""``kam backup`` / ``kam restore`` as a person runs them, on SQLite database files.

The default install is a SQLite file in WAL mode, which the suite's in-memory SQLite database is
not: this runs the real commands on such files, whichever database the suite itself uses.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import kam

# The subprocess runs on its own SQLite file whatever database the suite uses: the PostgreSQL
# half of `make test` would only run it a second time.
pytestmark = pytest.mark.sqlite_only


SRC = Path(kam.__file__).resolve().parent.parent


def _kam(tmp_path: Path, database: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "KAM_VAR_DIR": str(tmp_path),
        "KAM_DATABASE_URL": f"sqlite:///{tmp_path / database}",
        "DJANGO_SETTINGS_MODULE": "kam.settings",
    }
    return subprocess.run(
        [sys.executable, "-m", "kam.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    tables = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
    ]
    rows = {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}  # noqa: S608
    db.close()
    return rows


def test_a_backup_restores_into_a_new_database_file(tmp_path, migrated_sqlite):
    # a migrated database has filled tables: content types, permissions, the default scoring model
    migrated_sqlite(tmp_path / "live.sqlite3")

    backup = _kam(tmp_path, "live.sqlite3", "backup", str(tmp_path / "nightly.backup"))
    restore = _kam(tmp_path, "new.sqlite3", "restore", str(tmp_path / "nightly.backup"))

    assert backup.returncode == 0, backup.stderr
    assert restore.returncode == 0, restore.stderr
    assert _rows(tmp_path / "new.sqlite3") == _rows(tmp_path / "live.sqlite3")
    # the web server and the workers share the file only in WAL mode (the backup file is not)
    restored = sqlite3.connect(tmp_path / "new.sqlite3")
    assert restored.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_failed_restore_exits_non_zero_with_one_line(tmp_path):
    result = _kam(tmp_path, "kam.sqlite3", "restore", str(tmp_path / "missing.backup"))

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"CommandError: {tmp_path / 'missing.backup'}: no such file"
    ]
