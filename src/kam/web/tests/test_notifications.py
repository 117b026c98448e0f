"""The notifications menu, page and API: counts, marking read, only one's own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.people.models import Notification
from kam.people.services import notify
from kam.testing.html import parse

pytestmark = pytest.mark.django_db


def _notes(user, n, link="/accounts/"):
    notify(users=[user], message="Note %(i)s", params={"i": 0}, link=link)
    for i in range(1, n):
        notify(users=[user], message="Note %(i)s", params={"i": i}, link=link)
    return list(Notification.objects.filter(user=user).order_by("-pk"))


def _count_badge(html: str) -> str:
    found = parse(html).find_all(id="notifications-count")
    return found[0].text if found else ""


def test_the_bell_shows_the_unread_count(client_for, users):
    oldest = _notes(users["kam"], 3)[-1]
    Notification.objects.filter(pk=oldest.pk).update(read=True)
    html = client_for("kam").get(reverse("web:portfolio")).content.decode()
    assert _count_badge(html) == "2"


def test_the_bell_is_one_query_on_every_page(client_for, users):
    client = client_for("kam")
    client.get(reverse("web:notifications"))  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("web:portfolio"))
    before = [q["sql"] for q in ctx.captured_queries if "identification_notification" in q["sql"]]
    assert len(before) == 1
    _notes(users["kam"], 30)
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("web:portfolio"))
    after = [q["sql"] for q in ctx.captured_queries if "identification_notification" in q["sql"]]
    assert len(after) == 1


def test_the_dropdown_lists_the_latest_with_their_links(client_for, users):
    _notes(users["kam"], 12, link="/accounts/1/")
    html = client_for("kam").get(reverse("web:notifications_menu")).content.decode()
    items = parse(html).find(id="notifications-menu-list").find_all("a")
    assert len(items) == 8
    assert items[0].text.startswith("Note 11")
    assert items[0].attrs["href"] == "/accounts/1/"


def test_mark_all_read_from_the_dropdown(client_for, users):
    _notes(users["kam"], 3)
    client = client_for("kam")
    response = client.post(reverse("web:notifications_read"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "notifications-menu-list" in response.content.decode()
    assert not Notification.objects.filter(user=users["kam"], read=False).exists()
    assert _count_badge(client.get(reverse("web:portfolio")).content.decode()) == ""


def test_another_users_notification_cannot_be_marked(client_for, users):
    theirs = _notes(users["executive"], 1)[0]
    mine = _notes(users["kam"], 1)[0]
    client = client_for("kam")
    client.post(reverse("web:notifications_read"), {"id": [theirs.pk, mine.pk]})
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.read is False
    assert mine.read is True


def test_the_page_pages_and_shows_only_ones_own(client_for, users):
    _notes(users["kam"], 30)
    _notes(users["executive"], 2)
    client = client_for("kam")
    first = parse(client.get(reverse("web:notifications")).content.decode())
    assert len(first.find(id="notifications-list").find_all("li")) == 25
    second = parse(client.get(reverse("web:notifications") + "?page=2").content.decode())
    assert len(second.find(id="notifications-list").find_all("li")) == 5
    assert client.get(reverse("web:notifications") + "?page=3").status_code == 400


def test_no_role_gets_no_bell_and_no_page(client_for, users):
    client = client_for("outsider")
    assert client.get(reverse("web:notifications")).status_code == 403
    assert client.get(reverse("web:notifications_menu")).status_code == 403
    assert client.post(reverse("web:notifications_read")).status_code == 403


def test_page_queries_stay_bounded(client_for, users, django_assert_max_num_queries):
    client = client_for("kam")
    _notes(users["kam"], 3)
    with django_assert_max_num_queries(10):
        client.get(reverse("web:notifications"))
    _notes(users["kam"], 30)
    with django_assert_max_num_queries(10):
        client.get(reverse("web:notifications"))


# --- API ------------------------------------------------------------------------------------


def test_api_lists_and_marks_ones_own(client, kam_a, kam_b):
    mine = _notes(kam_a.user, 3)
    theirs = _notes(kam_b.user, 1)[0]
    listed = client.get("/api/v1/notifications?limit=2", headers=kam_a.headers).json()
    assert [n["id"] for n in listed["items"]] == [mine[0].pk, mine[1].pk]
    assert listed["unread"] == 3
    rest = client.get(
        f"/api/v1/notifications?limit=2&after={listed['next']}", headers=kam_a.headers
    ).json()
    assert [n["id"] for n in rest["items"]] == [mine[2].pk]
    response = client.post(
        "/api/v1/notifications/read",
        {"ids": [theirs.pk, mine[0].pk]},
        content_type="application/json",
        headers=kam_a.headers,
    )
    assert response.json() == {"marked": 1, "unread": 2}
    theirs.refresh_from_db()
    assert theirs.read is False
    unread = client.get("/api/v1/notifications?unread=true", headers=kam_a.headers).json()
    assert [n["id"] for n in unread["items"]] == [mine[1].pk, mine[2].pk]
    response = client.post(
        "/api/v1/notifications/read", {}, content_type="application/json", headers=kam_a.headers
    )
    assert response.json() == {"marked": 2, "unread": 0}


def test_api_refuses_bad_ids(client, kam_a):
    response = client.post(
        "/api/v1/notifications/read",
        {"ids": ["x"]},
        content_type="application/json",
        headers=kam_a.headers,
    )
    assert response.status_code in (400, 422)
