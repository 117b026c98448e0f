"""An import killed half-way (SIGKILL, no chance to clean up) leaves no partial data."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The subprocess runs on its own SQLite file whatever database the suite uses: the PostgreSQL
# half of `make test` would only run it a second time.
pytestmark = pytest.mark.sqlite_only

FIXTURES = Path(__file__).parent / "fixtures"
ROWS = 150_000


def _kam(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "kam.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def test_a_killed_transaction_import_leaves_all_of_the_file_or_none_of_it(
    tmp_path, migrated_sqlite
):
    """Killed without warning while its writes reach the database, an import leaves either
    nothing or the whole file, never a part, and the roll-ups always equal the lines.

    The write that reaches the database is one publish transaction (decision 36: SQLite imports
    are staged outside the write lock): killed before or during it, nothing is there; killed
    after its commit (while the process finishes its report), everything is.
    """
    db = tmp_path / "kill.sqlite3"
    env = {
        **os.environ,
        "KAM_VAR_DIR": str(tmp_path),
        "KAM_DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SETTINGS_MODULE": "kam.settings",
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),  # the code under test
    }
    migrated_sqlite(db)
    for entity, name in (
        ("units", "units.csv"),
        ("product-lines", "product_lines.csv"),
        ("products", "products.csv"),
    ):
        _kam(env, "import", entity, str(FIXTURES / name))
    with sqlite3.connect(db) as conn:
        units_before = conn.execute("SELECT COUNT(*) FROM customers_unit").fetchone()[0]
    assert units_before > 0
    big = tmp_path / "transactions.csv"
    with big.open("w") as out:
        out.write("external_id,date,unit,product,quantity,net_amount,currency,cost\n")
        for i in range(ROWS):
            out.write(f"K-{i},2024-{i % 12 + 1:02d}-15,U-ACME-DE,SKU-100,1,{i % 997}.50,EUR,\n")

    importer = subprocess.Popen(
        [sys.executable, "-m", "kam.cli", "import", "transactions", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wal = Path(f"{db}-wal")
    deadline = time.monotonic() + 120
    # Wait until the import is writing (its uncommitted pages fill the write-ahead log) ...
    while importer.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.05)
    assert importer.poll() is None, "the import finished before it could be killed"
    # ... then kill it without warning.
    os.kill(importer.pid, signal.SIGKILL)
    importer.wait(timeout=30)

    def counts():
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            lines = conn.execute("SELECT COUNT(*) FROM sales_transaction").fetchone()[0]
            line_sum = conn.execute("SELECT COALESCE(SUM(net_amount), 0) FROM sales_transaction")
            rollup_sum = conn.execute(
                "SELECT COALESCE(SUM(net_amount), 0) FROM sales_monthlyrollup"
            )
            # every committed step kept the roll-ups with its rows
            assert round(rollup_sum.fetchone()[0], 2) == round(line_sum.fetchone()[0], 2)
            assert conn.execute("SELECT COUNT(*) FROM customers_unit").fetchone()[0] == units_before
            steps = conn.execute("SELECT COUNT(*) FROM dataio_publishstep").fetchone()[0]
        return lines, steps

    lines, steps = counts()
    # killed while publishing (decision 119: a step at a time), a part may be in for now, with
    # the steps that wrote it on record; the next import (or a worker's tick) undoes them
    assert lines in (0, ROWS) or steps, f"{lines} of {ROWS} lines written and no record of it"
    _kam(env, "import", "transactions", str(FIXTURES / "transactions.csv"))
    lines, steps = counts()
    assert lines in (5, ROWS + 5), f"a part of the file was written: {lines - 5} of {ROWS} lines"
    assert not steps
    # and the import run again gives what an uninterrupted run gives
    _kam(env, "import", "transactions", str(big))
    assert counts() == (ROWS + 5, 0)
