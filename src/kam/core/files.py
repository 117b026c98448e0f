"""Files the app writes are readable by their owner only (trust).

The process umask (set in settings) makes every new file (the SQLite database and its -wal/-shm
companions, uploads, error reports, backups) 0600 and every new folder 0700; a database file
created before that, or by another tool, is narrowed when the first connection opens it.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any


def owner_only(path: Path) -> None:
    """Take group and other permissions off ``path`` if it exists and has any."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        try:
            path.chmod(mode & 0o700)
        except PermissionError:  # not ours (a shared PostgreSQL socket dir, say): leave it
            return


def sqlite_files_owner_only(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: the SQLite file and its WAL companions are 0600."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for suffix in ("", "-wal", "-shm"):
        owner_only(Path(name + suffix))
