import datetime as dt

import pytest
from django.utils import timezone

from kam.identification.models import RunStatus, ScoringRun
from kam.identification.services import scoring_run_schedule
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return make_unit("Acme Group")


def test_it_queues_a_run_when_none_exists_and_not_twice(account):
    first = scoring_run_schedule()
    assert first is not None
    assert first.status == RunStatus.QUEUED
    assert scoring_run_schedule() is None
    assert ScoringRun.objects.count() == 1


def test_it_waits_for_the_interval_after_a_run(account, settings):
    settings.KAM_SCORING_EVERY_HOURS = 24
    run = scoring_run_schedule()
    ScoringRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE)
    now = timezone.now()
    assert scoring_run_schedule(now=now + dt.timedelta(hours=23)) is None
    later = scoring_run_schedule(now=now + dt.timedelta(hours=25))
    assert later is not None
    assert later.pk != run.pk


def test_it_can_be_turned_off(account, settings):
    settings.KAM_SCORING_EVERY_HOURS = 0
    assert scoring_run_schedule() is None
    assert not ScoringRun.objects.exists()


def test_nothing_to_score_means_no_run(db):
    assert scoring_run_schedule() is None


def test_the_worker_tick_queues_the_run_and_survives_errors(account, monkeypatch):
    from kam.web.management.commands import worker

    # The tick closes stale connections between runs; here that would end the test's transaction.
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    worker.schedule_tick()
    assert ScoringRun.objects.count() == 1

    def broken(**kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr("kam.identification.services.scoring_run_schedule", broken)
    worker.schedule_tick()  # logged, not raised
