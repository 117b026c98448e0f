"""Pages and API of alerts as the account's KAM, a user without a role and another KAM; the
list's query bound; the digest by e-mail."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.alerts.models import Alert, AlertStatus, DigestFrequency, InboxState
from kam.alerts.services import digests_send
from kam.testing.factories import UserFactory
from kam.testing.personas import Persona, db_snapshot


def make_alert(persona: Persona, n: int = 0, **fields: object) -> Alert:
    return Alert.objects.create(
        kind="sales.revenue_drop",
        account=persona.account,
        owner=persona.user,
        reason="Revenue fell %(drop)s %% against the prior 12 months (%(last)s against %(prior)s)",
        params={"drop": "25", "last": "750", "prior": "1,000"},
        key=f"sales.revenue_drop:{persona.account.pk}:{n}",
        link=f"/accounts/{persona.account.pk}/transactions/",
        **fields,
    )


def _api(client: Client, persona: Persona, path: str, body: dict | None = None):
    return client.post(
        f"/api/v1{path}",
        data=json.dumps(body or {}),
        content_type="application/json",
        headers=persona.headers,
    )


def test_the_kam_acknowledges_from_the_inbox_with_htmx(client: Client, kam_a: Persona):
    alert = make_alert(kam_a)
    client.force_login(kam_a.user)
    url = reverse("alerts:step", args=[alert.pk, "acknowledge"])
    response = client.post(url, {"note": "Seen"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"alert-acknowledged" in response.content
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED


def test_bad_step_input_is_refused_with_a_message(client: Client, kam_a: Persona):
    alert = make_alert(kam_a)
    client.force_login(kam_a.user)
    bad = client.post(reverse("alerts:step", args=[alert.pk, "snooze"]), {"until": "soon"})
    assert bad.status_code == 400
    htmx = client.post(
        reverse("alerts:step", args=[alert.pk, "resolve"]),
        {"note": ""},
        headers={"HX-Request": "true"},
    )
    assert b"alert-error" in htmx.content
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert client.post(reverse("alerts:step", args=[alert.pk, "nope"])).status_code == 404


@pytest.mark.parametrize("who", ["no_role", "another_kam"])
def test_outsiders_cannot_take_a_step_and_change_nothing(
    client: Client, kam_a: Persona, kam_b: Persona, who: str
):
    alert = make_alert(kam_a)
    user = UserFactory(username="norole", role="") if who == "no_role" else kam_b.user
    client.force_login(user)
    before = db_snapshot()
    for step, data in (
        ("acknowledge", {}),
        ("resolve", {"note": "x"}),
        ("snooze", {"until": "2099-01-01"}),
    ):
        response = client.post(reverse("alerts:step", args=[alert.pk, step]), data)
        assert response.status_code == 403
    assert db_snapshot() == before


def test_another_kam_cannot_step_through_the_api(client: Client, kam_a: Persona, kam_b: Persona):
    alert = make_alert(kam_a)
    before = db_snapshot()
    for step, body in (
        ("acknowledge", {}),
        ("resolve", {"note": "x"}),
        ("snooze", {"until": "2099-01-01"}),
    ):
        assert _api(client, kam_b, f"/alerts/{alert.pk}/{step}", body).status_code == 403
    assert db_snapshot() == before


def test_the_api_steps_and_refuses_bad_input(client: Client, kam_a: Persona):
    alert = make_alert(kam_a)
    assert _api(client, kam_a, f"/alerts/{alert.pk}/resolve", {"note": ""}).status_code == 400
    past = _api(client, kam_a, f"/alerts/{alert.pk}/snooze", {"until": "2020-01-01"})
    assert past.status_code == 400
    until = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    ok = _api(client, kam_a, f"/alerts/{alert.pk}/snooze", {"until": until, "note": "After fair"})
    assert ok.status_code == 200, ok.content
    assert ok.json()["status"] == "snoozed" and ok.json()["snoozed_until"] == until
    again = _api(client, kam_a, f"/alerts/{alert.pk}/acknowledge")
    assert again.status_code == 400  # snoozed: nothing to acknowledge
    done = _api(client, kam_a, f"/alerts/{alert.pk}/resolve", {"note": "Order came back"})
    assert done.json()["status"] == "resolved"


def test_the_api_list_filters_like_the_page(client: Client, kam_a: Persona, kam_b: Persona):
    make_alert(kam_a)
    make_alert(kam_b, status=AlertStatus.RESOLVED)
    rows = client.get("/api/v1/alerts?live=true", headers=kam_a.headers).json()["items"]
    assert [r["account_id"] for r in rows] == [kam_a.account.pk]
    assert rows[0]["text"].startswith("Revenue fell 25 %")
    mine = client.get("/api/v1/alerts?mine=true", headers=kam_b.headers).json()["items"]
    assert [r["account_id"] for r in mine] == [kam_b.account.pk]
    bad = client.get("/api/v1/alerts?status=nonsense", headers=kam_a.headers)
    assert bad.status_code in (400, 422)
    client.force_login(kam_a.user)
    page = client.get(reverse("alerts:list"), {"live": "true"})
    assert page.status_code == 200
    assert page.content.count(b'data-alert="') == 1


def test_the_list_and_panel_as_outsiders(client: Client, kam_a: Persona):
    make_alert(kam_a)
    client.force_login(UserFactory(username="norole", role=""))
    assert client.get(reverse("alerts:list")).status_code == 403
    assert client.get(reverse("alerts:account", args=[kam_a.account.pk])).status_code == 403
    assert client.get("/api/v1/alerts").status_code in (401, 403)


def test_the_account_panel_offers_steps_to_its_kam_only(
    client: Client, kam_a: Persona, kam_b: Persona
):
    make_alert(kam_a)
    client.force_login(kam_a.user)
    mine = client.get(reverse("alerts:account", args=[kam_a.account.pk]))
    assert b"alert-acknowledge" in mine.content
    client.force_login(kam_b.user)
    theirs = client.get(reverse("alerts:account", args=[kam_a.account.pk]))
    assert theirs.status_code == 200
    assert b"data-alert=" in theirs.content and b"alert-acknowledge" not in theirs.content


def test_list_queries_do_not_grow(client: Client, kam_a: Persona, django_assert_max_num_queries):
    for n in range(3):
        make_alert(kam_a, n)
    client.force_login(kam_a.user)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("alerts:list")).status_code == 200
    with django_assert_max_num_queries(8):
        client.get("/api/v1/alerts", headers=kam_a.headers)
    for n in range(3, 30):
        make_alert(kam_a, n)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("alerts:list")).status_code == 200
    with django_assert_max_num_queries(8):
        client.get("/api/v1/alerts", headers=kam_a.headers)


def test_the_digest_mails_new_alerts_once(kam_a: Persona, settings, client: Client):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(kam_a.user)
    client.post(reverse("alerts:digest"), {"digest": "daily"})
    assert InboxState.objects.get(user=kam_a.user).digest == DigestFrequency.DAILY
    assert digests_send(frequency="daily") == 0  # nothing new: no empty mail
    make_alert(kam_a)
    assert digests_send(frequency="daily") == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [kam_a.user.email]
    assert "Account A: Revenue fell 25 %" in message.body
    assert digests_send(frequency="daily") == 0  # not due again for a day
    later = timezone.now() + dt.timedelta(days=1, hours=1)
    make_alert(kam_a, 1)
    assert digests_send(frequency="daily", now=later) == 1
    assert digests_send(frequency="weekly") == 0


def test_the_digest_preference_is_refused_when_unknown(client: Client, kam_a: Persona):
    client.force_login(kam_a.user)
    client.post(reverse("alerts:digest"), {"digest": "hourly"})
    assert not InboxState.objects.filter(user=kam_a.user, digest="hourly").exists()


def test_the_command_runs(kam_a: Persona, capsys):
    from django.core.management import call_command

    call_command("alerts")
    call_command("alerts_digest", "--frequency", "weekly")
    out = capsys.readouterr().out
    assert "rules on" in out and "digests sent" in out
