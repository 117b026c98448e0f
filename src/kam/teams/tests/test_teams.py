"""Account teams: membership rules, allocation and workload, suggestions from the interaction
log, the pages and the API as allowed users and as outsiders."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.core.errors import DomainError
from kam.core.metrics import registry
from kam.interactions.services import interaction_create
from kam.teams.models import TeamMember, TeamRole
from kam.teams.selectors import accounts_without_sponsor, member_suggestions, workload
from kam.teams.services import team_member_add, team_member_end
from kam.testing.factories import UserFactory, make_unit
from kam.testing.html import parse
from kam.testing.personas import Persona, db_snapshot

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _specialist(name: str = "sam", function: str = "service"):
    return UserFactory(username=name, role="specialist", function=function)


# --- rules of a membership ---------------------------------------------------------------------


def test_a_membership_is_refused_when_it_breaks_a_rule(kam_a: Persona, kam_b: Persona):
    sam = _specialist()
    team_member_add(account=kam_a.account, user=sam, role=TeamRole.SERVICE, allocation=30)
    site_of_b = make_unit("B plant", parent=kam_b.account, kind="site")
    site_of_a = make_unit("A plant", parent=kam_a.account, kind="site")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"allocation": 101}, "allocation"),
        ({"end": TODAY - dt.timedelta(days=400)}, "end"),
        ({"unit": site_of_b}, "unit"),
        ({"role": TeamRole.SERVICE}, "role"),  # the same role again, overlapping
        ({"role": "chauffeur"}, "role"),
    ]
    for extra, field in cases:
        data: dict[str, Any] = {"role": TeamRole.TECHNICAL, "allocation": 10, **extra}
        with pytest.raises(DomainError) as caught:
            team_member_add(account=kam_a.account, user=sam, **data)
        assert caught.value.field == field, extra
    with pytest.raises(DomainError) as caught:
        team_member_add(account=site_of_a, user=sam, role=TeamRole.TECHNICAL)
    assert caught.value.field == "account"
    nobody = UserFactory(username="norole", role="")
    with pytest.raises(DomainError) as caught:
        team_member_add(account=kam_a.account, user=nobody, role=TeamRole.SERVICE)
    assert caught.value.field == "user"
    assert TeamMember.objects.count() == 1


def test_an_ended_membership_stays_as_history_and_the_role_can_be_taken_again(kam_a: Persona):
    sam = _specialist()
    first = team_member_add(
        account=kam_a.account,
        user=sam,
        role=TeamRole.SERVICE,
        start=TODAY - dt.timedelta(days=100),
    )
    team_member_end(member=first, end=TODAY - dt.timedelta(days=10))
    again = team_member_add(account=kam_a.account, user=sam, role=TeamRole.SERVICE)
    assert TeamMember.objects.active().get() == again
    assert TeamMember.objects.count() == 2
    with pytest.raises(DomainError):
        team_member_end(member=first)


# --- workload ------------------------------------------------------------------------------------


def test_allocation_adds_up_across_accounts_and_warns_above_100(kam_a: Persona, kam_b: Persona):
    sam = _specialist()
    team_member_add(account=kam_a.account, user=sam, role=TeamRole.SERVICE, allocation=60)
    team_member_add(account=kam_b.account, user=sam, role=TeamRole.SERVICE, allocation=30)
    old = team_member_add(
        account=kam_b.account,
        user=sam,
        role=TeamRole.TECHNICAL,
        allocation=50,
        start=TODAY - dt.timedelta(days=60),
    )
    (load,) = workload(users=type(sam).objects.filter(pk=sam.pk))
    assert load.allocation == 140
    assert load.over_allocated
    team_member_end(member=old, end=TODAY - dt.timedelta(days=1))
    (load,) = workload(users=type(sam).objects.filter(pk=sam.pk))
    assert load.allocation == 90
    assert not load.over_allocated


def test_a_kam_above_capacity_is_flagged(kam_a: Persona):
    kam_a.user.capacity = 1
    kam_a.user.save()
    second = make_unit("Second key", account_manager=kam_a.user)
    type(second).objects.filter(pk__in=[second.pk, kam_a.account.pk]).update(tier="key")
    (load,) = workload(users=type(kam_a.user).objects.filter(pk=kam_a.user.pk))
    assert load.key_accounts_managed == 2
    assert load.over_capacity


def test_key_accounts_without_a_running_executive_sponsor(kam_a: Persona, kam_b: Persona, users):
    type(kam_a.account).objects.filter(pk__in=[kam_a.account.pk, kam_b.account.pk]).update(
        tier="key"
    )
    make_unit("Transactional Ltd")
    team_member_add(account=kam_a.account, user=users["executive"], role=TeamRole.EXECUTIVE_SPONSOR)
    assert list(accounts_without_sponsor()) == [kam_b.account]


# --- suggestions ---------------------------------------------------------------------------------


def test_people_active_on_the_account_are_suggested_until_they_join(kam_a: Persona, users):
    sam, tess = _specialist(), _specialist("tess", "technical")
    site = make_unit("A plant", parent=kam_a.account, kind="site")
    now = timezone.now()
    for when, people in [
        (now - dt.timedelta(days=5), [sam, tess]),
        (now - dt.timedelta(days=20), [sam]),
        (now - dt.timedelta(days=400), [users["field_rep"]]),  # too long ago
        (now - dt.timedelta(days=3), [users["outsider"]]),  # no role
    ]:
        interaction_create(
            type="meeting", occurred_at=when, unit=site, summary="Visit", participants=people
        )
    found = member_suggestions(account=kam_a.account)
    assert [(s.user, s.role, s.interactions) for s in found] == [
        (sam, TeamRole.SERVICE, 2),
        (tess, TeamRole.TECHNICAL, 1),
    ]
    team_member_add(account=kam_a.account, user=sam, role=TeamRole.SERVICE)
    assert [s.user for s in member_suggestions(account=kam_a.account)] == [tess]


# --- pages ---------------------------------------------------------------------------------------


def _team_url(persona: Persona) -> str:
    return reverse("teams:account_team", args=[persona.account.pk])


def test_the_kam_adds_a_member_and_accepts_a_suggestion(client: Client, kam_a: Persona):
    sam, tess = _specialist(), _specialist("tess", "technical")
    interaction_create(
        type="call",
        occurred_at=timezone.now(),
        unit=kam_a.account,
        summary="Call",
        participants=[tess],
    )
    client.force_login(kam_a.user)
    page = parse(client.get(_team_url(kam_a)).content)
    assert page.find("tr", data_user=str(tess.pk))
    response = client.post(
        _team_url(kam_a),
        {"user": sam.pk, "role": "service", "allocation": 40, "start": TODAY.isoformat()},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("teams:suggestion_accept", args=[kam_a.account.pk]),
        {"user": tess.pk, "role": "technical"},
    )
    assert response.status_code == 302
    rows = parse(client.get(_team_url(kam_a)).content).find(id="team").find_all("tr")
    texts = [r.text for r in rows[1:]]
    assert any(str(sam) in t and "Service" in t and "40" in t for t in texts)
    assert any(str(tess) in t and "Technical" in t for t in texts)


def test_a_bad_member_form_is_a_400_with_the_message(client: Client, kam_a: Persona):
    sam = _specialist()
    client.force_login(kam_a.user)
    response = client.post(_team_url(kam_a), {"user": sam.pk, "role": "service", "allocation": 250})
    assert response.status_code == 400
    assert not TeamMember.objects.exists()


def test_another_kam_and_a_user_without_a_role_cannot_change_the_team(
    client: Client, kam_a: Persona, kam_b: Persona, users
):
    sam = _specialist()
    member = team_member_add(account=kam_a.account, user=sam, role=TeamRole.SERVICE)
    before = db_snapshot()
    client.force_login(kam_b.user)
    assert client.get(_team_url(kam_a)).status_code == 200  # reading is open to staff
    posts = [
        (_team_url(kam_a), {"user": sam.pk, "role": "technical", "allocation": 5}),
        (reverse("teams:suggestion_accept", args=[kam_a.account.pk]), {"user": sam.pk}),
        (reverse("teams:member_edit", args=[member.pk]), {"role": "finance", "allocation": 5}),
        (reverse("teams:member_end", args=[member.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    client.force_login(users["outsider"])
    assert client.get(_team_url(kam_a)).status_code == 403
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert db_snapshot() == before


def test_the_team_page_hides_the_edit_controls_from_another_kam(
    client: Client, kam_a: Persona, kam_b: Persona
):
    client.force_login(kam_b.user)
    page = parse(client.get(_team_url(kam_a)).content)
    assert page.find_all("form", id="member-add") == []


def test_the_kam_changes_and_ends_a_membership(client: Client, kam_a: Persona):
    sam = _specialist()
    member = team_member_add(account=kam_a.account, user=sam, role=TeamRole.SERVICE)
    client.force_login(kam_a.user)
    response = client.post(
        reverse("teams:member_edit", args=[member.pk]),
        {"role": "service", "allocation": 70, "start": member.start.isoformat(), "region": "North"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.allocation, member.region) == (70, "North")
    response = client.post(reverse("teams:member_end", args=[member.pk]), {"end": ""})
    assert response.status_code == 302
    assert TeamMember.objects.active().count() == 0
    assert member.history.count() == 3


def test_workload_page_warns_and_a_sales_manager_sees_their_reports_only(
    client: Client, kam_a: Persona, kam_b: Persona, users
):
    manager = users["sales_manager"]
    rep = UserFactory(username="rep1", role="field_rep", manager=manager)
    other = UserFactory(username="rep2", role="field_rep")
    team_member_add(account=kam_a.account, user=rep, role=TeamRole.FIELD_REP, allocation=80)
    team_member_add(account=kam_b.account, user=rep, role=TeamRole.FIELD_REP, allocation=40)
    team_member_add(account=kam_b.account, user=other, role=TeamRole.FIELD_REP, allocation=40)
    client.force_login(manager)
    page = parse(client.get(reverse("teams:workload")).content)
    shown = {
        e.attrs["data-user"]
        for e in page.find(id="workload").find_all("tr")
        if "data-user" in e.attrs
    }
    assert shown == {str(rep.pk), str(manager.pk)}
    assert f"{rep} (120 %)" in page.find(id="over-allocated").text
    assert page.find_all(id="without-sponsor") == []
    client.force_login(users["executive"])
    page = parse(client.get(reverse("teams:workload")).content)
    assert page.find(id="without-sponsor")
    client.force_login(users["outsider"])
    assert client.get(reverse("teams:workload")).status_code == 403


def test_workload_pages_people_and_shows_the_largest_allocations_first(
    client: Client, kam_a: Persona, users, monkeypatch
):
    from kam.teams import views

    monkeypatch.setattr(views, "WORKLOAD_PAGE", 2)
    monkeypatch.setattr(views, "WORKLOAD_ACCOUNTS_SHOWN", 2)
    sam = _specialist()
    accounts = [kam_a.account] + [make_unit(f"Acc {i}") for i in range(3)]
    for account, allocation in zip(accounts, (10, 40, 20, 30), strict=True):
        team_member_add(account=account, user=sam, role=TeamRole.SERVICE, allocation=allocation)
    client.force_login(users["executive"])
    people = workload(users=UserFactory._meta.model.objects.exclude(role=""))
    first = parse(client.get(reverse("teams:workload")).content)
    rows = [e for e in first.find(id="workload").find_all("tr") if "data-user" in e.attrs]
    assert len(rows) == 2
    assert "Page 1 of" in first.find(id="workload-pages").text
    seen, found = set(), 0
    for number in range(1, (len(people) + 1) // 2 + 1):
        page = parse(client.get(reverse("teams:workload"), {"page": number}).content)
        seen |= {e.attrs["data-user"] for e in page.find_all("tr") if "data-user" in e.attrs}
        for row in page.find_all("tr", data_user=str(sam.pk)):
            found += 1
            links = [(a.text, a.attrs["href"]) for a in row.find_all("a")]
            assert links == [
                ("Acc 0", reverse("teams:account_team", args=[accounts[1].pk])),
                ("Acc 2", reverse("teams:account_team", args=[accounts[3].pk])),
            ]
            assert row.find(data_more="2").text.strip() == "and 2 more accounts"
            assert "100" in row.text  # the allocation counts all four
    assert seen == {str(p.user.pk) for p in people}
    assert found == 1


def test_the_pages_use_a_bounded_number_of_queries(
    client: Client, kam_a: Persona, django_assert_max_num_queries
):
    def grow(n: int) -> None:
        for i in range(n):
            person = UserFactory(username=f"p{TeamMember.objects.count()}-{i}", role="specialist")
            team_member_add(account=kam_a.account, user=person, role=TeamRole.SERVICE, allocation=5)
            interaction_create(
                type="call",
                occurred_at=timezone.now(),
                unit=kam_a.account,
                summary="c",
                participants=[UserFactory(username=f"s{i}-{n}", role="field_rep")],
            )

    client.force_login(kam_a.user)
    for n in (2, 20):
        grow(n)
        with django_assert_max_num_queries(16):
            assert client.get(_team_url(kam_a)).status_code == 200
        with django_assert_max_num_queries(12):
            assert client.get(reverse("teams:workload")).status_code == 200


# --- API -----------------------------------------------------------------------------------------


def _api(client: Client, persona: Persona, method: str, path: str, body=None):
    kwargs: dict[str, Any] = {"headers": persona.headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


def test_the_api_adds_changes_lists_and_ends_members(client: Client, kam_a: Persona):
    sam = _specialist()
    path = f"/accounts/{kam_a.account.pk}/team"
    created = _api(
        client, kam_a, "post", path, {"user_id": sam.pk, "role": "service", "allocation": 25}
    )
    assert created.status_code == 201, created.content
    member_id = created.json()["id"]
    assert created.json()["username"] == "sam"
    changed = _api(client, kam_a, "patch", f"/team-members/{member_id}", {"allocation": 45})
    assert changed.json()["allocation"] == 45
    listed = _api(client, kam_a, "get", path).json()
    assert [(m["user_id"], m["allocation"]) for m in listed] == [(sam.pk, 45)]
    ended = _api(client, kam_a, "post", f"/team-members/{member_id}/end", {})
    assert ended.json()["end"] == TODAY.isoformat()
    assert len(_api(client, kam_a, "get", path + "?all=true").json()) == 1
    load = _api(client, kam_a, "get", "/workload").json()
    assert {row["username"] for row in load} >= {"sam", kam_a.user.username}


def test_the_api_answers_bad_input_and_outsiders_with_4xx(
    client: Client, kam_a: Persona, kam_b: Persona
):
    sam = _specialist()
    path = f"/accounts/{kam_a.account.pk}/team"
    for body in (
        {"user_id": sam.pk, "role": "service", "allocation": 101},
        {"user_id": sam.pk, "role": "astronaut"},
        {"user_id": 999999, "role": "service"},
        {"user_id": sam.pk, "role": "service", "start": "9999-12-31"},
    ):
        response = _api(client, kam_a, "post", path, body)
        assert 400 <= response.status_code < 500, body
    before = db_snapshot()
    response = _api(client, kam_b, "post", path, {"user_id": sam.pk, "role": "service"})
    assert response.status_code == 403
    assert db_snapshot() == before


def test_team_metrics_are_registered_and_count_the_team(kam_a: Persona, users):
    team_member_add(account=kam_a.account, user=_specialist(), role=TeamRole.SERVICE)
    team_member_add(account=kam_a.account, user=users["executive"], role=TeamRole.EXECUTIVE_SPONSOR)
    values = {
        key: registry.get(key).value(kam_a.account.pk, TODAY)
        for key in ("teams.team_size", "teams.specialists", "teams.executive_sponsors")
    }
    assert values == {"teams.team_size": 2, "teams.specialists": 1, "teams.executive_sponsors": 1}


def test_a_restricted_field_rep_on_the_team_sees_the_account(
    client: Client, kam_a: Persona, kam_b: Persona, settings
):
    settings.KAM_RESTRICTED_VISIBILITY = True
    rep = UserFactory(username="rep", role="field_rep")
    team_member_add(account=kam_a.account, user=rep, role=TeamRole.FIELD_REP)
    client.force_login(rep)
    assert client.get(reverse("web:account", args=[kam_a.account.pk])).status_code == 200
    assert client.get(reverse("web:account", args=[kam_b.account.pk])).status_code == 404


# --- import ---------------------------------------------------------------------------------------


def _import(tmp_path, text: str):
    from kam.dataio.services import import_file

    path = tmp_path / "team.csv"
    path.write_text(text, encoding="utf-8")
    return import_file(entity="team-members", path=path)


def test_team_members_import_through_the_services(tmp_path, kam_a: Persona):
    kam_a.account.external_id = "ACC-A"
    kam_a.account.save()
    sam = _specialist()
    report = _import(
        tmp_path,
        "account,user,role,allocation,start\n"
        f"ACC-A,{sam.username},service,30,2026-01-01\n"
        f"ACC-A,{kam_a.user.email},kam_lead,50,2026-01-01\n",
    )
    assert (report.created, report.errors) == (2, [])
    assert sorted(TeamMember.objects.values_list("user__username", "role", "allocation")) == sorted(
        [(sam.username, "service", 30), (kam_a.user.username, "kam_lead", 50)]
    )
    report = _import(
        tmp_path,
        f"account,user,role,allocation,start\nACC-A,{sam.username},service,45,2026-01-01\n",
    )
    assert (report.created, report.updated) == (0, 1)
    assert TeamMember.objects.get(user=sam).allocation == 45


def test_a_bad_team_file_writes_nothing_and_says_why(tmp_path, kam_a: Persona):
    kam_a.account.external_id = "ACC-A"
    kam_a.account.save()
    sam = _specialist()
    report = _import(
        tmp_path,
        "account,user,role,allocation,start\n"
        f"ACC-A,{sam.username},service,30,2026-01-01\n"
        "ACC-A,nobody,service,30,2026-01-01\n"
        f"ACC-A,{sam.username},pilot,130,2026-01-01\n",
    )
    reasons = {(e.line, e.column) for e in report.errors}
    assert {(3, "user"), (4, "role"), (4, "allocation")} <= reasons
    assert not TeamMember.objects.exists()


def test_another_kam_cannot_change_or_end_a_membership_through_the_api(
    client: Client, kam_a: Persona, kam_b: Persona
):
    member = team_member_add(account=kam_a.account, user=_specialist(), role=TeamRole.SERVICE)
    before = db_snapshot()
    patched = _api(client, kam_b, "patch", f"/team-members/{member.pk}", {"allocation": 5})
    assert patched.status_code == 403
    assert _api(client, kam_b, "post", f"/team-members/{member.pk}/end", {}).status_code == 403
    assert db_snapshot() == before
