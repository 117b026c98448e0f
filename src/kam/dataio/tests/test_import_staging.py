"""SQLite imports stage their rows outside the write lock, then publish in one transaction.

The tests of ``test_import_transactions.py`` run here again outside a test transaction, so the
import takes its staged path (a caller's open transaction makes it write directly); the others
check what staging adds: other writers go on while a big file is staged, a failed publish
writes nothing, and the staging file of a killed import is removed by the next import.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from kam.core.jobs import current_worker_id
from kam.dataio import fastpath
from kam.dataio.models import PublishStep
from kam.dataio.services import import_file
from kam.sales.models import MonthlyRollup, Transaction
from kam.testing import sqlite_files

from .conftest import FIXTURES
from .test_import_transactions import (  # noqa: F401  (fixtures and tests run again here)
    catalogue,
    direct_sums,
    no_rebuild,
    rollups,
    test_a_cost_only_change_updates_the_rollup_costs,
    test_a_russian_windows_1251_file_imports,
    test_an_empty_currency_cell_takes_the_default_and_is_not_dropped,
    test_an_xlsx_transaction_file_imports,
    test_bad_transaction_rows_are_reported_and_nothing_is_written,
    test_batches_and_the_progress_callback,
    test_duplicates_across_batches_and_blocks,
    test_rollups_follow_a_reimport_with_changed_rows,
    test_thousand_separators_and_decimal_commas_still_parse,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The staged path exists on SQLite only (PostgreSQL loads with COPY, whose row locks do
    # not shut other writers out); the PostgreSQL run of the suite deselects these tests.
    pytest.mark.sqlite_only,
]


@pytest.fixture(autouse=True)
def staged(request, monkeypatch):
    """Every import of these tests goes through a staging file; none is left behind."""
    published: list = []
    if "file_db" in request.fixturenames:  # the import runs in another process
        yield published
        return
    real = fastpath.Stage.publish

    def publish(self):
        published.append(self.path)
        real(self)

    monkeypatch.setattr(fastpath.Stage, "publish", publish)
    yield published
    assert published, "the import did not take the staged path"
    assert not [p for p in published if p.exists()]


@pytest.mark.usefixtures("catalogue")
def test_a_failed_publish_writes_nothing_and_removes_its_staging_file(monkeypatch):
    def fail(cursor, *, drop_empty):
        raise RuntimeError("disk full")  # after the rows went in, before the commit

    monkeypatch.setattr(fastpath, "_apply_delta_table", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(entity="transactions", path=FIXTURES / "transactions.csv")
    assert not Transaction.objects.exists()
    assert not MonthlyRollup.objects.exists()
    assert not list(fastpath.staging_dir().glob(f"{fastpath.STAGE_PREFIX}{os.getpid()}-*"))
    with connection.cursor() as cursor:  # the staging file was detached
        cursor.execute("PRAGMA database_list")
        assert fastpath.STAGE_SCHEMA not in [row[1] for row in cursor.fetchall()]


@pytest.mark.usefixtures("catalogue")
def test_a_row_deleted_during_staging_fails_the_import_cleanly(monkeypatch, tmp_path):
    assert import_file(entity="transactions", path=FIXTURES / "transactions.csv").created == 5
    before = rollups()
    changed = tmp_path / "tx.csv"
    changed.write_text(
        "external_id,date,unit,product,quantity,net_amount,currency,cost\n"
        "T-1,2024-01-15,U-ACME-DE,SKU-100,10,1100.00,EUR,600.00\n"
        "T-9,2024-04-01,U-ROMASH,SKU-100,1,10.00,EUR,\n",
        encoding="utf-8",
    )
    real = fastpath.Stage.add

    def add_then_someone_deletes(self, new, changed):
        real(self, new, changed)
        Transaction.objects.filter(external_id="T-1").delete()

    monkeypatch.setattr(fastpath.Stage, "add", add_then_someone_deletes)
    with pytest.raises(fastpath.ImportFileError, match="Import the file again"):
        import_file(entity="transactions", path=changed)
    assert not Transaction.objects.filter(external_id="T-9").exists()
    assert set(rollups()) == set(before)


@pytest.mark.usefixtures("catalogue")
def test_the_staging_file_of_a_killed_import_is_removed_by_the_next():
    directory = fastpath.staging_dir()
    directory.mkdir(parents=True, exist_ok=True)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    leftover = directory / f"{fastpath.STAGE_PREFIX}{gone.stdout.strip()}-dead.sqlite3"
    leftover.write_bytes(b"half a staging file")
    live = directory / f"{fastpath.STAGE_PREFIX}{os.getppid()}-alive.sqlite3"
    live.write_bytes(b"another import still running")
    try:
        assert import_file(entity="transactions", path=FIXTURES / "transactions.csv").created == 5
        assert not leftover.exists()
        assert live.exists()
    finally:
        live.unlink(missing_ok=True)
        leftover.unlink(missing_ok=True)


ROWS = 150_000
SRC = str(Path(fastpath.__file__).resolve().parents[2])


def _kam(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "kam.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, _sqlite_template):
    """A migrated SQLite file with the sample units and products, and a big transaction file."""
    folder = tmp_path_factory.mktemp("prepared")
    db = folder / "kam.sqlite3"
    env = _env(folder, db)
    sqlite_files.migrated_copy(_sqlite_template, db)
    for entity, name in (
        ("units", "units.csv"),
        ("product-lines", "product_lines.csv"),
        ("products", "products.csv"),
    ):
        _kam(env, "import", entity, str(FIXTURES / name))
    big = folder / "transactions.csv"
    with big.open("w") as out:
        out.write("external_id,date,unit,product,quantity,net_amount,currency,cost\n")
        for i in range(ROWS):
            out.write(f"K-{i},2024-{i % 12 + 1:02d}-15,U-ACME-DE,SKU-100,1,{i % 997}.50,EUR,\n")
    return db, big


@pytest.fixture
def file_db(prepared, tmp_path):
    """A copy of the prepared database for one test, with the command's environment."""
    source, big = prepared
    db = tmp_path / "kam.sqlite3"
    with sqlite3.connect(source) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    return db, _env(tmp_path, db), big, tmp_path / "import-staging"


def _env(folder, db):
    return {
        **os.environ,
        "KAM_VAR_DIR": str(folder),
        "KAM_DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SETTINGS_MODULE": "kam.settings",
        "PYTHONPATH": SRC,  # the commands run the code under test
    }


def _start_import(env, big):
    return subprocess.Popen(
        [sys.executable, "-m", "kam.cli", "import", "transactions", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_staging(importer, staging, size=2_000_000):
    deadline = time.monotonic() + 120
    while importer.poll() is None and time.monotonic() < deadline:
        files = list(staging.glob(f"{fastpath.STAGE_PREFIX}*"))
        if files and files[0].stat().st_size > size:
            return files[0]
        time.sleep(0.05)
    raise AssertionError("the import finished before its staging file grew")


def test_a_web_write_goes_through_while_a_big_import_is_staged(file_db):
    db, env, big, staging = file_db
    importer = _start_import(env, big)
    try:
        _wait_for_staging(importer, staging)
        # another writer, as a web request would write: it must not wait for the import
        started = time.monotonic()
        with sqlite3.connect(db, timeout=2, isolation_level=None) as other:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE customers_unit SET city = 'Written meanwhile'")
            other.execute("COMMIT")
        waited = time.monotonic() - started
        assert importer.poll() is None, "the write came after the import, it proves nothing"
        assert waited < 1
    finally:
        _, err = importer.communicate(timeout=300)
    assert importer.returncode == 0, err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sales_transaction").fetchone()[0] == ROWS
        assert conn.execute("SELECT SUM(lines) FROM sales_monthlyrollup").fetchone()[0] == ROWS
        cities = conn.execute("SELECT DISTINCT city FROM customers_unit").fetchall()
        assert cities == [("Written meanwhile",)]
    assert not list(staging.glob(f"{fastpath.STAGE_PREFIX}*"))


def test_an_import_killed_while_staging_leaves_nothing_and_its_file_goes_next_time(file_db):
    db, env, big, staging = file_db
    importer = _start_import(env, big)
    leftover = _wait_for_staging(importer, staging)
    os.kill(importer.pid, signal.SIGKILL)
    importer.wait(timeout=30)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM sales_transaction").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM sales_monthlyrollup").fetchone()[0] == 0
    assert leftover.exists()
    _kam(env, "import", "transactions", str(FIXTURES / "transactions.csv"))
    assert not leftover.exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sales_transaction").fetchone()[0] == 5


# --- the publish in steps (decision 119) -------------------------------------------------------


@pytest.fixture
def steps_of_two(monkeypatch):
    """Publish two rows a step, so the five-row sample file takes three steps."""
    monkeypatch.setattr(fastpath, "PUBLISH_CHUNK", 2)
    monkeypatch.setattr(fastpath, "PUBLISH_PAUSE", 0)


def _other_writer_now(db_file: str) -> None:
    """A write from another connection that refuses to wait: it fails if the lock is held."""
    other = sqlite3.connect(db_file, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE customers_unit SET city = 'between two steps' WHERE id = -1")
        other.execute("COMMIT")
    finally:
        other.close()


@pytest.mark.usefixtures("catalogue", "steps_of_two")
def test_a_file_is_published_in_steps_and_another_writer_gets_in_between(monkeypatch):
    db_file = str(connection.settings_dict["NAME"])
    pauses = []

    def pause():
        _other_writer_now(db_file)  # raises "database is locked" if a step held the lock
        pauses.append(Transaction.objects.count())

    monkeypatch.setattr(fastpath, "_pause", pause)
    report = import_file(entity="transactions", path=FIXTURES / "transactions.csv")
    assert report.created == 5
    assert pauses == [2, 4]  # the rows showed up a step at a time
    assert Transaction.objects.count() == 5
    assert rollups() == direct_sums()
    assert not PublishStep.objects.exists()  # the last step committed the file


def _second_file(tmp_path):
    """Three rows of the sample changed, two new ones."""
    path = tmp_path / "tx2.csv"
    path.write_text(
        "external_id,date,unit,product,quantity,net_amount,currency,cost\n"
        "T-1,2024-01-15,U-ACME-DE,SKU-100,10,1100.00,EUR,600.00\n"
        "T-2,2024-02-20,U-ACME-DE,SKU-101,5,250.50,EUR,100.00\n"
        "T-5,2024-03-01,U-NORD,SKU-200,90,11000.00,EUR,9000.00\n"
        "T-6,2024-04-01,U-NORD,SKU-100,1,10.00,EUR,\n"
        "T-7,2024-04-02,U-ACME-FR,SKU-100,1,20.00,EUR,\n",
        encoding="utf-8",
    )
    return path


def _state():
    return (
        sorted(Transaction.objects.values_list("external_id", "date", "net_amount", "cost")),
        rollups(),
    )


@pytest.mark.usefixtures("catalogue", "steps_of_two")
def test_a_conflict_in_a_later_step_undoes_the_steps_already_made(monkeypatch, tmp_path):
    assert import_file(entity="transactions", path=FIXTURES / "transactions.csv").created == 5
    before = _state()
    pauses = []

    def someone_writes_t7_meanwhile():
        pauses.append(PublishStep.objects.count())
        if len(pauses) == 2:  # two update steps made; the new rows come next
            Transaction.objects.create(
                external_id="T-7",
                date="2024-05-01",
                unit=Transaction.objects.get(external_id="T-1").unit,
                product=Transaction.objects.get(external_id="T-1").product,
                product_line=Transaction.objects.get(external_id="T-1").product_line,
                quantity=1,
                net_amount=5,
            )

    monkeypatch.setattr(fastpath, "_pause", someone_writes_t7_meanwhile)
    with pytest.raises(fastpath.ImportFileError, match="Import the file again"):
        import_file(entity="transactions", path=_second_file(tmp_path))
    assert pauses == [1, 2]  # the steps were committed before the conflict
    Transaction.objects.filter(external_id="T-7").delete()
    assert _state() == before  # changed rows have their old values, new rows are gone
    assert rollups() == direct_sums()
    assert not PublishStep.objects.exists()


class _Killed(BaseException):
    """Stands for a kill: nothing of the process runs after it (no undo)."""


@pytest.mark.usefixtures("catalogue", "steps_of_two")
@pytest.mark.parametrize("steps_before_death", [1, 2])
def test_the_steps_of_an_import_that_died_are_undone_by_the_next_worker_tick(
    monkeypatch, tmp_path, steps_before_death
):
    from kam.web.management.commands.worker import beat_tick

    assert import_file(entity="transactions", path=FIXTURES / "transactions.csv").created == 5
    before = _state()
    pauses = []

    def die():
        pauses.append(1)
        if len(pauses) == steps_before_death:
            raise _Killed

    undo = fastpath.publish_undo
    monkeypatch.setattr(fastpath, "_pause", die)
    monkeypatch.setattr(
        fastpath, "publish_undo", lambda token: 0
    )  # a killed process undoes nothing
    with pytest.raises(_Killed):
        import_file(entity="transactions", path=_second_file(tmp_path))
    assert PublishStep.objects.count() == steps_before_death
    assert _state() != before  # half of the file is in for now
    assert rollups() == direct_sums()  # each step kept the roll-ups with its rows
    monkeypatch.setattr(fastpath, "publish_undo", undo)
    monkeypatch.setattr(fastpath, "_pause", lambda: None)
    beat_tick()
    assert not PublishStep.objects.exists()
    assert _state() == before
    assert rollups() == direct_sums()
    report = import_file(entity="transactions", path=_second_file(tmp_path))
    assert (report.created, report.updated) == (2, 3)
    assert rollups() == direct_sums()


@pytest.mark.usefixtures("catalogue")
def test_only_the_steps_of_a_process_that_is_gone_are_undone():
    import_file(entity="transactions", path=FIXTURES / "transactions.csv")
    t1, t2 = Transaction.objects.order_by("id").values_list("id", flat=True)[:2]
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    host = current_worker_id().rsplit("-", 2)[0]
    dead = PublishStep.objects.create(
        token=f"{host}-{gone.stdout.strip()}-00000000:x", first_id=t1, last_id=t1
    )
    alive = PublishStep.objects.create(
        token=f"{host}-{os.getppid()}-00000000:y", first_id=t2, last_id=t2
    )
    assert fastpath.publish_recover() == 1
    assert list(PublishStep.objects.all()) == [alive]
    assert not Transaction.objects.filter(id=t1).exists()  # the dead publish's row went
    assert Transaction.objects.filter(id=t2).exists()  # another live process's is left to it
    assert rollups() == direct_sums()
    assert dead.pk not in PublishStep.objects.values_list("pk", flat=True)
