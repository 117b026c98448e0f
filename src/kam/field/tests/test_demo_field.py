"""The demo shows field work: reps on units, coordinates, done and missed visits, plans ahead."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.demo.build import demo_build
from kam.field.models import FieldAssignment, Visit, VisitStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_has_field_work() -> None:
    today = dt.date(2025, 6, 16)
    demo_build(scale="tiny", seed=7, today=today)
    assert FieldAssignment.objects.exists()
    assert FieldAssignment.objects.filter(unit__latitude__isnull=False).exists()
    done = Visit.objects.filter(status=VisitStatus.DONE)
    assert done.filter(interaction__isnull=False).exists()
    assert Visit.objects.filter(status=VisitStatus.MISSED).exists()
    assert Visit.objects.filter(status=VisitStatus.PLANNED, planned_on__gte=today).exists()
