""" "Review due" is one rule (decision 101): from the review date on, everywhere.

The list filter, the list page, the API's status, the plan's warnings and the worker's marking
agree on the day before the review date, on the day and the day after.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.planning import selectors, services
from kam.planning.models import AccountPlan, PlanEvent, PlanStatus
from kam.planning.tests.conftest import PlanWorld
from kam.testing.personas import Persona

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CASES = [
    pytest.param(1, "approved", id="the day before"),
    pytest.param(0, "review_due", id="on the day"),
    pytest.param(-1, "review_due", id="the day after"),
]


def _approved(world: PlanWorld, due_in_days: int) -> AccountPlan:
    services.plan_step(plan=world.plan, step="submit", user=world.kam)
    services.plan_step(plan=world.plan, step="approve", user=world.executive)
    AccountPlan.objects.filter(pk=world.plan.pk).update(
        next_review_due=TODAY + dt.timedelta(days=due_in_days)
    )
    world.plan.refresh_from_db()
    return world.plan


def _api_ids(client, kam: Persona, status: str) -> set[int]:
    response = client.get(f"/api/v1/plans?status={status}", headers=kam.headers)
    assert response.status_code == 200, response.content
    return {p["id"] for p in response.json()["items"]}


@pytest.mark.parametrize(("due_in_days", "shown"), CASES)
def test_the_list_filter_and_the_api_status_follow_the_review_date(
    world: PlanWorld, kam_a: Persona, client, due_in_days: int, shown: str
) -> None:
    plan = _approved(world, due_in_days)
    other = "approved" if shown == "review_due" else "review_due"
    # the API: the plan's status, its list filtered by the status shown and by the other one
    detail = client.get(f"/api/v1/plans/{plan.pk}", headers=kam_a.headers).json()
    assert detail["status"] == shown
    assert plan.pk in _api_ids(client, kam_a, shown)
    assert plan.pk not in _api_ids(client, kam_a, other)
    [listed] = [
        p
        for p in client.get("/api/v1/plans", headers=kam_a.headers).json()["items"]
        if p["id"] == plan.pk
    ]
    assert listed["status"] == shown
    # the list page filtered the same way
    client.force_login(world.kam)
    page = client.get(reverse("planning:plans"), {"status": shown})
    assert page.status_code == 200 and world.account.name in page.content.decode()
    page = client.get(reverse("planning:plans"), {"status": other})
    assert world.account.name not in page.content.decode()
    # the warning and the selector say the same
    assert selectors.effective_status(plan, TODAY) == shown
    warnings = {w.code for w in selectors.plan_page(plan=plan, as_of=TODAY).warnings}
    assert ("review_overdue" in warnings) is (shown == "review_due")


@pytest.mark.parametrize(("due_in_days", "shown"), CASES)
def test_the_worker_tick_marks_the_plans_whose_review_date_has_come(
    world: PlanWorld, kam_a: Persona, client, monkeypatch, due_in_days: int, shown: str
) -> None:
    from kam.web.management.commands import worker

    plan = _approved(world, due_in_days)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    worker.schedule_tick()
    plan.refresh_from_db()
    assert plan.status == shown
    marked = PlanEvent.objects.filter(plan=plan, to_status=PlanStatus.REVIEW_DUE).count()
    assert marked == (1 if shown == "review_due" else 0)
    # once marked, the list and the API read the stored status the same way
    assert plan.pk in _api_ids(client, kam_a, shown)
    worker.schedule_tick()  # a second tick marks nothing again
    assert PlanEvent.objects.filter(plan=plan, to_status=PlanStatus.REVIEW_DUE).count() == marked
