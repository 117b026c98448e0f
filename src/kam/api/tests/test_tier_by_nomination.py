"""Decision 30: key-account status changes only through an approved nomination.

The unit API, the unit services and the unit import refuse a tier change with a message that
points to nominations; only ``account_tier_set`` (called by the nomination services) writes it.
"""

from __future__ import annotations

import pytest

from kam.customers.models import Unit
from kam.dataio.formats import ImportFileError
from kam.dataio.services import import_file
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_account(users):
    return make_unit("Acme Group", account_manager=users["kam"], external_id="ACME")


@pytest.mark.parametrize("tier", ["global", "key", "national"])
def test_a_kam_cannot_make_their_account_key_over_the_api(api_as, own_account, tier):
    before = own_account.history.count()
    answer = api_as("kam").patch(f"/units/{own_account.pk}", {"tier": tier})
    assert answer.status_code == 400
    assert answer.json()["code"] == "tier_by_nomination"
    assert answer.json()["errors"][0]["field"] == "tier"
    assert "nomination" in answer.json()["errors"][0]["message"]
    assert Unit.objects.get(pk=own_account.pk).tier == "transactional"
    assert own_account.history.count() == before


def test_a_key_account_cannot_be_demoted_over_the_api(api_as, own_account):
    Unit.objects.filter(pk=own_account.pk).update(tier="key")
    answer = api_as("admin").patch(f"/units/{own_account.pk}", {"tier": "transactional"})
    assert answer.status_code == 400
    assert Unit.objects.get(pk=own_account.pk).tier == "key"


def test_the_other_fields_of_a_refused_patch_are_not_saved(api_as, own_account):
    answer = api_as("kam").patch(f"/units/{own_account.pk}", {"city": "Lyon", "tier": "key"})
    assert answer.status_code == 400
    assert Unit.objects.get(pk=own_account.pk).city == ""


def test_sending_back_the_tier_as_read_is_accepted(api_as, own_account):
    api = api_as("kam")
    read = api.get(f"/units/{own_account.pk}").json()
    answer = api.patch(f"/units/{own_account.pk}", {"city": "Lyon", "tier": read["tier"]})
    assert answer.status_code == 200
    assert answer.json()["city"] == "Lyon"


def test_a_new_unit_cannot_start_as_a_key_account(api_as):
    api = api_as("admin")
    refused = api.post("/units", {"name": "Acme", "kind": "group", "tier": "key"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "tier_by_nomination"
    assert not Unit.objects.filter(name="Acme").exists()
    created = api.post("/units", {"name": "Acme", "kind": "group", "tier": "transactional"})
    assert created.status_code == 201
    assert created.json()["tier"] == "transactional"


def test_a_tier_column_refuses_the_unit_file(own_account, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("id,name,tier\nACME,Acme Group,key\nNEW,New Co,global\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as exc:
        import_file(entity="units", path=path)
    assert exc.value.code == "refused_column"
    assert "nomination" in str(exc.value)
    assert Unit.objects.get(pk=own_account.pk).tier == "transactional"
    assert not Unit.objects.filter(external_id="NEW").exists()


def test_a_tier_column_mapped_away_is_ignored(own_account, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("id,name,tier\nACME,Acme Group,key\n", encoding="utf-8")
    report = import_file(entity="units", path=path, mapping={"tier": "-"})
    assert report.errors == []
    assert Unit.objects.get(pk=own_account.pk).tier == "transactional"
