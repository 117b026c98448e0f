"""A scoring run whose worker died: failed with the reason, never blocks the schedule, re-run."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.api.services import token_create
from kam.core.jobs import worker_beat
from kam.core.models import WorkerBeat
from kam.identification.models import RunStatus, ScoringRun
from kam.identification.selectors import scoring_model_active
from kam.identification.services import (
    scoring_run_execute,
    scoring_run_schedule,
    scoring_runs_reap,
)
from kam.people.models import Notification
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _tasks(settings):
    settings.TASKS = DUMMY
    settings.KAM_JOB_TIMEOUT_SECONDS = 120


@pytest.fixture
def account(users):
    return make_unit("Acme Group", account_manager=users["kam"])


def _dead_run(user=None) -> ScoringRun:
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    return ScoringRun.objects.create(
        model=scoring_model_active(),
        as_of=timezone.localdate() - dt.timedelta(days=3),
        status=RunStatus.RUNNING,
        started_at=long_ago,
        heartbeat_at=long_ago,
        worker_id="elsewhere-1-deadbeef",
        created_by=user,
    )


def test_the_scheduler_queues_a_run_despite_a_dead_one(account):
    dead = _dead_run()
    ScoringRun.objects.filter(pk=dead.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    run = scoring_run_schedule()
    assert run is not None
    assert run.status == RunStatus.QUEUED


def test_a_live_running_run_still_holds_the_schedule(account):
    dead = _dead_run()
    ScoringRun.objects.filter(pk=dead.pk).update(
        heartbeat_at=timezone.now(), created_at=timezone.now() - dt.timedelta(days=2)
    )
    assert scoring_run_schedule() is None


def test_the_reaper_fails_a_dead_run_with_the_reason_and_tells_its_starter(account, users):
    dead = _dead_run(users["executive"])
    live = _dead_run()
    ScoringRun.objects.filter(pk=live.pk).update(heartbeat_at=timezone.now())
    assert scoring_runs_reap() == 1
    dead.refresh_from_db()
    live.refresh_from_db()
    assert dead.status == RunStatus.FAILED
    assert dead.error.startswith("The worker stopped (no heartbeat since ")
    assert live.status == RunStatus.RUNNING
    notice = Notification.objects.get(user=users["executive"])
    assert notice.text.startswith(f"Scoring run {dead.pk} failed: The worker stopped")
    assert notice.link == reverse("identification:run_status", args=[dead.pk])


def test_the_worker_tick_reaps_and_says_the_worker_is_alive(account, monkeypatch):
    from kam.web.management.commands import worker

    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    dead = _dead_run()
    worker.beat_tick()
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED
    assert WorkerBeat.objects.count() == 1


def test_a_failed_run_is_started_again_from_its_page(account, client_for, users):
    dead = _dead_run()
    executive = client_for("executive")
    page = executive.get(reverse("identification:run_status", args=[dead.pk])).content.decode()
    assert 'id="run-rerun"' in page  # the page load reaped it
    response = executive.post(reverse("identification:run_rerun", args=[dead.pk]))
    new = ScoringRun.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == reverse("identification:run_status", args=[new.pk])
    assert new.pk != dead.pk
    assert new.status == RunStatus.QUEUED
    assert new.as_of == dead.as_of
    assert new.created_by == users["executive"]
    # a run that did not fail is not started again
    assert executive.post(reverse("identification:run_rerun", args=[new.pk])).status_code == 400


def test_only_administrators_and_executives_rerun(account, client_for):
    dead = _dead_run()
    ScoringRun.objects.filter(pk=dead.pk).update(status=RunStatus.FAILED)
    for who in ("outsider", "kam", "field_rep"):
        assert (
            client_for(who).post(reverse("identification:run_rerun", args=[dead.pk])).status_code
            == 403
        )
    assert ScoringRun.objects.count() == 1
    page = client_for("kam").get(reverse("identification:run_status", args=[dead.pk]))
    assert 'id="run-rerun"' not in page.content.decode()


def test_the_api_reruns_a_failed_run(account, client, users, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    dead = _dead_run()
    ScoringRun.objects.filter(pk=dead.pk).update(status=RunStatus.FAILED)
    url = f"/api/v1/identification/runs/{dead.pk}/rerun"
    tokens = {who: token_create(user=users[who], name="t", scope="read_write")[1] for who in users}

    def post(who):
        return client.post(
            url,
            data=json.dumps({}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {tokens[who]}",
        )

    assert post("outsider").status_code == 403
    assert post("kam").status_code == 403
    response = post("admin")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert response.json()["as_of"] == dead.as_of.isoformat()
    assert (
        client.post(
            "/api/v1/identification/runs/999999/rerun",
            HTTP_AUTHORIZATION=f"Bearer {tokens['admin']}",
        ).status_code
        == 404
    )


def test_a_finished_run_tells_who_started_it_what_it_did(account, users, sell, month):
    sell(account, 5000, month(2))
    run = scoring_run_execute(model=scoring_model_active(), user=users["executive"])
    notice = Notification.objects.get(user=users["executive"])
    assert notice.text == (
        f"Scoring run {run.pk}: {run.accounts_count} accounts scored, "
        f"{run.candidates_count} key candidates."
    )
    assert notice.link == reverse("identification:run_status", args=[run.pk])


def test_the_scores_page_warns_when_a_run_waits_and_no_worker_was_seen(account, client_for):
    ScoringRun.objects.create(model=scoring_model_active(), as_of=timezone.localdate())
    executive = client_for("executive")
    assert 'id="worker-warning"' in executive.get(reverse("identification:scores")).content.decode()
    worker_beat()
    assert (
        'id="worker-warning"'
        not in executive.get(reverse("identification:scores")).content.decode()
    )
