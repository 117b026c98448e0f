"""The language a user chose applies to their own requests only."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from kam.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_russian_users_page_is_russian_and_the_language_is_restored_after(client):
    user = UserFactory(role="kam", language="ru")
    client.force_login(user)
    translation.activate("en")
    response = client.get(reverse("web:home"), follow=True)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "ru"
    assert 'lang="ru"' in response.content.decode()
    # the thread that served it is back in the language it had, for whoever comes next
    assert translation.get_language() == "en"
