"""Another KAM on the API: kam_b's read-write token is refused on kam_a's objects, and a
refused request changes nothing in the database.

Each row of ``WRITES`` is one API write aimed at something of kam_a, at account A or at one of
its sub-units (or at moving something of kam_b's into account A). Where kam_a may do the same
request, a second test runs it as kam_a and expects it to succeed and change something: the
refusal is about *whose* object it is, not about a bad request.
Writes that are not per object (logging an interaction, nominating, the token pages) have tests
of their own below that say so.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import pytest
from django.test import Client
from django.urls import reverse

from kam.api.models import ApiToken
from kam.customers.models import Contact, Employment, Tier, Unit
from kam.identification.models import Nomination, NominationStatus
from kam.interactions.models import Interaction
from kam.sales.models import Opportunity, Product, Transaction
from kam.sales.services import transactions_create
from kam.testing.factories import (
    ContactFactory,
    EmploymentFactory,
    InteractionFactory,
    ProductFactory,
    make_unit,
)
from kam.testing.personas import Persona, db_snapshot

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response


@dataclass(frozen=True)
class World:
    """kam_a's objects (in account A) and a few of kam_b's own (in account B)."""

    a: Persona
    b: Persona
    site: Unit
    position: Employment
    site_position: Employment
    own_position: Employment
    free_contact: Contact
    opportunity: Opportunity
    own_opportunity: Opportunity
    interaction: Interaction
    nomination: Nomination
    product: Product
    transaction: Transaction


def _transaction(unit: Unit, product: Product) -> Transaction:
    day = datetime.date(2026, 1, 15)
    rows = [{"date": day, "unit_id": unit.pk, "product_id": product.pk, "net_amount": 5}]
    transactions_create(rows=rows)
    return Transaction.objects.get(unit=unit)


@pytest.fixture
def world(kam_a: Persona, kam_b: Persona) -> World:
    site = make_unit("A plant", parent=kam_a.account, kind="site")
    return World(
        a=kam_a,
        b=kam_b,
        site=site,
        position=cast(Employment, EmploymentFactory(unit=kam_a.account)),
        site_position=cast(Employment, EmploymentFactory(unit=site)),
        own_position=cast(Employment, EmploymentFactory(unit=kam_b.account)),
        free_contact=cast(Contact, ContactFactory()),
        opportunity=Opportunity.objects.create(unit=kam_a.account, name="A deal"),
        own_opportunity=Opportunity.objects.create(unit=kam_b.account, name="B deal"),
        interaction=cast(
            Interaction, InteractionFactory(unit=kam_a.account, created_by=kam_a.user)
        ),
        nomination=Nomination.objects.create(
            account=kam_a.account,
            status=NominationStatus.NOMINATED,
            nominated_by=kam_a.user,
            rationale="Growing fast",
        ),
        product=(product := cast(Product, ProductFactory())),
        transaction=_transaction(kam_a.account, product),
    )


def call(client: Client, who: Persona, method: str, path: str, body: Any = None) -> Response:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return client.generic(method, f"/api/v1{path}", headers=who.headers, **kwargs)


@dataclass(frozen=True)
class Write:
    """One API write on kam_a's things; ``owner_may``: kam_a's own identical request works."""

    method: str
    path: Callable[[World], str]
    body: Callable[[World], Any]
    owner_may: bool = True


def _no_body(w: World) -> None:
    return None


WRITES = {
    "POST /units under account A": Write(
        "POST",
        lambda w: "/units",
        lambda w: {"name": "Intruder site", "kind": "site", "parent_id": w.a.account.pk},
    ),
    "PATCH /units/{unit_id} account A": Write(
        "PATCH", lambda w: f"/units/{w.a.account.pk}", lambda w: {"city": "Oslo"}
    ),
    "PATCH /units/{unit_id} account A takes a new manager": Write(
        "PATCH",
        lambda w: f"/units/{w.a.account.pk}",
        lambda w: {"account_manager_id": w.b.user.pk},
    ),
    "PATCH /units/{unit_id} sub-unit of A": Write(
        "PATCH", lambda w: f"/units/{w.site.pk}", lambda w: {"name": "Renamed"}
    ),
    "PATCH /units/{unit_id} moves account B under A": Write(
        "PATCH",
        lambda w: f"/units/{w.b.account.pk}",
        lambda w: {"parent_id": w.a.account.pk},
        owner_may=False,
    ),
    "DELETE /units/{unit_id} sub-unit of A": Write(
        "DELETE", lambda w: f"/units/{w.site.pk}", _no_body
    ),
    "POST /contacts at account A": Write(
        "POST",
        lambda w: "/contacts",
        lambda w: {"first_name": "Eve", "last_name": "Spy", "unit_id": w.a.account.pk},
    ),
    "POST /contacts at a sub-unit of A": Write(
        "POST", lambda w: "/contacts", lambda w: {"last_name": "Neu", "unit_id": w.site.pk}
    ),
    "PATCH /contacts/{contact_id} working at A": Write(
        "PATCH", lambda w: f"/contacts/{w.position.contact_id}", lambda w: {"notes": "Mine now"}
    ),
    "DELETE /contacts/{contact_id} working at A": Write(
        "DELETE", lambda w: f"/contacts/{w.position.contact_id}", _no_body
    ),
    "PATCH /contacts/{contact_id} working at a sub-unit of A": Write(
        "PATCH",
        lambda w: f"/contacts/{w.site_position.contact_id}",
        lambda w: {"last_name": "Other"},
    ),
    "DELETE /contacts/{contact_id} working at a sub-unit of A": Write(
        "DELETE", lambda w: f"/contacts/{w.site_position.contact_id}", _no_body
    ),
    "POST /employments at account A": Write(
        "POST",
        lambda w: "/employments",
        lambda w: {"contact_id": w.free_contact.pk, "unit_id": w.a.account.pk},
    ),
    "POST /employments at a sub-unit of A": Write(
        "POST",
        lambda w: "/employments",
        lambda w: {"contact_id": w.free_contact.pk, "unit_id": w.site.pk},
    ),
    "PATCH /employments/{employment_id} at a sub-unit of A": Write(
        "PATCH", lambda w: f"/employments/{w.site_position.pk}", lambda w: {"title": "CEO"}
    ),
    "DELETE /employments/{employment_id} at a sub-unit of A": Write(
        "DELETE", lambda w: f"/employments/{w.site_position.pk}", _no_body
    ),
    "PATCH /employments/{employment_id} at A": Write(
        "PATCH", lambda w: f"/employments/{w.position.pk}", lambda w: {"title": "Intern"}
    ),
    "PATCH /employments/{employment_id} moves own position to A": Write(
        "PATCH",
        lambda w: f"/employments/{w.own_position.pk}",
        lambda w: {"unit_id": w.a.account.pk},
        owner_may=False,
    ),
    "DELETE /employments/{employment_id} at A": Write(
        "DELETE", lambda w: f"/employments/{w.position.pk}", _no_body
    ),
    "POST /opportunities at account A": Write(
        "POST",
        lambda w: "/opportunities",
        lambda w: {"unit_id": w.a.account.pk, "name": "Poached deal"},
    ),
    "PATCH /opportunities/{opportunity_id} at A": Write(
        "PATCH", lambda w: f"/opportunities/{w.opportunity.pk}", lambda w: {"stage": "lost"}
    ),
    "PATCH /opportunities/{opportunity_id} moves own deal to A": Write(
        "PATCH",
        lambda w: f"/opportunities/{w.own_opportunity.pk}",
        lambda w: {"unit_id": w.a.account.pk},
        owner_may=False,
    ),
    "DELETE /opportunities/{opportunity_id} at A": Write(
        "DELETE", lambda w: f"/opportunities/{w.opportunity.pk}", _no_body
    ),
    "POST /transactions/bulk for account A": Write(
        "POST",
        lambda w: "/transactions/bulk",
        lambda w: {
            "rows": [
                {
                    "date": "2026-01-15",
                    "unit_id": w.a.account.pk,
                    "product_id": w.product.pk,
                    "net_amount": "1000.00",
                }
            ]
        },
    ),
    "POST /transactions/bulk for a sub-unit of A": Write(
        "POST",
        lambda w: "/transactions/bulk",
        lambda w: {
            "rows": [
                {
                    "date": "2026-01-15",
                    "unit_id": w.site.pk,
                    "product_id": w.product.pk,
                    "net_amount": "100.00",
                }
            ]
        },
    ),
    "POST /transactions/bulk mixing accounts B and A": Write(
        "POST",
        lambda w: "/transactions/bulk",
        lambda w: {
            "rows": [
                {
                    "date": "2026-01-15",
                    "unit_id": unit.pk,
                    "product_id": w.product.pk,
                    "net_amount": "1000.00",
                }
                for unit in (w.b.account, w.site)
            ]
        },
        owner_may=False,
    ),
    "PATCH /transactions/{transaction_id} of account A": Write(
        "PATCH", lambda w: f"/transactions/{w.transaction.pk}", lambda w: {"net_amount": "1.00"}
    ),
    "PATCH /transactions/{transaction_id} moves A's line to account B": Write(
        "PATCH",
        lambda w: f"/transactions/{w.transaction.pk}",
        lambda w: {"unit_id": w.b.account.pk},
        owner_may=False,
    ),
    "DELETE /transactions/{transaction_id} of account A": Write(
        "DELETE", lambda w: f"/transactions/{w.transaction.pk}", _no_body
    ),
    "PATCH /interactions/{interaction_id} written by kam_a": Write(
        "PATCH", lambda w: f"/interactions/{w.interaction.pk}", lambda w: {"summary": "Rewritten"}
    ),
    "DELETE /interactions/{interaction_id} written by kam_a": Write(
        "DELETE", lambda w: f"/interactions/{w.interaction.pk}", _no_body
    ),
    # Executives decide nominations: kam_a may not approve or reject either.
    "POST /identification/nominations/{nomination_id}/approve": Write(
        "POST",
        lambda w: f"/identification/nominations/{w.nomination.pk}/approve",
        lambda w: {"reason": "Self-service"},
        owner_may=False,
    ),
    "POST /identification/nominations/{nomination_id}/reject": Write(
        "POST",
        lambda w: f"/identification/nominations/{w.nomination.pk}/reject",
        lambda w: {"reason": "Not theirs"},
        owner_may=False,
    ),
    # Not per object: only administrators and executives start scoring runs or add accounts.
    "POST /identification/runs (admins and executives only)": Write(
        "POST", lambda w: "/identification/runs", lambda w: {}, owner_may=False
    ),
    "POST /units a new account (admins and executives only)": Write(
        "POST",
        lambda w: "/units",
        lambda w: {"name": "New group", "kind": "group"},
        owner_may=False,
    ),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_another_kam_is_refused_and_nothing_changes(
    client: Client, world: World, write: Write
) -> None:
    before = db_snapshot()
    response = call(client, world.b, write.method, write.path(world), write.body(world))
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "forbidden"
    assert db_snapshot() == before


OWNER_MAY = {name: write for name, write in WRITES.items() if write.owner_may}


@pytest.mark.parametrize("write", OWNER_MAY.values(), ids=OWNER_MAY.keys())
def test_the_account_manager_may_make_the_same_request(
    client: Client, world: World, write: Write
) -> None:
    before = db_snapshot()
    response = call(client, world.a, write.method, write.path(world), write.body(world))
    assert response.status_code == (201 if write.method == "POST" else 200), response.content
    assert db_snapshot() != before


def test_another_kam_may_log_an_interaction_with_account_a_in_their_own_name(
    client: Client, world: World
) -> None:
    """Not per object: any internal user logs interactions with any account (decision 13)."""
    response = call(
        client,
        world.b,
        "POST",
        "/interactions",
        {
            "type": "call",
            "occurred_at": "2026-10-02T09:00:00+00:00",
            "unit_id": world.a.account.pk,
            "summary": "Met them at a fair",
        },
    )
    assert response.status_code == 201
    assert Interaction.objects.get(pk=response.json()["id"]).created_by == world.b.user


def test_another_kam_may_nominate_account_a_but_the_account_stays_transactional(
    client: Client, world: World
) -> None:
    """Not per object: KAMs, sales managers and executives nominate any account (PRODUCT §3);
    only an executive's approval changes its status, which the rows above refuse to kam_b."""
    Nomination.objects.filter(pk=world.nomination.pk).update(status=NominationStatus.REJECTED)
    response = call(
        client,
        world.b,
        "POST",
        "/identification/nominations",
        {"account_id": world.a.account.pk, "rationale": "Big potential"},
    )
    assert response.status_code == 201
    assert Nomination.objects.get(pk=response.json()["id"]).nominated_by == world.b.user
    assert Unit.objects.get(pk=world.a.account.pk).tier == Tier.TRANSACTIONAL


def test_another_kam_cannot_take_over_kam_as_contact_by_adding_a_position_at_b(
    client: Client, world: World
) -> None:
    """Found by this suite: a position of kam_a's contact at account B used to be kam_b's to
    add, and from then on kam_b could edit the person and delete them together with their
    position at account A. Adding a position now needs the right to change the person too."""
    contact_id = world.position.contact_id
    before = db_snapshot()
    added = call(
        client,
        world.b,
        "POST",
        "/employments",
        {"contact_id": contact_id, "unit_id": world.b.account.pk},
    )
    assert added.status_code == 403
    assert db_snapshot() == before


def test_another_kam_cannot_delete_a_contact_who_also_works_at_a(
    client: Client, world: World
) -> None:
    """A person who really works at both accounts is kam_b's to edit, but deleting them would
    delete their position at account A as well: refused."""
    contact = world.position.contact
    EmploymentFactory(contact=contact, unit=world.b.account)
    before = db_snapshot()
    response = call(client, world.b, "DELETE", f"/contacts/{contact.pk}")
    assert response.status_code == 403
    assert db_snapshot() == before
    edited = call(client, world.b, "PATCH", f"/contacts/{contact.pk}", {"notes": "Met in Berlin"})
    assert edited.status_code == 200


# --- the token pages (/settings/tokens/) -----------------------------------------------------


def test_another_kam_cannot_revoke_kam_as_token(
    client: Client, kam_a: Persona, kam_b: Persona
) -> None:
    """Tokens are personal: someone else's token is not found (404), and keeps working."""
    token = ApiToken.objects.get(user=kam_a.user)
    client.force_login(kam_b.user)
    before = db_snapshot()
    response = client.post(reverse("tokens:revoke", args=[token.pk]))
    assert response.status_code == 404
    assert db_snapshot() == before
    client.logout()
    assert call(client, kam_a, "GET", "/units").status_code == 200


def test_a_new_token_belongs_to_whoever_creates_it(
    client: Client, kam_a: Persona, kam_b: Persona
) -> None:
    """Not per object: creating a token only ever makes one for the signed-in user."""
    client.force_login(kam_b.user)
    response = client.post(
        reverse("tokens:create"),
        {"name": "Script", "scope": "read_write", "user": kam_a.user.pk},
    )
    assert response.status_code == 200
    assert ApiToken.objects.get(name="Script").user == kam_b.user
    assert ApiToken.objects.filter(user=kam_a.user).count() == 1


def test_kam_b_is_a_real_kam_who_does_not_lead_kam_a(kam_a: Persona, kam_b: Persona) -> None:
    """The personas themselves: the refusals above are about the object, not the role."""
    assert kam_b.user.role == "kam"
    assert kam_a.user.manager_id != kam_b.user.pk
    assert kam_b.account.account_manager == kam_b.user
