"""REST endpoints of key-account identification: scoring models, scores, nominations, runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from kam.core.api.helpers import changes, ref, responses
from kam.core.api.pagination import PageParams, keyset_page
from kam.core.api.schemas import (
    FilterSchema,
    Id,
    InSchema,
    NonNegativeMoney18,
    Text2,
    Text100,
    Text120,
    Text200,
    Text5000,
)
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require, visible
from kam.core.validation import date_error
from kam.customers.models import Tier, Unit
from kam.people.models import User
from kam.sales.models import reporting_currency

from . import selectors, services
from .explain import explain_expected, explain_left_out, explain_recommendation, explain_wallet
from .models import (
    Nomination,
    NominationStatus,
    Recommendation,
    Scope,
    ScoringModel,
    ScoringRun,
    WalletConfidence,
)

router = Router(tags=["identification"])

VIEW = "kam.view_account"
# The stored values of each choice, a Literal for the OpenAPI enum; mypy cannot read a Literal
# built at runtime, so to it a choice is text.
if TYPE_CHECKING:
    RecommendationLit = str
    ScopeLit = str
    TierLit = str
    StatusLit = str
else:
    RecommendationLit = Literal[tuple(Recommendation.values)]
    ScopeLit = Literal[tuple(Scope.values)]
    TierLit = Literal[tuple(Tier.values)]
    StatusLit = Literal[tuple(NominationStatus.values)]
Version = Annotated[int, Field(ge=1, le=2_147_483_647)]
Score = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


def _reasonable(value: dt.date | None) -> dt.date | None:
    """The date within the accepted range (KAM_DATE_MIN … KAM_DATE_MAX)."""
    message = date_error(value)
    if message:
        raise ValueError(message)
    return value


# --- scoring models ------------------------------------------------------------------------


class CriterionOut(Schema):
    key: str
    name: str
    description: str
    group: str
    source: str
    normalisation: str
    cap: float | None
    weight: float
    order: int


class ModelOut(Schema):
    id: int
    version: int
    name: str
    status: str
    description: str
    min_score: float
    min_potential: float
    min_willingness: float
    kam_capacity: int
    max_key_accounts: int
    global_min_countries: int
    national_min_regions: int
    peer_quantile: float
    peer_min_count: int
    matrix_share_weight: float
    matrix_position_weight: float
    matrix_stage_weight: float
    matrix_attractiveness_cutoff: float
    matrix_strength_cutoff: float
    matrix_axis_min: float
    matrix_axis_max: float
    matrix_competitor_position: float
    review_months: int
    activated_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ModelDetailOut(ModelOut):
    criteria: list[CriterionOut]

    @staticmethod
    def resolve_criteria(obj) -> list:
        return sorted(obj.criteria.all(), key=lambda c: (c.order, c.pk))


class ModelPage(Schema):
    items: list[ModelOut]
    next: str | None


class ModelFilters(FilterSchema):
    status: Literal["draft", "active", "archived"] | None = None


@router.get(
    "/identification/models",
    response=responses({200: ModelPage}),
    summary="List scoring models (every version)",
)
def model_list(request: AuthedHttpRequest, filters: Query[ModelFilters], page: Query[PageParams]):
    require(request.auth, VIEW)
    qs = ScoringModel.objects.all()
    if filters.status:
        qs = qs.filter(status=filters.status)
    return keyset_page(qs, page)


@router.get(
    "/identification/models/{version}",
    response=responses({200: ModelDetailOut}),
    summary="Read a scoring model version with its criteria",
)
def model_read(request: AuthedHttpRequest, version: Version):
    return get_for_user(
        ScoringModel.objects.prefetch_related("criteria"), request.auth, VIEW, version=version
    )


# --- scores --------------------------------------------------------------------------------


class ScoreOut(Schema):
    id: int
    run_id: int
    account_id: int
    account_name: str
    tier: str
    country: str
    industry: str
    rank: int
    total: float
    potential: float
    complexity: float
    relational: float
    strategic: float | None
    recommendation: str
    scope: str
    completeness: float
    countries: int
    regions: int
    willingness: float | None
    revenue_12m: Decimal
    wallet: Decimal | None
    wallet_basis: str
    share_of_wallet: float | None
    headroom: Decimal | None
    gaps: list[str]

    @staticmethod
    def resolve_account_name(obj) -> str:
        return obj.account.name

    @staticmethod
    def resolve_tier(obj) -> str:
        return obj.account.tier

    @staticmethod
    def resolve_country(obj) -> str:
        return obj.account.country

    @staticmethod
    def resolve_industry(obj) -> str:
        return obj.account.industry


class ScorePage(Schema):
    run_id: int | None = Field(None, description="The run listed: the latest of the active model.")
    model_version: int | None = None
    as_of: dt.date | None = None
    items: list[ScoreOut]
    next: str | None


class ScoreFilters(FilterSchema):
    q: Text200 | None = Field(
        None, description="Part of the account name, or its external id (any case)."
    )
    recommendation: RecommendationLit | None = None
    scope: ScopeLit | None = None
    tier: TierLit | None = None
    country: Text2 | None = Field(None, description="ISO country code (any case).")
    industry: Text100 | None = Field(None, description="The industry (any case).")
    min_score: Score | None = Field(None, description="Only scores at or above this (0–100).")
    account_manager: Id | None = Field(None, description="Accounts managed by this user (id).")


@router.get(
    "/identification/scores",
    response=responses({200: ScorePage}),
    summary="Scores of the latest run of the active model (in rank order)",
)
def score_list(request: AuthedHttpRequest, filters: Query[ScoreFilters], page: Query[PageParams]):
    require(request.auth, VIEW)
    run = selectors.scoring_run_latest()
    if run is None:
        return {"run_id": None, "model_version": None, "as_of": None, "items": [], "next": None}
    # The run's rows were written in rank order, so the id order is the rank order.
    scores = visible(
        request.auth, selectors.score_list(run=run, filters=filters.model_dump(exclude_none=True))
    )
    result = keyset_page(scores, page)
    return {"run_id": run.pk, "model_version": run.model.version, "as_of": run.as_of, **result}


class CriterionScoreOut(Schema):
    key: str
    name: str
    group: str
    raw: float | None
    normalised: float
    weight: float
    contribution: float
    gap: bool


class AccountScoreOut(ScoreOut):
    model_version: int
    as_of: dt.date
    breakdown: list[CriterionScoreOut]
    explanation: list[str] = Field(description="Why the recommendation and the scope, in words.")

    @staticmethod
    def resolve_model_version(obj) -> int:
        return obj.run.model.version

    @staticmethod
    def resolve_as_of(obj) -> dt.date:
        return obj.run.as_of

    @staticmethod
    def resolve_breakdown(obj) -> list[dict]:
        return [
            {
                "key": key,
                "name": item.get("name", key),
                "group": item.get("group", ""),
                "raw": item.get("raw"),
                "normalised": item.get("normalised") or 0.0,
                "weight": item.get("weight") or 0.0,
                "contribution": item.get("contribution") or 0.0,
                "gap": bool(item.get("gap")),
            }
            for key, item in obj.breakdown.items()
        ]

    @staticmethod
    def resolve_explanation(obj) -> list[str]:
        return [
            *explain_recommendation(obj, obj.run.model),
            *explain_left_out(obj.run.left_out, obj.run.model.criteria.all()),
            *explain_expected(obj.expected, reporting_currency()),
            *explain_wallet(obj.wallet_basis),
        ]


@router.get(
    "/identification/accounts/{account_id}/score",
    response=responses({200: AccountScoreOut}),
    summary="An account's latest score, explained criterion by criterion",
)
def account_score(request: AuthedHttpRequest, account_id: Id):
    account = get_for_user(Unit.objects.accounts(), request.auth, VIEW, pk=account_id)
    score = selectors.account_score_latest(account=account)
    if score is None:
        raise Http404
    score.account = account
    return score


# --- relational inputs ---------------------------------------------------------------------

if TYPE_CHECKING:
    ConfidenceLit = str
else:
    ConfidenceLit = Literal[("", *WalletConfidence.values)]
Willingness = Annotated[int, Field(ge=0, le=10)]
Horizon = Annotated[int, Field(ge=0, le=services.ASSESSMENT_MAX["agreement_horizon_months"])]
Initiatives = Annotated[int, Field(ge=0, le=services.ASSESSMENT_MAX["joint_initiatives"])]
CriteriaCount = Annotated[int, Field(ge=0, le=services.ASSESSMENT_MAX["buying_criteria_count"])]


class AssessmentOut(Schema):
    account_id: int
    willingness: int | None = Field(default=None, description="Partnership willingness, 0–10")
    agreement_horizon_months: int | None = None
    joint_initiatives: int | None = None
    buying_criteria_count: int | None = Field(
        default=None, description="Used when no buying criteria are listed"
    )
    buying_criteria: list[str] = []
    wallet_estimate: Decimal | None = None
    wallet_source: str = ""
    wallet_confidence: str = ""
    note: str = ""
    updated_at: dt.datetime | None = None
    updated_by: str | None = None


class AssessmentIn(InSchema):
    """Fields left out stay as they are; ``null`` clears a value (unknown)."""

    willingness: Willingness | None = None
    agreement_horizon_months: Horizon | None = None
    joint_initiatives: Initiatives | None = None
    buying_criteria_count: CriteriaCount | None = None
    buying_criteria: list[Text120] | None = Field(
        None, max_length=50, description="Replaces the listed buying criteria"
    )
    wallet_estimate: NonNegativeMoney18 | None = None
    wallet_source: Text200 | None = None
    wallet_confidence: ConfidenceLit | None = None
    note: Text5000 | None = None


def _assessment_out(account: Unit) -> AssessmentOut:
    assessment = selectors.assessment_of(account=account)
    criteria = [c.name for c in selectors.buying_criteria_of(account=account)]
    if assessment is None:
        return AssessmentOut(account_id=account.pk, buying_criteria=criteria)
    return AssessmentOut(
        account_id=account.pk,
        buying_criteria=criteria,
        updated_by=assessment.updated_by.username if assessment.updated_by else None,
        **{name: getattr(assessment, name) for name in (*services.ASSESSMENT_FIELDS, "updated_at")},
    )


@router.get(
    "/identification/accounts/{account_id}/assessment",
    response=responses({200: AssessmentOut}),
    summary="An account's relational scoring inputs (willingness, horizon, initiatives, "
    "buying criteria, manual wallet estimate)",
)
def assessment_read(request: AuthedHttpRequest, account_id: Id):
    account = get_for_user(Unit.objects.accounts(), request.auth, VIEW, pk=account_id)
    return _assessment_out(account)


@router.patch(
    "/identification/accounts/{account_id}/assessment",
    response=responses({200: AssessmentOut}),
    summary="Change an account's relational scoring inputs (history kept)",
)
def assessment_change(request: AuthedHttpRequest, account_id: Id, payload: AssessmentIn):
    account = get_for_user(Unit.objects.accounts(), request.auth, VIEW, pk=account_id)
    data = changes(payload, exclude={"buying_criteria"})
    for name in ("wallet_source", "wallet_confidence", "note"):
        if name in data and data[name] is None:
            data[name] = ""
    services.assessment_save(
        account=account,
        user=request.auth,
        fields=data,
        buying_criteria=(payload.buying_criteria or [])
        if "buying_criteria" in payload.model_fields_set
        else None,
    )
    return _assessment_out(account)


# --- nominations ---------------------------------------------------------------------------


class NominationOut(Schema):
    id: int
    account_id: int
    account_name: str
    status: str
    scope: str
    score_id: int | None
    nominated_by_id: int | None
    rationale: str
    decided_by_id: int | None
    decision_reason: str
    decided_at: dt.datetime | None
    effective_date: dt.date | None
    review_due: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_account_name(obj) -> str:
        return obj.account.name


class NominationPage(Schema):
    items: list[NominationOut]
    next: str | None


class NominationFilters(FilterSchema):
    status: list[StatusLit] | None = Field(None, description="Any of these statuses.")
    account: Id | None = Field(None, description="Only the nominations of this account.")


class NominationIn(InSchema):
    account_id: Id
    rationale: Text5000 = Field(description="Why the account should become a key account.")


class ApproveIn(InSchema):
    reason: Text5000 = ""
    effective_date: dt.date | None = Field(None, description="Today when empty.")
    scope: ScopeLit | None = Field(None, description="Default: the scope of the latest score.")
    account_manager_id: Id | None = Field(
        None,
        description="Who manages the key account (a KAM, sales manager or executive); "
        "required when the account has no manager yet.",
    )

    @field_validator("effective_date")
    @classmethod
    def _date(cls, value):
        return _reasonable(value)


class RejectIn(InSchema):
    reason: Text5000


@router.get(
    "/identification/nominations",
    response=responses({200: NominationPage}),
    summary="List nominations (newest last)",
)
def nomination_list(
    request: AuthedHttpRequest, filters: Query[NominationFilters], page: Query[PageParams]
):
    require(request.auth, VIEW)
    nominations = visible(
        request.auth, selectors.nomination_list(filters=filters.model_dump(exclude_none=True))
    )
    return keyset_page(nominations, page)


@router.post(
    "/identification/nominations",
    response=responses({201: NominationOut}),
    summary="Nominate an account for key-account status (KAM, sales manager, executive)",
)
def nomination_create(request: AuthedHttpRequest, payload: NominationIn):
    require(request.auth, VIEW)
    account = ref(Unit.objects.all(), "account_id", pk=payload.account_id)
    nomination = services.nomination_create(
        account=account, user=request.auth, rationale=payload.rationale
    )
    return Status(201, nomination)


def _nomination(request: AuthedHttpRequest, nomination_id: int) -> Nomination:
    return get_for_user(
        Nomination.objects.select_related("account"), request.auth, VIEW, pk=nomination_id
    )


@router.post(
    "/identification/nominations/{nomination_id}/approve",
    response=responses({200: NominationOut}),
    summary="Approve a nomination (executives only)",
)
def nomination_approve(request: AuthedHttpRequest, nomination_id: Id, payload: ApproveIn):
    nomination = _nomination(request, nomination_id)
    return services.nomination_approve(
        nomination=nomination,
        user=request.auth,
        reason=payload.reason,
        effective_date=payload.effective_date,
        scope=payload.scope,
        account_manager=(
            ref(
                User.objects.filter(is_active=True, role__in=services.MANAGER_ROLES),
                "account_manager_id",
                pk=payload.account_manager_id,
            )
            if payload.account_manager_id
            else None
        ),
    )


@router.post(
    "/identification/nominations/{nomination_id}/reject",
    response=responses({200: NominationOut}),
    summary="Reject a nomination with a reason (executives only)",
)
def nomination_reject(request: AuthedHttpRequest, nomination_id: Id, payload: RejectIn):
    nomination = _nomination(request, nomination_id)
    return services.nomination_reject(
        nomination=nomination, user=request.auth, reason=payload.reason
    )


# --- scoring runs --------------------------------------------------------------------------


class RunOut(Schema):
    id: int
    model_version: int
    status: str
    progress: int
    as_of: dt.date
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    accounts_count: int
    candidates_count: int
    error: str

    @staticmethod
    def resolve_model_version(obj) -> int:
        return obj.model.version


class RunIn(InSchema):
    as_of: dt.date | None = Field(None, description="Score on data up to this day (default today).")

    @field_validator("as_of")
    @classmethod
    def _not_future(cls, value):
        value = _reasonable(value)
        if value is not None and value > timezone.localdate():
            raise ValueError(_("Scoring cannot look into the future."))
        return value


@router.post(
    "/identification/runs",
    response=responses({202: RunOut}),
    summary="Queue a scoring run of every account with the active model",
)
def run_create(request: AuthedHttpRequest, payload: RunIn):
    require(request.auth, VIEW)
    run = services.scoring_run_enqueue(as_of=payload.as_of, user=request.auth)
    run.refresh_from_db()
    return Status(202, run)


@router.post(
    "/identification/runs/{run_id}/rerun",
    response=responses({202: RunOut}),
    summary="Start a new scoring run like a failed one (same model, same as-of day)",
)
def run_rerun(request: AuthedHttpRequest, run_id: Id):
    run = get_for_user(
        ScoringRun.objects.select_related("model"), request.auth, "kam.manage_scoring", pk=run_id
    )
    new = services.scoring_run_rerun(run=run, user=request.auth)
    new.refresh_from_db()
    return Status(202, new)


@router.get(
    "/identification/runs/{run_id}",
    response=responses({200: RunOut}),
    summary="Read a scoring run: status and progress",
)
def run_read(request: AuthedHttpRequest, run_id: Id):
    return get_for_user(ScoringRun.objects.select_related("model"), request.auth, VIEW, pk=run_id)
