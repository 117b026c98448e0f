"""What the benchmarks share: a step in its own child process, the environment it runs with, the
PostgreSQL half under ``scripts/with-postgres.sh``, the log lines and the verdicts.

The benchmarks run as ``python bench/<name>.py``, so this folder is on ``sys.path`` and they
import this module as ``_common``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULT = "BENCH-RESULT "  # the line a child prints its result on, as JSON

Children = Mapping[str, Callable[[argparse.Namespace], dict[str, Any]]]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_targets(targets: list[str]) -> None:
    """The report's last part: each target with what was measured and PASS or MISS."""
    print()
    print("Targets:")
    for line in targets:
        print(f"  {line}")


def bench_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a child: this database, a throwaway secret, never the test database."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="kam.settings",
        KAM_DATABASE_URL=database_url,
        KAM_VAR_DIR=str(var_dir),
        KAM_SECRET_KEY="bench-not-secret",
        KAM_DEBUG="0",
        **extra,
    )
    env.pop("KAM_TEST_DATABASE_NAME", None)
    return env


def remove_sqlite(path: Path) -> None:
    """Delete a SQLite database with its write-ahead log and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_step(
    script: Path, mode: str, env: dict[str, str], *flags: str, echo: bool = False, **options: Any
) -> dict[str, Any]:
    """Run ``script --child mode`` in a child process and return the JSON of its result line.

    ``flags`` go on the command line as they are; each option as ``--name value`` (``True``: a
    bare ``--name``; ``None`` and ``False``: left out). ``echo`` prints the child's other output
    as it comes; without it, that output is shown only when the step fails.
    """
    command = [sys.executable, str(script), "--child", mode, *flags]
    for name, value in options.items():
        if value is True:
            command.append(f"--{name.replace('_', '-')}")
        elif value not in (None, False):
            command += [f"--{name.replace('_', '-')}", str(value)]
    proc = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT)]
    if echo:
        for ln in proc.stdout.splitlines():
            if not ln.startswith(RESULT):
                print(ln, flush=True)
    if proc.returncode or not lines:
        if not echo:
            sys.stdout.write(proc.stdout)
        raise SystemExit(f"benchmark step {mode!r} failed (exit {proc.returncode})")
    return json.loads(lines[-1][len(RESULT) :])


def child_main(children: Children, args: argparse.Namespace) -> None:
    """In the child process: set Django up, run the step ``--child`` names, print its result."""
    import django

    django.setup()
    result = children[args.child](args)
    print(RESULT + json.dumps(result), flush=True)


def check_inner_postgres() -> None:
    """The PostgreSQL half runs only under with-postgres.sh, never on a database one has set."""
    if not os.environ.get("KAM_DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("--inner-results is for the run under scripts/with-postgres.sh")


def run_under_postgres(script: Path, flags: list[str], out: Path) -> Any:
    """Run ``script flags --inner-results out`` under scripts/with-postgres.sh (a throwaway
    server) and return what it wrote to ``out``."""
    out.unlink(missing_ok=True)
    command = [
        "bash",
        str(ROOT / "scripts" / "with-postgres.sh"),
        sys.executable,
        str(script),
        *flags,
        "--inner-results",
        str(out),
    ]
    env = dict(os.environ)
    env.pop("KAM_DATABASE_URL", None)
    proc = subprocess.run(command, env=env, cwd=ROOT)
    if proc.returncode or not out.exists():
        raise SystemExit(f"the PostgreSQL half failed (exit {proc.returncode}); see above")
    return json.loads(out.read_text())
