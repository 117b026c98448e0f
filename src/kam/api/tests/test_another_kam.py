"""Every write endpoint refuses a KAM who does not manage the account, and changes nothing.

The outsider with no role is refused everywhere; the case that matters is a real colleague
with the same role who lacks access to *this* object. The same request by the account's own
manager succeeds, so each refusal is about the object, not the request.
"""

import pytest

from kam.customers.models import Contact, Employment, Unit
from kam.interactions.models import Interaction
from kam.sales.models import Opportunity, Transaction
from kam.testing.factories import (
    ContactFactory,
    EmploymentFactory,
    InteractionFactory,
    ProductFactory,
    make_unit,
)


@pytest.fixture
def world(users, another_kam):
    account = make_unit("Mine", account_manager=users["kam"])
    plant = make_unit("Mine Plant", parent=account)
    contact = ContactFactory(last_name="Keller")
    position = EmploymentFactory(contact=contact, unit=plant)
    return {
        "account": account,
        "plant": plant,
        "contact": contact,
        "position": position,
        "product": ProductFactory(),
        "opportunity": Opportunity.objects.create(unit=account, name="Retrofit"),
        "interaction": InteractionFactory(
            unit=account, created_by=users["kam"], summary="Quarterly review"
        ),
    }


def _state():
    return (
        sorted(Unit.objects.values_list("name", "city", "path")),
        sorted(Contact.objects.values_list("last_name", "email")),
        sorted(Employment.objects.values_list("contact_id", "unit_id", "title", "end_date")),
        sorted(Opportunity.objects.values_list("unit_id", "name", "stage")),
        Transaction.objects.count(),
        sorted(Interaction.objects.values_list("unit_id", "summary")),
    )


def _tx(w):
    row = {"date": "2026-01-15", "unit_id": w["plant"].pk, "product_id": w["product"].pk}
    return {"rows": [{**row, "net_amount": "100.00"}]}


WRITES = {
    "create a sub-unit": ("post", lambda w: "/units", lambda w: {
        "name": "New plant", "kind": "site", "parent_id": w["account"].pk}),
    "change the account": ("patch", lambda w: f"/units/{w['account'].pk}", lambda w: {
        "city": "Hamburg"}),
    "delete a sub-unit": ("delete", lambda w: f"/units/{w['plant'].pk}", lambda w: None),
    "create a contact there": ("post", lambda w: "/contacts", lambda w: {
        "last_name": "Neu", "unit_id": w["plant"].pk}),
    "change a contact": ("patch", lambda w: f"/contacts/{w['contact'].pk}", lambda w: {
        "last_name": "Other"}),
    "delete a contact": ("delete", lambda w: f"/contacts/{w['contact'].pk}", lambda w: None),
    "add a position": ("post", lambda w: "/employments", lambda w: {
        "contact_id": ContactFactory().pk, "unit_id": w["plant"].pk}),
    "change a position": ("patch", lambda w: f"/employments/{w['position'].pk}", lambda w: {
        "title": "CEO"}),
    "delete a position": ("delete", lambda w: f"/employments/{w['position'].pk}", lambda w: None),
    "create an opportunity": ("post", lambda w: "/opportunities", lambda w: {
        "unit_id": w["account"].pk, "name": "Another deal"}),
    "change an opportunity": ("patch", lambda w: f"/opportunities/{w['opportunity'].pk}",
                              lambda w: {"stage": "won"}),
    "delete an opportunity": ("delete", lambda w: f"/opportunities/{w['opportunity'].pk}",
                              lambda w: None),
    "load transactions": ("post", lambda w: "/transactions/bulk", _tx),
    "change an interaction": ("patch", lambda w: f"/interactions/{w['interaction'].pk}",
                              lambda w: {"summary": "Rewritten"}),
    "delete an interaction": ("delete", lambda w: f"/interactions/{w['interaction'].pk}",
                              lambda w: None),
}  # fmt: skip


def _send(api, world, write):
    """Send the write (its body made first); return the response and the state before it."""
    method, path, body = WRITES[write]
    payload = body(world)
    before = _state()
    call = getattr(api, method)
    return (call(path(world)) if payload is None else call(path(world), payload)), before


@pytest.mark.parametrize("write", WRITES)
def test_another_kam_is_refused_and_nothing_changes(api_as, world, write):
    response, before = _send(api_as("another_kam"), world, write)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert _state() == before


@pytest.mark.parametrize("write", WRITES)
def test_the_account_manager_may_make_the_same_write(api_as, world, write):
    response, before = _send(api_as("kam"), world, write)
    assert response.status_code == (201 if WRITES[write][0] == "post" else 200)
    assert _state() != before
