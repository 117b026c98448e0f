"""REST endpoints of relationship health: the list, one account's health, its history and
sentiment, the profiles, the latest backtest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kam.core.api.helpers import changes, responses
from kam.core.api.pagination import PageParams, keyset_page
from kam.core.api.schemas import OMITTED, FilterSchema, Id, InSchema, SaneDate, Text200
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require
from kam.customers.models import Tier, Unit

from . import modes, selectors, services
from .models import COMPONENTS, Combine, Grade, HealthProfileVersion

router = Router(tags=["health"])
VIEW, CHANGE, MANAGE = "kam.view_account", "kam.change_account", "kam.manage_health"

if TYPE_CHECKING:
    GradeLit = str
    CombineLit = str
    TierLit = str
else:
    GradeLit = Literal[tuple(Grade.values)]
    CombineLit = Literal[tuple(Combine.values)]
    TierLit = Literal["key", "transactional", "national", "global"]


class HealthOut(Schema):
    account_id: int
    account: str = Field(..., alias="account.name")
    as_of: dt.date
    score: Decimal
    grade: str
    trend: Decimal | None
    components: dict[str, Any]
    profile: str | None = None
    profile_version: int | None = None

    @staticmethod
    def resolve_profile(obj: Any) -> str | None:
        return obj.version.profile.code if obj.version else None

    @staticmethod
    def resolve_profile_version(obj: Any) -> int | None:
        return obj.version.number if obj.version else None


class HealthPage(Schema):
    items: list[HealthOut]
    next: str | None


class HealthFilters(FilterSchema):
    grade: list[GradeLit] | None = Field(None, description="Any of these grades.")
    tier: TierLit | None = Field(None, description="The account's tier; 'key' = every key tier.")
    manager: Id | None = Field(None, description="The account manager's user id.")
    q: str | None = Field(None, max_length=100, description="Part of the account's name.")
    falling: bool | None = Field(None, description="The score fell against three months ago.")


class MonthOut(Schema):
    month: dt.date
    score: Decimal
    grade: str


class SentimentOut(Schema):
    id: int
    grade: str
    on: dt.date
    note: str
    author_id: int | None


class SentimentIn(InSchema):
    grade: GradeLit
    on: SaneDate | None = None
    note: Text200 = ""


class VersionOut(Schema):
    id: int
    number: int
    status: str
    combine: str
    weights: dict[str, float]
    frequency_norm: Decimal
    depth_target: int
    our_side_target: int
    recency_half_life: int
    good_from: int
    fair_from: int
    note: str


class RuleOut(Schema):
    id: int
    position: int
    tier: str
    quadrant: str


class ProfileOut(Schema):
    id: int
    code: str
    name: str
    description: str
    is_default: bool
    versions: list[VersionOut]
    rules: list[RuleOut]

    @staticmethod
    def resolve_versions(obj: Any) -> list[Any]:
        return list(obj.versions.all())

    @staticmethod
    def resolve_rules(obj: Any) -> list[Any]:
        return list(obj.rules.all())


class VersionPatch(InSchema):
    combine: CombineLit = OMITTED
    weights: dict[str, float] = OMITTED
    frequency_norm: Decimal = Field(OMITTED, ge=Decimal("0.1"), le=100)
    depth_target: int = Field(OMITTED, ge=1, le=50)
    our_side_target: int = Field(OMITTED, ge=1, le=20)
    recency_half_life: int = Field(OMITTED, ge=1, le=730)
    good_from: int = Field(OMITTED, ge=0, le=100)
    fair_from: int = Field(OMITTED, ge=0, le=100)
    note: Text200 = OMITTED


def _account(request: AuthedHttpRequest, account_id: int) -> Unit:
    unit: Unit = get_for_user(Unit.objects.all(), request.auth, VIEW, pk=account_id)
    return unit.account


@router.get(
    "/health",
    response=responses({200: HealthPage}),
    summary="Kept health of the visible accounts (filters: grade, tier, manager, q, falling)",
)
def health_list(
    request: AuthedHttpRequest, filters: Query[HealthFilters], page: Query[PageParams]
) -> Any:
    require(request.auth, VIEW)
    data: dict[str, Any] = filters.model_dump(exclude_none=True)
    if "falling" in data:
        data["falling"] = str(data["falling"])
    return keyset_page(selectors.health_list(user=request.auth, params=data), page)


@router.get(
    "/health/accounts/{account_id}",
    response=responses({200: HealthOut}),
    summary="An account's health: score, grade, trend, components with their numbers",
)
def account_health(request: AuthedHttpRequest, account_id: Id) -> Any:
    account = _account(request, account_id)
    health = selectors.account_health(account=account)["health"]
    if health is None:
        raise Http404  # no figure yet: it is computed at the next refresh
    return health


@router.get(
    "/health/accounts/{account_id}/history",
    response=responses({200: list[MonthOut]}),
    summary="Monthly health of the account, oldest first (?months=12)",
)
def account_history(request: AuthedHttpRequest, account_id: Id, months: int = 12) -> Any:
    account = _account(request, account_id)
    if not 1 <= months <= 120:
        raise DomainError(_("Give 1 to 120 months."), field="months")
    return selectors.grade_history([account.pk], months).get(account.pk, [])


@router.get(
    "/health/accounts/{account_id}/sentiment",
    response=responses({200: list[SentimentOut]}),
    summary="The KAM's readings of the relationship, newest first",
)
def sentiment_list(request: AuthedHttpRequest, account_id: Id) -> Any:
    account = _account(request, account_id)
    return list(account.sentiments.order_by("-on", "-pk")[:50])


@router.post(
    "/health/accounts/{account_id}/sentiment",
    response=responses({201: SentimentOut}),
    summary="Record the KAM's reading (kept beside the score, never mixed into it)",
)
def sentiment_create(request: AuthedHttpRequest, account_id: Id, payload: SentimentIn) -> Any:
    account = _account(request, account_id)
    require(request.auth, CHANGE, account)
    data = payload.model_dump()
    s = services.sentiment_record(account=account, user=request.auth, **data)
    return Status(201, s)


@router.get("/health/profiles", response=responses({200: list[ProfileOut]}))
def profile_list(request: AuthedHttpRequest) -> Any:
    require(request.auth, MANAGE)
    return selectors.profiles()


@router.patch(
    "/health/profile-versions/{version_id}",
    response=responses({200: VersionOut}),
    summary="Change a draft version's weights, norms or bands",
)
def version_update(request: AuthedHttpRequest, version_id: Id, payload: VersionPatch) -> Any:
    require(request.auth, MANAGE)
    version = get_object_or_404(HealthProfileVersion, pk=version_id)
    data = changes(payload)
    if "weights" in data and set(data["weights"]) - set(COMPONENTS):
        raise DomainError(_("Weights are given per component."), field="weights")
    return services.profile_version_update(version=version, **data)


@router.post(
    "/health/profile-versions/{version_id}/activate",
    response=responses({200: VersionOut}),
    summary="Activate a draft version (the profile's previous version retires)",
)
def version_activate(request: AuthedHttpRequest, version_id: Id) -> Any:
    require(request.auth, MANAGE)
    version = get_object_or_404(HealthProfileVersion, pk=version_id)
    return services.profile_version_activate(version=version, user=request.auth)


@router.get("/health/backtest", response=responses({200: dict[str, Any]}))
def backtest_latest(request: AuthedHttpRequest) -> Any:
    """The latest ``kam health-backtest`` result (404 when none was run)."""
    require(request.auth, VIEW)
    row = selectors.latest_backtest()
    if row is None:
        raise Http404  # no backtest has been run yet
    return row.result


class ModeGroupOut(Schema):
    accounts: int
    revenue: Decimal
    revenue_share: Decimal | None = Field(None, description="Percent of all revenue, 12 months.")
    growth: Decimal | None = Field(None, description="Percent against the 12 months before.")
    margin: Decimal | None = Field(None, description="Percent, lines with a known cost.")
    cost_to_serve: Decimal | None = Field(
        None, description="Cost to serve in percent of revenue, accounts with costs entered."
    )
    health: Decimal | None = Field(None, description="Mean health score (key group only).")
    win_rate: Decimal | None = Field(None, description="Percent won of decided opportunities.")
    won: int
    decided: int


class DefinitionOut(Schema):
    figure: str
    definition: str


class ModesOut(Schema):
    window_start: dt.date
    window_end: dt.date = Field(..., description="Exclusive.")
    key: ModeGroupOut
    transactional: ModeGroupOut
    definitions: list[DefinitionOut]


class LeanOpportunityOut(Schema):
    id: int
    name: str
    stage: str
    amount: Decimal | None
    expected_close: dt.date | None


class LeanOrderOut(Schema):
    id: int
    date: dt.date
    unit_id: int
    product: str
    net_amount: Decimal


class PersonOut(Schema):
    id: int
    name: str


class KpiOut(Schema):
    label: str
    value: Any
    unit: str


class SalesViewOut(Schema):
    account_id: int
    mode: str = Field(..., description="'key' (KAM mode) or 'transactional'.")
    revenue: Decimal
    growth: Decimal | None
    win_rate: Decimal | None
    won: int
    decided: int
    pipeline_value: Decimal
    pipeline: list[LeanOpportunityOut]
    orders: list[LeanOrderOut]
    reps: list[PersonOut]
    interactions_12m: int
    kpis: list[KpiOut] = Field(..., description="Relationship KPIs of a key account.")


@router.get(
    "/modes",
    response=responses({200: ModesOut}),
    summary="Key and transactional accounts side by side (Table 6.1), with the definitions",
)
def modes_compare(request: AuthedHttpRequest, as_of: SaneDate | None = None) -> Any:
    require(request.auth, VIEW)
    data = modes.modes_comparison(user=request.auth, as_of=as_of or timezone.localdate())
    start, end = data["window"]
    return {
        "window_start": start,
        "window_end": end,
        **data["groups"],
        "definitions": [
            {"figure": str(name), "definition": str(text)} for name, text in data["definitions"]
        ],
    }


@router.get(
    "/modes/accounts/{account_id}",
    response=responses({200: SalesViewOut}),
    summary="An account's sales view: pipeline, orders, sales KPIs, its reps (Table 6.1)",
)
def sales_view(request: AuthedHttpRequest, account_id: Id) -> Any:
    account = _account(request, account_id)
    today = timezone.localdate()
    data = modes.lean_account(account=account, as_of=today)
    is_key = account.tier != Tier.TRANSACTIONAL
    return {
        **data,
        "account_id": account.pk,
        "mode": modes.KEY if is_key else modes.TRANSACTIONAL,
        "pipeline": [
            {
                "id": o.pk,
                "name": o.name,
                "stage": o.stage,
                "amount": o.amount,
                "expected_close": o.expected_close,
            }
            for o in data["pipeline"]
        ],
        "orders": [
            {
                "id": t.pk,
                "date": t.date,
                "unit_id": t.unit_id,
                "product": str(t.product),
                "net_amount": t.net_amount,
            }
            for t in data["orders"]
        ],
        "reps": [{"id": u.pk, "name": u.get_full_name() or u.username} for u in data["reps"]],
        "kpis": [
            {"label": str(label), "value": None if value is None else str(value), "unit": unit}
            for label, value, unit in (
                modes.key_kpis(account=account, as_of=today) if is_key else []
            )
        ],
    }
