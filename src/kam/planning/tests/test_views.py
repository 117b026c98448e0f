"""The plan pages: the plan, edits with revisions, actions by their owners, diff, lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.test import Client
from django.urls import reverse

from kam.planning import services
from kam.planning.models import AccountPlan, Action, PlanStatus
from kam.planning.tests.conftest import PlanWorld
from kam.testing.factories import UserFactory, make_unit
from kam.testing.personas import Persona, db_snapshot


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _revision(w: PlanWorld) -> int:
    return AccountPlan.objects.get(pk=w.plan.pk).revision


def _fill(w: PlanWorld, objectives: int, actions: int, units: int) -> None:
    revision = None
    made = [
        services.objective_create(
            plan=w.plan,
            user=w.kam,
            revision=revision,
            title=f"Objective {i}",
            metric_key="sales.revenue_12m" if i % 2 else "",
            target_value=Decimal(1000 + i),
            deadline=dt.date(2026, 12, 31),
        )
        for i in range(objectives)
    ]
    sites = [make_unit(f"Site {i}", parent=w.account, kind="site") for i in range(units)]
    for i in range(actions):
        services.action_create(
            plan=w.plan,
            user=w.kam,
            revision=None,
            title=f"Action {i}",
            owner=w.rep,
            due_date=dt.date(2026, 12, 1 + i % 28),
            unit=sites[i % len(sites)] if sites else None,
            objective=made[i % len(made)] if made else None,
        )
    services.section_item_add(
        plan=w.plan, user=w.kam, revision=None, section="swot", kind="strength", text="Service"
    )


def test_the_plan_page_shows_progress_sections_and_warnings(world: PlanWorld) -> None:
    _fill(world, objectives=2, actions=2, units=1)
    response = client_of(world.kam).get(reverse("planning:plan", args=[world.plan.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Become the preferred supplier" in html
    assert 'id="plan-progress"' in html and "Objective 1" in html and "Action 0" in html
    assert 'data-code="no_customer_input"' in html
    assert 'id="step-submit"' in html and 'id="step-approve"' not in html


def test_the_plan_page_has_a_bounded_number_of_queries(
    world: PlanWorld, django_assert_max_num_queries
) -> None:
    client = client_of(world.kam)
    url = reverse("planning:plan", args=[world.plan.pk])
    _fill(world, objectives=2, actions=3, units=2)
    client.get(url)
    with django_assert_max_num_queries(30) as small:
        assert client.get(url).status_code == 200
    _fill(world, objectives=20, actions=30, units=20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_kam_creates_a_plan_from_the_account_page(kam_a: Persona) -> None:
    client = client_of(kam_a.user)
    account_page = client.get(reverse("web:account", args=[kam_a.account.pk])).content.decode()
    assert reverse("planning:account_plan", args=[kam_a.account.pk]) in account_page
    start = client.get(reverse("planning:account_plan", args=[kam_a.account.pk]))
    assert start.status_code == 200 and b"plan-create-form" in start.content
    created = client.post(
        reverse("planning:plan_create", args=[kam_a.account.pk]), {"from_template": "on"}
    )
    plan = AccountPlan.objects.get(account=kam_a.account)
    assert created.status_code == 302 and created["Location"] == reverse(
        "planning:plan", args=[plan.pk]
    )
    again = client.get(reverse("planning:account_plan", args=[kam_a.account.pk]))
    assert again["Location"] == reverse("planning:plan", args=[plan.pk])


def test_a_stale_edit_is_a_409_with_the_users_input(world: PlanWorld) -> None:
    client = client_of(world.kam)
    url = reverse("planning:plan_edit", args=[world.plan.pk])
    loaded = _revision(world)
    form = {
        "revision": loaded,
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "review_cadence_months": 3,
    }
    assert client.post(url, form | {"mission": "First mission"}).status_code == 302
    response = client.post(url, form | {"mission": "My own words"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "My own words" in html  # nothing lost: the input is shown again
    assert "First mission" in html  # what the other person wrote
    assert AccountPlan.objects.get(pk=world.plan.pk).mission == "First mission"


def test_a_field_rep_completes_their_action_with_htmx(world: PlanWorld) -> None:
    action = services.action_create(
        plan=world.plan,
        user=world.kam,
        revision=None,
        title="Visit the plant",
        owner=world.rep,
        due_date=dt.date(2026, 12, 20),
    )
    rep = client_of(world.rep)
    todo = rep.get(reverse("planning:actions")).content.decode()
    assert "Visit the plant" in todo
    response = rep.post(
        reverse("planning:action_edit", args=[action.pk]),
        {"origin": "list", "revision": _revision(world), "status": "done", "note": "Met the buyer"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert b'id="action-list"' in response.content
    action.refresh_from_db()
    assert action.status == "done" and action.done_by == world.rep
    # the rep cannot edit the whole action nor the plan
    before = db_snapshot()
    edit = rep.post(
        reverse("planning:action_edit", args=[action.pk]),
        {
            "revision": _revision(world),
            "title": "Mine",
            "owner": world.rep.pk,
            "due_date": "2026-12-20",
            "status": "open",
        },
    )
    assert edit.status_code == 400 or edit.status_code == 403
    assert rep.get(reverse("planning:plan_edit", args=[world.plan.pk])).status_code == 403
    assert db_snapshot() == before


def test_another_field_rep_cannot_touch_the_action(world: PlanWorld) -> None:
    action = Action.objects.create(
        plan=world.plan, title="Visit", owner=world.rep, due_date=dt.date(2026, 12, 20)
    )
    other = client_of(UserFactory(username="rep2", role="field_rep"))
    before = db_snapshot()
    response = other.post(
        reverse("planning:action_edit", args=[action.pk]),
        {"revision": _revision(world), "status": "done"},
    )
    assert response.status_code == 403
    assert db_snapshot() == before


def test_outsiders(world: PlanWorld, kam_b: Persona) -> None:
    no_role = client_of(UserFactory(username="nobody", role=""))
    other_kam = client_of(kam_b.user)
    before = db_snapshot()
    plan_url = reverse("planning:plan", args=[world.plan.pk])
    assert no_role.get(plan_url).status_code == 403
    assert no_role.get(reverse("planning:plans")).status_code == 403
    assert other_kam.get(plan_url).status_code == 200  # reading account data is for everyone
    assert other_kam.get(reverse("planning:plan_edit", args=[world.plan.pk])).status_code == 403
    assert (
        other_kam.post(
            reverse("planning:plan_step", args=[world.plan.pk, "submit"]), {}
        ).status_code
        == 403
    )
    assert (
        other_kam.post(reverse("planning:plan_create", args=[world.account.pk]), {}).status_code
        == 403
    )
    assert Client().get(plan_url).status_code == 302
    assert db_snapshot() == before


def test_submit_approve_and_the_diff_page(world: PlanWorld) -> None:
    kam, executive = client_of(world.kam), client_of(world.executive)
    step = lambda who, name, data=None: who.post(  # noqa: E731
        reverse("planning:plan_step", args=[world.plan.pk, name]), data or {}
    )
    assert step(kam, "submit").status_code == 302
    assert step(kam, "approve").status_code == 403
    assert (
        b'id="step-approve"'
        in executive.get(reverse("planning:plan", args=[world.plan.pk])).content
    )
    assert step(executive, "approve").status_code == 302
    assert AccountPlan.objects.get(pk=world.plan.pk).status == PlanStatus.APPROVED
    assert step(kam, "reopen").status_code == 302
    edit = reverse("planning:plan_edit", args=[world.plan.pk])
    kam.post(
        edit,
        {
            "revision": _revision(world),
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "review_cadence_months": 6,
            "mission": "Grow together",
        },
    )
    diff = kam.get(reverse("planning:plan_diff", args=[world.plan.pk]))
    assert diff.status_code == 200
    html = diff.content.decode()
    assert "Grow together" in html and "review_cadence_months" in html
    assert (
        kam.get(reverse("planning:plan_diff", args=[world.plan.pk]) + "?version=1").status_code
        == 200
    )
    assert (
        kam.get(reverse("planning:plan_diff", args=[world.plan.pk]) + "?version=x").status_code
        == 400
    )


def test_sections_objectives_and_reviews_through_forms(world: PlanWorld) -> None:
    kam = client_of(world.kam)
    url = reverse("planning:section_add", args=[world.plan.pk, "customer_objectives"])
    response = kam.post(
        url,
        {
            "revision": _revision(world),
            "text": "Cut energy use by 20 %",
            "told_by": "CFO",
            "confirmed": "on",
        },
    )
    assert response.status_code == 302
    assert world.plan.customer_objectives.get().confirmed
    response = kam.post(
        reverse("planning:objective_add", args=[world.plan.pk]),
        {
            "revision": _revision(world),
            "title": "Energy project",
            "metric_key": "",
            "target_value": "1",
            "deadline": "2026-11-30",
        },
    )
    assert response.status_code == 302
    objective = world.plan.objectives.get()
    response = kam.post(
        reverse("planning:objective_value", args=[objective.pk]),
        {"revision": _revision(world), "date": "2026-11-01", "value": "1", "note": "Signed"},
    )
    assert response.status_code == 302
    objective.refresh_from_db()
    assert objective.current_value == Decimal(1)
    bad = kam.post(
        reverse("planning:objective_add", args=[world.plan.pk]),
        {"revision": _revision(world), "title": "X", "deadline": "9999-01-01"},
    )
    assert bad.status_code == 400


def test_the_plans_list_filters_and_is_bounded(
    world: PlanWorld, kam_a: Persona, django_assert_max_num_queries
) -> None:
    client = client_of(kam_a.user)
    url = reverse("planning:plans")
    assert world.account.name in client.get(url + "?status=draft").content.decode()
    assert world.account.name not in client.get(url + "?status=approved").content.decode()
    assert client.get(url + "?status=nonsense").status_code == 400

    def grow(n: int) -> None:
        for i in range(n):
            account = make_unit(f"Grown {n}-{i}", account_manager=kam_a.user)
            services.plan_create(account=account, user=kam_a.user)

    grow(2)
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    grow(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
