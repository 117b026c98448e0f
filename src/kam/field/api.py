"""REST endpoints of field coordination: units and their reps, assignments, visits, check-in,
logging at a visit, the cadence, the calendar feed token and the indicators."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kam.core.api.helpers import ref, responses
from kam.core.api.pagination import PageParams, keyset_page
from kam.core.api.schemas import FilterSchema, Id, InSchema, SaneDate, Text2, Text300, Text5000
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import FIELD_REP, get_for_user, is_internal, require, visible
from kam.customers.models import Contact, Tier, Unit, UnitKind
from kam.interactions.models import InteractionType
from kam.people.models import User
from kam.planning.models import Action

from . import metrics, selectors, services
from .models import Visit, VisitStatus

router = Router(tags=["field"])

if TYPE_CHECKING:
    TierLit = str
    KindLit = str
    TypeLit = str
    StatusLit = str
else:
    TierLit = Literal[tuple(Tier.values)]
    KindLit = Literal[tuple(UnitKind.values)]
    TypeLit = Literal[tuple(InteractionType.values)]
    StatusLit = Literal[tuple(VisitStatus.values)]
VIEW, CHANGE = "kam.view_account", "kam.change_account"
LOG = "kam.log_interaction"
MAX_UNITS = 1000


class UnitRepOut(Schema):
    id: int
    name: str
    kind: str
    country: str
    region: str
    account_tier: str | None
    current_rep_id: int | None


class UnitRepPage(Schema):
    items: list[UnitRepOut]
    next: str | None


class UnitRepFilters(FilterSchema):
    account: int | None = None
    rep: int | None = None
    without_rep: bool | None = None
    country: Text2 | None = None
    q: str | None = Field(None, max_length=100)


class AssignIn(InSchema):
    unit_ids: list[Id] = Field(..., min_length=1, max_length=MAX_UNITS)
    rep_id: Id | None = None


class AcceptIn(InSchema):
    unit_ids: list[Id] = Field(..., min_length=1, max_length=MAX_UNITS)


class ChangedOut(Schema):
    changed: int


class VisitOut(Schema):
    id: int
    unit_id: int
    rep_id: int
    planned_on: dt.date
    status: str
    checked_in_at: dt.datetime | None
    action_id: int | None
    interaction_id: int | None
    generated: bool
    note: str


class VisitPage(Schema):
    items: list[VisitOut]
    next: str | None


class VisitFilters(FilterSchema):
    rep: int | None = None
    unit: int | None = None
    status: list[StatusLit] | None = None
    start: SaneDate | None = None
    end: SaneDate | None = None


class VisitIn(InSchema):
    unit_id: Id
    rep_id: Id
    planned_on: SaneDate
    action_id: Id | None = None
    note: Text300 = ""


class LogIn(InSchema):
    type: TypeLit = InteractionType.VISIT
    summary: Text300 = Field(..., min_length=1)
    outcome: Text5000 = ""
    next_step: Text300 = ""
    contact_ids: list[Id] = Field(default_factory=list, max_length=50)
    participant_ids: list[Id] = Field(default_factory=list, max_length=50)
    action_id: Id | None = None


class FieldLogIn(LogIn):
    unit_id: Id


class LoggedOut(Schema):
    interaction_id: int
    visit_id: int | None = None


class CadenceRow(Schema):
    tier: TierLit
    kind: KindLit
    interval_days: int | None = Field(None, ge=1, le=365)


class CadenceIn(InSchema):
    rows: list[CadenceRow] = Field(..., max_length=100)


class GenerateIn(InSchema):
    weeks: int = Field(4, ge=1, le=26)
    rep_ids: list[Id] | None = Field(None, max_length=1000)


class GeneratedOut(Schema):
    planned: int
    missed: int


class TokenOut(Schema):
    url: str


class IndicatorOut(Schema):
    account_id: int
    units_without_rep: int
    linked_share: float | None
    overdue_actions: int
    missed_visits: int
    silent_reps: int


def _units(request: AuthedHttpRequest, ids: list[int]) -> list[Unit]:
    units = list(visible(request.auth, Unit.objects.filter(pk__in=ids)))
    if len(units) != len(set(ids)):
        raise DomainError(_("No such record."), field="unit_ids", code="unknown")
    return units


@router.get(
    "/field/units",
    response=responses({200: UnitRepPage}),
    summary="Units to be visited with their current field rep (filters: account, rep, "
    "without_rep, country, q)",
)
def unit_list(
    request: AuthedHttpRequest, filters: Query[UnitRepFilters], page: Query[PageParams]
) -> Any:
    require(request.auth, VIEW)
    data = {k: str(v) for k, v in filters.model_dump(exclude_none=True).items()}
    return keyset_page(selectors.unit_rep_list(user=request.auth, filters=data), page)


@router.post(
    "/field/assignments",
    response=responses({200: ChangedOut}),
    summary="Make one field rep responsible for the units (rep_id null: no rep); all or none",
)
def assign(request: AuthedHttpRequest, payload: AssignIn) -> Any:
    require(request.auth, VIEW)
    units = _units(request, payload.unit_ids)
    rep = None
    if payload.rep_id is not None:
        rep = ref(User.objects.filter(role=FIELD_REP, is_active=True), "rep_id", pk=payload.rep_id)
    changed = services.assignment_set(units=units, rep=rep, actor=request.auth)
    return {"changed": changed}


@router.post(
    "/field/assignments/accept-suggestions",
    response=responses({200: ChangedOut}),
    summary="Assign each unit the rep suggested by the reps' territories",
)
def accept_suggestions(request: AuthedHttpRequest, payload: AcceptIn) -> Any:
    require(request.auth, VIEW)
    units = _units(request, payload.unit_ids)
    for unit in units:
        require(request.auth, CHANGE, unit)
    changed = services.suggestions_accept(
        suggestions=selectors.rep_suggestions(units), units=units, actor=request.auth
    )
    return {"changed": changed}


@router.get(
    "/field/visits",
    response=responses({200: VisitPage}),
    summary="Visits (filters: rep, unit, status, start, end)",
)
def visit_list(
    request: AuthedHttpRequest, filters: Query[VisitFilters], page: Query[PageParams]
) -> Any:
    require(request.auth, VIEW)
    data: dict[str, Any] = filters.model_dump(exclude_none=True)
    for key in ("start", "end", "rep", "unit"):
        if key in data:
            data[key] = str(data[key])
    return keyset_page(selectors.visit_list(user=request.auth, filters=data), page)


@router.post(
    "/field/visits",
    response=responses({201: VisitOut}),
    summary="Plan a visit (whoever may change the account; a rep at their own units)",
)
def visit_create(request: AuthedHttpRequest, payload: VisitIn) -> Any:
    unit: Unit = get_for_user(Unit.objects.all(), request.auth, VIEW, pk=payload.unit_id)
    rep = ref(User.objects.filter(role=FIELD_REP, is_active=True), "rep_id", pk=payload.rep_id)
    action = None
    if payload.action_id is not None:
        action = ref(Action.objects.select_related("plan"), "action_id", pk=payload.action_id)
    visit = services.visit_plan(
        unit=unit,
        rep=rep,
        planned_on=payload.planned_on,
        actor=request.auth,
        action=action,
        note=payload.note,
    )
    return Status(201, visit)


def _my_visit(request: AuthedHttpRequest, visit_id: int) -> Visit:
    if not is_internal(request.auth):
        raise PermissionDenied
    visit: Visit = get_for_user(
        Visit.objects.select_related("unit").filter(rep=request.auth),
        request.auth,
        VIEW,
        pk=visit_id,
    )
    return visit


@router.post(
    "/field/visits/{visit_id}/check-in",
    response=responses({200: VisitOut}),
    summary="Check in at one's own planned visit (another user: 404)",
)
def check_in(request: AuthedHttpRequest, visit_id: Id) -> Any:
    visit = _my_visit(request, visit_id)
    return services.visit_check_in(visit=visit, user=request.auth)


def _people(payload: LogIn, request: AuthedHttpRequest) -> dict[str, Any]:
    contacts = list(visible(request.auth, Contact.objects.filter(pk__in=payload.contact_ids)))
    if len(contacts) != len(set(payload.contact_ids)):
        raise DomainError(_("No such record."), field="contact_ids", code="unknown")
    people = list(
        User.objects.filter(pk__in=payload.participant_ids, is_active=True).exclude(role="")
    )
    if len(people) != len(set(payload.participant_ids)):
        raise DomainError(_("No such record."), field="participant_ids", code="unknown")
    action = None
    if payload.action_id is not None:
        action = ref(
            Action.objects.select_related("plan__account"), "action_id", pk=payload.action_id
        )
    return {"contacts": contacts, "participants": people, "action": action}


@router.post(
    "/field/visits/{visit_id}/log",
    response=responses({201: LoggedOut}),
    summary="Log the interaction of one's own visit (checks in; may complete a plan action)",
)
def visit_log(request: AuthedHttpRequest, visit_id: Id, payload: LogIn) -> Any:
    visit = _my_visit(request, visit_id)
    interaction = services.field_interaction_log(
        user=request.auth,
        unit=visit.unit,
        visit=visit,
        type=payload.type,
        summary=payload.summary,
        outcome=payload.outcome,
        next_step=payload.next_step,
        **_people(payload, request),
    )
    return Status(201, {"interaction_id": interaction.pk, "visit_id": visit.pk})


@router.post(
    "/field/interactions",
    response=responses({201: LoggedOut}),
    summary="Log an interaction from the field (a field rep at their own units)",
)
def field_log(request: AuthedHttpRequest, payload: FieldLogIn) -> Any:
    require(request.auth, LOG)
    unit: Unit = get_for_user(Unit.objects.all(), request.auth, VIEW, pk=payload.unit_id)
    interaction = services.field_interaction_log(
        user=request.auth,
        unit=unit,
        type=payload.type,
        summary=payload.summary,
        outcome=payload.outcome,
        next_step=payload.next_step,
        **_people(payload, request),
    )
    return Status(201, {"interaction_id": interaction.pk})


@router.get(
    "/field/cadence", response=responses({200: list[CadenceRow]}), summary="The visit cadence"
)
def cadence_get(request: AuthedHttpRequest) -> Any:
    require(request.auth, VIEW)
    return [
        {"tier": t, "kind": k, "interval_days": d} for (t, k), d in selectors.cadence_map().items()
    ]


@router.put(
    "/field/cadence",
    response=responses({200: list[CadenceRow]}),
    summary="Set cadence rows (interval_days null: not visited); administrators and executives",
)
def cadence_put(request: AuthedHttpRequest, payload: CadenceIn) -> Any:
    require(request.auth, "kam.configure_field")
    for row in payload.rows:
        services.cadence_set(
            tier=row.tier, kind=row.kind, interval_days=row.interval_days, actor=request.auth
        )
    return cadence_get(request)


@router.post(
    "/field/visits/generate",
    response=responses({200: GeneratedOut}),
    summary="Mark passed planned visits missed and plan the next weeks from the cadence",
)
def generate(request: AuthedHttpRequest, payload: GenerateIn) -> Any:
    require(request.auth, "kam.configure_field")
    reps = None
    if payload.rep_ids is not None:
        reps = list(User.objects.filter(pk__in=payload.rep_ids, role=FIELD_REP))
    missed = services.visits_mark_missed()
    made = services.visits_generate(reps=reps, weeks=payload.weeks)
    return {"planned": len(made), "missed": missed}


def _feed_url(request: AuthedHttpRequest, token: str) -> dict[str, str]:
    from django.urls import reverse

    return {"url": request.build_absolute_uri(reverse("field:ics", args=[token]))}


@router.get(
    "/field/feed-token",
    response=responses({200: TokenOut}),
    summary="The address of one's own calendar feed of planned visits",
)
def feed_token(request: AuthedHttpRequest) -> Any:
    if not is_internal(request.auth):
        raise PermissionDenied
    return _feed_url(request, services.feed_token_get(user=request.auth).token)


@router.post(
    "/field/feed-token/revoke",
    response=responses({200: TokenOut}),
    summary="A new calendar feed address; the old one answers 404 from now on",
)
def feed_token_revoke(request: AuthedHttpRequest) -> Any:
    if not is_internal(request.auth):
        raise PermissionDenied
    return _feed_url(request, services.feed_token_revoke(user=request.auth).token)


@router.get(
    "/field/indicators",
    response=responses({200: list[IndicatorOut]}),
    summary="Coordination indicators of the key accounts one may see (at most 500)",
)
def indicators(request: AuthedHttpRequest) -> Any:
    require(request.auth, VIEW)
    accounts = list(
        visible(request.auth, Unit.objects.accounts())
        .exclude(tier=Tier.TRANSACTIONAL)
        .select_related("account_manager__manager")
        .order_by("name")[:500]
    )
    table = metrics.indicator_table(accounts, timezone.localdate())
    return [
        {
            "account_id": account.pk,
            "units_without_rep": row.units_without_rep,
            "linked_share": float(row.linked_share) if row.linked_share is not None else None,
            "overdue_actions": row.overdue_actions,
            "missed_visits": row.missed_visits,
            "silent_reps": row.silent_reps,
        }
        for account, row in table.accounts
    ]
