"""Decision 18 on the edit page: a sub-unit has no account manager field of its own."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.customers.models import Unit
from kam.customers.services import unit_version
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(users):
    return make_unit("Acme Group", account_manager=users["kam"])


@pytest.fixture
def sub_unit(account):
    return make_unit("Acme GmbH", parent=account, city="Munich")


def test_the_account_edit_page_offers_the_manager(client_for, account):
    html = client_for("kam").get(reverse("web:account_edit", args=[account.pk])).content.decode()
    assert 'name="account_manager"' in html


def test_a_sub_unit_edit_page_has_no_manager_field(client_for, sub_unit):
    html = client_for("kam").get(reverse("web:account_edit", args=[sub_unit.pk])).content.decode()
    assert 'name="account_manager"' not in html
    assert 'name="city"' in html


def test_a_manager_posted_for_a_sub_unit_is_not_stored(client_for, users, sub_unit):
    data = {
        "name": sub_unit.name,
        "kind": sub_unit.kind,
        "country": sub_unit.country,
        "city": "Augsburg",
        "account_manager": users["kam"].pk,
        "version": unit_version(sub_unit),
    }
    response = client_for("kam").post(reverse("web:account_edit", args=[sub_unit.pk]), data)
    assert response.status_code == 302
    stored = Unit.objects.get(pk=sub_unit.pk)
    assert stored.city == "Augsburg"
    assert stored.account_manager is None
