"""The health pages and API as allowed users, a user without a role and another KAM; bad
input is a 4xx; lists answer in a bounded number of queries whatever the data size."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.health.models import AccountHealth, HealthProfileVersion, Sentiment
from kam.health.services import health_refresh, profile_version_draft
from kam.testing.factories import ContactFactory, make_unit
from kam.testing.personas import Persona

from .conftest import meet

pytestmark = pytest.mark.django_db


def _portfolio(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        account = make_unit(f"Account {i:03d}", tier="key" if i % 2 else "transactional")
        meet(
            account, timezone.localdate() - dt.timedelta(days=i % 40), contacts=(ContactFactory(),)
        )
    health_refresh(everything=True)


def test_the_account_page_shows_components_trend_and_sentiment_form(
    client: Client, kam_a: Persona
) -> None:
    meet(kam_a.account, timezone.localdate(), contacts=(ContactFactory(),))
    health_refresh(everything=True)
    client.force_login(kam_a.user)
    response = client.get(reverse("health:account", args=[kam_a.account.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="health-components"' in body
    assert 'data-component="recency"' in body
    assert 'id="health-trend"' in body
    assert 'id="sentiment-form"' in body
    account_page = client.get(reverse("web:account", args=[kam_a.account.pk])).content.decode()
    assert reverse("health:account", args=[kam_a.account.pk]) in account_page


def test_a_big_disagreement_is_shown(client: Client, kam_a: Persona) -> None:
    health_refresh(everything=True)  # no contact at all: poor
    client.force_login(kam_a.user)
    url = reverse("health:account", args=[kam_a.account.pk])
    assert client.post(url, {"grade": "good", "on": str(timezone.localdate())}).status_code == 302
    assert 'id="sentiment-disagreement"' in client.get(url).content.decode()


def test_bad_sentiment_input_is_a_400_and_writes_nothing(client: Client, kam_a: Persona) -> None:
    client.force_login(kam_a.user)
    url = reverse("health:account", args=[kam_a.account.pk])
    future = str(timezone.localdate() + dt.timedelta(days=3))
    assert client.post(url, {"grade": "excellent", "on": "2026-01-01"}).status_code == 400
    assert client.post(url, {"grade": "good", "on": future}).status_code == 400
    assert client.post(url, {"grade": "good", "on": "1066-10-14"}).status_code == 400
    response = Client().post(
        f"/api/v1/health/accounts/{kam_a.account.pk}/sentiment",
        data=json.dumps({"grade": "good", "on": future}),
        content_type="application/json",
        headers=kam_a.headers,
    )
    assert response.status_code in (400, 422)
    assert not Sentiment.objects.exists()


def test_the_list_filters_by_grade_and_tier(client: Client, kam_a: Persona) -> None:
    _portfolio(6)
    client.force_login(kam_a.user)
    response = client.get(reverse("health:portfolio"), {"tier": "key"})
    assert response.status_code == 200
    shown = response.content.decode().count("data-account=")
    assert shown == AccountHealth.objects.exclude(account__tier="transactional").count()
    assert client.get(reverse("health:portfolio"), {"grade": "splendid"}).status_code == 400
    api = Client().get("/api/v1/health?tier=key", headers=kam_a.headers)
    assert api.status_code == 200
    assert len(api.json()["items"]) == shown
    assert Client().get("/api/v1/health?grade=splendid", headers=kam_a.headers).status_code in (
        400,
        422,
    )


def test_the_api_answers_health_history_and_sentiment(kam_a: Persona) -> None:
    meet(kam_a.account, timezone.localdate(), contacts=(ContactFactory(),))
    health_refresh(everything=True)
    api = Client()
    base = f"/api/v1/health/accounts/{kam_a.account.pk}"
    health = api.get(base, headers=kam_a.headers).json()
    assert set(health["components"]) == {
        "frequency",
        "continuity",
        "breadth",
        "depth",
        "our_side",
        "recency",
    }
    assert health["profile"] == "standard"
    history = api.get(f"{base}/history", headers=kam_a.headers).json()
    assert len(history) == 1
    created = api.post(
        f"{base}/sentiment",
        data=json.dumps({"grade": "fair", "note": "Cooling"}),
        content_type="application/json",
        headers=kam_a.headers,
    )
    assert created.status_code == 201
    assert api.get(f"{base}/sentiment", headers=kam_a.headers).json()[0]["note"] == "Cooling"
    assert api.get(f"{base}/history?months=0", headers=kam_a.headers).status_code == 400


def test_profiles_are_for_executives_and_administrators(client_for: Any, kam_a: Persona) -> None:
    active = HealthProfileVersion.objects.get(status="active")
    draft = profile_version_draft(profile=active.profile)
    for who, expected in (("executive", 200), ("admin", 200), ("kam", 403), ("outsider", 403)):
        assert client_for(who).get(reverse("health:profiles")).status_code == expected, who
    client = client_for("executive")
    data = {
        "combine": "worst_wins",
        "frequency_norm": "4",
        "depth_target": "2",
        "our_side_target": "3",
        "recency_half_life": "45",
        "good_from": "60",
        "fair_from": "40",
        "note": "stricter",
        **{f"w_{k}": "10" for k in active.weights},
    }
    assert client.post(reverse("health:version", args=[draft.pk]), data).status_code == 302
    draft.refresh_from_db()
    assert draft.combine == "worst_wins" and draft.recency_half_life == 45
    bad = {**data, "good_from": "30"}
    assert client.post(reverse("health:version", args=[draft.pk]), bad).status_code == 400
    assert client.post(reverse("health:version_activate", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "active"
    rule = client.post(
        reverse("health:rule_add", args=[active.profile_id]), {"tier": "global", "position": 1}
    )
    assert rule.status_code == 302
    assert (
        client.post(
            reverse("health:rule_add", args=[active.profile_id]), {"position": 1}
        ).status_code
        == 400
    )


def test_the_portfolio_page_and_api_use_bounded_queries(
    client: Client, kam_a: Persona, django_assert_max_num_queries: Any
) -> None:
    _portfolio(3)
    client.force_login(kam_a.user)
    with django_assert_max_num_queries(14) as small:
        assert client.get(reverse("health:portfolio")).status_code == 200
    _portfolio(30, start=3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("health:portfolio")).status_code == 200
    api = Client()
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/health", headers=kam_a.headers).status_code == 200


def test_the_account_page_uses_bounded_queries(
    client: Client, kam_a: Persona, django_assert_max_num_queries: Any
) -> None:
    for d in range(3):
        meet(
            kam_a.account, timezone.localdate() - dt.timedelta(days=d), contacts=(ContactFactory(),)
        )
    health_refresh(everything=True)
    client.force_login(kam_a.user)
    url = reverse("health:account", args=[kam_a.account.pk])
    with django_assert_max_num_queries(24) as small:
        assert client.get(url).status_code == 200
    for d in range(30):
        meet(
            kam_a.account, timezone.localdate() - dt.timedelta(days=d), contacts=(ContactFactory(),)
        )
    health_refresh(everything=True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_refresh_uses_bounded_queries(django_assert_max_num_queries: Any) -> None:
    _portfolio(3)
    with django_assert_max_num_queries(20) as small:
        health_refresh(everything=True)
    _portfolio(30, start=3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        health_refresh(everything=True)
