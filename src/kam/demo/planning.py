"""Demo account plans: most key accounts get a plan, in every state of the workflow.

Approved plans (with their kept version and events), submitted ones waiting for an executive,
drafts, and one approved plan whose review is overdue. Objectives track the registry's sales
metrics from today's figures (revenue, share of wallet, supplier position) plus a manual one;
actions belong to the KAM, field reps of the account's territory and specialists, some done,
some due this week, some overdue. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kam.core.bulk import create_with_history
from kam.core.metrics import registry
from kam.customers.models import Tier, Unit
from kam.planning.models import (
    AccountPlan,
    Action,
    CustomerObjective,
    Objective,
    PlanEvent,
    PlanReview,
    PlanVersion,
    Risk,
    Strategy,
    SwotItem,
)
from kam.planning.selectors import plan_snapshot

MISSIONS = [
    "Become {name}'s preferred partner for {line}: the supplier they call first when they plan.",
    "Grow with {name} across its plants by standardising on our range and service.",
    "Win back share at {name} by proving lower total cost of ownership, site by site.",
    "Build a joint improvement programme with {name}'s operations and purchasing teams.",
    "Keep {name} profitable to serve while opening two new business units.",
]
LINES = ["maintenance supplies", "process equipment", "spare parts", "technical services"]
CUSTOMER_GOALS = [
    ("Cut unplanned downtime by 15 % across the plants", "Head of maintenance"),
    ("Consolidate the supplier base from 40 to 25 vendors", "Purchasing director"),
    ("Reduce energy use per tonne by 10 % by next year", "Chief operating officer"),
    ("Open a second production line in the north plant", "Plant manager"),
    ("Move to vendor-managed inventory for spare parts", "Supply chain manager"),
    ("Halve the time to qualify a new part", "Head of engineering"),
]
SWOT = {
    "strength": ["Service engineers on site within 24 hours", "Broadest range in the region"],
    "weakness": ["Price above the cheapest competitor", "Few contacts above plant level"],
    "opportunity": ["Supplier consolidation programme", "New line needs a full spare-parts kit"],
    "threat": ["Competitor offers a framework agreement", "Budget freeze announced for Q3"],
}
STRATEGIES = [
    "Propose a three-year framework agreement with service levels per plant.",
    "Run a downtime audit at two plants and present the savings to operations.",
    "Introduce our application engineers to the engineering department.",
    "Offer vendor-managed inventory for the fastest-moving spare parts.",
]
RISKS = [
    ("Our champion in purchasing retires this year", "Meet the successor before the handover"),
    ("Competitor undercuts on price in the tender", "Quantify total cost of ownership per plant"),
    ("Slow payment by one business unit", "Agree payment terms in the framework"),
]
ACTIONS = [
    "Visit the plant manager and walk the line",
    "Present the downtime audit results",
    "Send the framework agreement proposal",
    "Run the spare-parts stock review",
    "Introduce the application engineer to the engineering team",
    "Follow up on the trial order",
    "Agree the quarterly business review date",
    "Map the buying centre for the new line",
]
MANUAL_OBJECTIVES = [
    "Joint business review held with the board",
    "Framework agreement signed",
    "Pilot of vendor-managed inventory running",
]
# the share of key accounts in each state; the rest have no plan yet
STATES = [("approved", 0.45), ("submitted", 0.15), ("draft", 0.25), ("none", 0.15)]


def make_plans(builder: Any) -> int:
    """Write the demo plans for the key accounts; returns how many plans were written."""
    rng: random.Random = builder.rng("plans")
    today: dt.date = builder.today
    now = timezone.now()
    accounts = list(
        Unit.objects.accounts()
        .exclude(tier=Tier.TRANSACTIONAL)
        .order_by("pk")
        .values("pk", "name", "country", "region", "account_manager_id")
    )
    if not accounts:
        return 0
    executives = list(builder.executives) or [None]
    specialists = list(builder.specialists)
    key_units = Unit.objects.accounts().exclude(tier=Tier.TRANSACTIONAL)
    units_of: dict[int, list[int]] = defaultdict(list)
    for unit_id, account_id in (
        Unit.objects.sub_units().in_accounts_of(key_units).account_ids().items()
    ):
        if len(units_of[account_id]) < 20:
            units_of[account_id].append(unit_id)
    ids = [a["pk"] for a in accounts]
    figures = {
        key: registry.get(key).values(ids, today)
        for key in ("sales.revenue_12m", "sales.supplier_position")
        if key in registry
    }
    start = today.replace(month=1, day=1)
    end = today.replace(month=12, day=31)
    plans: list[AccountPlan] = []
    state_of: dict[int, str] = {}
    # the first accounts show every state whatever the scale; then by the weights above
    first = ["review_overdue", "approved", "submitted", "draft"]
    for a in accounts:
        state = first.pop(0) if first else rng.choices(*zip(*STATES, strict=True))[0]
        if state == "none":
            continue
        review_due = today + dt.timedelta(days=rng.randint(20, 80))
        if state == "review_overdue":
            review_due = today - dt.timedelta(days=12)
        mission = rng.choice(MISSIONS).format(name=a["name"], line=rng.choice(LINES))
        approved = state in ("approved", "review_overdue")
        plans.append(
            AccountPlan(
                account_id=a["pk"],
                period_start=start,
                period_end=end,
                mission=mission,
                status="approved" if approved else state,
                review_cadence_months=3,
                next_review_due=review_due if approved else None,
                created_by_id=a["account_manager_id"],
                submitted_by_id=a["account_manager_id"] if state != "draft" else None,
                approved_by_id=executives[0] if approved else None,
                approved_at=now if approved else None,
                target_stage=rng.choice(["partnership", "mid", "partnership", "synergistic"]),
            )
        )
        state_of[a["pk"]] = state
    create_with_history(AccountPlan, plans, batch_size=500)
    plans = list(AccountPlan.objects.filter(account_id__in=ids).order_by("account_id"))
    by_account = {a["pk"]: a for a in accounts}
    sections: list[Any] = []
    objectives: list[Objective] = []
    for plan in plans:
        for text, who in rng.sample(CUSTOMER_GOALS, rng.randint(1, 3)):
            sections.append(
                CustomerObjective(plan=plan, text=text, told_by=who, confirmed=rng.random() < 0.6)
            )
        for kind, texts in SWOT.items():
            sections.append(SwotItem(plan=plan, kind=kind, text=rng.choice(texts)))
        for i, text in enumerate(rng.sample(STRATEGIES, 2)):
            sections.append(Strategy(plan=plan, text=text, position=i))
        text, mitigation = rng.choice(RISKS)
        sections.append(Risk(plan=plan, text=text, mitigation=mitigation))
        revenue = figures.get("sales.revenue_12m", {}).get(plan.account_id)
        revenue = Decimal(str(revenue or 0))
        deadline = plan.period_end
        objectives.append(
            Objective(
                plan=plan,
                title="Grow revenue by 12 %",
                metric_key="sales.revenue_12m",
                baseline=revenue,
                target_value=(revenue * Decimal("1.12")).quantize(Decimal("0.01")),
                deadline=deadline,
                position=0,
            )
        )
        objectives.append(
            Objective(
                plan=plan,
                title="Become the primary supplier",
                metric_key="sales.supplier_position",
                baseline_level=str(
                    figures.get("sales.supplier_position", {}).get(plan.account_id) or ""
                ),
                target_level="primary",
                deadline=deadline,
                position=1,
            )
        )
        if rng.random() < 0.6:
            objectives.append(
                Objective(
                    plan=plan,
                    title="Reach 40 % share of wallet",
                    metric_key="sales.share_of_wallet",
                    baseline=Decimal(0),
                    target_value=Decimal(40),
                    deadline=deadline,
                    position=2,
                )
            )
        done = rng.random() < 0.4
        objectives.append(
            Objective(
                plan=plan,
                title=rng.choice(MANUAL_OBJECTIVES),
                baseline=Decimal(0),
                target_value=Decimal(1),
                current_value=Decimal(1) if done else None,
                deadline=deadline - dt.timedelta(days=rng.randint(30, 150)),
                position=3,
            )
        )
    for model in (CustomerObjective, SwotItem, Strategy, Risk):
        model.objects.bulk_create([s for s in sections if isinstance(s, model)], batch_size=1000)
    create_with_history(Objective, objectives, batch_size=1000)
    objectives_of: dict[int, list[int]] = defaultdict(list)
    for pk, plan_id in Objective.objects.filter(plan__in=plans).values_list("pk", "plan_id"):
        objectives_of[plan_id].append(pk)
    actions: list[Action] = []
    for plan in plans:
        a = by_account[plan.account_id]
        reps = builder.reps_by_territory.get((a["country"], a["region"])) or []
        people = [p for p in [a["account_manager_id"], *reps[:2], *specialists[:1]] if p]
        if not people:
            continue
        units: list[int | None] = [*units_of.get(plan.account_id, [])] or [None]
        for i, title in enumerate(rng.sample(ACTIONS, rng.randint(3, 6))):
            due = today + dt.timedelta(days=rng.randint(-40, 60))
            status = "open"
            if due < today and rng.random() < 0.6:
                status = "done"
            elif rng.random() < 0.25:
                status = "in_progress"
            owner = people[i % len(people)]
            actions.append(
                Action(
                    plan=plan,
                    title=title,
                    owner_id=owner,
                    due_date=due,
                    status=status,
                    unit_id=rng.choice(units),
                    objective_id=rng.choice(objectives_of[plan.pk]) if rng.random() < 0.8 else None,
                    done_at=now if status == "done" else None,
                    done_by_id=owner if status == "done" else None,
                    note="Booked with the plant manager" if status == "in_progress" else "",
                )
            )
    create_with_history(Action, actions, batch_size=1000)
    events: list[PlanEvent] = []
    reviews: list[PlanReview] = []
    for plan in plans:
        state = state_of[plan.account_id]
        events.append(PlanEvent(plan=plan, kind="created", actor_id=plan.created_by_id))
        if state == "draft":
            continue
        events.append(
            PlanEvent(
                plan=plan,
                kind="submitted",
                actor_id=plan.submitted_by_id,
                from_status="draft",
                to_status="submitted",
            )
        )
        if state in ("approved", "review_overdue"):
            events.append(
                PlanEvent(
                    plan=plan,
                    kind="approved",
                    actor_id=plan.approved_by_id,
                    from_status="submitted",
                    to_status="approved",
                    note="Version 1 kept.",
                )
            )
            if state == "approved" and rng.random() < 0.5:
                reviews.append(
                    PlanReview(
                        plan=plan,
                        date=today - dt.timedelta(days=rng.randint(5, 60)),
                        reviewer_id=plan.created_by_id,
                        outcome="confirmed",
                        note="On course; revenue objective ahead of plan.",
                    )
                )
    PlanEvent.objects.bulk_create(events, batch_size=1000)
    PlanReview.objects.bulk_create(reviews, batch_size=1000)
    versions = [
        PlanVersion(
            plan=plan,
            number=1,
            approved_by_id=plan.approved_by_id,
            snapshot=plan_snapshot(plan=plan),
        )
        for plan in plans
        if state_of[plan.account_id] in ("approved", "review_overdue")
    ]
    PlanVersion.objects.bulk_create(versions, batch_size=200)
    builder.counts["plans"] = len(plans)
    builder.counts["plan_actions"] = len(actions)
    return len(plans)
