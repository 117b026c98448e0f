"""A full account plan for the export tests (PDF and JSON): every section filled."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from kam.planning.models import (
    AccountPlan,
    Action,
    CustomerObjective,
    Objective,
    ObjectiveUpdate,
    PlanReview,
    Risk,
    Strategy,
    SwotItem,
    WhiteSpaceCell,
)
from kam.sales.models import Competitor
from kam.testing.factories import ProductLineFactory, UserFactory, make_unit

TEXTS = {
    "en": {
        "mission": "Become the preferred supplier of pumps for every plant.",
        "objective": "Grow revenue with the group",
        "manual": "Sign the framework agreement",
        "action": "Visit the Plant North purchasing team",
        "customer": "Cut energy use of the plants by 20%",
        "strength": "Trusted service team on site",
        "threat": "Rival AG offers lower prices",
        "strategy": "Sell service contracts with every pump",
        "risk": "Budget freeze in Q3",
    },
    "ru": {
        "mission": "Стать основным поставщиком насосов для каждого завода.",
        "objective": "Увеличить выручку с группой",
        "manual": "Подписать рамочное соглашение",
        "action": "Встреча с отделом закупок завода «Север»",
        "customer": "Снизить энергопотребление заводов на 20%",
        "strength": "Надёжная сервисная команда на месте",
        "threat": "Конкурент предлагает более низкие цены",
        "strategy": "Продавать сервисные контракты с каждым насосом",
        "risk": "Заморозка бюджета в третьем квартале",
    },
}


def full_plan(account: Any, manager: Any, lang: str = "en") -> AccountPlan:
    t = TEXTS[lang]
    account.external_id = account.external_id or f"EXT-{account.pk}"
    account.save(update_fields=["external_id"])
    plant = make_unit("Plant North", parent=account, external_id=f"EXT-{account.pk}-P")
    rep = UserFactory(
        username=f"rep-{account.pk}", email=f"rep{account.pk}@example.com", role="field_rep"
    )
    plan = AccountPlan.objects.create(
        account=account,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        mission=t["mission"],
        created_by=manager,
        review_cadence_months=3,
        target_stage="cooperative",
        quadrant="strategic",
    )
    CustomerObjective.objects.create(plan=plan, text=t["customer"], told_by="CFO", confirmed=True)
    SwotItem.objects.create(plan=plan, kind="strength", text=t["strength"])
    SwotItem.objects.create(plan=plan, kind="threat", text=t["threat"])
    Strategy.objects.create(plan=plan, text=t["strategy"])
    Risk.objects.create(plan=plan, text=t["risk"], mitigation="—")
    revenue = Objective.objects.create(
        plan=plan,
        title=t["objective"],
        metric_key="sales.revenue_12m",
        baseline=Decimal("1000"),
        target_value=Decimal("1500.50"),
        deadline=dt.date(2026, 12, 31),
        position=0,
    )
    manual = Objective.objects.create(
        plan=plan,
        title=t["manual"],
        target_value=Decimal("1"),
        current_value=Decimal("0.5"),
        deadline=dt.date(2026, 6, 30),
        position=1,
    )
    ObjectiveUpdate.objects.create(
        objective=manual,
        date=dt.date(2026, 3, 1),
        value=Decimal("0.5"),
        note="draft sent",
        author=manager,
    )
    Action.objects.create(
        plan=plan,
        title=t["action"],
        owner=rep,
        due_date=dt.date(2026, 2, 15),
        unit=plant,
        objective=revenue,
        note="bring samples",
    )
    Action.objects.create(
        plan=plan,
        title="Send the draft agreement",
        owner=manager,
        due_date=dt.date(2026, 3, 1),
        status="done",
        objective=manual,
    )
    PlanReview.objects.create(
        plan=plan, date=dt.date(2026, 4, 1), reviewer=manager, outcome="confirmed", note="ok"
    )
    line = ProductLineFactory(code=f"PUMP{account.pk}", name="Pumps")
    rival, _ = Competitor.objects.get_or_create(name="Rival AG")
    WhiteSpaceCell.objects.create(
        account=account,
        unit=plant,
        product_line=line,
        status="competitor",
        competitor=rival,
        potential=Decimal("25000"),
        note="contract ends 2027",
        edited=True,
    )
    WhiteSpaceCell.objects.create(
        account=account,
        unit=account,
        product_line=line,
        status="blocked",
        potential=0,
    )
    return plan
