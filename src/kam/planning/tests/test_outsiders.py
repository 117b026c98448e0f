"""Another KAM (kam_b) tries every plan write on kam_a's plan: refused, nothing changes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kam.planning.models import Action, Objective, Strategy
from kam.planning.tests.conftest import PlanWorld
from kam.testing.personas import Persona, db_snapshot

Refs = dict[str, int]


@pytest.fixture
def refs(world: PlanWorld) -> Refs:
    objective = Objective.objects.create(
        plan=world.plan, title="Grow", target_value=Decimal(5), deadline=dt.date(2026, 12, 31)
    )
    action = Action.objects.create(
        plan=world.plan, title="Visit", owner=world.kam, due_date=dt.date(2026, 12, 20)
    )
    strategy = Strategy.objects.create(plan=world.plan, text="Bundle service")
    return {
        "plan": world.plan.pk,
        "account": world.account.pk,
        "objective": objective.pk,
        "action": action.pk,
        "strategy": strategy.pk,
        "kam": world.kam.pk,
    }


Web = tuple[str, Callable[[Refs], list[Any]], dict[str, Any]]
WEB_WRITES: dict[str, Web] = {
    "planning:plan_create": (
        "planning:plan_create",
        lambda r: [r["account"]],
        {"period_start": "2027-01-01"},
    ),
    "planning:plan_edit": (
        "planning:plan_edit",
        lambda r: [r["plan"]],
        {
            "revision": 1,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "review_cadence_months": 3,
            "mission": "Mine",
        },
    ),
    "planning:plan_review": (
        "planning:plan_review",
        lambda r: [r["plan"]],
        {"outcome": "confirmed"},
    ),
    "planning:plan_step": ("planning:plan_step", lambda r: [r["plan"], "submit"], {}),
    "planning:section_add": (
        "planning:section_add",
        lambda r: [r["plan"], "strategies"],
        {"revision": 1, "text": "Mine"},
    ),
    "planning:section_delete": (
        "planning:section_delete",
        lambda r: [r["plan"], "strategies", r["strategy"]],
        {"revision": 1},
    ),
    "planning:objective_add": (
        "planning:objective_add",
        lambda r: [r["plan"]],
        {"revision": 1, "title": "Mine", "target_value": "1", "deadline": "2026-12-31"},
    ),
    "planning:objective_edit": (
        "planning:objective_edit",
        lambda r: [r["objective"]],
        {"revision": 1, "title": "Mine", "target_value": "1", "deadline": "2026-12-31"},
    ),
    "planning:objective_value": (
        "planning:objective_value",
        lambda r: [r["objective"]],
        {"revision": 1, "date": "2026-11-01", "value": "1"},
    ),
    "planning:action_add": (
        "planning:action_add",
        lambda r: [r["plan"]],
        {"revision": 1, "title": "Mine", "owner": 1, "due_date": "2026-12-20", "status": "open"},
    ),
    "planning:action_edit": (
        "planning:action_edit",
        lambda r: [r["action"]],
        {"revision": 1, "status": "done", "note": "Mine"},
    ),
    "planning:action_interaction": (
        "planning:action_interaction",
        lambda r: [r["action"]],
        {"summary": "Mine"},
    ),
}

API_WRITES: dict[str, tuple[str, Callable[[Refs], str], Callable[[Refs], Any]]] = {
    "POST /plans": (
        "POST",
        lambda r: "/plans",
        lambda r: {"account_id": r["account"], "period_start": "2027-01-01"},
    ),
    "PATCH /plans/{plan_id}": (
        "PATCH",
        lambda r: f"/plans/{r['plan']}",
        lambda r: {"revision": 1, "mission": "Mine"},
    ),
    "POST /plans/{plan_id}/steps/{step}": (
        "POST",
        lambda r: f"/plans/{r['plan']}/steps/submit",
        lambda r: {},
    ),
    "POST /plans/{plan_id}/reviews": (
        "POST",
        lambda r: f"/plans/{r['plan']}/reviews",
        lambda r: {"outcome": "confirmed"},
    ),
    "POST /plans/{plan_id}/sections/{section}": (
        "POST",
        lambda r: f"/plans/{r['plan']}/sections/risks",
        lambda r: {"revision": 1, "text": "Mine"},
    ),
    "PATCH /plans/{plan_id}/sections/{section}/{item_id}": (
        "PATCH",
        lambda r: f"/plans/{r['plan']}/sections/strategies/{r['strategy']}",
        lambda r: {"revision": 1, "text": "Mine"},
    ),
    "DELETE /plans/{plan_id}/sections/{section}/{item_id}": (
        "DELETE",
        lambda r: f"/plans/{r['plan']}/sections/strategies/{r['strategy']}?revision=1",
        lambda r: None,
    ),
    "POST /plans/{plan_id}/objectives": (
        "POST",
        lambda r: f"/plans/{r['plan']}/objectives",
        lambda r: {"revision": 1, "title": "Mine"},
    ),
    "PATCH /objectives/{objective_id}": (
        "PATCH",
        lambda r: f"/objectives/{r['objective']}",
        lambda r: {"revision": 1, "title": "Mine"},
    ),
    "DELETE /objectives/{objective_id}": (
        "DELETE",
        lambda r: f"/objectives/{r['objective']}?revision=1",
        lambda r: None,
    ),
    "POST /objectives/{objective_id}/updates": (
        "POST",
        lambda r: f"/objectives/{r['objective']}/updates",
        lambda r: {"revision": 1, "value": "1"},
    ),
    "POST /plans/{plan_id}/actions": (
        "POST",
        lambda r: f"/plans/{r['plan']}/actions",
        lambda r: {"revision": 1, "title": "Mine", "owner_id": r["kam"], "due_date": "2026-12-20"},
    ),
    "PATCH /actions/{action_id}": (
        "PATCH",
        lambda r: f"/actions/{r['action']}",
        lambda r: {"revision": 1, "status": "done"},
    ),
    "DELETE /actions/{action_id}": (
        "DELETE",
        lambda r: f"/actions/{r['action']}?revision=1",
        lambda r: None,
    ),
    "POST /actions/{action_id}/interaction": (
        "POST",
        lambda r: f"/actions/{r['action']}/interaction",
        lambda r: {"summary": "Mine"},
    ),
}


@pytest.mark.parametrize("name", WEB_WRITES)
def test_another_kam_cannot_write_kam_as_plan_on_the_web(
    refs: Refs, kam_b: Persona, name: str
) -> None:
    url_name, args, data = WEB_WRITES[name]
    client = Client()
    client.force_login(kam_b.user)
    before = db_snapshot()
    response = client.post(reverse(url_name, args=args(refs)), data)
    assert response.status_code == 403
    assert db_snapshot() == before


@pytest.mark.parametrize("key", API_WRITES)
def test_another_kam_cannot_write_kam_as_plan_through_the_api(
    refs: Refs, kam_b: Persona, key: str
) -> None:
    method, path, body = API_WRITES[key]
    data = body(refs)
    kwargs: dict[str, Any] = {}
    if data is not None:
        kwargs = {"data": json.dumps(data), "content_type": "application/json"}
    before = db_snapshot()
    response = Client().generic(method, f"/api/v1{path(refs)}", headers=kam_b.headers, **kwargs)
    assert response.status_code == 403, response.content
    assert db_snapshot() == before
