"""The plan API: plans, objectives, actions, workflow, versions, the registry; who may do what."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client

from kam.api.models import TokenScope
from kam.api.services import token_create
from kam.planning.models import AccountPlan, Action
from kam.planning.tests.conftest import PlanWorld
from kam.testing.factories import UserFactory
from kam.testing.personas import Persona, db_snapshot


def _token(user: Any) -> dict[str, str]:
    _t, plain = token_create(user=user, name="t", scope=TokenScope.READ_WRITE)
    return {"Authorization": f"Bearer {plain}"}


def call(method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return Client().generic(method, f"/api/v1{path}", headers=headers, **kwargs)


def _revision(w: PlanWorld) -> int:
    return AccountPlan.objects.get(pk=w.plan.pk).revision


def test_metrics_lists_the_registry(kam_a: Persona) -> None:
    response = call("GET", "/metrics", kam_a.headers)
    assert response.status_code == 200
    by_key = {m["key"]: m for m in response.json()}
    assert by_key["sales.revenue_12m"]["unit"] == "money"
    assert [lv["value"] for lv in by_key["sales.supplier_position"]["levels"]][:2] == [
        "not_approved",
        "approved",
    ]
    assert "planning.plan_status" in by_key


def test_a_kam_builds_a_plan_through_the_api(world: PlanWorld, kam_a: Persona) -> None:
    h = kam_a.headers
    rev = _revision(world)
    r = call(
        "POST",
        f"/plans/{world.plan.pk}/objectives",
        h,
        {
            "revision": rev,
            "title": "Revenue",
            "metric_key": "sales.revenue_12m",
            "target_value": "5000",
        },
    )
    assert r.status_code == 201, r.content
    objective_id = r.json()["id"]
    r = call(
        "POST",
        f"/plans/{world.plan.pk}/actions",
        h,
        {
            "revision": rev + 1,
            "title": "Visit the plant",
            "owner_id": world.rep.pk,
            "due_date": "2026-12-20",
            "unit_id": world.site.pk,
            "objective_id": objective_id,
        },
    )
    assert r.status_code == 201, r.content
    detail = call("GET", f"/plans/{world.plan.pk}", h).json()
    assert detail["account_name"] == world.account.name
    assert detail["revision"] == rev + 2
    assert detail["objectives"][0]["metric_key"] == "sales.revenue_12m"
    assert detail["actions"][0]["owner_id"] == world.rep.pk
    assert "submit" in detail["steps"]
    assert {w["code"] for w in detail["warnings"]} >= {"no_customer_input"}
    listed = call("GET", f"/plans?account={world.account.pk}", h).json()
    assert [p["id"] for p in listed["items"]] == [world.plan.pk]
    assert call("GET", f"/actions?owner={world.rep.pk}", h).json()["items"][0]["title"] == (
        "Visit the plant"
    )


def test_a_stale_revision_is_a_409_and_changes_nothing(world: PlanWorld, kam_a: Persona) -> None:
    rev = _revision(world)
    ok = call("PATCH", f"/plans/{world.plan.pk}", kam_a.headers, {"revision": rev, "mission": "A"})
    assert ok.status_code == 200
    before = db_snapshot()
    stale = call(
        "PATCH", f"/plans/{world.plan.pk}", kam_a.headers, {"revision": rev, "mission": "B"}
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "conflict" and "mission: A" in body["message"]
    assert db_snapshot() == before


def test_the_workflow_through_the_api(world: PlanWorld, kam_a: Persona) -> None:
    r = call("POST", f"/plans/{world.plan.pk}/steps/submit", kam_a.headers, {})
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    assert (
        call("POST", f"/plans/{world.plan.pk}/steps/approve", kam_a.headers, {}).status_code == 403
    )
    exec_h = _token(world.executive)
    r = call("POST", f"/plans/{world.plan.pk}/steps/approve", exec_h, {"note": "Good"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    versions = call("GET", f"/plans/{world.plan.pk}/versions", kam_a.headers).json()
    assert [v["number"] for v in versions] == [1]
    version = call("GET", f"/plans/{world.plan.pk}/versions/1", kam_a.headers).json()
    assert version["snapshot"]["fields"]["mission"] == world.plan.mission
    diff = call("GET", f"/plans/{world.plan.pk}/diff", kam_a.headers).json()
    assert diff["version"]["number"] == 1 and diff["changes"]["fields"] == []
    r = call("POST", f"/plans/{world.plan.pk}/reviews", kam_a.headers, {"outcome": "confirmed"})
    assert r.status_code == 201
    assert call("GET", f"/plans/{world.plan.pk}/versions/9", kam_a.headers).status_code == 404


def test_a_field_rep_updates_their_own_action_only(world: PlanWorld, kam_a: Persona) -> None:
    action = Action.objects.create(
        plan=world.plan, title="Visit", owner=world.rep, due_date=dt.date(2026, 12, 20)
    )
    rep_h = _token(world.rep)
    rev = _revision(world)
    r = call(
        "PATCH", f"/actions/{action.pk}", rep_h, {"revision": rev, "status": "done", "note": "Met"}
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    other = _token(UserFactory(username="rep2", role="field_rep"))
    before = db_snapshot()
    r = call("PATCH", f"/actions/{action.pk}", rep_h, {"revision": rev + 1, "title": "Mine"})
    assert r.status_code == 403
    r = call("PATCH", f"/plans/{world.plan.pk}", rep_h, {"revision": rev + 1, "mission": "Mine"})
    assert r.status_code == 403
    r = call("PATCH", f"/actions/{action.pk}", other, {"revision": rev + 1, "status": "open"})
    assert r.status_code == 403
    assert db_snapshot() == before
    r = call("POST", f"/actions/{action.pk}/interaction", rep_h, {"summary": "Visited"})
    assert r.status_code == 200 and r.json()["interaction_id"]


def test_outsiders(world: PlanWorld, kam_b: Persona) -> None:
    no_role = _token(UserFactory(username="nobody", role=""))
    before = db_snapshot()
    # another KAM reads (every internal user reads account data) but changes nothing
    assert call("GET", f"/plans/{world.plan.pk}", kam_b.headers).status_code == 200
    r = call("PATCH", f"/plans/{world.plan.pk}", kam_b.headers, {"revision": 1, "mission": "Mine"})
    assert r.status_code == 403
    r = call("POST", "/plans", kam_b.headers, {"account_id": world.account.pk})
    assert r.status_code == 403
    assert call("GET", f"/plans/{world.plan.pk}", no_role).status_code == 403
    assert call("GET", "/plans", no_role).status_code == 403
    assert call("GET", "/plans", {}).status_code == 401
    assert db_snapshot() == before


def test_bad_input_is_a_4xx(world: PlanWorld, kam_a: Persona) -> None:
    h = kam_a.headers
    rev = _revision(world)
    r = call(
        "POST",
        f"/plans/{world.plan.pk}/objectives",
        h,
        {"revision": rev, "title": "X", "metric_key": "no.such"},
    )
    assert r.status_code == 400
    r = call(
        "POST",
        f"/plans/{world.plan.pk}/objectives",
        h,
        {"revision": rev, "title": "X", "deadline": "9999-01-01"},
    )
    assert r.status_code == 422
    r = call("POST", "/plans", h, {"account_id": world.site.pk})
    assert r.status_code == 400
    r = call("POST", f"/plans/{world.plan.pk}/steps/fly", h, {})
    assert r.status_code == 422


def test_the_plan_list_is_bounded(
    world: PlanWorld, kam_a: Persona, django_assert_max_num_queries
) -> None:
    from kam.planning.services import plan_create
    from kam.testing.factories import make_unit

    def grow(n: int) -> None:
        for i in range(n):
            account = make_unit(f"Grown {n}-{i}", account_manager=kam_a.user)
            plan_create(account=account, user=kam_a.user)

    grow(2)
    with django_assert_max_num_queries(6):
        assert call("GET", "/plans?limit=100", kam_a.headers).status_code == 200
    grow(20)
    with django_assert_max_num_queries(6):
        assert call("GET", "/plans?limit=100", kam_a.headers).status_code == 200
