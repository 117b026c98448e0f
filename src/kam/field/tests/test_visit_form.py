"""Plan a single visit on the web: the KAM for any field unit and rep, a rep for their own units;
bad dates are refused with a message; outsiders change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from kam.field import services
from kam.field.models import Visit
from kam.testing.factories import UserFactory
from kam.testing.personas import Persona, db_snapshot

from .conftest import FieldWorld

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 12, 21)


def _url(fw: FieldWorld) -> str:
    return reverse("field:visit_new", args=[fw.account.pk])


def test_the_kam_plans_a_visit_for_a_rep_at_a_unit(client: Client, fw: FieldWorld) -> None:
    client.force_login(fw.kam.user)
    field_page = client.get(reverse("field:account", args=[fw.account.pk])).content.decode()
    assert f'href="{_url(fw)}"' in field_page
    form = client.get(_url(fw) + f"?unit={fw.north.pk}")
    assert form.status_code == 200
    assert "Plant North" in form.content.decode()
    response = client.post(
        _url(fw),
        {
            "unit": fw.north.pk,
            "rep": fw.rep.pk,
            "planned_on": DAY.isoformat(),
            "action": fw.action.pk,
            "note": "Bring the samples",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.unit, visit.rep, visit.planned_on) == (fw.north, fw.rep, DAY)
    assert (visit.action, visit.note) == (fw.action, "Bring the samples")
    page = client.get(response["Location"]).content.decode()
    assert "Plant North" in page.split('id="field-visits"')[1]


def test_a_date_out_of_range_is_refused_with_a_message(client: Client, fw: FieldWorld) -> None:
    client.force_login(fw.kam.user)
    response = client.post(
        _url(fw), {"unit": fw.north.pk, "rep": fw.rep.pk, "planned_on": "1800-01-01"}
    )
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert not Visit.objects.exists()
    response = client.post(_url(fw), {"unit": fw.north.pk, "rep": fw.rep.pk, "planned_on": "x"})
    assert response.status_code == 400
    assert not Visit.objects.exists()


def test_a_rep_plans_only_their_own_visits_to_their_units(client: Client, fw: FieldWorld) -> None:
    services.assignment_set(units=[fw.north], rep=fw.rep, actor=None)
    client.force_login(fw.rep)
    html = client.get(_url(fw)).content.decode()
    form = html.split('id="visit-form"')[1]
    assert "Plant North" in form and "Plant South" not in form
    assert "rep2" not in form  # no other rep to choose
    refused = client.post(
        _url(fw), {"unit": fw.south.pk, "rep": fw.rep.pk, "planned_on": DAY.isoformat()}
    )
    assert refused.status_code == 400
    for_other = client.post(
        _url(fw), {"unit": fw.north.pk, "rep": fw.other_rep.pk, "planned_on": DAY.isoformat()}
    )
    assert for_other.status_code == 400
    assert not Visit.objects.exists()
    ok = client.post(
        _url(fw), {"unit": fw.north.pk, "rep": fw.rep.pk, "planned_on": DAY.isoformat()}
    )
    assert ok.status_code == 302
    assert Visit.objects.get().rep == fw.rep


def test_outsiders_cannot_plan_a_visit(client: Client, fw: FieldWorld, kam_b: Persona) -> None:
    nobody = UserFactory(username="nobody", role="")
    before = db_snapshot()
    body = {"unit": fw.north.pk, "rep": fw.rep.pk, "planned_on": DAY.isoformat()}
    client.force_login(kam_b.user)  # another KAM
    assert client.get(_url(fw)).status_code == 403
    assert client.post(_url(fw), body).status_code == 403
    client.force_login(fw.other_rep)  # a rep with no unit at this account
    assert client.post(_url(fw), body).status_code == 403
    client.force_login(nobody)
    assert client.get(_url(fw)).status_code == 403
    assert db_snapshot() == before
    assert Client().get(_url(fw)).status_code == 302  # to the login page


def test_the_visit_form_reads_only_what_planning_needs(client: Client, fw: FieldWorld) -> None:
    """The form offers the account's field units, the reps and the open actions: it does not
    read the field page's visits and interactions (on the large build they were most of its
    time), and its queries do not grow with the visits already planned."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(fw.kam.user)
    services.visit_plan(unit=fw.north, rep=fw.rep, planned_on=DAY, actor=fw.kam.user)
    with CaptureQueriesContext(connection) as one:
        assert client.get(_url(fw)).status_code == 200
    for days in range(1, 6):
        services.visit_plan(
            unit=fw.south, rep=fw.rep, planned_on=DAY + dt.timedelta(days=days), actor=fw.kam.user
        )
    with CaptureQueriesContext(connection) as six:
        page = client.get(_url(fw))
    assert "Plant North" in page.content.decode() and "Plant South" in page.content.decode()
    assert len(six.captured_queries) == len(one.captured_queries)
    read = " ".join(q["sql"] for q in six.captured_queries)
    assert "interactions_interaction" not in read and '"field_visit"' not in read


def test_the_visit_form_offers_the_rows_it_read_once(client: Client, fw: FieldWorld) -> None:
    """The units, reps and actions are offered from the rows the view read (in its order, the
    chosen unit and its rep selected): the form does not read them again by id."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kam.testing.html import parse

    services.assignment_set(units=[fw.north], rep=fw.rep, actor=None)
    client.force_login(fw.kam.user)
    with CaptureQueriesContext(connection) as queries:
        page = parse(client.get(_url(fw) + f"?unit={fw.north.pk}").content)
    units = page.find("select", name="unit").find_all("option")
    assert [o.text for o in units] == ["---------", "Account A", "Plant North", "Plant South"]
    assert [o.text for o in units if "selected" in o.attrs] == ["Plant North"]
    reps = page.find("select", name="rep").find_all("option")
    assert [o.attrs["value"] for o in reps if "selected" in o.attrs] == [str(fw.rep.pk)]
    assert page.find("select", name="action").find("option", value=str(fw.action.pk))
    again = [q["sql"] for q in queries.captured_queries if '"customers_unit"."id" IN (' in q["sql"]]
    assert again == []
