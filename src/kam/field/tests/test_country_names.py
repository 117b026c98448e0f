"""The field reps' assignments page names a unit's country in the user's language (decision 98)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from .conftest import FieldWorld

pytestmark = pytest.mark.django_db


def test_assignments_show_the_country_name(client: Client, fw: FieldWorld) -> None:
    client.force_login(fw.kam.user)
    page = client.get(reverse("field:assignments")).content.decode()
    assert "Nord, Germany" in page
    fw.kam.user.language = "ru"
    fw.kam.user.save()
    client.force_login(fw.kam.user)
    assert "Nord, Германия" in client.get(reverse("field:assignments")).content.decode()
