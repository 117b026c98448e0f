"""Restricted visibility (``KAM_RESTRICTED_VISIBILITY``): a field rep sees only the accounts they
are named on; every other account is "not found" on pages, in lists, the API and exports.

Account A has an interaction naming the field rep as a participant (on a sub-unit: the whole
account becomes visible); account B has none. With the setting off, nothing changes.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from kam.api.services import token_create
from kam.customers.models import Unit
from kam.identification.models import AccountScore, Nomination, ScoringModel, ScoringRun
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.testing.factories import EmploymentFactory, InteractionFactory, UserFactory, make_unit


@pytest.fixture
def world(db):
    kam = UserFactory(username="kam", role="kam")
    rep = UserFactory(username="rep", role="field_rep")
    a = make_unit("Visible Account", account_manager=kam)
    site = make_unit("Visible Site", parent=a)
    b = make_unit("Hidden Account", account_manager=kam)
    met: Interaction = InteractionFactory(unit=site, summary="Visit with the rep", created_by=kam)
    met.participants.add(rep)
    hidden: Interaction = InteractionFactory(unit=b, summary="Hidden meeting", created_by=kam)
    EmploymentFactory(unit=site, contact__last_name="Seenperson")
    EmploymentFactory(unit=b, contact__last_name="Hiddenperson")
    nomination = Nomination.objects.create(account=b, nominated_by=kam, rationale="big")
    _token, plain = token_create(user=rep, name="rep", scope="read")
    return {
        "rep": rep,
        "a": a,
        "site": site,
        "b": b,
        "hidden": hidden,
        "nomination": nomination,
        "headers": {"HTTP_AUTHORIZATION": f"Bearer {plain}"},
    }


@pytest.fixture
def restricted(settings):
    settings.KAM_RESTRICTED_VISIBILITY = True


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.usefixtures("restricted")
def test_the_portfolio_lists_only_the_account_the_rep_is_named_on(world):
    page = _client(world["rep"]).get("/accounts/").content.decode()
    assert "Visible Account" in page
    assert "Hidden Account" not in page


@pytest.mark.usefixtures("restricted")
def test_another_account_is_not_found_on_its_pages(world):
    client = _client(world["rep"])
    b, a = world["b"].pk, world["a"].pk
    assert client.get(f"/accounts/{a}/").status_code == 200
    assert client.get(f"/accounts/{world['site'].pk}/").status_code == 200
    assert client.get(f"/accounts/{b}/").status_code == 404
    assert client.get(f"/accounts/{b}/history/").status_code == 404
    assert client.get(f"/identification/accounts/{b}/").status_code == 404
    assert client.get(f"/identification/nominations/{world['nomination'].pk}/").status_code == 404


@pytest.mark.usefixtures("restricted")
def test_another_account_is_not_found_on_the_api(world):
    client, headers = Client(), world["headers"]
    assert client.get(f"/api/v1/units/{world['a'].pk}", **headers).status_code == 200
    assert client.get(f"/api/v1/units/{world['b'].pk}", **headers).status_code == 404
    hidden = world["hidden"].pk
    assert client.get(f"/api/v1/interactions/{hidden}", **headers).status_code == 404


@pytest.mark.usefixtures("restricted")
def test_api_lists_leave_the_other_account_out(world):
    client, headers = Client(), world["headers"]
    units = {u["name"] for u in client.get("/api/v1/units", **headers).json()["items"]}
    assert units == {"Visible Account", "Visible Site"}
    contacts = {c["last_name"] for c in client.get("/api/v1/contacts", **headers).json()["items"]}
    assert contacts == {"Seenperson"}
    found = client.get("/api/v1/interactions", **headers).json()["items"]
    assert [i["summary"] for i in found] == ["Visit with the rep"]
    nominations = client.get("/api/v1/identification/nominations", **headers).json()["items"]
    assert nominations == []


@pytest.mark.usefixtures("restricted")
def test_the_api_export_holds_only_visible_rows(world):
    response = Client().get("/api/v1/export/units", **world["headers"])
    body = response.getvalue().decode("utf-8-sig")
    assert "Visible Site" in body
    assert "Hidden Account" not in body


@pytest.mark.usefixtures("restricted")
def test_the_command_line_export_for_the_rep_holds_only_visible_rows(world, capsys):
    call_command("export", "contacts", "--user", "rep")
    out = capsys.readouterr().out
    assert "Seenperson" in out
    assert "Hiddenperson" not in out


@pytest.mark.usefixtures("restricted")
def test_a_key_account_manager_is_not_restricted(world):
    kam = User.objects.get(username="kam")
    page = _client(kam).get("/accounts/").content.decode()
    assert "Hidden Account" in page


@pytest.mark.usefixtures("restricted")
def test_the_author_of_an_interaction_sees_its_account(world):
    specialist = UserFactory(username="spec", role="specialist")
    InteractionFactory(unit=world["b"], summary="Specialist call", created_by=specialist)
    client = _client(specialist)
    assert client.get(f"/accounts/{world['b'].pk}/").status_code == 200
    assert client.get(f"/accounts/{world['a'].pk}/").status_code == 404


def test_with_the_setting_off_the_rep_sees_every_account(world):
    client = _client(world["rep"])
    assert "Hidden Account" in client.get("/accounts/").content.decode()
    assert client.get(f"/accounts/{world['b'].pk}/").status_code == 200
    units = Client().get("/api/v1/units", **world["headers"]).json()["items"]
    assert len(units) == Unit.objects.count()


@pytest.fixture
def scored(world):
    model = ScoringModel.objects.get(status="active")
    run = ScoringRun.objects.create(model=model, status="done", as_of=timezone.localdate())
    for rank, account in enumerate((world["a"], world["b"]), start=1):
        AccountScore.objects.create(
            run=run, account=account, total=60, rank=rank, scope="local", completeness=80
        )
    return run


@pytest.mark.usefixtures("restricted")
def test_scores_matrix_and_nominations_leave_the_other_account_out(world, scored):
    client = _client(world["rep"])
    for page in ("/identification/", "/identification/matrix/", "/identification/scores.csv"):
        response = client.get(page)
        body = response.getvalue().decode("utf-8-sig")
        assert "Visible Account" in body, page
        assert "Hidden Account" not in body, page
    queue = client.get("/identification/nominations/?status=nominated").content.decode()
    assert "Hidden Account" not in queue
    api = Client().get("/api/v1/identification/scores", **world["headers"]).json()["items"]
    assert [s["account_id"] for s in api] == [world["a"].pk]


@pytest.mark.usefixtures("restricted")
def test_logging_an_interaction_does_not_open_another_account(world):
    body = {
        "type": "visit",
        "occurred_at": "2026-10-02T10:00:00Z",
        "unit_id": world["b"].pk,
        "summary": "Walked in",
    }
    token = token_create(user=world["rep"], name="write", scope="read_write")[1]
    response = Client().post(
        "/api/v1/interactions",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert _client(world["rep"]).get(f"/accounts/{world['b'].pk}/").status_code == 404
