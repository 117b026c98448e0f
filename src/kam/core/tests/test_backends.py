"""The product's permissions are the rules' alone; passwords and model permissions stay."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.people.models import User
from kam.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_page_menu_costs_no_permission_queries(client, users):
    """A field rep's menu has entries they may not open; refusing them read the permission
    tables (two queries per page) before decision 133."""
    client.force_login(users["field_rep"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("field:mine"))
    assert page.status_code == 200
    assert not [q for q in queries.captured_queries if "auth_permission" in q["sql"]]


def test_a_product_permission_is_the_rules_answer(users):
    assert users["kam"].has_perm("kam.view_account")
    assert not users["outsider"].has_perm("kam.view_account")
    assert not users["field_rep"].has_perm("kam.view_dashboard")


def test_a_model_permission_granted_in_the_tables_still_counts():
    """The admin site checks model permissions: those still come from the tables."""
    staff = UserFactory(is_staff=True)
    assert not staff.has_perm("people.change_user")
    staff.user_permissions.add(Permission.objects.get(codename="change_user"))
    fresh = User.objects.get(pk=staff.pk)  # a fresh object: the permission cache is per object
    assert fresh.has_perm("people.change_user")


def test_signing_in_with_a_password_still_works(client):
    UserFactory(username="ada", password="a long enough passphrase 1")
    page = client.post(
        reverse("login"), {"username": "ada", "password": "a long enough passphrase 1"}
    )
    assert page.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="ada").pk)
