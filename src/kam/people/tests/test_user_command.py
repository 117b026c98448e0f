"""``kam createsuperuser`` makes an administrator of OpenKAM, and ``kam user`` creates users with
a role and changes roles (issue 10)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kam.people.models import Role, Territory, User

pytestmark = pytest.mark.django_db


def test_createsuperuser_gives_the_admin_role(client) -> None:
    call_command("createsuperuser", username="root", email="root@example.com", interactive=False)
    root = User.objects.get(username="root")
    assert root.is_superuser and root.role == Role.ADMIN
    client.force_login(root)
    assert client.get("/accounts/").status_code == 200  # not 403 everywhere


def test_user_create_with_everything(monkeypatch) -> None:
    boss = User.objects.create(username="boss", role="sales_manager")
    Territory.objects.create(name="South", country="DE", region="Bayern", external_id="T-S")
    monkeypatch.setattr("sys.stdin", io.StringIO("a-Long-enough-pass-2026\n"))
    out = io.StringIO()
    call_command(
        "user",
        "create",
        "--username",
        "anna",
        "--role",
        "kam",
        "--email",
        "anna@example.com",
        "--manager",
        "boss",
        "--territory",
        "T-S",
        "--password-from-stdin",
        stdout=out,
    )
    anna = User.objects.get(username="anna")
    assert (anna.role, anna.manager, anna.territory.name) == ("kam", boss, "South")
    assert anna.check_password("a-Long-enough-pass-2026")
    assert "anna" in out.getvalue()


def test_user_create_without_password_cannot_sign_in() -> None:
    call_command(
        "user",
        "create",
        "--username",
        "ben",
        "--role",
        "field_rep",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert not User.objects.get(username="ben").has_usable_password()


@pytest.mark.parametrize(
    "args",
    [
        ["--username", "x", "--role", "king"],
        ["--username", "x", "--role", "kam", "--manager", "nobody"],
        ["--username", "x", "--role", "kam", "--territory", "Atlantis"],
        ["--username", "x", "--role", "kam", "--email", "not-an-address"],
        ["--username", "taken", "--role", "kam"],
    ],
)
def test_user_create_refuses_bad_input(args) -> None:
    User.objects.create(username="taken", role="kam")
    with pytest.raises((CommandError, SystemExit)):
        call_command("user", "create", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not User.objects.filter(username="x").exists()


def test_user_set_role() -> None:
    User.objects.create(username="carl", role="")
    call_command(
        "user", "set-role", "--username", "carl", "--role", "executive", stdout=io.StringIO()
    )
    assert User.objects.get(username="carl").role == "executive"
    with pytest.raises(CommandError):
        call_command("user", "set-role", "--username", "nobody", "--role", "kam")
