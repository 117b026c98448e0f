"""REST endpoints of account plans: plans, workflow steps, objectives, updates, actions,
reviews, versions and their diff, and the metric registry.

Every write of a plan's content carries ``revision`` (the plan's, as read); a stale one is a
409 whose message says who changed the plan and which values differ (decision 41).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from kam.core.api.helpers import changes, ref, responses
from kam.core.api.pagination import PageParams, keyset_page
from kam.core.api.schemas import (
    OMITTED,
    AwareDateTime,
    DeletedOut,
    FilterSchema,
    Id,
    InSchema,
    NonEmptyText200,
    SaneDate,
    Text64,
    Text200,
    Text5000,
)
from kam.core.http import AuthedHttpRequest
from kam.core.metrics import registry
from kam.core.permissions import get_for_user, require, visible
from kam.customers.models import Contact, Unit
from kam.interactions.models import InteractionType
from kam.people.models import User

from . import selectors, services
from .models import (
    AccountPlan,
    Action,
    ActionStatus,
    Objective,
    PlanStatus,
    ReviewOutcome,
    SwotKind,
)

router = Router(tags=["planning"])

VIEW = "kam.view_account"
if TYPE_CHECKING:
    StatusLit = str
    ActionStatusLit = str
    OutcomeLit = str
    InteractionLit = str
    SwotKindLit = str
else:
    StatusLit = Literal[tuple(PlanStatus.values)]
    ActionStatusLit = Literal[tuple(ActionStatus.values)]
    OutcomeLit = Literal[tuple(ReviewOutcome.values)]
    InteractionLit = Literal[tuple(InteractionType.values)]
    SwotKindLit = Literal[tuple(SwotKind.values)]
SectionLit = Literal["customer_objectives", "swot", "strategies", "risks"]
StepLit = Literal["submit", "approve", "reject", "start_review", "reopen"]
Revision = Annotated[int, Field(ge=1, le=2_147_483_647, description="The plan's revision as read")]
Value = Annotated[Decimal, Field(max_digits=15, decimal_places=2)]
Months = Annotated[int, Field(ge=1, le=24)]


# --- the metric registry ----------------------------------------------------------------------


class LevelOut(Schema):
    value: str
    label: str


class MetricOut(Schema):
    key: str
    label: str
    unit: str
    description: str
    higher_is_better: bool
    levels: list[LevelOut]


@router.get(
    "/metrics",
    response=responses({200: list[MetricOut]}),
    summary="The account metrics an objective can track (the registry)",
)
def metric_list(request: AuthedHttpRequest) -> list[dict[str, Any]]:
    require(request.auth, VIEW)
    return [
        {
            "key": m.key,
            "label": str(m.label),
            "unit": m.unit,
            "description": str(m.description),
            "higher_is_better": m.higher_is_better,
            "levels": [{"value": v, "label": str(label)} for v, label in m.levels],
        }
        for m in registry.all()
    ]


# --- plans ------------------------------------------------------------------------------------


class PlanOut(Schema):
    id: int
    account_id: int
    account_name: str = Field(alias="account.name")
    period_start: dt.date
    period_end: dt.date
    mission: str
    status: str
    revision: int
    review_cadence_months: int
    next_review_due: dt.date | None
    target_stage: str
    quadrant: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_status(obj: Any) -> str:
        """As the pages show it: "review_due" from the review date on (decision 101)."""
        if isinstance(obj, dict):
            return str(obj["status"])
        return selectors.effective_status(obj, timezone.localdate())


PLAN_OUT_FIELDS = (
    "id",
    "account_id",
    "period_start",
    "period_end",
    "mission",
    "status",
    "revision",
    "review_cadence_months",
    "next_review_due",
    "target_stage",
    "quadrant",
    "created_at",
    "updated_at",
)


class PlanPage(Schema):
    items: list[PlanOut]
    next: str | None


class PlanFilters(FilterSchema):
    status: StatusLit | None = None
    owner: Id | None = Field(None, description="Id of the account manager")
    account: Id | None = None
    q: Text200 | None = None


class ObjectiveOut(Schema):
    id: int
    title: str
    metric_key: str
    baseline: Decimal | None
    baseline_level: str
    target_value: Decimal | None
    target_level: str
    deadline: dt.date
    current: str | None
    progress: float | None
    on_track: bool
    source: str
    actions_done: int
    actions_total: int


class ActionOut(Schema):
    id: int
    plan_id: int
    title: str
    owner_id: int
    due_date: dt.date
    status: str
    unit_id: int | None
    objective_id: int | None
    note: str
    done_at: dt.datetime | None
    done_by_id: int | None
    interaction_id: int | None


class WarningOut(Schema):
    code: str
    message: str


class SectionItemOut(Schema):
    id: int
    text: str
    kind: str = ""
    told_by: str = ""
    contact_id: int | None = None
    confirmed: bool = False
    mitigation: str = ""


class PlanDetailOut(PlanOut):
    progress: float | None
    objectives: list[ObjectiveOut]
    actions: list[ActionOut]
    customer_objectives: list[SectionItemOut]
    swot: list[SectionItemOut]
    strategies: list[SectionItemOut]
    risks: list[SectionItemOut]
    warnings: list[WarningOut]
    steps: list[str]


def _objective_out(p: selectors.ObjectiveProgress) -> dict[str, Any]:
    o = p.objective
    return {
        "id": o.pk,
        "title": o.title,
        "metric_key": o.metric_key,
        "baseline": o.baseline,
        "baseline_level": o.baseline_level,
        "target_value": o.target_value,
        "target_level": o.target_level,
        "deadline": o.deadline,
        "current": None if p.current is None else str(p.current),
        "progress": p.progress,
        "on_track": p.on_track,
        "source": p.source,
        "actions_done": p.actions_done,
        "actions_total": p.actions_total,
    }


def _detail(request: AuthedHttpRequest, plan: AccountPlan) -> dict[str, Any]:
    page = selectors.plan_page(plan=plan)
    out: dict[str, Any] = {name: getattr(plan, name) for name in PLAN_OUT_FIELDS}
    out["account.name"] = plan.account.name
    out["status"] = selectors.effective_status(plan, timezone.localdate())
    out.update(
        progress=page.progress,
        objectives=[_objective_out(p) for p in page.objectives],
        actions=page.actions,
        customer_objectives=page.customer_objectives,
        swot=[i for items in page.swot.values() for i in items],
        strategies=page.strategies,
        risks=page.risks,
        warnings=[{"code": w.code, "message": w.message} for w in page.warnings],
        steps=[t.name for t in services.plan_allowed_steps(plan=plan, user=request.auth)],
    )
    return out


def _plan(request: AuthedHttpRequest, plan_id: int, perm: str = VIEW) -> AccountPlan:
    plan: AccountPlan = get_for_user(
        AccountPlan.objects.select_related("account", "account__account_manager"),
        request.auth,
        VIEW,
        pk=plan_id,
    )
    if perm != VIEW:
        require(request.auth, perm, plan.account)
    return plan


@router.get("/plans", response=responses({200: PlanPage}), summary="List account plans")
def plan_list(
    request: AuthedHttpRequest, filters: Query[PlanFilters], page: Query[PageParams]
) -> dict[str, Any]:
    require(request.auth, VIEW)
    plans = visible(
        request.auth, selectors.plan_list(filters=filters.model_dump(exclude_none=True))
    )
    return keyset_page(plans, page)


class PlanIn(InSchema):
    account_id: Id
    period_start: SaneDate | None = None
    period_end: SaneDate | None = None
    mission: Text5000 = ""
    from_template: bool = Field(
        False, description="Start from the template of the account's portfolio quadrant"
    )


@router.post(
    "/plans",
    response=responses({201: PlanDetailOut}),
    summary="Create a draft plan for an account (optionally from its quadrant's template)",
)
def plan_create(request: AuthedHttpRequest, payload: PlanIn) -> Status[Any]:
    require(request.auth, VIEW)
    account = ref(visible(request.auth, Unit.objects.all()), "account_id", pk=payload.account_id)
    plan = services.plan_create(
        account=account,
        user=request.auth,
        period_start=payload.period_start,
        period_end=payload.period_end,
        mission=payload.mission,
        from_template=payload.from_template,
    )
    return Status(201, _detail(request, plan))


@router.get(
    "/plans/{plan_id}",
    response=responses({200: PlanDetailOut}),
    summary="A plan with its objectives (live progress), actions, sections and warnings",
)
def plan_get(request: AuthedHttpRequest, plan_id: Id) -> dict[str, Any]:
    return _detail(request, _plan(request, plan_id))


class PlanPatch(InSchema):
    revision: Revision
    period_start: SaneDate = OMITTED
    period_end: SaneDate = OMITTED
    mission: Text5000 = OMITTED
    review_cadence_months: Months = OMITTED


@router.patch(
    "/plans/{plan_id}",
    response=responses({200: PlanDetailOut}),
    summary="Change a draft plan's mission, period or review cadence (with its revision)",
)
def plan_update(request: AuthedHttpRequest, plan_id: Id, payload: PlanPatch) -> dict[str, Any]:
    plan = _plan(request, plan_id)
    plan = services.plan_update(
        plan=plan,
        user=request.auth,
        revision=payload.revision,
        **changes(payload, exclude={"revision"}),
    )
    return _detail(request, plan)


class StepIn(InSchema):
    note: Text5000 = ""
    revision: Revision | None = None


@router.post(
    "/plans/{plan_id}/steps/{step}",
    response=responses({200: PlanDetailOut}),
    summary="Take a workflow step: submit, approve / reject (executives), start_review, reopen",
)
def plan_step(
    request: AuthedHttpRequest, plan_id: Id, step: StepLit, payload: StepIn
) -> dict[str, Any]:
    plan = _plan(request, plan_id)
    plan = services.plan_step(
        plan=plan, step=step, user=request.auth, note=payload.note, revision=payload.revision
    )
    return _detail(request, plan)


class ReviewIn(InSchema):
    outcome: OutcomeLit
    note: Text5000 = ""
    date: SaneDate | None = None


class ReviewOut(Schema):
    id: int
    date: dt.date
    reviewer_id: int | None
    outcome: str
    note: str


@router.post(
    "/plans/{plan_id}/reviews",
    response=responses({201: ReviewOut}),
    summary="Record a review of an approved plan",
)
def plan_review(request: AuthedHttpRequest, plan_id: Id, payload: ReviewIn) -> Status[Any]:
    plan = _plan(request, plan_id)
    review = services.plan_review_record(
        plan=plan, user=request.auth, outcome=payload.outcome, note=payload.note, date=payload.date
    )
    return Status(201, review)


# --- versions ---------------------------------------------------------------------------------


class VersionOut(Schema):
    number: int
    approved_at: dt.datetime
    approved_by_id: int | None


class ChangeOut(Schema):
    field: str
    old: Any
    new: Any


class ItemDiffOut(Schema):
    key: str
    title: str
    changes: list[ChangeOut]


class DiffOut(Schema):
    fields: list[ChangeOut]
    sections: dict[str, dict[str, list[dict[str, Any]]]]
    objectives: dict[str, list[ItemDiffOut]]
    actions: dict[str, list[ItemDiffOut]]


class VersionDetailOut(VersionOut):
    snapshot: dict[str, Any]
    changes: DiffOut = Field(description="What changed from the version before")


class SinceApprovedOut(Schema):
    version: VersionOut | None
    changes: DiffOut | None


@router.get(
    "/plans/{plan_id}/versions",
    response=responses({200: list[VersionOut]}),
    summary="The approved versions of a plan, newest first",
)
def plan_versions(request: AuthedHttpRequest, plan_id: Id) -> Any:
    return list(selectors.plan_versions(plan=_plan(request, plan_id)))


@router.get(
    "/plans/{plan_id}/versions/{number}",
    response=responses({200: VersionDetailOut}),
    summary="One approved version: its snapshot and what changed from the one before",
)
def plan_version(request: AuthedHttpRequest, plan_id: Id, number: Id) -> dict[str, Any]:
    plan = _plan(request, plan_id)
    get_object_or_404(plan.versions, number=number)
    version, diff = selectors.version_diff(plan=plan, number=number)
    return {
        "number": version.number,
        "approved_at": version.approved_at,
        "approved_by_id": version.approved_by_id,
        "snapshot": version.snapshot,
        "changes": diff,
    }


@router.get(
    "/plans/{plan_id}/diff",
    response=responses({200: SinceApprovedOut}),
    summary="What changed since the last approved version",
)
def plan_diff(request: AuthedHttpRequest, plan_id: Id) -> dict[str, Any]:
    version, diff = selectors.plan_diff_since_approved(plan=_plan(request, plan_id))
    return {"version": version, "changes": diff}


# --- objectives -------------------------------------------------------------------------------


class ObjectiveIn(InSchema):
    revision: Revision
    title: NonEmptyText200
    metric_key: Text64 = Field("", description="A key of GET /metrics; empty: updated by hand")
    baseline: Value | None = None
    baseline_level: Text64 = ""
    target_value: Value | None = None
    target_level: Text64 = ""
    deadline: SaneDate | None = None


class ObjectivePatch(InSchema):
    revision: Revision
    title: NonEmptyText200 = OMITTED
    metric_key: Text64 = OMITTED
    baseline: Value | None = OMITTED
    baseline_level: Text64 = OMITTED
    target_value: Value | None = OMITTED
    target_level: Text64 = OMITTED
    deadline: SaneDate = OMITTED


class ObjectiveRowOut(Schema):
    id: int
    plan_id: int
    title: str
    metric_key: str
    baseline: Decimal | None
    baseline_level: str
    target_value: Decimal | None
    target_level: str
    deadline: dt.date
    current_value: Decimal | None


def _objective(request: AuthedHttpRequest, objective_id: int) -> Objective:
    objective: Objective = get_for_user(
        Objective.objects.select_related("plan", "plan__account"),
        request.auth,
        VIEW,
        pk=objective_id,
    )
    return objective


@router.post(
    "/plans/{plan_id}/objectives",
    response=responses({201: ObjectiveRowOut}),
    summary="Add an objective: a metric (or none) with a target and a deadline",
)
def objective_create(request: AuthedHttpRequest, plan_id: Id, payload: ObjectiveIn) -> Status[Any]:
    plan = _plan(request, plan_id)
    data = changes(payload, exclude={"revision"})
    if data.get("deadline") is None:
        data.pop("deadline", None)
    objective = services.objective_create(
        plan=plan, user=request.auth, revision=payload.revision, **data
    )
    return Status(201, objective)


@router.patch(
    "/objectives/{objective_id}",
    response=responses({200: ObjectiveRowOut}),
    summary="Change an objective (with the plan's revision)",
)
def objective_update(
    request: AuthedHttpRequest, objective_id: Id, payload: ObjectivePatch
) -> Objective:
    return services.objective_update(
        objective=_objective(request, objective_id),
        user=request.auth,
        revision=payload.revision,
        **changes(payload, exclude={"revision"}),
    )


class RevisionQuery(Schema):
    revision: Revision


@router.delete(
    "/objectives/{objective_id}",
    response=responses({200: DeletedOut}),
    summary="Remove an objective (?revision= the plan's revision)",
)
def objective_delete(
    request: AuthedHttpRequest, objective_id: Id, query: Query[RevisionQuery]
) -> dict[str, bool]:
    services.objective_delete(
        objective=_objective(request, objective_id), user=request.auth, revision=query.revision
    )
    return {"deleted": True}


class UpdateIn(InSchema):
    revision: Revision
    date: SaneDate | None = None
    value: Value
    note: Text5000 = ""


class UpdateOut(Schema):
    id: int
    objective_id: int
    date: dt.date
    value: Decimal
    note: str
    author_id: int | None


@router.post(
    "/objectives/{objective_id}/updates",
    response=responses({201: UpdateOut}),
    summary="Record the value of a manual objective on a date",
)
def objective_update_record(
    request: AuthedHttpRequest, objective_id: Id, payload: UpdateIn
) -> Status[Any]:
    update = services.objective_update_record(
        objective=_objective(request, objective_id),
        user=request.auth,
        revision=payload.revision,
        date=payload.date or timezone.localdate(),
        value=payload.value,
        note=payload.note,
    )
    return Status(201, update)


# --- sections: customer objectives, SWOT, strategies, risks ----------------------------------


class SectionItemFields(InSchema):
    revision: Revision
    kind: SwotKindLit = Field(OMITTED, description="SWOT only")
    told_by: Text200 = Field(OMITTED, description="Customer objectives only")
    contact_id: Id | None = Field(OMITTED, description="Customer objectives only")
    confirmed: bool = Field(OMITTED, description="Customer objectives only")
    mitigation: Text5000 = Field(OMITTED, description="Risks only")


class SectionItemIn(SectionItemFields):
    text: Text5000


class SectionItemPatch(SectionItemFields):
    text: Text5000 = OMITTED


def _section_data(
    request: AuthedHttpRequest, plan: AccountPlan, payload: InSchema
) -> dict[str, Any]:
    data = changes(payload, exclude={"revision"})
    if "contact_id" in data:
        contact_id = data.pop("contact_id")
        data["contact"] = (
            None
            if contact_id is None
            else ref(visible(request.auth, Contact.objects.all()), "contact_id", pk=contact_id)
        )
    return data


def _section_item(plan: AccountPlan, section: str, item_id: int) -> Any:
    model, _fields = services.SECTION_MODELS[section]
    return get_object_or_404(model._default_manager.select_related("plan"), plan=plan, pk=item_id)


@router.post(
    "/plans/{plan_id}/sections/{section}",
    response=responses({201: SectionItemOut}),
    summary="Add a customer objective, SWOT item, strategy or risk (with the plan's revision)",
)
def section_item_create(
    request: AuthedHttpRequest, plan_id: Id, section: SectionLit, payload: SectionItemIn
) -> Status[Any]:
    plan = _plan(request, plan_id)
    item = services.section_item_add(
        plan=plan,
        user=request.auth,
        revision=payload.revision,
        section=section,
        **_section_data(request, plan, payload),
    )
    return Status(201, item)


@router.patch(
    "/plans/{plan_id}/sections/{section}/{item_id}",
    response=responses({200: SectionItemOut}),
    summary="Change an item of a plan section (with the plan's revision)",
)
def section_item_update(
    request: AuthedHttpRequest,
    plan_id: Id,
    section: SectionLit,
    item_id: Id,
    payload: SectionItemPatch,
) -> Any:
    plan = _plan(request, plan_id)
    return services.section_item_update(
        item=_section_item(plan, section, item_id),
        user=request.auth,
        revision=payload.revision,
        **_section_data(request, plan, payload),
    )


@router.delete(
    "/plans/{plan_id}/sections/{section}/{item_id}",
    response=responses({200: DeletedOut}),
    summary="Remove an item of a plan section (?revision= the plan's revision)",
)
def section_item_delete(
    request: AuthedHttpRequest,
    plan_id: Id,
    section: SectionLit,
    item_id: Id,
    query: Query[RevisionQuery],
) -> dict[str, bool]:
    plan = _plan(request, plan_id)
    services.section_item_delete(
        item=_section_item(plan, section, item_id), user=request.auth, revision=query.revision
    )
    return {"deleted": True}


# --- actions ----------------------------------------------------------------------------------


class ActionPage(Schema):
    items: list[ActionOut]
    next: str | None


class ActionFilters(FilterSchema):
    owner: Id | None = None
    status: ActionStatusLit | None = None
    open: bool | None = None
    plan: Id | None = None


@router.get(
    "/actions", response=responses({200: ActionPage}), summary="List plan actions (owner filter)"
)
def action_list(
    request: AuthedHttpRequest, filters: Query[ActionFilters], page: Query[PageParams]
) -> dict[str, Any]:
    require(request.auth, VIEW)
    actions = visible(
        request.auth, selectors.action_list(filters=filters.model_dump(exclude_none=True))
    )
    return keyset_page(actions, page)


class ActionIn(InSchema):
    revision: Revision
    title: NonEmptyText200
    owner_id: Id
    due_date: SaneDate
    status: ActionStatusLit = "open"
    unit_id: Id | None = None
    objective_id: Id | None = None
    note: Text5000 = ""


class ActionPatch(InSchema):
    revision: Revision
    title: NonEmptyText200 = OMITTED
    owner_id: Id = OMITTED
    due_date: SaneDate = OMITTED
    status: ActionStatusLit = OMITTED
    unit_id: Id | None = OMITTED
    objective_id: Id | None = OMITTED
    note: Text5000 = OMITTED


def _action_refs(plan: AccountPlan, data: dict[str, Any]) -> dict[str, Any]:
    """Turn the ids of a body into objects (a 400 naming the field for an unknown one)."""
    if "owner_id" in data:
        data["owner"] = ref(User.objects.all(), "owner_id", pk=data.pop("owner_id"))
    if "unit_id" in data:
        unit_id = data.pop("unit_id")
        data["unit"] = ref(Unit.objects.all(), "unit_id", pk=unit_id) if unit_id else None
    if "objective_id" in data:
        objective_id = data.pop("objective_id")
        data["objective"] = (
            ref(plan.objectives.all(), "objective_id", pk=objective_id) if objective_id else None
        )
    return data


def _action(request: AuthedHttpRequest, action_id: int) -> Action:
    action: Action = get_for_user(
        Action.objects.select_related("plan", "plan__account", "owner"),
        request.auth,
        VIEW,
        pk=action_id,
    )
    return action


@router.post(
    "/plans/{plan_id}/actions",
    response=responses({201: ActionOut}),
    summary="Add an action for anyone in the company",
)
def action_create(request: AuthedHttpRequest, plan_id: Id, payload: ActionIn) -> Status[Any]:
    plan = _plan(request, plan_id)
    data = _action_refs(plan, changes(payload, exclude={"revision"}))
    action = services.action_create(plan=plan, user=request.auth, revision=payload.revision, **data)
    return Status(201, action)


@router.patch(
    "/actions/{action_id}",
    response=responses({200: ActionOut}),
    summary="Change an action; its owner may change its status and note",
)
def action_update(request: AuthedHttpRequest, action_id: Id, payload: ActionPatch) -> Action:
    action = _action(request, action_id)
    data = _action_refs(action.plan, changes(payload, exclude={"revision"}))
    return services.action_update(
        action=action, user=request.auth, revision=payload.revision, **data
    )


@router.delete(
    "/actions/{action_id}",
    response=responses({200: DeletedOut}),
    summary="Remove an action (?revision= the plan's revision)",
)
def action_delete(
    request: AuthedHttpRequest, action_id: Id, query: Query[RevisionQuery]
) -> dict[str, bool]:
    services.action_delete(
        action=_action(request, action_id), user=request.auth, revision=query.revision
    )
    return {"deleted": True}


class ActionInteractionIn(InSchema):
    type: InteractionLit = "visit"
    occurred_at: AwareDateTime | None = None
    summary: Text200 = ""
    outcome: Text5000 = ""
    complete: bool = True


@router.post(
    "/actions/{action_id}/interaction",
    response=responses({200: ActionOut}),
    summary="Log an interaction against the action, which completes it",
)
def action_log_interaction(
    request: AuthedHttpRequest, action_id: Id, payload: ActionInteractionIn
) -> Action:
    return services.action_log_interaction(
        action=_action(request, action_id), user=request.auth, **payload.model_dump()
    )
