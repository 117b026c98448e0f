"""Every write names its author: a write made with an API token is the token user's change.

simple-history takes the author from the request; with a token the session user is anonymous,
so before the fix the history said "system" (no user) for every token write.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.customers.models import Contact, Unit
from kam.customers.selectors import unit_history
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_account(users):
    return make_unit("Acme Group", account_manager=users["kam"])


def test_a_token_patch_names_the_token_user_in_the_history(api_as, client_for, users, own_account):
    answer = api_as("kam").patch(f"/units/{own_account.pk}", {"city": "Lyon"})
    assert answer.status_code == 200
    latest = unit_history(unit=Unit.objects.get(pk=own_account.pk))[0]
    assert latest["who"] == users["kam"]
    assert latest["fields"][0]["new"] == "Lyon"
    page = client_for("executive").get(reverse("web:account_history", args=[own_account.pk]))
    row = page.content.decode().split("<tbody>")[1].split("</tr>")[0]
    assert str(users["kam"]) in row
    assert "system" not in row


def test_a_token_create_names_the_token_user(api_as, users, own_account):
    answer = api_as("kam").post(
        "/contacts", {"first_name": "Ada", "last_name": "Lovelace", "unit_id": own_account.pk}
    )
    assert answer.status_code == 201
    contact = Contact.objects.get(pk=answer.json()["id"])
    created = contact.history.get(history_type="+")
    assert created.history_user == users["kam"]
