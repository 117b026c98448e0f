"""The demo shows the buying-centre features with believable content."""

import datetime as dt

import pytest

from kam.customers.models import Unit
from kam.demo.build import demo_build
from kam.relationships import selectors
from kam.relationships.models import BuyingRole, LinkStrength, OurLink, StageAssessment

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 15)


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_has_bow_ties_diamonds_a_spof_a_moved_champion_and_a_mismatch():
    demo_build(scale="tiny", seed=7, today=TODAY)
    keys = list(Unit.objects.accounts().exclude(tier="transactional").values_list("pk", flat=True))
    figures = selectors.accounts_metrics(keys, TODAY)
    structures = {f["structure"]["value"] for f in figures.values()}
    assert {"bow_tie", "diamond"} <= structures
    assert any(f["single_point_of_failure"]["value"] for f in figures.values())
    assert BuyingRole.objects.exists() and OurLink.objects.exists()
    assert LinkStrength.objects.filter(disagrees=True).exists()
    assert StageAssessment.objects.count() >= len(keys) // 2
    assert selectors.stage_mismatches(keys, TODAY)
    left = selectors.champions_left(keys, TODAY)
    moved = [p for people in left.values() for p in people if p["now_at_id"]]
    assert moved
    new_home = Unit.objects.get(pk=moved[0]["now_at_id"])
    notes = selectors.opportunity_notes(account=new_home, as_of=TODAY)
    assert [n["contact_id"] for n in notes] == [moved[0]["contact_id"]]
