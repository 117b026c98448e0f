"""Seeded plan templates speak the creator's language (decision 56 applied to plan templates):
their texts are message ids, listed for ``makemessages`` and translated when a plan is made."""

from __future__ import annotations

import importlib

import pytest
from django.utils import translation

from kam.core.metrics import Metric, MetricUnit, registry
from kam.planning import labels, services
from kam.planning.models import PlanTemplate

SEED = importlib.import_module("kam.planning.migrations.0002_plan_template_defaults")


@pytest.fixture
def quadrant(monkeypatch: pytest.MonkeyPatch):
    """Let a test say which quadrant the matrix puts each account in."""
    placed: dict[int, str] = {}
    metric = Metric(
        key="identification.quadrant",
        label="Quadrant",
        unit=MetricUnit.LEVEL,
        compute=lambda ids, as_of: {pk: placed[pk] for pk in ids if pk in placed},
        levels=(("streamline", "S"), ("status", "S"), ("star", "S"), ("strategic", "S")),
    )
    monkeypatch.setitem(registry._metrics, "identification.quadrant", metric)
    return placed


def test_every_seeded_template_text_is_a_listed_message_id() -> None:
    seeded = set()
    for policy, mission, _stage, _cadence, objectives in SEED.DEFAULTS.values():
        seeded |= {policy, mission, *(o[0] for o in objectives)}
    assert seeded <= set(labels.SEEDED_LABELS)


@pytest.mark.django_db
def test_a_russian_kam_gets_the_template_in_russian(kam_a, quadrant, monkeypatch) -> None:
    """The copied texts go through gettext in the creator's language, not the active one.

    The Russian catalogue is filled after merging, so a stand-in catalogue marks what gettext
    was asked in which language; a text that is not a seeded id would pass through unchanged.
    """
    monkeypatch.setattr(labels, "gettext", lambda text: f"«{translation.get_language()}» {text}")
    kam_a.user.language = "ru"
    kam_a.user.save()
    quadrant[kam_a.account.pk] = "streamline"
    template = PlanTemplate.objects.get(quadrant="streamline")
    with translation.override("en"):  # e.g. an API call without Accept-Language
        plan = services.plan_create(account=kam_a.account, user=kam_a.user, from_template=True)
    assert plan.mission == f"«ru» {template.mission}"
    titles = list(plan.objectives.order_by("position").values_list("title", flat=True))
    expected = [f"«ru» {t.title}" for t in template.objectives.order_by("position")]
    assert titles == expected and titles


@pytest.mark.django_db
def test_a_typed_template_text_is_copied_as_typed(kam_a, quadrant) -> None:
    PlanTemplate.objects.filter(quadrant="status").update(mission="Keep them happy, Anna")
    kam_a.user.language = "ru"
    kam_a.user.save()
    quadrant[kam_a.account.pk] = "status"
    plan = services.plan_create(account=kam_a.account, user=kam_a.user, from_template=True)
    assert plan.mission == "Keep them happy, Anna"
