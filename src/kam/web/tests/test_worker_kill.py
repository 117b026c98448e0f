"""kill -9 of a real `kam worker` mid-import and mid-scoring, then recovery and a re-run.

Each test runs `kam worker` processes on a file SQLite database with a 2-second job timeout:
the first worker is frozen (SIGSTOP) as soon as the job shows "running", so it is caught
mid-job, then killed without warning (SIGKILL). A second worker finds the job without a
heartbeat and marks it failed with the reason; the job is re-run, and the data must equal
what an uninterrupted run gives.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

import kam

# The subprocess runs on its own SQLite file whatever database the suite uses: the PostgreSQL
# half of `make test` would only run it a second time.
pytestmark = pytest.mark.sqlite_only


FIXTURES = Path(__file__).parents[2] / "dataio" / "tests" / "fixtures"
SOURCE = str(Path(kam.__file__).parents[1])
ROWS = 20_000
ACCOUNTS = 300


def _kam(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "kam.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def _shell(env, code: str) -> str:
    return _kam(env, "shell", "--no-imports", "-c", code).stdout.strip()


def _worker(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kam.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _query(db: Path, sql: str, *params):
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(sql, params).fetchone()


def _wait_for(db: Path, sql: str, want, *params, seconds: float = 120, step: float = 0.005):
    deadline = time.monotonic() + seconds
    while True:
        row = _query(db, sql, *params)
        if row is not None and row[0] in want:
            return row[0]
        assert time.monotonic() < deadline, f"{sql} {params}: still {row}"
        time.sleep(step)


def _kill_mid_job(db: Path, worker: subprocess.Popen, status_sql: str, pk: int) -> None:
    """Freeze the worker the moment the job runs, check it is mid-job, then SIGKILL it."""
    _wait_for(db, status_sql, {"running", "done", "failed"}, pk)
    os.kill(worker.pid, signal.SIGSTOP)
    assert _query(db, status_sql, pk)[0] == "running", "the job ended before it could be killed"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


@pytest.fixture
def env(tmp_path, migrated_sqlite):
    db = tmp_path / "jobs.sqlite3"
    env = {
        **os.environ,
        "KAM_VAR_DIR": str(tmp_path),
        "KAM_DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SETTINGS_MODULE": "kam.settings",
        # the processes run this checkout's code, whichever is installed
        "PYTHONPATH": os.pathsep.join([SOURCE, os.environ.get("PYTHONPATH", "")]),
        "KAM_JOB_TIMEOUT_SECONDS": "2",
        "KAM_SCORING_EVERY_HOURS": "0",
    }
    migrated_sqlite(db)
    for entity, name in (("product-lines", "product_lines.csv"), ("products", "products.csv")):
        _kam(env, "import", entity, str(FIXTURES / name))
    env["_DB"] = str(db)
    return env


def test_an_import_killed_mid_job_is_failed_and_its_rerun_gives_the_full_result(env, tmp_path):
    db = Path(env["_DB"])
    units = tmp_path / "units.csv"
    units.write_text("external_id,name,kind,country\nU-1,Acme Group,group,DE\n")
    _kam(env, "import", "units", str(units))
    big = tmp_path / "transactions.csv"
    total = Decimal(0)
    with big.open("w") as out:
        out.write("external_id,date,unit,product,quantity,net_amount,currency,cost\n")
        for i in range(ROWS):
            amount = Decimal(f"{i % 997}.50")
            total += amount
            out.write(f"K-{i},2024-{i % 12 + 1:02d}-15,U-1,SKU-100,1,{amount},EUR,\n")
    pk = int(
        _shell(
            env,
            "from django.core.files import File\n"
            "from kam.dataio.jobs import import_job_start\n"
            "from kam.dataio.models import ImportJob\n"
            "from kam.testing.factories import UserFactory\n"
            "admin = UserFactory(username='admin', role='admin')\n"
            f"job = ImportJob(created_by=admin, entity='transactions', original_name='t.csv')\n"
            f"job.file.save('t.csv', File(open({str(big)!r}, 'rb')), save=False)\n"
            "job.save()\n"
            "m = {c: c for c in ['external_id','date','unit','product','quantity','net_amount',"
            "'currency','cost']}\n"
            "print(import_job_start(job=job, mapping=m).pk)",
        )
    )
    status = "SELECT status FROM dataio_importjob WHERE id = ?"

    first = _worker(env)
    try:
        _kill_mid_job(db, first, status, pk)
    finally:
        _stop(first)
    assert _query(db, "SELECT COUNT(*) FROM sales_transaction")[0] == 0  # all or nothing

    second = _worker(env)
    try:
        _wait_for(db, status, {"failed"}, pk, seconds=60, step=0.2)
        message = _query(db, "SELECT message FROM dataio_importjob WHERE id = ?", pk)[0]
        assert message.startswith("The worker stopped (no heartbeat since ")
        notice = _query(db, "SELECT text FROM identification_notification")[0]
        assert notice.startswith("Import of t.csv failed: The worker stopped")
        _shell(
            env,
            "from kam.dataio.jobs import import_job_rerun\n"
            "from kam.dataio.models import ImportJob\n"
            f"job = ImportJob.objects.get(pk={pk})\n"
            "import_job_rerun(job=job, user=job.created_by)",
        )
        assert _wait_for(db, status, {"done", "failed"}, pk, seconds=180, step=0.2) == "done"
    finally:
        _stop(second)

    # The same as an uninterrupted run: every row once, the roll-ups add up to the file.
    count, amount = _query(db, "SELECT COUNT(*), SUM(net_amount) FROM sales_transaction")
    assert count == ROWS
    assert Decimal(str(amount)).quantize(Decimal("0.01")) == total
    months, rolled = _query(db, "SELECT COUNT(*), SUM(net_amount) FROM sales_monthlyrollup")
    assert months == 12
    assert Decimal(str(rolled)).quantize(Decimal("0.01")) == total
    attempts, created = _query(
        db, "SELECT attempts, created FROM dataio_importjob WHERE id = ?", pk
    )
    assert attempts == 2
    assert created == ROWS


def test_a_scoring_run_killed_mid_job_is_failed_and_its_rerun_scores_as_an_uninterrupted_run(
    env, tmp_path
):
    db = Path(env["_DB"])
    units = tmp_path / "units.csv"
    sales = tmp_path / "transactions.csv"
    with units.open("w") as u, sales.open("w") as t:
        u.write("external_id,name,kind,country\n")
        t.write("external_id,date,unit,product,quantity,net_amount,currency,cost\n")
        for i in range(ACCOUNTS):
            u.write(f"A-{i},Account {i},group,{'DE' if i % 3 else 'FR'}\n")
            for k in range(3):
                t.write(
                    f"S-{i}-{k},2025-0{k + 3}-10,A-{i},SKU-100,1,{(i * 37 + k) % 5000}.00,EUR,\n"
                )
    _kam(env, "import", "units", str(units))
    _kam(env, "import", "transactions", str(sales))
    pk = int(
        _shell(
            env,
            "import datetime as dt\n"
            "from kam.identification.services import scoring_run_enqueue\n"
            "print(scoring_run_enqueue(as_of=dt.date(2025, 12, 31)).pk)",
        )
    )
    status = "SELECT status FROM identification_scoringrun WHERE id = ?"

    first = _worker(env)
    try:
        _kill_mid_job(db, first, status, pk)
    finally:
        _stop(first)

    second = _worker(env)
    try:
        _wait_for(db, status, {"failed"}, pk, seconds=60, step=0.2)
        error = _query(db, "SELECT error FROM identification_scoringrun WHERE id = ?", pk)[0]
        assert error.startswith("The worker stopped (no heartbeat since ")
        rerun = int(
            _shell(
                env,
                "from kam.identification.models import ScoringRun\n"
                "from kam.identification.services import scoring_run_rerun\n"
                f"print(scoring_run_rerun(run=ScoringRun.objects.get(pk={pk})).pk)",
            )
        )
        assert _wait_for(db, status, {"done", "failed"}, rerun, seconds=120, step=0.2) == "done"
        plain = int(
            _shell(
                env,
                "import datetime as dt\n"
                "from kam.identification.services import scoring_run_enqueue\n"
                "print(scoring_run_enqueue(as_of=dt.date(2025, 12, 31)).pk)",
            )
        )
        assert _wait_for(db, status, {"done", "failed"}, plain, seconds=120, step=0.2) == "done"
    finally:
        _stop(second)

    def scores(run: int) -> list[tuple]:
        with sqlite3.connect(db) as conn:
            return conn.execute(
                "SELECT account_id, total, rank, recommendation, scope FROM "
                "identification_accountscore WHERE run_id = ? ORDER BY account_id",
                (run,),
            ).fetchall()

    assert (
        _query(db, "SELECT COUNT(*) FROM identification_accountscore WHERE run_id = ?", pk)[0] == 0
    )
    assert len(scores(rerun)) == ACCOUNTS
    assert scores(rerun) == scores(plain)
