"""Reads of account plans: lists, the plan page, progress, warnings, snapshots and their diff.

Progress (decision 39): an objective with a metric takes its current value from the metric
registry (one ``compute`` call per distinct metric of the plan, whatever the number of
objectives); a manual objective takes its latest update, and until it has one, the completion of
its actions. progress = (current − baseline) / (target − baseline), clipped to 0–1; a level
metric measures the same along its ordered levels. The plan's progress is the mean of its
objectives' progress (of its actions' completion when it has no objective).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kam.core.filters import filter_queryset
from kam.core.metrics import Metric, MetricUnit, MetricValue, UnknownMetric, registry
from kam.sales.models import reporting_currency

from .filters import ActionFilter, PlanFilter
from .models import (
    OPEN_ACTION_STATUSES,
    AccountPlan,
    Action,
    ActionStatus,
    CustomerObjective,
    Objective,
    PlanEvent,
    PlanReview,
    PlanStatus,
    PlanTemplate,
    PlanVersion,
    Risk,
    Strategy,
    SwotItem,
)
from .profile.models import CustomerGoal
from .workflows import review_is_due

# --- lists ------------------------------------------------------------------------------------


def plan_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[AccountPlan]:
    """Plans matching :class:`PlanFilter`, newest period first (the page and the API)."""
    qs = AccountPlan.objects.select_related("account", "account__account_manager")
    return filter_queryset(PlanFilter, filters, qs).order_by("account__name", "-period_start")


def action_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Action]:
    """Actions matching :class:`ActionFilter`, by due date (the action list and the API)."""
    qs = Action.objects.select_related(
        "plan", "plan__account", "plan__account__account_manager", "owner", "unit", "objective"
    )
    return filter_queryset(ActionFilter, filters, qs).order_by("due_date", "pk")


def plan_current(*, account_id: int) -> AccountPlan | None:
    """The account's plan whose period includes today, else its newest."""
    today = timezone.localdate()
    plans = AccountPlan.objects.filter(account_id=account_id)
    return (
        plans.filter(period_start__lte=today, period_end__gte=today)
        .order_by("-period_start")
        .first()
        or plans.order_by("-period_start").first()
    )


def plan_templates() -> dict[str, PlanTemplate]:
    return {t.quadrant: t for t in PlanTemplate.objects.prefetch_related("objectives")}


# --- progress ---------------------------------------------------------------------------------


def metric_or_none(key: str) -> Metric | None:
    if not key:
        return None
    try:
        return registry.get(key)
    except UnknownMetric:
        return None


def _decimal(value: MetricValue) -> Decimal | None:
    if value is None or isinstance(value, str):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def clip01(value: float) -> float:
    return max(0.0, min(1.0, value))


def numeric_progress(
    current: Decimal | None, baseline: Decimal | None, target: Decimal | None
) -> float | None:
    """(current − baseline) / (target − baseline), clipped 0–1; None without current/target.

    A missing baseline counts as 0. A target equal to the baseline is reached (1) when the
    current value is at least the target, else 0.
    """
    if current is None or target is None:
        return None
    base = baseline if baseline is not None else Decimal(0)
    if target == base:
        return 1.0 if current >= target else 0.0
    return clip01(float((current - base) / (target - base)))


def level_progress(
    metric: Metric, current: MetricValue, baseline: str, target: str
) -> float | None:
    """The same along the metric's ordered levels (a missing baseline is the lowest level)."""
    now, goal = metric.level_rank(current), metric.level_rank(target)
    if goal is None:
        return None
    if now is None:
        return 0.0
    base = metric.level_rank(baseline) if baseline else 0
    base = base or 0
    if goal <= base:
        return 1.0 if now >= goal else 0.0
    return clip01((now - base) / (goal - base))


@dataclass
class ObjectiveProgress:
    objective: Objective
    metric: Metric | None
    current: MetricValue
    progress: float | None  # 0–1; None when it cannot be measured (no data, no target)
    source: str  # "metric", "update", "actions" or ""
    actions_done: int = 0
    actions_total: int = 0  # cancelled actions are not counted
    expected: float = 0.0  # share of the time to the deadline elapsed
    on_track: bool = False

    @property
    def percent(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)

    @property
    def actions_percent(self) -> int | None:
        if not self.actions_total:
            return None
        return round(self.actions_done * 100 / self.actions_total)

    @property
    def measurable(self) -> bool:
        return self.metric is not None or self.objective.target_value is not None

    # as the plan page and the PDF show them: level labels, money grouped with the currency
    @property
    def shown_current(self) -> str:
        return metric_text(self.metric, self.current)

    @property
    def shown_baseline(self) -> str:
        o = self.objective
        return metric_text(self.metric, o.baseline, o.baseline_level)

    @property
    def shown_target(self) -> str:
        o = self.objective
        return metric_text(self.metric, o.target_value, o.target_level)


def number_text(value: Any, places: int = 0) -> str:
    """A number grouped by thousands in the active language ("—" when there is none)."""
    if value is None or value == "":
        return "—"
    try:
        return formats.number_format(
            Decimal(str(value)), places, use_l10n=True, force_grouping=True
        )
    except ArithmeticError:
        return str(value)


def metric_text(metric: Metric | None, value: Any, level: str = "") -> str:
    """A value of an objective's metric with its unit: the label of a level (never its code),
    money grouped with the reporting currency, a percentage with one decimal."""
    if metric is not None and metric.unit == MetricUnit.LEVEL:
        code = value if value not in (None, "") else level
        labels = {c: str(label) for c, label in metric.levels}
        return labels.get(str(code), str(code or "—"))
    if value is None or value == "":
        return str(level) if level else "—"
    unit = metric.unit if metric is not None else ""
    if unit == MetricUnit.MONEY:
        return f"{number_text(value)} {reporting_currency()}"
    if unit == MetricUnit.PERCENT:
        return f"{number_text(value, 1)} %"
    try:
        places = 2 if Decimal(str(value)) % 1 else 0
    except ArithmeticError:
        return str(value)
    return number_text(value, places)


def _expected(start: dt.date, deadline: dt.date, as_of: dt.date) -> float:
    span = (deadline - start).days
    if span <= 0:
        return 1.0
    return clip01((as_of - start).days / span)


def metric_values(
    objectives: Sequence[Objective], account_id: int, as_of: dt.date
) -> dict[str, MetricValue]:
    """The current value of every metric the objectives use: one compute per distinct key."""
    out: dict[str, MetricValue] = {}
    for key in {o.metric_key for o in objectives if o.metric_key}:
        metric = metric_or_none(key)
        if metric is not None:
            out[key] = metric.value(account_id, as_of)
    return out


def objectives_progress(
    *,
    plan: AccountPlan,
    objectives: Sequence[Objective],
    actions: Sequence[Action],
    as_of: dt.date,
    values: Mapping[str, MetricValue] | None = None,
) -> list[ObjectiveProgress]:
    """Progress of each objective (no query of its own except the metrics' computes)."""
    if values is None:
        values = metric_values(objectives, plan.account_id, as_of)
    done: dict[int, int] = {}
    total: dict[int, int] = {}
    for a in actions:
        if a.objective_id is None or a.status == ActionStatus.CANCELLED:
            continue
        total[a.objective_id] = total.get(a.objective_id, 0) + 1
        if a.status == ActionStatus.DONE:
            done[a.objective_id] = done.get(a.objective_id, 0) + 1
    out = []
    for o in objectives:
        metric = metric_or_none(o.metric_key)
        n_done, n_total = done.get(o.pk, 0), total.get(o.pk, 0)
        current: MetricValue = None
        progress: float | None = None
        source = ""
        if metric is not None:
            current, source = values.get(o.metric_key), "metric"
            if metric.unit == MetricUnit.LEVEL:
                progress = level_progress(metric, current, o.baseline_level, o.target_level)
            else:
                progress = numeric_progress(_decimal(current), o.baseline, o.target_value)
        elif o.current_value is not None:
            current, source = o.current_value, "update"
            progress = numeric_progress(o.current_value, o.baseline, o.target_value)
        elif n_total:
            source = "actions"
            progress = n_done / n_total
        expected = _expected(plan.period_start, o.deadline, as_of)
        on_track = progress is not None and (progress >= 1.0 or progress + 1e-9 >= expected)
        out.append(
            ObjectiveProgress(
                objective=o,
                metric=metric,
                current=current,
                progress=progress,
                source=source,
                actions_done=n_done,
                actions_total=n_total,
                expected=expected,
                on_track=on_track,
            )
        )
    return out


def plan_progress(
    objectives: Sequence[ObjectiveProgress], actions: Sequence[Action]
) -> float | None:
    measured = [o.progress for o in objectives if o.progress is not None]
    if measured:
        return sum(measured) / len(measured)
    counted = [a for a in actions if a.status != ActionStatus.CANCELLED]
    if counted:
        return sum(1 for a in counted if a.status == ActionStatus.DONE) / len(counted)
    return None


def effective_status(plan: AccountPlan, as_of: dt.date) -> str:
    """The status, with an approved plan whose review date has come shown as review due (the
    worker marks it so on its next tick; decision 101)."""
    if review_is_due(plan.status, plan.next_review_due, as_of):
        return PlanStatus.REVIEW_DUE.value
    return plan.status


# --- warnings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Warning:
    code: str
    message: str


def plan_warnings(
    *,
    plan: AccountPlan,
    objectives: Sequence[ObjectiveProgress],
    actions: Sequence[Action],
    customer_objectives: int,
    as_of: dt.date,
) -> list[Warning]:
    """``customer_objectives``: the plan's customer objectives plus the customer's goals on the
    account's profile (decision 101)."""
    out = []
    if not any(o.measurable for o in objectives):
        out.append(
            Warning(
                "no_measurable_objective",
                _("No measurable objective: give an objective a metric or a target value."),
            )
        )
    with_actions = {a.objective_id for a in actions if a.status != ActionStatus.CANCELLED}
    bare = [o.objective.title for o in objectives if o.objective.pk not in with_actions]
    if bare:
        out.append(
            Warning(
                "objective_without_actions",
                _("Objectives without actions: %(titles)s.") % {"titles": "; ".join(bare)},
            )
        )
    if not customer_objectives:
        out.append(
            Warning(
                "no_customer_input",
                _(
                    "No customer input: record the customer's own goals and initiatives, in "
                    "the plan or on the account's profile."
                ),
            )
        )
    if plan.next_review_due is not None and review_is_due(plan.status, plan.next_review_due, as_of):
        out.append(
            Warning(
                "review_overdue",
                _("The review was due on %(date)s.") % {"date": plan.next_review_due.isoformat()},
            )
        )
    return out


# --- the plan page ----------------------------------------------------------------------------


@dataclass
class PlanPage:
    plan: AccountPlan
    as_of: dt.date
    status: str
    objectives: list[ObjectiveProgress]
    actions: list[Action]
    customer_objectives: list[CustomerObjective]
    swot: dict[str, list[SwotItem]]
    strategies: list[Strategy]
    risks: list[Risk]
    reviews: list[PlanReview]
    events: list[PlanEvent]
    last_version: PlanVersion | None
    warnings: list[Warning]
    progress: float | None
    actions_done: int = 0
    actions_total: int = 0
    actions_overdue: int = 0
    # the customer's goals recorded on the account's profile (they count as customer input)
    profile_goals: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def percent(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)

    @property
    def actions_percent(self) -> int | None:
        if not self.actions_total:
            return None
        return round(self.actions_done * 100 / self.actions_total)


def plan_for_page(*, plan_id: int) -> QuerySet[AccountPlan]:
    return AccountPlan.objects.filter(pk=plan_id).select_related(
        "account", "account__account_manager", "created_by", "submitted_by", "approved_by"
    )


def plan_page(*, plan: AccountPlan, as_of: dt.date | None = None) -> PlanPage:
    """Everything the plan page shows, in a fixed number of queries (plus one per metric used)."""
    as_of = as_of or timezone.localdate()
    objectives = list(plan.objectives.all())
    actions = list(plan.actions.select_related("owner", "unit", "objective", "done_by"))
    customer = list(plan.customer_objectives.select_related("contact"))
    profile_goals = CustomerGoal.objects.filter(account_id=plan.account_id).count()
    swot: dict[str, list[SwotItem]] = {
        "strength": [],
        "weakness": [],
        "opportunity": [],
        "threat": [],
    }
    for item in plan.swot_items.all():
        swot.setdefault(item.kind, []).append(item)
    progress = objectives_progress(plan=plan, objectives=objectives, actions=actions, as_of=as_of)
    counted = [a for a in actions if a.status != ActionStatus.CANCELLED]
    return PlanPage(
        plan=plan,
        as_of=as_of,
        status=effective_status(plan, as_of),
        objectives=progress,
        actions=actions,
        customer_objectives=customer,
        swot=swot,
        strategies=list(plan.strategies.all()),
        risks=list(plan.risks.all()),
        reviews=list(plan.reviews.select_related("reviewer")[:10]),
        events=list(plan.events.select_related("actor").order_by("-at", "-pk")[:20]),
        last_version=plan.versions.select_related("approved_by").first(),
        warnings=plan_warnings(
            plan=plan,
            objectives=progress,
            actions=actions,
            customer_objectives=len(customer) + profile_goals,
            as_of=as_of,
        ),
        profile_goals=profile_goals,
        progress=plan_progress(progress, actions),
        actions_done=sum(1 for a in counted if a.status == ActionStatus.DONE),
        actions_total=len(counted),
        actions_overdue=sum(
            1 for a in actions if a.status in OPEN_ACTION_STATUSES and a.due_date < as_of
        ),
    )


def plan_history(*, plan: AccountPlan) -> QuerySet[PlanEvent]:
    return PlanEvent.objects.filter(plan=plan).select_related("actor")


def plan_versions(*, plan: AccountPlan) -> QuerySet[PlanVersion]:
    return PlanVersion.objects.filter(plan=plan).select_related("approved_by")


# --- snapshots and their diff -------------------------------------------------------------------

SNAPSHOT_FORMAT = 1
PLAN_FIELDS = (
    "period_start",
    "period_end",
    "mission",
    "review_cadence_months",
    "target_stage",
    "quadrant",
)
OBJECTIVE_FIELDS = (
    "title",
    "metric_key",
    "baseline",
    "baseline_level",
    "target_value",
    "target_level",
    "deadline",
)
ACTION_FIELDS = ("title", "owner", "due_date", "status", "unit", "objective", "note")
SECTIONS: dict[str, tuple[str, ...]] = {
    "customer_objectives": ("text", "told_by", "confirmed"),
    "swot": ("kind", "text"),
    "strategies": ("text",),
    "risks": ("text", "mitigation"),
}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def plan_snapshot(*, plan: AccountPlan) -> dict[str, Any]:
    """The plan as plain JSON: fields, sections, objectives and actions (a version's content).

    Objectives and actions are keyed by id so that a later snapshot says what was added,
    removed or changed; an action names its owner and unit by id and by name.
    """
    snap: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "account": {"id": plan.account_id, "name": plan.account.name},
        "fields": {name: _plain(getattr(plan, name)) for name in PLAN_FIELDS},
    }
    snap["customer_objectives"] = [
        {n: _plain(getattr(c, n)) for n in SECTIONS["customer_objectives"]}
        for c in plan.customer_objectives.all()
    ]
    snap["swot"] = [{"kind": s.kind, "text": s.text} for s in plan.swot_items.all()]
    snap["strategies"] = [{"text": s.text} for s in plan.strategies.all()]
    snap["risks"] = [{"text": r.text, "mitigation": r.mitigation} for r in plan.risks.all()]
    snap["objectives"] = {
        str(o.pk): {n: _plain(getattr(o, n)) for n in OBJECTIVE_FIELDS}
        for o in plan.objectives.all()
    }
    snap["actions"] = {
        str(a.pk): {
            "title": a.title,
            "owner": a.owner_id,
            "owner_name": a.owner.get_full_name() or a.owner.username,
            "due_date": a.due_date.isoformat(),
            "status": a.status,
            "unit": a.unit_id,
            "unit_name": a.unit.name if a.unit else "",
            "objective": a.objective_id,
            "note": a.note,
        }
        for a in plan.actions.select_related("owner", "unit")
    }
    return snap


@dataclass
class Change:
    field: str
    old: Any
    new: Any


@dataclass
class ItemDiff:
    key: str
    title: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class SnapshotDiff:
    fields: list[Change] = field(default_factory=list)
    sections: dict[str, dict[str, list[Any]]] = field(default_factory=dict)  # added / removed
    objectives: dict[str, list[ItemDiff]] = field(default_factory=dict)
    actions: dict[str, list[ItemDiff]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (
            self.fields
            or any(v for s in self.sections.values() for v in s.values())
            or any(self.objectives.values())
            or any(self.actions.values())
        )


def _keyed_diff(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]], names: Sequence[str]
) -> dict[str, list[ItemDiff]]:
    out: dict[str, list[ItemDiff]] = {"added": [], "removed": [], "changed": []}
    for key in new.keys() - old.keys():
        out["added"].append(ItemDiff(key, str(new[key].get("title", ""))))
    for key in old.keys() - new.keys():
        out["removed"].append(ItemDiff(key, str(old[key].get("title", ""))))
    for key in old.keys() & new.keys():
        changes = [
            Change(n, old[key].get(n), new[key].get(n))
            for n in names
            if old[key].get(n) != new[key].get(n)
        ]
        if changes:
            out["changed"].append(ItemDiff(key, str(new[key].get("title", "")), changes))
    for items in out.values():
        items.sort(key=lambda i: int(i.key) if i.key.isdigit() else 0)
    return out


def snapshot_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> SnapshotDiff:
    """What changed from snapshot ``old`` to ``new``: plan fields, section items added or
    removed, objectives and actions added, removed or changed (field by field)."""
    diff = SnapshotDiff()
    old_fields, new_fields = old.get("fields", {}), new.get("fields", {})
    diff.fields = [
        Change(n, old_fields.get(n), new_fields.get(n))
        for n in PLAN_FIELDS
        if old_fields.get(n) != new_fields.get(n)
    ]
    for section in SECTIONS:
        before = [tuple(sorted(i.items())) for i in old.get(section, [])]
        after = [tuple(sorted(i.items())) for i in new.get(section, [])]
        diff.sections[section] = {
            "added": [dict(i) for i in after if i not in before],
            "removed": [dict(i) for i in before if i not in after],
        }
    diff.objectives = _keyed_diff(
        old.get("objectives", {}), new.get("objectives", {}), OBJECTIVE_FIELDS
    )
    action_names = [n for n in ACTION_FIELDS if n not in ("owner", "unit")] + [
        "owner_name",
        "unit_name",
    ]
    diff.actions = _keyed_diff(old.get("actions", {}), new.get("actions", {}), action_names)
    return diff


def plan_diff_since_approved(
    *, plan: AccountPlan
) -> tuple[PlanVersion | None, SnapshotDiff | None]:
    """The last approved version and what changed since (None, None without a version)."""
    version = plan.versions.first()
    if version is None:
        return None, None
    return version, snapshot_diff(version.snapshot, plan_snapshot(plan=plan))


def version_diff(*, plan: AccountPlan, number: int) -> tuple[PlanVersion, SnapshotDiff]:
    """Version ``number`` against the one before it (against nothing for the first)."""
    version = plan.versions.get(number=number)
    before = plan.versions.filter(number__lt=number).first()
    return version, snapshot_diff(before.snapshot if before else {}, version.snapshot)


# --- figures for many accounts (the planning metrics, My accounts) --------------------------------


def current_plans(account_ids: Sequence[int], as_of: dt.date) -> dict[int, AccountPlan]:
    """Per account, the plan whose period includes ``as_of``, else its newest (one query)."""
    out: dict[int, AccountPlan] = {}
    rank: dict[int, tuple[int, dt.date]] = {}
    for plan in AccountPlan.objects.filter(account_id__in=account_ids).order_by("pk"):
        covers = 1 if plan.period_start <= as_of <= plan.period_end else 0
        key = (covers, plan.period_start)
        if plan.account_id not in rank or key > rank[plan.account_id]:
            rank[plan.account_id], out[plan.account_id] = key, plan
    return out


def action_counts(plan_ids: Sequence[int], as_of: dt.date) -> dict[int, dict[str, int]]:
    """Open actions due within a week and overdue, per plan (one query)."""
    week = as_of + dt.timedelta(days=7)
    rows = (
        Action.objects.filter(plan_id__in=plan_ids, status__in=OPEN_ACTION_STATUSES)
        .order_by()
        .values("plan_id")
        .annotate(
            due_week=Count("pk", filter=Q(due_date__gte=as_of, due_date__lte=week)),
            overdue=Count("pk", filter=Q(due_date__lt=as_of)),
        )
    )
    return {r["plan_id"]: {"due_week": r["due_week"], "overdue": r["overdue"]} for r in rows}


def objective_counts(
    plans: Mapping[int, AccountPlan], as_of: dt.date
) -> dict[int, tuple[int, int]]:
    """(objectives on track, objectives) per account: one query for objectives, one for
    actions, one compute per distinct metric over all the accounts."""
    by_plan = {p.pk: p for p in plans.values()}
    objectives = list(
        Objective.objects.filter(plan_id__in=by_plan).prefetch_related(
            Prefetch("actions", queryset=Action.objects.only("pk", "status", "objective_id"))
        )
    )
    keys = {o.metric_key for o in objectives if o.metric_key}
    values: dict[str, Mapping[int, MetricValue]] = {}
    for key in keys:
        metric = metric_or_none(key)
        if metric is not None:
            values[key] = metric.values([p.account_id for p in by_plan.values()], as_of)
    out: dict[int, tuple[int, int]] = {p.account_id: (0, 0) for p in by_plan.values()}
    for o in objectives:
        plan = by_plan[o.plan_id]
        account_values = {k: v.get(plan.account_id) for k, v in values.items()}
        [progress] = objectives_progress(
            plan=plan,
            objectives=[o],
            actions=list(o.actions.all()),
            as_of=as_of,
            values=account_values,
        )
        on, total = out[plan.account_id]
        out[plan.account_id] = (on + int(progress.on_track), total + 1)
    return out


def metric_choices() -> list[tuple[str, str]]:
    return [("", _("— manual (updated by hand) —")), *registry.choices()]
