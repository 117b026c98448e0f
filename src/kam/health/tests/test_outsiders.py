"""Another KAM on the health pages: kam_b may not record a reading on kam_a's account, nor
change the health profiles (executives and administrators only)."""

from __future__ import annotations

import json

from django.test import Client
from django.urls import reverse

from kam.health.models import HealthProfileVersion, ProfileRule, Sentiment
from kam.health.services import profile_version_draft
from kam.testing.personas import Persona, db_snapshot


def test_another_kam_cannot_record_a_sentiment_on_kam_as_account(
    client: Client, kam_a: Persona, kam_b: Persona
) -> None:
    before = db_snapshot()
    client.force_login(kam_b.user)
    url = reverse("health:account", args=[kam_a.account.pk])
    assert client.get(url).status_code == 200  # reading is for everyone internal
    assert client.post(url, {"grade": "poor", "on": "2026-01-05"}).status_code == 403
    response = Client().post(
        f"/api/v1/health/accounts/{kam_a.account.pk}/sentiment",
        data=json.dumps({"grade": "poor"}),
        content_type="application/json",
        headers=kam_b.headers,
    )
    assert response.status_code == 403
    assert db_snapshot() == before
    # kam_a may
    client.force_login(kam_a.user)
    assert client.post(url, {"grade": "good", "on": "2026-01-05"}).status_code == 302
    assert Sentiment.objects.get().author == kam_a.user


def test_a_kam_cannot_change_health_profiles(client: Client, kam_a: Persona) -> None:
    active = HealthProfileVersion.objects.get(profile__is_default=True, status="active")
    draft = profile_version_draft(profile=active.profile)
    rule = ProfileRule.objects.create(profile=active.profile, tier="global")
    before = db_snapshot()
    client.force_login(kam_a.user)
    posts = [
        (reverse("health:profiles"), {"code": "mine", "name": "Mine"}),
        (reverse("health:version_draft", args=[active.profile_id]), {}),
        (reverse("health:rule_add", args=[active.profile_id]), {"tier": "key", "position": 1}),
        (reverse("health:rule_delete", args=[rule.pk]), {}),
        (reverse("health:version", args=[draft.pk]), {"combine": "worst_wins"}),
        (reverse("health:version_activate", args=[draft.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    api = Client()
    response = api.patch(
        f"/api/v1/health/profile-versions/{draft.pk}",
        data=json.dumps({"combine": "worst_wins"}),
        content_type="application/json",
        headers=kam_a.headers,
    )
    assert response.status_code == 403
    response = api.post(
        f"/api/v1/health/profile-versions/{draft.pk}/activate", headers=kam_a.headers
    )
    assert response.status_code == 403
    assert db_snapshot() == before


def test_a_user_without_a_role_sees_no_health(client: Client, kam_a: Persona) -> None:
    from kam.testing.factories import UserFactory

    client.force_login(UserFactory(role=""))
    assert client.get(reverse("health:portfolio")).status_code == 403
    assert client.get(reverse("health:account", args=[kam_a.account.pk])).status_code in (
        403,
        404,
    )
