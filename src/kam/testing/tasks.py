"""A probe task for the worker tests: records each run as a file, so a test can count runs."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from django_tasks import task


@task()
def probe_task(n: int, folder: str, seconds: float = 0.0) -> int:
    """Wait ``seconds``, then leave one file named after ``n`` in ``folder`` (one per run)."""
    time.sleep(seconds)
    Path(folder, f"{n}-{os.getpid()}-{uuid.uuid4().hex[:8]}").touch()
    return n
