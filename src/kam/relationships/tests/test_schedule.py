"""Link strengths on a live install: the worker's tick refreshes what new interactions marked,
and once a day every link (decision 102)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kam.interactions.services import interaction_create
from kam.relationships.models import LinkStrength, StaleLink
from kam.relationships.network import account_network
from kam.relationships.tasks import strengths_schedule
from kam.testing.factories import EmploymentFactory, UserFactory, make_unit

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _meeting(kam, contact, unit, days_ago: int) -> None:
    when = timezone.now() - dt.timedelta(days=days_ago)
    interaction_create(
        type="meeting", occurred_at=when, unit=unit, summary="Review",
        participants=[kam], contacts=[contact],
    )  # fmt: skip


def _shown(account) -> dict[tuple[int, int], float]:
    return {
        (link.user_id, link.contact_id): link.strength
        for link in account_network(account=account).links
    }


@override_settings(TASKS=IMMEDIATE, KAM_HEALTH_NIGHTLY=False)
def test_a_logged_interaction_then_the_refresh_changes_the_strength_the_map_shows() -> None:
    # the refresh the worker's tick queues (strengths_schedule), run at once; the whole tick is
    # not run here: its other immediate tasks close the test's connection on PostgreSQL
    kam = UserFactory(username="kam1", role="kam")
    account = make_unit("Acme", account_manager=kam)
    anna = EmploymentFactory(unit=account, function="purchasing").contact
    _meeting(kam, anna, account, days_ago=90)
    strengths_schedule()
    before = _shown(account)[(kam.pk, anna.pk)]
    assert before == pytest.approx(1.5, rel=0.02)
    _meeting(kam, anna, account, days_ago=0)  # logged today: marked stale, not yet counted
    assert _shown(account)[(kam.pk, anna.pk)] == pytest.approx(before)
    strengths_schedule()
    assert not StaleLink.objects.exists()
    assert _shown(account)[(kam.pk, anna.pk)] == pytest.approx(4.5, rel=0.02)


def test_the_full_refresh_is_queued_once_a_day_and_the_stale_one_otherwise() -> None:
    kam = UserFactory(username="kam1", role="kam")
    account = make_unit("Acme", account_manager=kam)
    anna = EmploymentFactory(unit=account).contact
    assert strengths_schedule() is None  # nothing marked, nothing kept
    _meeting(kam, anna, account, days_ago=3)
    assert strengths_schedule() is False  # the marked pair
    assert strengths_schedule() is None  # already waiting
    DBTaskResult.objects.all().delete()
    call_command("strengths", stdout=StringIO())
    assert not StaleLink.objects.exists()
    assert strengths_schedule() is None  # fresh today
    LinkStrength.objects.update(as_of=timezone.localdate() - dt.timedelta(days=1))
    assert strengths_schedule() is True  # yesterday's figures: every link
    assert DBTaskResult.objects.get().args_kwargs["kwargs"] == {"everything": True}


def test_the_command_recomputes_every_link_and_refuses_a_bad_date() -> None:
    kam = UserFactory(username="kam1", role="kam")
    account = make_unit("Acme", account_manager=kam)
    anna = EmploymentFactory(unit=account).contact
    _meeting(kam, anna, account, days_ago=0)
    out = StringIO()
    call_command("strengths", "--all", stdout=out)
    assert "Computed the strengths of 1 links" in out.getvalue()
    assert LinkStrength.objects.get().strength == pytest.approx(3.0)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a date"):
        call_command("strengths", "--as-of", "yesterday")
