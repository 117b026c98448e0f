"""Resource requests (workflow permissions, time to mobilise, overdue), the coordination feed
(@mentions, bounded queries), the indicators, and the pages and API as outsiders."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.core.errors import DomainError
from kam.core.metrics import registry
from kam.interactions.models import Interaction
from kam.people.models import Notification
from kam.teams import selectors
from kam.teams.models import (
    FeedNote,
    FunctionHead,
    RequestEvent,
    RequestStatus,
    ResourceRequest,
    TeamRole,
)
from kam.teams.services import feed_note_add, request_create, request_step, team_member_add
from kam.testing.factories import UserFactory, make_unit
from kam.testing.personas import Persona, db_snapshot

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def people(kam_a: Persona) -> dict[str, Any]:
    """The service head, a service specialist on A's team, a technical head and specialist."""
    made = {
        "service_head": UserFactory(username="svc_head", role="specialist", function="service"),
        "sam": UserFactory(username="sam", role="specialist", function="service"),
        "tech_head": UserFactory(username="tech_head", role="specialist", function="technical"),
        "tina": UserFactory(username="tina", role="specialist", function="technical"),
    }
    FunctionHead.objects.create(function="service", user=made["service_head"])
    FunctionHead.objects.create(function="technical", user=made["tech_head"])
    team_member_add(account=kam_a.account, user=made["sam"], role=TeamRole.SERVICE)
    return made


def _file(kam_a: Persona, **extra: Any) -> ResourceRequest:
    data: dict[str, Any] = {
        "account": kam_a.account,
        "requester": kam_a.user,
        "function": "service",
        "what": "Commission the new line",
        "needed_by": TODAY + dt.timedelta(days=14),
        **extra,
    }
    return request_create(**data)


# --- the workflow -----------------------------------------------------------------------------


def test_the_requests_lifecycle_and_who_may_take_each_step(kam_a, kam_b, people):
    req = _file(kam_a)
    assert Notification.objects.filter(user=people["service_head"]).count() == 1
    # only the asked function's head accepts: not the requester, another KAM, another head
    for outsider in (kam_a.user, kam_b.user, people["tech_head"], people["sam"]):
        with pytest.raises(PermissionDenied):
            request_step(request=req, step="accept", actor=outsider, assignee=people["sam"])
    with pytest.raises(DomainError) as caught:
        request_step(request=req, step="accept", actor=people["service_head"])
    assert caught.value.field == "assignee"
    req = request_step(
        request=req, step="accept", actor=people["service_head"], assignee=people["sam"]
    )
    assert req.status == RequestStatus.ACCEPTED and req.assignee == people["sam"]
    assert Notification.objects.filter(user=kam_a.user).count() == 1
    assert Notification.objects.filter(user=people["sam"]).count() == 1
    # withdrawing is for open requests only
    with pytest.raises(DomainError) as caught:
        request_step(request=req, step="withdraw", actor=kam_a.user)
    assert caught.value.code == "bad_state"
    # only the assignee or the head marks it done
    for outsider in (kam_a.user, kam_b.user, people["tina"], people["tech_head"]):
        with pytest.raises(PermissionDenied):
            request_step(request=req, step="done", actor=outsider)
    req = request_step(request=req, step="done", actor=people["sam"])
    assert req.status == RequestStatus.DONE and req.done_on_time
    kinds = list(RequestEvent.objects.filter(request=req).values_list("kind", "actor__username"))
    assert kinds == [("opened", "kam_a"), ("accepted", "svc_head"), ("done", "sam")]
    assert req.history.count() == 3


def test_the_requester_withdraws_and_the_head_declines_with_a_reason(kam_a, kam_b, people):
    req = _file(kam_a)
    with pytest.raises(PermissionDenied):
        request_step(request=req, step="withdraw", actor=kam_b.user)
    assert request_step(request=req, step="withdraw", actor=kam_a.user).status == "withdrawn"
    other = _file(kam_a)
    with pytest.raises(DomainError) as caught:
        request_step(request=other, step="decline", actor=people["service_head"], reason=" ")
    assert caught.value.field == "reason"
    other = request_step(
        request=other, step="decline", actor=people["service_head"], reason="No capacity"
    )
    assert other.status == "declined" and other.decline_reason == "No capacity"


def test_bad_input_is_refused_with_the_field(kam_a, kam_b, people):
    site_of_b = make_unit("B plant", parent=kam_b.account, kind="site")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"function": "juggling"}, "function"),
        ({"what": "  "}, "what"),
        ({"needed_by": dt.date(1800, 1, 1)}, "needed_by"),
        ({"unit": site_of_b}, "unit"),
        ({"plan_action_ref": "drop table"}, "plan_action_ref"),
        ({"plan_action_ref": "action:999999"}, "plan_action_ref"),  # no such action
    ]
    for extra, field in cases:
        with pytest.raises(DomainError) as caught:
            _file(kam_a, **extra)
        assert caught.value.field == field, extra
    assert ResourceRequest.objects.count() == 0
    from kam.planning.models import Action
    from kam.planning.services import plan_create

    plan = plan_create(account=kam_a.account, user=kam_a.user)
    action = Action.objects.create(plan=plan, title="Audit", owner=kam_a.user, due_date=TODAY)
    assert _file(kam_a, plan_action_ref=f"action:{action.pk}").plan_action == action


def test_time_to_mobilise_and_done_and_on_time():
    opened = timezone.make_aware(dt.datetime(2026, 3, 2, 9))
    req = ResourceRequest(
        opened_at=opened,
        accepted_at=opened + dt.timedelta(days=2, hours=12),
        done_at=opened + dt.timedelta(days=6),
        needed_by=dt.date(2026, 3, 7),
        status=RequestStatus.DONE,
    )
    assert req.days_to_mobilise == 2.5
    assert req.days_to_done == 6
    assert req.done_on_time is False
    assert ResourceRequest(opened_at=opened).days_to_mobilise is None


def test_overdue_is_flagged_on_the_list_for_both_sides(kam_a, people, client: Client):
    late = _file(kam_a, needed_by=TODAY - dt.timedelta(days=1))
    _file(kam_a, needed_by=TODAY + dt.timedelta(days=1))
    done_late = _file(kam_a, needed_by=TODAY - dt.timedelta(days=3))
    request_step(
        request=done_late, step="accept", actor=people["service_head"], assignee=people["sam"]
    )
    request_step(request=done_late, step="done", actor=people["sam"])
    assert late.is_overdue and not ResourceRequest.objects.get(pk=done_late.pk).is_overdue
    ids = {r.pk for r in selectors.request_list(user=kam_a.user, filters={"overdue": "true"})}
    assert ids == {late.pk}
    for who in (kam_a.user, people["service_head"]):
        client.force_login(who)
        page = client.get(reverse("teams:requests"), {"mine": "true", "overdue": "true"})
        assert page.status_code == 200
        assert f'data-request="{late.pk}" class="table-danger"' in page.content.decode()


def test_indicators_per_account_function_and_programme(kam_a, people):
    req = _file(kam_a)
    req = request_step(
        request=req, step="accept", actor=people["service_head"], assignee=people["sam"]
    )
    ResourceRequest.objects.filter(pk=req.pk).update(
        opened_at=req.accepted_at - dt.timedelta(days=3)
    )
    request_step(request=req, step="done", actor=people["sam"])
    other = _file(kam_a, function="technical")
    other = request_step(
        request=other, step="accept", actor=people["tech_head"], assignee=people["tina"]
    )
    ResourceRequest.objects.filter(pk=other.pk).update(
        opened_at=other.accepted_at - dt.timedelta(days=1)
    )
    per_account = selectors.request_indicators(account_ids=[kam_a.account.pk])[kam_a.account.pk]
    assert per_account.on_time_share == 1.0
    assert per_account.median_days_to_mobilise == 2.0
    per_function = selectors.request_indicators(by="function")
    assert per_function["technical"].done == 0 and per_function["service"].done == 1
    pk = kam_a.account.pk
    assert registry.get("teams.requests_on_time").value(pk, TODAY) == 100.0
    assert registry.get("teams.median_days_to_mobilise").value(pk, TODAY) == 2.0
    programme = selectors.programme_indicators()
    assert programme["requests"].requests == 2


# --- the feed and @mentions ---------------------------------------------------------------------


def test_a_mention_notifies_who_can_see_the_account_and_nobody_else(
    kam_a, kam_b, people, settings, django_capture_on_commit_callbacks
):
    settings.KAM_RESTRICTED_VISIBILITY = True
    settings.KAM_EMAIL_NOTIFICATIONS = True
    people["sam"].email = "sam@example.com"
    people["sam"].save()
    UserFactory(username="stranger", role="specialist", function="service")
    text = "Please check the line, @sam and @stranger and @kam_b and @nobody."
    with django_capture_on_commit_callbacks(execute=True):
        feed_note_add(account=kam_a.account, author=kam_a.user, text=text)
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"sam", "kam_b"}  # kam_b is a KAM: not restricted; the stranger sees nothing
    assert sorted(m.to[0] for m in mail.outbox) == [kam_b.user.email, "sam@example.com"]


def test_the_feed_merges_every_kind_newest_first_and_filters(kam_a, people):
    site = make_unit("A plant", parent=kam_a.account, kind="site")
    Interaction.objects.create(
        unit=site,
        type="meeting",
        occurred_at=timezone.now() - dt.timedelta(days=2),
        summary="Plant visit",
        created_by=kam_a.user,
    )
    req = _file(kam_a, unit=site)
    feed_note_add(account=kam_a.account, author=kam_a.user, text="Kick-off done", unit=site)
    items, more = selectors.feed(account_ids=[kam_a.account.pk])
    kinds = [i.kind for i in items]
    assert set(kinds) == {"interaction", "team", "request", "note"} and not more
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)
    only_notes, _more = selectors.feed(account_ids=[kam_a.account.pk], kinds=["note"])
    assert [i.text for i in only_notes] == ["Kick-off done"]
    of_site, _more = selectors.feed(account_ids=[kam_a.account.pk], unit=site)
    assert {i.kind for i in of_site} == {"interaction", "request", "note"}
    assert req.pk


def test_the_feed_page_answers_in_the_same_number_of_queries_with_ten_times_the_data(
    client: Client, kam_a, people, django_assert_max_num_queries
):
    def grow(n: int) -> None:
        for i in range(n):
            feed_note_add(account=kam_a.account, author=kam_a.user, text=f"note {i}")
            Interaction.objects.create(
                unit=kam_a.account,
                type="call",
                occurred_at=timezone.now() - dt.timedelta(hours=i + 1),
                summary=f"call {i}",
                created_by=kam_a.user,
            )
            _file(kam_a, what=f"help {i}")

    client.force_login(kam_a.user)
    url = reverse("teams:feed", args=[kam_a.account.pk])
    grow(3)
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200
    grow(30)
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(reverse("teams:my_feed")).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(reverse("teams:requests")).status_code == 200


# --- pages and API as allowed users and outsiders -----------------------------------------------


def test_outsiders_cannot_act_and_change_nothing(client: Client, kam_a, kam_b, people, users):
    req = _file(kam_a)
    before = db_snapshot()
    refused = [
        (kam_b.user, "teams:request_step", [req.pk, "withdraw"], {}),
        (people["tina"], "teams:request_step", [req.pk, "accept"], {"assignee": people["sam"].pk}),
        (kam_b.user, "teams:request_new", [kam_a.account.pk], {"function": "service"}),
        (people["tina"], "teams:feed", [kam_a.account.pk], {"text": "hi"}),
        (users["outsider"], "teams:feed", [kam_a.account.pk], {"text": "hi"}),
    ]
    for who, name, args, data in refused:
        client.force_login(who)
        response = client.post(reverse(name, args=args), data)
        assert response.status_code in (403, 404), (who, name)
    client.force_login(users["outsider"])
    assert client.get(reverse("teams:request", args=[req.pk])).status_code == 403
    response = Client().post(
        f"/api/v1/requests/{req.pk}/withdraw",
        headers=kam_b.headers,
        content_type="application/json",
    )
    assert response.status_code == 403
    assert db_snapshot() == before


def test_pages_as_the_kam_the_head_and_the_specialist(client: Client, kam_a, people):
    client.force_login(kam_a.user)
    team = client.get(reverse("teams:account_team", args=[kam_a.account.pk]))
    assert reverse("teams:request_new", args=[kam_a.account.pk]) in team.content.decode()
    bad = client.post(reverse("teams:request_new", args=[kam_a.account.pk]), {"what": "x"})
    assert bad.status_code == 400
    made = client.post(
        reverse("teams:request_new", args=[kam_a.account.pk]),
        {"function": "service", "what": "Audit", "needed_by": str(TODAY)},
    )
    req = ResourceRequest.objects.get()
    assert made.status_code == 302
    client.force_login(people["service_head"])
    page = client.get(reverse("teams:request", args=[req.pk])).content.decode()
    assert 'id="step-accept"' in page and 'id="step-withdraw"' not in page
    assert (
        client.post(reverse("teams:request_step", args=[req.pk, "accept"]), {}).status_code == 400
    )
    client.post(
        reverse("teams:request_step", args=[req.pk, "accept"]), {"assignee": people["sam"].pk}
    )
    client.post(reverse("teams:request", args=[req.pk]), {"text": "On it"})
    client.force_login(people["sam"])
    assert client.post(reverse("teams:request_step", args=[req.pk, "done"])).status_code == 302
    req.refresh_from_db()
    assert req.status == "done" and req.comments.count() == 1
    client.force_login(kam_a.user)
    feed = client.get(reverse("teams:feed", args=[kam_a.account.pk])).content.decode()
    assert "Audit" in feed
    assert (
        client.post(reverse("teams:feed", args=[kam_a.account.pk]), {"text": ""}).status_code == 400
    )


def _api(client: Client, persona: Persona, method: str, path: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {"headers": persona.headers}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


def test_the_api_files_lists_and_comments(client: Client, kam_a, kam_b, people):
    body = {
        "account_id": kam_a.account.pk,
        "function": "service",
        "what": "Audit",
        "needed_by": str(TODAY),
    }
    created = _api(client, kam_a, "post", "/requests", body)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert _api(client, kam_b, "post", "/requests", {**body, "what": "x"}).status_code == 403
    assert (
        _api(client, kam_a, "post", "/requests", {**body, "needed_by": "1700-01-01"}).status_code
        == 422
    )
    listed = _api(client, kam_a, "get", "/requests?mine=true&status=open").json()
    assert [r["id"] for r in listed["items"]] == [pk]
    assert (
        _api(client, kam_a, "post", f"/requests/{pk}/comments", {"text": "Thanks"}).status_code
        == 201
    )
    assert len(_api(client, kam_a, "get", f"/requests/{pk}/comments").json()) == 1
    note = _api(client, kam_a, "post", f"/accounts/{kam_a.account.pk}/feed", {"text": "@sam hi"})
    assert note.status_code == 201
    assert (
        _api(client, kam_b, "post", f"/accounts/{kam_a.account.pk}/feed", {"text": "x"}).status_code
        == 403
    )
    feed = _api(client, kam_a, "get", f"/accounts/{kam_a.account.pk}/feed?kind=note").json()
    assert [i["text"] for i in feed["items"]] == ["@sam hi"]
    heads = _api(client, kam_a, "get", "/function-heads").json()
    assert {h["function"] for h in heads} == {"service", "technical"}
    assert _api(client, kam_a, "post", f"/requests/{pk}/withdraw").json()["status"] == "withdrawn"
    assert FeedNote.objects.count() == 1


def test_the_api_lists_answer_in_the_same_number_of_queries_with_ten_times_the_data(
    client: Client, kam_a, people, django_assert_max_num_queries
):
    def grow(n: int) -> None:
        for i in range(n):
            _file(kam_a, what=f"help {i}")
            feed_note_add(account=kam_a.account, author=kam_a.user, text=f"note {i}")

    grow(3)
    paths = ["/requests?limit=20", f"/accounts/{kam_a.account.pk}/feed"]
    for path in paths:
        with django_assert_max_num_queries(12):
            assert _api(client, kam_a, "get", path).status_code == 200
    grow(30)
    for path in paths:
        with django_assert_max_num_queries(12):
            assert _api(client, kam_a, "get", path).status_code == 200


def test_another_kam_cannot_file_or_step_on_kam_as_request(client: Client, kam_a, kam_b, people):
    """A comment is open to whoever may see the request; filing, steps and the feed are not."""
    req = _file(kam_a)
    body = {"account_id": kam_a.account.pk, "function": "service", "what": "x"}
    before = db_snapshot()
    calls = [
        ("/requests", {**body, "needed_by": str(TODAY)}),
        (f"/requests/{req.pk}/accept", {"assignee_id": people["sam"].pk}),
        (f"/requests/{req.pk}/decline", {"reason": "no"}),
        (f"/requests/{req.pk}/done", {}),
        (f"/requests/{req.pk}/withdraw", {}),
        (f"/accounts/{kam_a.account.pk}/feed", {"text": "hi"}),
    ]
    for path, data in calls:
        assert _api(client, kam_b, "post", path, data).status_code in (403, 404), path
    assert db_snapshot() == before
