"""A task claimed by a worker that stopped beating goes back in the queue; a live one stays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kam.core.jobs import current_worker_id, tasks_requeue_dead
from kam.core.models import WorkerBeat
from kam.testing.tasks import probe_task

pytestmark = pytest.mark.django_db


def _claimed(worker_id: str, ago: int) -> DBTaskResult:
    result = DBTaskResult.objects.get(pk=probe_task.enqueue(1, "/nonexistent").id)
    result.claim(worker_id)
    DBTaskResult.objects.filter(pk=result.pk).update(
        started_at=timezone.now() - dt.timedelta(seconds=ago)
    )
    return result


def test_the_task_of_a_dead_worker_is_requeued_once(settings):
    settings.KAM_JOB_TIMEOUT_SECONDS = 2
    now = timezone.now()
    WorkerBeat.objects.create(
        worker_id="elsewhere-42-deadbeef", host="elsewhere", pid=42, last_seen=now
    )
    dead = _claimed("gone-7-cafecafe", ago=60)  # another machine, never seen again
    live = _claimed("elsewhere-42-deadbeef", ago=60)  # seen a moment ago
    fresh = _claimed("gone-8-cafecafe", ago=0)  # just claimed: its worker may not have beaten
    here = _claimed(current_worker_id(), ago=60)  # this very process
    assert tasks_requeue_dead(now=now) == 1
    assert tasks_requeue_dead(now=now) == 0
    status = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert status[dead.pk] == "READY"
    assert {status[live.pk], status[fresh.pk], status[here.pk]} == {"RUNNING"}
