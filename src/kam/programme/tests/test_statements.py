"""Executives edit the assessment statements in the app (issue 17: "statements editable"): the
page and the API add, edit and retire them; other people are refused and change nothing; bad
input is a 4xx with its reason and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kam.api.models import TokenScope
from kam.api.services import token_create
from kam.programme.models import Statement
from kam.testing.factories import UserFactory, make_unit
from kam.testing.personas import Persona, db_snapshot

from .helpers import answer_all, campaign

pytestmark = pytest.mark.django_db


def _api(client: Client, persona: Persona, method: str, path: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {"headers": persona.headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


@pytest.fixture
def chief(db: None) -> Persona:
    user = UserFactory(username="chief", role="executive")
    _t, plain = token_create(user=user, name="chief", scope=TokenScope.READ_WRITE)
    return Persona(user=user, account=make_unit("Chief's account"), token=plain)


def _first(condition: int = 3) -> Statement:
    found = Statement.objects.filter(condition=condition, active=True).order_by("pk").first()
    assert found is not None
    return found


def test_an_executive_adds_edits_and_retires_a_statement_on_the_page(client_for: Any) -> None:
    client = client_for("executive")
    page = client.get(reverse("programme:statements"))
    assert page.status_code == 200
    assert _first().text_en.encode() in page.content  # the default set, per condition
    added = client.post(
        reverse("programme:statements"),
        {
            "condition": "3",
            "text_en": "Service answers within a day.",
            "text_ru": "Сервис отвечает",
        },
    )
    assert added.status_code == 302
    new = Statement.objects.get(text_en="Service answers within a day.")
    assert (new.condition, new.text_ru, new.active) == (3, "Сервис отвечает", True)
    assert new.position > max(
        Statement.objects.filter(condition=3).exclude(pk=new.pk).values_list("position", flat=True)
    )
    edited = client.post(
        reverse("programme:statement_edit", args=[new.pk]),
        {"text_en": "Service answers within two days.", "text_ru": "", "position": "7"},
    )
    assert edited.status_code == 302
    new.refresh_from_db()
    assert (new.text_en, new.text_ru, new.position) == ("Service answers within two days.", "", 7)
    retired = client.post(reverse("programme:statement_active", args=[new.pk]), {"active": "0"})
    assert retired.status_code == 302
    new.refresh_from_db()
    assert not new.active
    page = client.get(reverse("programme:statements"))
    assert f'id="statement-{new.pk}" class="text-muted"'.encode() in page.content
    # the next campaign does not ask a retired statement
    assert new not in Statement.objects.filter(active=True)
    client.post(reverse("programme:statement_active", args=[new.pk]), {"active": "1"})
    new.refresh_from_db()
    assert new.active


def test_bad_statement_input_is_a_400_and_writes_nothing(client_for: Any) -> None:
    client = client_for("executive")
    statement = _first()
    before = db_snapshot()
    empty = client.post(reverse("programme:statements"), {"condition": "3", "text_en": "  "})
    assert empty.status_code == 400
    unknown = client.post(reverse("programme:statements"), {"condition": "9", "text_en": "x"})
    assert unknown.status_code == 400
    too_long = client.post(
        reverse("programme:statement_edit", args=[statement.pk]),
        {"text_en": "x" * 301, "text_ru": "", "position": "1"},
    )
    assert too_long.status_code == 400
    negative = client.post(
        reverse("programme:statement_edit", args=[statement.pk]),
        {"text_en": "Fine", "text_ru": "", "position": "-1"},
    )
    assert negative.status_code == 400
    odd = client.post(reverse("programme:statement_active", args=[statement.pk]), {"active": "x"})
    assert odd.status_code == 400
    assert db_snapshot() == before


def test_the_last_active_statement_of_a_condition_cannot_be_retired(client_for: Any) -> None:
    client = client_for("executive")
    first, second = Statement.objects.filter(condition=6, active=True).order_by("pk")
    assert (
        client.post(
            reverse("programme:statement_active", args=[first.pk]), {"active": "0"}
        ).status_code
        == 302
    )
    refused = client.post(reverse("programme:statement_active", args=[second.pk]), {"active": "0"})
    assert refused.status_code == 409
    assert "last active statement" in refused.content.decode()
    second.refresh_from_db()
    assert second.active


def test_only_executives_change_statements_and_refusals_change_nothing(
    client: Client, users: dict[str, Any], kam_a: Persona, kam_b: Persona
) -> None:
    """A KAM (either), a user without a role and an administrator (not an executive) are
    refused every page and write, on the web and through the API."""
    statement = _first()
    for user in (kam_a.user, kam_b.user, users["outsider"], users["admin"]):
        client.force_login(user)
        before = db_snapshot()
        answers = [
            client.get(reverse("programme:statements")).status_code,
            client.post(
                reverse("programme:statements"), {"condition": "3", "text_en": "Sneaky"}
            ).status_code,
            client.get(reverse("programme:statement_edit", args=[statement.pk])).status_code,
            client.post(
                reverse("programme:statement_edit", args=[statement.pk]),
                {"text_en": "Sneaky", "text_ru": "", "position": "1"},
            ).status_code,
            client.post(
                reverse("programme:statement_active", args=[statement.pk]), {"active": "0"}
            ).status_code,
        ]
        assert answers == [403] * 5, user.username
        assert db_snapshot() == before
    client.logout()
    for persona in (kam_a, kam_b):
        before = db_snapshot()
        assert _api(client, persona, "get", "/programme/statements").status_code == 403
        created = _api(
            client, persona, "post", "/programme/statements", {"condition": 3, "text_en": "x"}
        )
        patched = _api(
            client, persona, "patch", f"/programme/statements/{statement.pk}", {"active": False}
        )
        assert (created.status_code, patched.status_code) == (403, 403)
        assert db_snapshot() == before


def test_the_campaigns_page_links_executives_to_the_statements(client_for: Any) -> None:
    assert (
        b'id="statements-link"'
        in client_for("executive").get(reverse("programme:campaigns")).content
    )
    assert (
        b'id="statements-link"' not in client_for("kam").get(reverse("programme:campaigns")).content
    )


def test_editing_a_statement_keeps_the_answers_and_warns_about_them(
    client_for: Any, users: dict[str, Any]
) -> None:
    c = campaign()
    answer_all(c, users["kam"], 4, condition=3)
    statement = _first()
    page = client_for("executive").get(reverse("programme:statement_edit", args=[statement.pk]))
    assert "1 answer given to it" in page.content.decode()


def test_api_statements_for_an_executive(client: Client, chief: Persona) -> None:
    listed = _api(client, chief, "get", "/programme/statements")
    assert listed.status_code == 200 and len(listed.json()) == Statement.objects.count()
    created = _api(
        client,
        chief,
        "post",
        "/programme/statements",
        {"condition": 4, "text_en": " Goals are reviewed each quarter. ", "text_ru": "Цели"},
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["condition"], body["text_en"], body["active"]) == (
        4,
        "Goals are reviewed each quarter.",
        True,
    )
    patched = _api(
        client, chief, "patch", f"/programme/statements/{body['id']}", {"text_ru": "Цели, кварт."}
    )
    assert patched.status_code == 200 and patched.json()["text_ru"] == "Цели, кварт."
    retired = _api(client, chief, "patch", f"/programme/statements/{body['id']}", {"active": False})
    assert retired.status_code == 200 and retired.json()["active"] is False
    assert not Statement.objects.get(pk=body["id"]).active


def test_api_bad_statement_input_is_refused_and_writes_nothing(
    client: Client, chief: Persona
) -> None:
    statement = _first()
    before = db_snapshot()
    for body in (
        {"condition": 7, "text_en": "x"},
        {"condition": 3, "text_en": ""},
        {"condition": 3, "text_en": "x" * 301},
        {"condition": 3, "text_en": "x", "colour": "red"},
    ):
        answer = _api(client, chief, "post", "/programme/statements", body)
        assert answer.status_code in (400, 422), body
        assert answer.json().get("detail") or answer.json().get("message"), answer.json()
    patches: list[dict[str, Any]] = [{"position": -1}, {"text_en": ""}, {"text_en": None}]
    for patch in patches:
        answer = _api(client, chief, "patch", f"/programme/statements/{statement.pk}", patch)
        assert answer.status_code in (400, 422), patch
    missing = _api(client, chief, "patch", "/programme/statements/999999", {"active": False})
    assert missing.status_code == 404
    assert db_snapshot() == before
