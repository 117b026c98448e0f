"""Tokens and sessions: who gets in, what a token may do, and that secrets are never stored."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from kam.api.models import ApiToken
from kam.api.selectors import tokens_for_user
from kam.api.services import token_create, token_revoke
from kam.core.errors import DomainError
from kam.testing.factories import make_unit


def test_no_auth_is_401_json(api_as):
    response = api_as(None).get("/units")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_unknown_or_malformed_token_is_401(api_as):
    api = api_as(None)
    for bad in ["nope", "kam_", "kam_abc_def", "kam_" + "x" * 300]:
        assert api.get("/units", token=bad).status_code == 401


def test_read_token_can_read_but_not_write(api_as):
    make_unit("Acme")
    api = api_as("admin", scope="read")
    assert api.get("/units").status_code == 200
    response = api.post("/units", {"name": "New", "kind": "group"})
    assert response.status_code == 403
    assert response.json()["code"] == "scope"
    assert api.get("/units?q=New").json()["items"] == []


def test_read_write_token_can_write(api_as):
    response = api_as("admin").post("/units", {"name": "New", "kind": "group"})
    assert response.status_code == 201


def test_revoked_token_is_401(api_as, users):
    api = api_as("admin")
    assert api.get("/units").status_code == 200
    token_revoke(token=ApiToken.objects.get(user=users["admin"]))
    assert api.get("/units").status_code == 401
    assert api.post("/units", {"name": "X", "kind": "group"}).status_code == 401


def test_expired_token_is_401(api_as, users, token_for):
    plain = token_for("admin", expires=timezone.now() + dt.timedelta(seconds=1))
    ApiToken.objects.filter(user=users["admin"]).update(
        expires=timezone.now() - dt.timedelta(seconds=1)
    )
    assert api_as(None).get("/units", token=plain).status_code == 401


def test_token_of_deactivated_user_is_401(api_as, users):
    api = api_as("kam")
    users["kam"].is_active = False
    users["kam"].save()
    assert api.get("/units").status_code == 401


def test_outsider_gets_403_everywhere(api_as):
    unit = make_unit("Acme")
    api = api_as("outsider")
    for path in ["/units", f"/units/{unit.pk}", "/contacts", "/interactions", "/opportunities"]:
        response = api.get(path)
        assert response.status_code == 403, path
        assert response.json()["code"] == "forbidden"
    assert api.post("/units", {"name": "X", "kind": "group"}).status_code == 403


def test_secret_is_stored_only_as_hash(users):
    token, plain = token_create(user=users["kam"], name="CI", scope="read_write")
    secret_part = plain[len(f"kam_{token.prefix}_") :]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        dump = repr(cursor.fetchall())
    assert plain not in dump
    assert secret_part not in dump
    assert token.prefix in plain
    assert len(token.secret_hash) == 64


def test_last_used_is_noted(api_as, users):
    api_as("kam").get("/units")
    assert ApiToken.objects.get(user=users["kam"]).last_used is not None


def test_token_needs_a_name(users):
    with pytest.raises(DomainError):
        token_create(user=users["kam"], name="  ")


def test_tokens_for_user_lists_own_tokens_only(users):
    token_create(user=users["kam"], name="one")
    token_create(user=users["kam"], name="two")
    token_create(user=users["admin"], name="other")
    assert {t.name for t in tokens_for_user(user=users["kam"])} == {"one", "two"}


def test_session_auth_reads_and_needs_csrf_for_writes(users, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users["admin"])
    assert browser.get("/api/v1/units").status_code == 200
    response = browser.post(
        "/api/v1/units", {"name": "X", "kind": "group"}, content_type="application/json"
    )
    assert response.status_code == 403
    browser.get("/api/v1/docs")  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api/v1/units",
        {"name": "X", "kind": "group"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 201


def test_session_of_outsider_is_403(users, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    browser = Client()
    browser.force_login(users["outsider"])
    assert browser.get("/api/v1/units").status_code == 403


def test_cli_creates_lists_and_revokes(users, api_as):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "api_token",
        "create",
        "--user",
        "kam",
        "--name",
        "ETL",
        "--scope",
        "read-write",
        stdout=out,
        stderr=err,
    )
    plain = out.getvalue().strip()
    token = ApiToken.objects.get(user=users["kam"])
    assert token.scope == "read_write"
    assert token.prefix in plain
    assert api_as(None).get("/units", token=plain).status_code == 200

    out = io.StringIO()
    call_command("api_token", "list", "--user", "kam", stdout=out)
    assert token.prefix in out.getvalue()
    assert "ETL" in out.getvalue()
    assert plain not in out.getvalue()

    call_command("api_token", "revoke", token.prefix, stdout=io.StringIO())
    assert api_as(None).get("/units", token=plain).status_code == 401


def test_cli_reports_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user"):
        call_command("api_token", "list", "--user", "ghost")


def test_docs_page_and_schema_load_without_internet(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/transactions/bulk" in schema.json()["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "http://" not in html
    assert "https://" not in html
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/v1/docs/assets/secret.py").status_code == 404
