"""Field pages and API as the allowed user, a user without a role and another KAM / rep;
outsiders change nothing; query counts stay bounded as data grows."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.api.models import TokenScope
from kam.api.services import token_create
from kam.customers.models import Unit
from kam.field import services
from kam.field.models import FieldAssignment, Visit, VisitCadence
from kam.interactions.models import Interaction
from kam.testing.factories import UserFactory, make_unit
from kam.testing.personas import Persona, db_snapshot

from .conftest import FieldWorld

pytestmark = pytest.mark.django_db


def _api(client: Client, headers: dict[str, str], method: str, path: str, body: Any = None):
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


def _headers(user) -> dict[str, str]:
    _token, plain = token_create(user=user, name="t", scope=TokenScope.READ_WRITE)
    return {"Authorization": f"Bearer {plain}"}


def test_pages_answer_the_allowed_user(client: Client, fw: FieldWorld) -> None:
    services.assignment_set(units=[fw.north], rep=fw.rep, actor=None)
    visit = Visit.objects.create(unit=fw.north, rep=fw.rep, planned_on=timezone.localdate())
    client.force_login(fw.kam.user)
    for url in (
        reverse("field:assignments"),
        reverse("field:account", args=[fw.account.pk]),
        reverse("field:indicators"),
        reverse("field:rep_week", args=[fw.rep.pk]),
    ):
        assert client.get(url).status_code == 200, url
    client.force_login(fw.rep)
    page = client.get(reverse("field:mine"))
    assert page.status_code == 200
    assert f'id="visit-{visit.pk}"' in page.content.decode()
    assert client.get(reverse("field:log") + f"?visit={visit.pk}").status_code == 200
    found = client.get(reverse("field:people_search") + "?q=kam")
    assert str(fw.kam.user) in found.content.decode()


def test_a_user_without_a_role_gets_nothing(client: Client, fw: FieldWorld) -> None:
    nobody = UserFactory(username="nobody", role="")
    client.force_login(nobody)
    for url in (
        reverse("field:assignments"),
        reverse("field:mine"),
        reverse("field:log"),
        reverse("field:account", args=[fw.account.pk]),
        reverse("field:indicators"),
        reverse("field:cadence"),
    ):
        assert client.get(url).status_code == 403, url
    assert _api(Client(), _headers(nobody), "get", "/field/units").status_code == 403


def test_another_kam_cannot_assign_reps_to_kam_as_units(
    client: Client, fw: FieldWorld, kam_b: Persona
) -> None:
    before = db_snapshot()
    client.force_login(kam_b.user)
    response = client.post(reverse("field:assignments"), {"units": [fw.north.pk], "rep": fw.rep.pk})
    assert response.status_code == 403
    body = {"unit_ids": [fw.north.pk], "rep_id": fw.rep.pk}
    assert _api(client, kam_b.headers, "post", "/field/assignments", body).status_code == 403
    accept = {"unit_ids": [fw.north.pk]}
    path = "/field/assignments/accept-suggestions"
    assert _api(client, kam_b.headers, "post", path, accept).status_code == 403
    plan = {"unit_id": fw.north.pk, "rep_id": fw.rep.pk, "planned_on": "2026-12-21"}
    assert _api(client, kam_b.headers, "post", "/field/visits", plan).status_code == 403
    assert db_snapshot() == before
    # the account's KAM may
    client.force_login(fw.kam.user)
    client.post(reverse("field:assignments"), {"units": [fw.north.pk], "rep": fw.rep.pk})
    assert FieldAssignment.objects.get(unit=fw.north, end=None).rep == fw.rep


def test_another_rep_cannot_check_in_or_log_at_my_visit(client: Client, fw: FieldWorld) -> None:
    services.assignment_set(units=[fw.north], rep=fw.rep, actor=None)
    visit = Visit.objects.create(unit=fw.north, rep=fw.rep, planned_on=timezone.localdate())
    before = db_snapshot()
    client.force_login(fw.other_rep)
    assert client.post(reverse("field:check_in", args=[visit.pk])).status_code == 404
    response = client.post(
        reverse("field:log"),
        {"visit": visit.pk, "unit": fw.north.pk, "type": "visit", "summary": "x"},
    )
    assert response.status_code == 404
    headers = _headers(fw.other_rep)
    before = db_snapshot()
    path = f"/field/visits/{visit.pk}"
    assert _api(client, headers, "post", f"{path}/check-in").status_code == 404
    assert _api(client, headers, "post", f"{path}/log", {"summary": "x"}).status_code == 404
    # and a rep cannot log at a unit that is not theirs
    body = {"unit_id": fw.north.pk, "summary": "x"}
    assert _api(client, headers, "post", "/field/interactions", body).status_code == 403
    assert db_snapshot() == before
    # the visit's rep can
    mine = _headers(fw.rep)
    assert _api(client, mine, "post", f"{path}/check-in").status_code == 200
    logged = _api(client, mine, "post", f"{path}/log", {"summary": "Done", "next_step": "Call"})
    assert logged.status_code == 201
    assert Visit.objects.get().interaction_id == logged.json()["interaction_id"]


def test_another_kam_cannot_change_kam_as_field_action(
    client: Client, fw: FieldWorld, kam_b: Persona
) -> None:
    before = db_snapshot()
    client.force_login(kam_b.user)
    url = reverse("field:action_status", args=[fw.action.pk])
    assert client.post(url, {"status": "done"}).status_code == 403
    assert db_snapshot() == before
    client.force_login(fw.rep)
    assert client.post(url, {"status": "in_progress"}).status_code == 302
    fw.action.refresh_from_db()
    assert fw.action.status == "in_progress"


def test_only_administrators_and_executives_set_the_cadence(
    client: Client, fw: FieldWorld, kam_b: Persona
) -> None:
    before = db_snapshot()
    client.force_login(kam_b.user)
    assert client.post(reverse("field:cadence"), {"key__site": "7"}).status_code == 403
    rows = {"rows": [{"tier": "key", "kind": "site", "interval_days": 7}]}
    assert _api(client, kam_b.headers, "put", "/field/cadence", rows).status_code == 403
    gen = _api(client, kam_b.headers, "post", "/field/visits/generate", {"weeks": 2})
    assert gen.status_code == 403
    assert db_snapshot() == before
    boss = UserFactory(username="boss", role="executive")
    assert _api(client, _headers(boss), "put", "/field/cadence", rows).status_code == 200
    assert VisitCadence.objects.get(tier="key", kind="site").interval_days == 7
    bad = {"rows": [{"tier": "key", "kind": "site", "interval_days": 0}]}
    assert _api(client, _headers(boss), "put", "/field/cadence", bad).status_code in (400, 422)


def test_logging_from_the_phone_form(client: Client, fw: FieldWorld) -> None:
    services.assignment_set(units=[fw.north], rep=fw.rep, actor=None)
    visit = Visit.objects.create(unit=fw.north, rep=fw.rep, planned_on=timezone.localdate())
    client.force_login(fw.rep)
    response = client.post(
        reverse("field:log"),
        {
            "visit": visit.pk,
            "unit": fw.north.pk,
            "type": "visit",
            "summary": "Presented the line",
            "next_step": "Samples",
            "action": fw.action.pk,
            "participants": [fw.kam.user.pk],
        },
    )
    assert response.status_code == 302
    interaction = Interaction.objects.get()
    fw.action.refresh_from_db()
    assert fw.action.status == "done" and fw.action.interaction == interaction
    assert Visit.objects.get().interaction == interaction
    # empty summary: a 400 with the form again, nothing written
    bad = client.post(reverse("field:log"), {"unit": fw.north.pk, "type": "visit", "summary": ""})
    assert bad.status_code == 400
    assert Interaction.objects.count() == 1


def test_query_counts_do_not_grow_with_data(
    client: Client, fw: FieldWorld, django_assert_max_num_queries
) -> None:
    def grow(n: int) -> None:
        for i in range(n):
            site = make_unit(f"Site {n}-{i}", parent=fw.account, kind="site", region="Nord")
            services.assignment_set(units=[site], rep=fw.rep, actor=None)
            Visit.objects.create(unit=site, rep=fw.rep, planned_on=timezone.localdate())
            Visit.objects.create(
                unit=site, rep=fw.rep, planned_on=timezone.localdate() - dt.timedelta(days=3)
            )
            services.field_interaction_log(user=fw.rep, unit=site, summary=f"s{i}")

    pages = [
        (fw.kam.user, reverse("field:assignments"), 22),
        (fw.kam.user, reverse("field:account", args=[fw.account.pk]), 22),
        (fw.kam.user, reverse("field:indicators"), 16),
        (fw.kam.user, reverse("field:rep_week", args=[fw.rep.pk]), 12),
        (fw.rep, reverse("field:mine"), 16),
        (fw.rep, reverse("field:log"), 16),
    ]
    for size in (2, 20):
        grow(size)
        for user, url, bound in pages:
            client.force_login(user)
            with django_assert_max_num_queries(bound):
                assert client.get(url).status_code == 200, url
        headers = fw.kam.headers
        for path in ("/field/units", "/field/visits", "/field/indicators"):
            with django_assert_max_num_queries(16):
                assert _api(client, headers, "get", path).status_code == 200, path


def test_logging_reads_no_people_of_the_new_interaction(fw: FieldWorld) -> None:
    """A new interaction has no people: they are added without reading its (none) first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.assignment_set(units=[fw.north], rep=fw.rep, actor=None)
    with CaptureQueriesContext(connection) as queries:
        logged = services.field_interaction_log(user=fw.rep, unit=fw.north, summary="Visit")
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "people_user"."id"')
        or q["sql"].startswith('SELECT "customers_contact"."id"')
    ]
    assert reads == []
    assert list(logged.participants.all()) == [fw.rep]


def test_my_units_feed_shows_my_units_and_the_units_below_them(
    client: Client, fw: FieldWorld
) -> None:
    """The feed of My field day: what happened at the rep's units and below them (a line of a
    plant), never at a unit of someone else; the units list links each unit's page."""
    line = make_unit("Coil line 3", parent=fw.north, kind="site", country="DE")
    services.assignment_set(units=[fw.north], rep=fw.rep, actor=None)
    when = timezone.now() - dt.timedelta(hours=1)
    for unit, summary in ((fw.north, "At the plant"), (line, "At the line"), (fw.south, "Away")):
        Interaction.objects.create(unit=unit, summary=summary, occurred_at=when)
    client.force_login(fw.rep)
    page = client.get(reverse("field:mine")).content.decode()
    feed = page.split('id="my-units-feed"', 1)[1]
    assert "At the plant" in feed and "At the line" in feed and "Away" not in feed
    units = page.split('id="my-units"', 1)[1].split("</section>", 1)[0]
    assert f'href="{reverse("web:account", args=[fw.north.pk])}"' in units
    assert f'href="{reverse("field:log")}?unit={fw.north.pk}"' in units


def test_my_units_feed_is_the_newest_twenty_across_my_units(fw: FieldWorld) -> None:
    """Newest first across the rep's units and the units below them, twenty at most; a
    unit below another of the rep's is counted once (decision 142: the ids are read first)."""
    from kam.field.selectors import units_feed

    line = make_unit("Coil line 3", parent=fw.north, kind="site", country="DE")
    cell = make_unit("Cell 1", parent=line, kind="site", country="DE")
    services.assignment_set(units=[fw.north, line], rep=fw.rep, actor=None)
    now = timezone.now()
    for hours, unit in enumerate([fw.north, line, cell, fw.south] * 6):
        Interaction.objects.create(
            unit=unit, summary=f"{unit.name} {hours}", occurred_at=now - dt.timedelta(hours=hours)
        )
    units = Unit.objects.filter(pk__in=[fw.north.pk, line.pk])
    feed = units_feed(units=units, limit=20)
    assert len(feed) == 18  # six at each of the three units, none at the other plant
    assert [i.occurred_at for i in feed] == sorted((i.occurred_at for i in feed), reverse=True)
    assert {i.unit_id for i in feed} == {fw.north.pk, line.pk, cell.pk}
    assert [i.summary for i in units_feed(units=units, limit=2)] == [
        "Plant North 0",
        "Coil line 3 1",
    ]
    assert units_feed(units=Unit.objects.none(), limit=20) == []
