"""A migrated SQLite file for the tests that start ``kam`` in a subprocess.

Migrating an empty database takes about a minute of CPU (Django renders the migration state of
every model for each of the migrations), and the tests that run ``kam serve``, kill a worker or
back up a file each need a fresh database file, not a fresh migration. The first of them in a
test session migrates a template once — under a file lock, so the xdist workers share it — and
every caller gets its own copy through SQLite's backup API (a consistent file, whatever the
journal mode). The template lives in the session's temporary folder, so a changed migration is
never served from an old template.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import kam

SOURCE = str(Path(kam.__file__).resolve().parent.parent)


def template(folder: Path) -> Path:
    """The migrated template in ``folder`` (shared by the session's workers), made once."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kam-migrated-template.sqlite3"
    with open(folder / "kam-migrated-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            partial = folder / "kam-migrated-template.partial.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{partial}{suffix}").unlink(missing_ok=True)
            env = {
                **os.environ,
                "KAM_VAR_DIR": str(folder / "template-var"),
                "KAM_DATABASE_URL": f"sqlite:///{partial}",
                "DJANGO_SETTINGS_MODULE": "kam.settings",
                "PYTHONPATH": os.pathsep.join([SOURCE, os.environ.get("PYTHONPATH", "")]),
            }
            subprocess.run(
                [sys.executable, "-m", "kam.cli", "migrate", "--noinput", "-v", "0"],
                env=env,
                check=True,
                timeout=600,
            )
            ready = folder / "kam-migrated-template.ready.sqlite3"
            _copy(partial, ready)
            os.replace(ready, path)  # whole or absent, even if this process dies meanwhile
    return path


def migrated_copy(source: Path, target: Path) -> Path:
    """A copy of the migrated template at ``target`` (readable by its owner only)."""
    _copy(source, target)
    return target


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)
