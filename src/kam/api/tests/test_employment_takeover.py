"""A contact cannot be taken over by editing one of their positions (decision 96).

The probe: kam_a's contact once worked at kam_b's account. kam_b may not edit the contact, but
reopened that old position (``{"end_date": null}``) and was then allowed to change the person's
e-mail. A new unit or date of a position now needs the right to change the person as they stand
before the change. Tried with kam_b's API token and with kam_b's browser session; kam_a (the
owner of the person's current position) still moves their own person's positions.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

import pytest
from django.test import Client
from django.urls import reverse

from kam.customers.models import Contact, Employment, Unit
from kam.testing.factories import ContactFactory, EmploymentFactory, make_unit
from kam.testing.personas import Persona, db_snapshot


@pytest.fixture
def person(kam_a: Persona, kam_b: Persona) -> Contact:
    """Works at account A now; worked at account B until 2022."""
    contact = cast(Contact, ContactFactory(first_name="Ada", last_name="Lind", email="ada@a.test"))
    EmploymentFactory(contact=contact, unit=kam_a.account, start_date=dt.date(2022, 2, 1))
    EmploymentFactory(
        contact=contact,
        unit=kam_b.account,
        start_date=dt.date(2019, 1, 1),
        end_date=dt.date(2022, 1, 31),
    )
    return contact


def _old(person: Contact, unit: Unit) -> Employment:
    return Employment.objects.get(contact=person, unit=unit)


def _token(client: Client, who: Persona):
    def send(method: str, path: str, body: Any = None):
        data: dict[str, Any] = {}
        if body:
            data = {"data": json.dumps(body), "content_type": "application/json"}
        return client.generic(method, f"/api/v1{path}", headers=who.headers, **data)

    return send


def _session(client: Client, who: Persona):
    client.force_login(who.user)

    def send(method: str, path: str, body: Any = None):
        data: dict[str, Any] = {}
        if body:
            data = {"data": json.dumps(body), "content_type": "application/json"}
        return client.generic(method, f"/api/v1{path}", **data)

    return send


@pytest.mark.parametrize("via", [_token, _session], ids=["token", "browser session"])
@pytest.mark.parametrize(
    "change",
    [
        {"end_date": None},
        {"end_date": "2030-12-31"},
        {"start_date": "2018-06-01"},
    ],
    ids=["reopen", "new end date", "new start date"],
)
def test_another_kam_cannot_reopen_a_past_position_to_take_the_contact(
    client: Client, kam_a: Persona, kam_b: Persona, person: Contact, via, change
):
    send = via(client, kam_b)
    old = _old(person, kam_b.account)
    before = db_snapshot()
    response = send("PATCH", f"/employments/{old.pk}", change)
    assert response.status_code == 403
    assert db_snapshot() == before
    # and so the person stays out of kam_b's reach
    assert send("PATCH", f"/contacts/{person.pk}", {"email": "mine@b.test"}).status_code == 403
    person.refresh_from_db()
    assert person.email == "ada@a.test"


def test_another_kam_cannot_move_a_past_position_to_another_unit_of_theirs(
    client: Client, kam_a: Persona, kam_b: Persona, person: Contact
):
    site = make_unit("B plant", parent=kam_b.account, kind="site")
    old = _old(person, kam_b.account)
    response = _token(client, kam_b)("PATCH", f"/employments/{old.pk}", {"unit_id": site.pk})
    assert response.status_code == 403
    old.refresh_from_db()
    assert old.unit_id == kam_b.account.pk


def test_another_kam_still_edits_the_title_of_a_past_position_at_their_account(
    client: Client, kam_a: Persona, kam_b: Persona, person: Contact
):
    """Only where the person works is guarded: the old position's details are kam_b's."""
    old = _old(person, kam_b.account)
    send = _token(client, kam_b)
    response = send("PATCH", f"/employments/{old.pk}", {"title": "Buyer", "end_date": "2022-01-31"})
    assert response.status_code == 200
    assert response.json()["title"] == "Buyer"
    assert send("PATCH", f"/contacts/{person.pk}", {"email": "mine@b.test"}).status_code == 403


def test_the_refused_reopen_keeps_the_person_out_of_the_other_buying_centre(
    client: Client, kam_a: Persona, kam_b: Persona, person: Contact
):
    send = _session(client, kam_b)
    assert send("PATCH", f"/employments/{_old(person, kam_b.account).pk}", {"end_date": None})
    member = reverse("relationships:member_edit", args=[kam_b.account.pk, person.pk])
    assert client.get(member).status_code == 404
    centre = client.get(reverse("relationships:buying_centre", args=[kam_b.account.pk]))
    assert centre.status_code == 200
    assert "Ada Lind" not in centre.content.decode()


@pytest.mark.parametrize("via", [_token, _session], ids=["token", "browser session"])
def test_the_owner_moves_their_person(
    client: Client, kam_a: Persona, kam_b: Persona, person: Contact, via
):
    """kam_a ends the person's position at A and moves it within A; and once the person works
    nowhere, the accounts they worked at (B included) may place them again (decision 22)."""
    send = via(client, kam_a)
    current = _old(person, kam_a.account)
    site = make_unit("A plant", parent=kam_a.account, kind="site")
    moved = send("PATCH", f"/employments/{current.pk}", {"unit_id": site.pk})
    assert moved.status_code == 200
    assert moved.json()["unit_id"] == site.pk
    ended = send("PATCH", f"/employments/{current.pk}", {"end_date": "2026-06-30"})
    assert ended.status_code == 200
    assert ended.json()["end_date"] == "2026-06-30"
    client.logout()
    back = _token(client, kam_b)(
        "PATCH", f"/employments/{_old(person, kam_b.account).pk}", {"end_date": None}
    )
    assert back.status_code == 200
    assert back.json()["end_date"] is None


def test_a_new_position_still_needs_the_person(
    client: Client, kam_a: Persona, kam_b: Persona, person: Contact
):
    response = _token(client, kam_b)(
        "POST", "/employments", {"contact_id": person.pk, "unit_id": kam_b.account.pk}
    )
    assert response.status_code == 403
    assert person.employments.count() == 2
