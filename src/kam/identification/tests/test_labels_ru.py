"""Seeded data labels are message ids shown in the user's language (decision 56)."""

from __future__ import annotations

import pytest
from django.utils import translation

from kam.identification.labels import SEEDED_LABELS, shown
from kam.identification.models import Criterion, ScoringModel

pytestmark = pytest.mark.django_db


def test_every_seeded_criterion_and_the_model_are_listed():
    model = ScoringModel.objects.get(version=1)
    stored = {model.name, model.description}
    for c in Criterion.objects.filter(model=model):
        stored |= {c.name, c.description}
    assert stored <= set(SEEDED_LABELS)


def test_a_typed_label_is_shown_as_typed_and_a_seeded_one_is_translated(monkeypatch):
    catalog = {"Current revenue": "Текущая выручка"}  # the catalogue entry the .po brings
    monkeypatch.setattr("kam.identification.labels.gettext", lambda text: catalog.get(text, text))
    with translation.override("ru"):
        assert shown("Current revenue") == "Текущая выручка"
        assert shown("My own criterion") == "My own criterion"
        assert shown("") == ""
