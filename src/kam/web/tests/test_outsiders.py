"""Another KAM on the web shell's write pages: kam_b may not change kam_a's account."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kam.customers.models import Unit
from kam.people.models import User
from kam.testing.factories import make_unit
from kam.testing.forms import account_edit_data
from kam.testing.personas import Persona, db_snapshot


@pytest.fixture
def site(kam_a: Persona) -> Unit:
    return make_unit("A plant", parent=kam_a.account, kind="site")


@pytest.mark.parametrize("target", ["account", "sub-unit"])
def test_another_kam_cannot_edit_kam_as_account(
    client: Client, kam_a: Persona, kam_b: Persona, site: Unit, target: str
) -> None:
    unit = kam_a.account if target == "account" else site
    client.force_login(kam_b.user)
    assert client.get(reverse("web:account_edit", args=[unit.pk])).status_code == 403
    before = db_snapshot()
    response = client.post(
        reverse("web:account_edit", args=[unit.pk]),
        account_edit_data(unit, city="Oslo", account_manager=kam_b.user.pk),
    )
    assert response.status_code == 403
    assert db_snapshot() == before


@pytest.mark.parametrize("target", ["account", "sub-unit"])
def test_the_account_manager_may_post_the_same_edit(
    client: Client, kam_a: Persona, site: Unit, target: str
) -> None:
    unit = kam_a.account if target == "account" else site
    client.force_login(kam_a.user)
    response = client.post(
        reverse("web:account_edit", args=[unit.pk]), account_edit_data(unit, city="Oslo")
    )
    assert response.status_code == 302
    assert Unit.objects.get(pk=unit.pk).city == "Oslo"


def test_changing_the_language_changes_only_ones_own(
    client: Client, kam_a: Persona, kam_b: Persona
) -> None:
    """Not per object: the language page writes the signed-in user's setting, whoever is named."""
    User.objects.filter(pk=kam_a.user.pk).update(language="en")
    client.force_login(kam_b.user)
    response = client.post(
        reverse("web:set_language"), {"language": "ru", "user": kam_a.user.pk, "next": "/"}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=kam_a.user.pk).language == "en"
    assert User.objects.get(pk=kam_b.user.pk).language == "ru"


def test_another_kam_cannot_use_the_django_admin_on_kam_a(
    client: Client, kam_a: Persona, kam_b: Persona
) -> None:
    """The admin is for staff only: a KAM's POST to change kam_a is sent to the admin login."""
    client.force_login(kam_b.user)
    before = db_snapshot()
    response = client.post(
        reverse("admin:people_user_change", args=[kam_a.user.pk]),
        {"username": "taken-over", "role": "kam", "is_active": "on"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert db_snapshot() == before
