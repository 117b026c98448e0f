"""Decisions 18 and 19 over the API: a manager or a key tier on a sub-unit is a 400."""

from __future__ import annotations

import pytest

from kam.customers.models import Unit
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db


def test_a_manager_on_a_sub_unit_is_refused(api_as, users):
    account = make_unit("Acme Group", account_manager=users["kam"])
    sub_unit = make_unit("Acme GmbH", parent=account)
    api = api_as("admin")
    created = api.post(
        "/units",
        {
            "name": "Acme SAS",
            "kind": "company",
            "parent_id": account.pk,
            "account_manager_id": users["kam"].pk,
        },
    )
    assert created.status_code == 400
    assert created.json()["errors"][0]["field"] == "account_manager"
    assert not Unit.objects.filter(name="Acme SAS").exists()
    patched = api.patch(f"/units/{sub_unit.pk}", {"account_manager_id": users["kam"].pk})
    assert patched.status_code == 400
    assert Unit.objects.get(pk=sub_unit.pk).account_manager is None


def test_a_key_tier_on_a_sub_unit_is_refused(api_as):
    account = make_unit("Acme Group")
    sub_unit = make_unit("Acme GmbH", parent=account)
    patched = api_as("admin").patch(f"/units/{sub_unit.pk}", {"tier": "key"})
    assert patched.status_code == 400
    assert patched.json()["errors"][0]["field"] == "tier"
    assert Unit.objects.get(pk=sub_unit.pk).tier == "transactional"
