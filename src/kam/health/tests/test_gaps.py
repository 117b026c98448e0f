"""Tests the audit found missing: a quadrant rule assigns a health profile; the ``alerts.open``
metric; the health page shows the latest backtest and a group's roll-up table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.alerts.models import Alert
from kam.core.metrics import Metric, MetricUnit, registry
from kam.health import selectors, services
from kam.testing.factories import ContactFactory, EmploymentFactory, make_unit
from kam.testing.personas import Persona

from .conftest import meet

pytestmark = pytest.mark.django_db


def test_a_quadrant_rule_assigns_its_profile_to_the_accounts_in_that_quadrant() -> None:
    strategic = services.profile_create(code="strategic", name="Strategic accounts")
    draft = strategic.versions.get()
    services.profile_version_update(version=draft, combine="worst_wins")
    services.profile_version_activate(version=draft)
    services.profile_rule_add(profile=strategic, quadrant="strategic")
    star, streamline, unscored = (make_unit(n, tier="key") for n in ("Star", "Stream", "New"))
    quadrants = {star.pk: "strategic", streamline.pk: "streamline"}

    def quadrant_of(ids: Sequence[int], as_of: dt.date) -> dict[int, str]:
        return {pk: quadrants[pk] for pk in ids if pk in quadrants}

    saved = registry.get("identification.quadrant")
    registry.unregister("identification.quadrant")
    registry.register(
        Metric(
            key="identification.quadrant",
            label="Quadrant",
            unit=MetricUnit.LEVEL,
            compute=quadrant_of,
            levels=tuple((q, q) for q in ("streamline", "status", "star", "strategic")),
        )
    )
    try:
        ids = [star.pk, streamline.pk, unscored.pk]
        params = selectors.params_for(ids, dict.fromkeys(ids, "key"), timezone.localdate())
    finally:
        registry.unregister("identification.quadrant")
        registry.register(saved)
    assert params[star.pk].version_id == draft.pk and params[star.pk].combine == "worst_wins"
    assert params[streamline.pk].version_id != draft.pk  # another quadrant: the default
    assert params[unscored.pk].version_id != draft.pk  # not in the matrix: the default


def test_the_open_alerts_metric_counts_live_alerts_only() -> None:
    a, b, quiet = make_unit("A"), make_unit("B"), make_unit("Quiet")
    for i, status in enumerate(("open", "acknowledged", "resolved")):
        Alert.objects.create(kind="t.x", account=a, reason="r", key=f"a{i}", status=status)
    Alert.objects.create(
        kind="t.x",
        account=b,
        reason="r",
        key="b1",
        status="snoozed",
        snoozed_until=timezone.localdate() + dt.timedelta(days=3),
    )
    metric = registry.get("alerts.open")
    assert metric.unit == MetricUnit.COUNT and not metric.higher_is_better
    values = metric.values([a.pk, b.pk, quiet.pk], timezone.localdate())
    assert values == {a.pk: 2, b.pk: 1, quiet.pk: 0}


def _backtest(auc: float, verdict: str) -> None:
    services.backtest_store(
        as_of=dt.date(2026, 5, 31),
        horizon_months=6,
        result={
            "as_of": "2026-05-31",
            "horizon_months": 6,
            "accounts": 40,
            "fell": 9,
            "auc": auc,
            "precision_poor": 0.5,
            "poor": 8,
            "baseline": {"auc": 0.6, "precision_lowest": 0.3},
            "by_grade": [{"grade": "poor", "accounts": 8, "fell": 4, "fall_rate": 0.5}],
            "verdict": verdict,
            "horizon_complete": True,
        },
    )


def test_the_health_pages_show_the_latest_backtest(client: Client, kam_a: Persona) -> None:
    _backtest(0.55, "recency_better")
    _backtest(0.78, "health_better")
    client.force_login(kam_a.user)
    for url in (reverse("health:portfolio"), reverse("health:account", args=[kam_a.account.pk])):
        html = client.get(url).content.decode()
        section = html.split('id="health-backtest"')[1].split("</section>")[0]
        assert 'id="backtest-auc">0.78<' in section, url
        assert "predicted revenue falls better than recency alone" in section
        assert "0.55" not in section


def test_the_health_page_of_a_group_shows_its_companies_and_names_the_left_out(
    client: Client, kam_a: Persona
) -> None:
    group = kam_a.account
    alive = make_unit("Alive GmbH", parent=group)
    make_unit("Dormant SA", parent=group)
    buyer = ContactFactory()
    EmploymentFactory(contact=buyer, unit=alive)
    meet(alive, timezone.localdate() - dt.timedelta(days=5), contacts=(buyer,))
    client.force_login(kam_a.user)
    html = client.get(reverse("health:account", args=[group.pk])).content.decode()
    table = html.split('id="health-rollup"')[1].split("</table>")[0]
    assert "Alive GmbH" in table and "Dormant SA" not in table
    excluded = html.split('id="health-excluded"')[1].split("</p>")[0]
    assert "Dormant SA" in excluded


def test_no_rollup_table_for_an_account_without_companies(client: Client, kam_a: Any) -> None:
    client.force_login(kam_a.user)
    html = client.get(reverse("health:account", args=[kam_a.account.pk])).content.decode()
    assert 'id="health-rollup"' not in html
