"""Workload under restricted visibility, My feed of a KAM through the API, accounts without an
executive sponsor through the API, and one of our people's links through the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kam.api.models import TokenScope
from kam.api.services import token_create
from kam.relationships.models import OurLink
from kam.teams.models import ResourceRequest, TeamRole
from kam.teams.services import feed_note_add, team_member_add
from kam.testing.factories import EmploymentFactory, UserFactory, make_unit

pytestmark = pytest.mark.django_db


def _get(client: Client, user, path: str):
    _token, plain = token_create(user=user, name="t", scope=TokenScope.READ)
    return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {plain}"})


def test_workload_names_only_the_accounts_a_restricted_viewer_sees(client, settings, kam_a, kam_b):
    settings.KAM_RESTRICTED_VISIBILITY = True
    sam = UserFactory(username="sam", role="specialist", function="service")
    team_member_add(account=kam_a.account, user=sam, role=TeamRole.SERVICE, allocation=30)
    team_member_add(account=kam_b.account, user=sam, role=TeamRole.SERVICE, allocation=40)
    viewer = UserFactory(username="rep", role="field_rep")
    team_member_add(account=kam_a.account, user=viewer, role=TeamRole.FIELD_REP, allocation=10)
    client.force_login(viewer)
    page = client.get(reverse("teams:workload")).content.decode()
    assert "Account A" in page and "Account B" not in page
    rows = {r["username"]: r for r in _get(client, viewer, "/workload").json()}
    assert [a["name"] for a in rows["sam"]["accounts"]] == ["Account A"]
    assert rows["sam"]["allocation"] == 70  # the load counts every membership
    # a KAM is not restricted: both names
    rows = {r["username"]: r for r in _get(client, kam_a.user, "/workload").json()}
    assert {a["name"] for a in rows["sam"]["accounts"]} == {"Account A", "Account B"}


def test_my_feed_api_has_the_accounts_a_kam_manages(client, kam_a, kam_b):
    feed_note_add(account=kam_a.account, author=kam_a.user, text="Note on A")
    feed_note_add(account=kam_b.account, author=kam_b.user, text="Note on B")
    mine = _get(client, kam_a.user, "/feed?kind=note")
    assert mine.status_code == 200
    assert [i["text"] for i in mine.json()["items"]] == ["Note on A"]
    outsider = UserFactory(username="nobody", role="")
    assert _get(client, outsider, "/feed").status_code == 403


def test_accounts_without_sponsor_api_is_for_executives(client, kam_a, users):
    make_unit("Key one", tier="key")
    sponsored = make_unit("Key two", tier="key")
    team_member_add(account=sponsored, user=users["executive"], role=TeamRole.EXECUTIVE_SPONSOR)
    answer = _get(client, users["executive"], "/accounts-without-sponsor")
    assert answer.status_code == 200
    assert [a["name"] for a in answer.json()] == ["Key one"]
    assert _get(client, kam_a.user, "/accounts-without-sponsor").status_code == 403
    assert _get(client, users["outsider"], "/accounts-without-sponsor").status_code == 403


def test_links_of_one_of_our_people(client, settings, kam_a, kam_b, users):
    anna = EmploymentFactory(unit=kam_a.account).contact
    boris = EmploymentFactory(unit=kam_b.account).contact
    OurLink.objects.create(user=kam_a.user, contact=anna, level=3)
    OurLink.objects.create(user=kam_a.user, contact=boris, level=1)
    path = f"/relationships/people/{kam_a.user.pk}/links"
    answer = _get(client, kam_b.user, path)  # another KAM reads who knows whom
    assert answer.status_code == 200
    assert [(r["contact_id"], r["level"]) for r in answer.json()] == [(anna.pk, 3), (boris.pk, 1)]
    assert _get(client, users["outsider"], path).status_code == 403
    assert _get(client, kam_b.user, "/relationships/people/999999/links").status_code == 404
    settings.KAM_RESTRICTED_VISIBILITY = True
    rep = UserFactory(username="rep", role="field_rep")
    team_member_add(account=kam_b.account, user=rep, role=TeamRole.FIELD_REP)
    narrowed = _get(client, rep, path).json()
    assert [r["contact_id"] for r in narrowed] == [boris.pk]


def _plan_with_action(persona):
    from kam.planning.models import Action, Objective
    from kam.planning.services import plan_create

    plan = plan_create(account=persona.account, user=persona.user)
    action = Action.objects.create(
        plan=plan, title="Audit the line", owner=persona.user, due_date=dt.date(2026, 12, 20)
    )
    objective = Objective.objects.create(
        plan=plan, title="Grow", target_value=Decimal(10), deadline=dt.date(2026, 12, 31)
    )
    return plan, action, objective


def test_a_request_links_to_a_plan_action_of_its_account(client, kam_a, kam_b):
    plan, action, objective = _plan_with_action(kam_a)
    _other_plan, other_action, _o = _plan_with_action(kam_b)
    client.force_login(kam_a.user)
    url = reverse("teams:request_new", args=[kam_a.account.pk])
    form = client.get(url).content.decode()
    assert f'value="action:{action.pk}"' in form and f'value="objective:{objective.pk}"' in form
    assert f"action:{other_action.pk}" not in form
    body = {"function": "service", "what": "Help", "needed_by": "2026-12-20"}
    refused = client.post(url, {**body, "plan_action_ref": f"action:{other_action.pk}"})
    assert refused.status_code == 400 and not ResourceRequest.objects.exists()
    made = client.post(url, {**body, "plan_action_ref": f"action:{action.pk}"})
    assert made.status_code == 302
    request = ResourceRequest.objects.get()
    assert request.plan_action == action
    page = client.get(reverse("teams:request", args=[request.pk])).content.decode()
    assert f'href="{reverse("planning:plan", args=[plan.pk])}" id="plan-link"' in page
    # the API takes ids, checks the account, and refuses two at once
    _token, plain = token_create(user=kam_a.user, name="w", scope=TokenScope.READ_WRITE)
    headers = {"Authorization": f"Bearer {plain}"}

    def post(**extra):
        data = {"account_id": kam_a.account.pk, "function": "service", "what": "Help",
                "needed_by": "2026-12-20", **extra}  # fmt: skip
        return client.post(
            "/api/v1/requests", data, content_type="application/json", headers=headers
        )

    made = post(plan_objective_id=objective.pk)
    assert made.status_code == 201 and made.json()["plan_objective_id"] == objective.pk
    assert post(plan_action_id=other_action.pk).status_code == 400
    assert post(plan_action_id=action.pk, plan_objective_id=objective.pk).status_code == 400
    assert ResourceRequest.objects.count() == 2
