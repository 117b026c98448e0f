"""Checks against hand-built data: the plan's warnings, the template's white-space pre-fill and
three registered metrics (objectives on track, margin, opportunities won)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kam.core.metrics import Metric, MetricUnit, registry
from kam.core.periods import month_start
from kam.planning import selectors, services
from kam.planning.models import Objective, WhiteSpaceCell
from kam.planning.tests.conftest import PlanWorld
from kam.sales.models import Opportunity
from kam.sales.services import transactions_create
from kam.testing.factories import ProductFactory, ProductLineFactory, make_unit
from kam.testing.html import parse

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONTH = month_start(TODAY) - dt.timedelta(days=10)


def _warnings(world: PlanWorld) -> dict[str, str]:
    world.plan.refresh_from_db()
    page = selectors.plan_page(plan=world.plan, as_of=TODAY)
    return {w.code: w.message for w in page.warnings}


# --- warnings ---------------------------------------------------------------------------------


def test_no_measurable_objective_until_one_has_a_target_or_a_metric(world: PlanWorld) -> None:
    assert "no_measurable_objective" in _warnings(world)  # no objective at all
    vague = services.objective_create(
        plan=world.plan,
        user=world.kam,
        revision=None,
        title="Be closer to the customer",
        deadline=dt.date(2026, 12, 31),
    )
    assert "no_measurable_objective" in _warnings(world)
    services.objective_update(
        objective=vague, user=world.kam, revision=None, target_value=Decimal(3)
    )
    assert "no_measurable_objective" not in _warnings(world)
    Objective.objects.filter(pk=vague.pk).update(target_value=None)
    assert "no_measurable_objective" in _warnings(world)
    services.objective_create(
        plan=world.plan,
        user=world.kam,
        revision=None,
        title="Revenue",
        metric_key="sales.revenue_12m",
        target_value=Decimal(1000),
        deadline=dt.date(2026, 12, 31),
    )
    assert "no_measurable_objective" not in _warnings(world)


def test_objectives_without_actions_are_named_until_each_has_a_live_action(
    world: PlanWorld,
) -> None:
    first, second = (
        services.objective_create(
            plan=world.plan,
            user=world.kam,
            revision=None,
            title=title,
            target_value=Decimal(1),
            deadline=dt.date(2026, 12, 31),
        )
        for title in ("Sign the framework", "Open the plant in Lyon")
    )
    message = _warnings(world)["objective_without_actions"]
    assert "Sign the framework" in message and "Open the plant in Lyon" in message

    def act(objective: Objective, status: str) -> None:
        services.action_create(
            plan=world.plan,
            user=world.kam,
            revision=None,
            title=f"Work on {objective.title}",
            owner=world.rep,
            due_date=TODAY + dt.timedelta(days=7),
            status=status,
            objective=objective,
        )

    act(first, "open")
    message = _warnings(world)["objective_without_actions"]
    assert "Sign the framework" not in message and "Open the plant in Lyon" in message
    act(second, "cancelled")  # a cancelled action is no action
    assert "Open the plant in Lyon" in _warnings(world)["objective_without_actions"]
    act(second, "done")
    assert "objective_without_actions" not in _warnings(world)


# --- the template pre-fills the white space ---------------------------------------------------


def test_a_plan_from_the_template_prefills_the_white_space_from_sales(
    kam_a, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = kam_a.account
    plant = make_unit("Plant Lyon", parent=account, kind="site")
    depot = make_unit("Depot Nantes", parent=account, kind="site")
    pumps = ProductLineFactory(code="PMP", name="Pumps")
    seals = ProductLineFactory(code="SEA", name="Seals")
    transactions_create(
        rows=[
            {
                "date": LAST_MONTH,
                "unit_id": plant.pk,
                "product_id": ProductFactory(line=pumps).pk,
                "net_amount": Decimal("800"),
            },
            {
                "date": LAST_MONTH,
                "unit_id": depot.pk,
                "product_id": ProductFactory(line=seals).pk,
                "net_amount": Decimal("300"),
            },
        ]
    )
    quadrant = Metric(
        key="identification.quadrant",
        label="Quadrant",
        unit=MetricUnit.LEVEL,
        compute=lambda ids, as_of: dict.fromkeys(ids, "strategic"),
        levels=(("streamline", "S"), ("status", "S"), ("star", "S"), ("strategic", "S")),
    )
    monkeypatch.setitem(registry._metrics, "identification.quadrant", quadrant)
    assert not WhiteSpaceCell.objects.filter(account=account).exists()
    plan = services.plan_create(account=account, user=kam_a.user, from_template=True)
    assert plan.quadrant == "strategic" and plan.objectives.exists()
    cells = {
        (c.unit_id, c.product_line_id): c.status
        for c in WhiteSpaceCell.objects.filter(account=account)
    }
    assert cells[(plant.pk, pumps.pk)] == "ours"
    assert cells[(depot.pk, seals.pk)] == "ours"
    assert (plant.pk, seals.pk) not in cells or cells[(plant.pk, seals.pk)] == "not_bought"
    assert not WhiteSpaceCell.objects.filter(account=account, edited=True).exists()
    # without the template nothing is pre-filled
    WhiteSpaceCell.objects.all().delete()
    services.plan_create(
        account=account, user=kam_a.user, period_start=dt.date(2030, 1, 1), from_template=False
    )
    assert not WhiteSpaceCell.objects.exists()


# --- metrics against hand-built data ----------------------------------------------------------


def test_objectives_on_track_counts_what_the_plan_page_shows(world: PlanWorld, kam_b) -> None:
    """Period 2026; on 1 July half of the year has gone (an objective due 31 December is on
    track from 50 %), one due 30 June must be complete."""
    as_of = dt.date(2026, 7, 1)
    cases = [  # (title, current, target, deadline, on track)
        ("Complete", Decimal(10), Decimal(10), dt.date(2026, 12, 31), True),
        ("Ahead", Decimal(6), Decimal(10), dt.date(2026, 12, 31), True),
        ("Behind", Decimal(4), Decimal(10), dt.date(2026, 12, 31), False),
        ("Late", Decimal(9), Decimal(10), dt.date(2026, 6, 30), False),
        ("No data", None, Decimal(10), dt.date(2026, 12, 31), False),
    ]
    for n, (title, current, target, deadline, _on) in enumerate(cases):
        Objective.objects.create(
            plan=world.plan,
            title=title,
            baseline=Decimal(0),
            current_value=current,
            target_value=target,
            deadline=deadline,
            position=n,
        )
    page = selectors.plan_page(plan=world.plan, as_of=as_of)
    assert {o.objective.title: o.on_track for o in page.objectives} == {
        title: on for title, _c, _t, _d, on in cases
    }
    ids = [world.account.pk, kam_b.account.pk]
    on_track = registry.get("planning.objectives_on_track").values(ids, as_of)
    total = registry.get("planning.objectives_total").values(ids, as_of)
    assert on_track == {world.account.pk: 2, kam_b.account.pk: 0}
    assert total == {world.account.pk: 5, kam_b.account.pk: 0}


def test_margin_of_the_last_12_full_months_counts_only_costed_sales(kam_a, kam_b) -> None:
    account, other = kam_a.account, kam_b.account
    site = make_unit("Plant Lyon", parent=account, kind="site")
    product = ProductFactory()

    def sale(unit, day, amount, cost=None):
        row = {"date": day, "unit_id": unit.pk, "product_id": product.pk, "net_amount": amount}
        if cost is not None:
            row["cost"] = cost
        return row

    transactions_create(
        rows=[
            sale(account, LAST_MONTH, Decimal("1000"), Decimal("600")),
            sale(site, LAST_MONTH - dt.timedelta(days=60), Decimal("500"), Decimal("150")),
            sale(site, LAST_MONTH, Decimal("700")),  # no cost: left out of the margin
            sale(account, TODAY, Decimal("900"), Decimal("0")),  # the running month
            sale(account, month_start(TODAY) - dt.timedelta(days=400), Decimal("100"), 90),
            sale(other, LAST_MONTH, Decimal("200"), Decimal("50")),
        ]
    )
    values = registry.get("sales.margin_12m").values([account.pk, other.pk], TODAY)
    # (1000 + 500 − 600 − 150) / (1000 + 500) = 50 %; the other account (200 − 50) / 200 = 75 %
    assert values == {account.pk: Decimal("50.00"), other.pk: Decimal("75.00")}
    lonely = make_unit("No sales AG")
    assert registry.get("sales.margin_12m").value(lonely.pk, TODAY) is None


def test_opportunities_won_in_the_last_12_full_months(kam_a, kam_b) -> None:
    account, other = kam_a.account, kam_b.account
    site = make_unit("Plant Lyon", parent=account, kind="site")
    for unit, stage, close in (
        (account, "won", LAST_MONTH),
        (site, "won", LAST_MONTH - dt.timedelta(days=200)),  # a unit of the account counts
        (account, "won", month_start(TODAY) - dt.timedelta(days=400)),  # too old
        (account, "won", TODAY),  # the running month is not a full month
        (account, "lost", LAST_MONTH),
        (site, "propose", LAST_MONTH),
        (other, "won", LAST_MONTH),
    ):
        Opportunity.objects.create(
            unit=unit, name=f"{stage} {close}", amount=1000, stage=stage, expected_close=close
        )
    values = registry.get("sales.opportunities_won_12m").values([account.pk, other.pk], TODAY)
    assert values == {account.pk: 2, other.pk: 1}


# --- customer input and the plan page's figures -----------------------------------------------


def test_customer_goals_on_the_profile_count_as_customer_input(world: PlanWorld, client) -> None:
    from kam.planning.models import CustomerGoal

    assert "no_customer_input" in _warnings(world)
    CustomerGoal.objects.create(account=world.account, kind="goal", text="Cut energy use by 20%")
    assert "no_customer_input" not in _warnings(world)
    client.force_login(world.kam)
    html = client.get(f"/plans/{world.plan.pk}/").content.decode()
    assert 'id="plan-profile-goals"' in html
    assert "1 goal of the customer on the account" in html
    assert 'data-code="no_customer_input"' not in html


def test_the_plan_page_shows_level_labels_and_money_with_the_currency(
    world: PlanWorld, client
) -> None:
    from kam.sales.models import reporting_currency

    services.objective_create(
        plan=world.plan,
        user=world.kam,
        revision=None,
        title="Become the primary supplier",
        metric_key="sales.supplier_position",
        baseline_level="approved",
        target_level="primary",
        deadline=dt.date(2026, 12, 31),
    )
    services.objective_create(
        plan=world.plan,
        user=world.kam,
        revision=None,
        title="Revenue",
        metric_key="sales.revenue_12m",
        baseline=Decimal("1234567"),
        target_value=Decimal("2500000"),
        deadline=dt.date(2026, 12, 31),
    )
    client.force_login(world.kam)
    html = client.get(f"/plans/{world.plan.pk}/").content.decode()
    cells = {row[0]: row for row in parse(html).find(id="objectives-table").rows()[1:]}
    level = cells["Become the primary supplier"]
    assert level[2] == "Approved" and level[4] == "Primary"
    money = cells["Revenue"]
    currency = reporting_currency()
    assert money[2] == f"1,234,567 {currency}" and money[4] == f"2,500,000 {currency}"
    assert money[3] == f"0 {currency}"
