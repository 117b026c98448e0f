"""Plan action updates in the coordination feed (issue 14, decision 103) and My feed of a KAM
who is not on their own account's team."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.planning.services import action_create, action_update, plan_create
from kam.teams import selectors
from kam.teams.models import TeamMember
from kam.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def _actions(kam_a, n: int, owner=None) -> list:
    plan = kam_a.account.plans.first() or plan_create(account=kam_a.account, user=kam_a.user)
    return [
        action_create(
            plan=plan,
            user=kam_a.user,
            revision=None,
            title=f"Audit line {i}",
            owner=owner or kam_a.user,
            due_date=timezone.localdate() + dt.timedelta(days=10),
        )
        for i in range(n)
    ]


def test_a_completed_action_shows_in_the_account_feed_and_in_my_feed(client: Client, kam_a):
    assert not TeamMember.objects.filter(user=kam_a.user).exists()  # manages A, not on its team
    rep = UserFactory(username="rep", role="field_rep")
    (action,) = _actions(kam_a, 1, owner=rep)
    action_update(action=action, user=kam_a.user, revision=None, status="in_progress")
    action_update(action=action, user=rep, revision=None, status="done")
    items, _more = selectors.feed(account_ids=[kam_a.account.pk], kinds=["actions"])
    texts = [i.text for i in items]
    assert len(texts) == 3 and all("Audit line 0" in t for t in texts)
    assert texts[0].startswith("action done") and items[0].actor == rep
    assert "status: In progress" in texts[1] and texts[2].startswith("action created")
    assert items[0].link == reverse("planning:plan", args=[action.plan_id])
    # an edit that leaves the status alone is no event
    action_update(action=action, user=kam_a.user, revision=None, note="Checked twice")
    assert len(selectors.feed(account_ids=[kam_a.account.pk], kinds=["actions"])[0]) == 3
    client.force_login(kam_a.user)
    page = client.get(reverse("teams:feed", args=[kam_a.account.pk]) + "?kind=actions")
    assert page.status_code == 200 and "action done" in page.content.decode()
    mine = client.get(reverse("teams:my_feed") + "?kind=actions").content.decode()
    assert "action done" in mine and "Audit line 0" in mine
    api = client.get(f"/api/v1/accounts/{kam_a.account.pk}/feed?kind=actions")
    assert api.status_code == 200 and api.json()["items"][0]["kind"] == "actions"


def test_other_kinds_leave_the_actions_out(kam_a):
    _actions(kam_a, 1)
    items, _more = selectors.feed(account_ids=[kam_a.account.pk], kinds=["note"])
    assert items == []


def test_the_feed_with_actions_takes_the_same_queries_with_ten_times_the_actions(
    client: Client, kam_a, django_assert_max_num_queries
):
    client.force_login(kam_a.user)
    urls = [
        reverse("teams:feed", args=[kam_a.account.pk]),
        reverse("teams:my_feed"),
        reverse("teams:feed", args=[kam_a.account.pk]) + "?kind=actions",
    ]
    _actions(kam_a, 3)
    client.get(urls[0])
    counts = []
    for url in urls:
        with django_assert_max_num_queries(30) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    for action in _actions(kam_a, 30):
        action_update(action=action, user=kam_a.user, revision=None, status="done")
    for url, before in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(before):
            assert client.get(url).status_code == 200
