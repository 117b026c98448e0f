"""The test helper that puts back the rows the migrations seed (``kam.testing.seeded``) must
work after a flush that re-created the content types under new ids — the state a full run left
the relationship-map and CSP browser walks in, where reloading failed on a unique constraint."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command

from kam.identification.models import ModelStatus, ScoringModel
from kam.testing import seeded

pytestmark = pytest.mark.django_db(transaction=True)


def _snapshot_content_types() -> dict[tuple[str, str], int]:
    """The content types as the snapshot of the migrated database records them."""
    return {
        (obj.object.app_label, obj.object.model): obj.object.pk
        for obj in serializers.deserialize("json", seeded.SNAPSHOT)
        if isinstance(obj.object, ContentType)
    }


def test_restore_after_a_flush_that_recreated_content_types():
    # An earlier transactional test on this worker may already have left new ids behind, so the
    # expected ids are the snapshot's, not the ones found at the start.
    before = _snapshot_content_types()
    assert before
    call_command("flush", interactive=False, verbosity=0)  # post_migrate runs: new ids
    assert not ScoringModel.objects.exists()
    recreated = {(ct.app_label, ct.model): ct.pk for ct in ContentType.objects.all()}
    assert recreated.keys() == before.keys()
    assert recreated != before  # flush never reuses ids: the reload must not collide with them

    seeded.restore()

    assert ScoringModel.objects.filter(status=ModelStatus.ACTIVE).exists()
    assert {(ct.app_label, ct.model): ct.pk for ct in ContentType.objects.all()} == before
    assert Permission.objects.filter(codename="view_scoringmodel").exists()
