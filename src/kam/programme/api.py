"""REST endpoints of the KAM programme: indicators, condition scores, risks, campaigns and
answers (a respondent reads only their own)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from kam.core.api.helpers import changes, responses
from kam.core.api.schemas import (
    OMITTED,
    Id,
    InSchema,
    NonEmptyText200,
    NonEmptyText300,
    SaneDate,
    Text300,
)
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import has_role_rule, require
from kam.people.models import User

from . import selectors, services
from .models import Campaign, Condition, Group, Statement

router = Router(tags=["programme"])

if TYPE_CHECKING:
    GroupLit = str
else:
    GroupLit = Literal[tuple(Group.values)]
VIEW, RUN, ANSWER = "kam.view_programme", "kam.run_assessment", "kam.answer_assessment"


class IndicatorOut(Schema):
    key: str
    condition: int
    label: str
    unit: str
    figure: float | None
    score: float | None
    accounts: list[int]
    note: str


class RecommendationOut(Schema):
    indicator: str
    score: float
    text: str
    accounts: int


class ConditionOut(Schema):
    condition: int
    label: str
    survey: float | None
    indicator: float | None
    score: float | None
    basis: str
    weak: bool
    recommendations: list[RecommendationOut]


class GroupOut(Schema):
    group: str
    respondents: int
    shown: bool
    scores: dict[int, float | None]


class GapOut(Schema):
    condition: int
    high: str
    low: str
    gap: float
    flagged: bool


class ConditionsOut(Schema):
    campaign_id: int | None
    conditions: list[ConditionOut]


class ResultsOut(Schema):
    campaign_id: int
    respondents: int
    shown: bool
    min_group_size: int
    scores: dict[int, float | None]
    groups: list[GroupOut]
    gaps: list[GapOut]


class RiskOut(Schema):
    key: str
    label: str
    level: str
    summary: str
    accounts: list[int]
    missing: str = ""


class ShareOut(Schema):
    account_id: int
    revenue: str
    share: str
    level: str


class RisksOut(Schema):
    as_of: dt.date
    risks: list[RiskOut]
    top5_share: float | None
    hhi: int | None
    dependence: list[ShareOut]


class CampaignOut(Schema):
    id: int
    name: str
    period_start: dt.date
    period_end: dt.date
    groups: list[str]
    status: str
    statements: list[int]


class CampaignIn(InSchema):
    name: NonEmptyText200
    period_start: SaneDate
    period_end: SaneDate
    groups: list[GroupLit] = Field(default_factory=lambda: list(Group.values), min_length=1)


class ResponseOut(Schema):
    statement_id: int
    condition: int
    answer: int
    comment: str


class AnswerIn(InSchema):
    statement_id: Id
    answer: Annotated[int, Field(ge=1, le=5)] | None
    comment: Annotated[str, Field(max_length=500)] = ""


class AnswersIn(InSchema):
    answers: list[AnswerIn] = Field(..., max_length=200)


class SavedOut(Schema):
    saved: int


if TYPE_CHECKING:
    ConditionLit = int
else:
    ConditionLit = Literal[tuple(Condition.values)]
Position = Annotated[int, Field(ge=0, le=32767)]


class StatementOut(Schema):
    id: int
    condition: int
    text_en: str
    text_ru: str
    position: int
    active: bool


class StatementIn(InSchema):
    condition: ConditionLit
    text_en: NonEmptyText300
    text_ru: Text300 = ""
    position: Position | None = None


class StatementPatch(InSchema):
    text_en: NonEmptyText300 = OMITTED
    text_ru: Text300 = OMITTED
    position: Position = OMITTED
    active: bool = OMITTED


def _indicator(i: selectors.Indicator) -> dict[str, Any]:
    return {
        "key": i.key,
        "condition": i.condition,
        "label": str(i.label),
        "unit": i.unit,
        "figure": i.figure,
        "score": i.score,
        "accounts": i.accounts,
        "note": str(i.note),
    }


def _campaign_out(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "period_start": c.period_start,
        "period_end": c.period_end,
        "groups": list(c.groups),
        "status": c.status,
        "statements": sorted(s.pk for s in c.statements.all()),
    }


def _statement_out(s: Statement) -> dict[str, Any]:
    return {
        "id": s.pk,
        "condition": s.condition,
        "text_en": s.text_en,
        "text_ru": s.text_ru,
        "position": s.position,
        "active": s.active,
    }


def _run(request: AuthedHttpRequest) -> None:
    if not has_role_rule(request.auth, RUN):
        raise PermissionDenied


def _campaign(campaign_id: int) -> Campaign:
    found: Campaign = get_object_or_404(Campaign, pk=campaign_id)
    return found


@router.get(
    "/programme/indicators",
    response=responses({200: list[IndicatorOut]}),
    summary="The data indicators of the six conditions, with the accounts behind each",
)
def indicator_list(request: AuthedHttpRequest) -> Any:
    require(request.auth, VIEW)
    found, _risks = services.programme_current(as_of=timezone.localdate()).figures
    return [_indicator(i) for i in found]


@router.get(
    "/programme/conditions",
    response=responses({200: ConditionsOut}),
    summary="Condition scores (survey of the latest or the given campaign, and indicators)",
)
def condition_list(request: AuthedHttpRequest, campaign_id: Id | None = None) -> Any:
    require(request.auth, VIEW)
    campaign = _campaign(campaign_id) if campaign_id else selectors.campaign_latest()
    found, _risks = services.programme_current(as_of=timezone.localdate()).figures
    scores = selectors.condition_scores(as_of=timezone.localdate(), campaign=campaign, found=found)
    return {
        "campaign_id": campaign.pk if campaign else None,
        "conditions": [
            {
                "condition": s.condition,
                "label": str(s.label),
                "survey": s.survey,
                "indicator": s.indicator,
                "score": s.score,
                "basis": s.basis,
                "weak": s.weak,
                "recommendations": [
                    {
                        "indicator": r.indicator,
                        "score": r.score,
                        "text": r.text,
                        "accounts": r.count,
                    }
                    for r in s.recommendations
                ],
            }
            for s in scores
        ],
    }


@router.get(
    "/programme/risks",
    response=responses({200: RisksOut}),
    summary="Risks of KAM: dependence, concentration, margin erosion, service creep, buyer "
    "power, capacity",
)
def risk_list(request: AuthedHttpRequest) -> Any:
    require(request.auth, VIEW)
    _indicators, found = services.programme_current(as_of=timezone.localdate()).figures
    return {
        "as_of": found["as_of"],
        "risks": [
            {
                "key": r.key,
                "label": str(r.label),
                "level": r.level,
                "summary": r.summary,
                "accounts": r.accounts,
                "missing": r.missing,
            }
            for r in found["items"]
        ],
        "top5_share": found["concentration"]["top5"],
        "hhi": found["concentration"]["hhi"],
        "dependence": [
            {
                "account_id": s.account_id,
                "revenue": str(s.revenue),
                "share": str(s.share),
                "level": s.level,
            }
            for s in found["shares"][:50]
        ],
    }


@router.get(
    "/programme/campaigns",
    response=responses({200: list[CampaignOut]}),
    summary="Campaigns: every one for an executive, the open ones asking you for anyone else",
)
def campaign_list(request: AuthedHttpRequest) -> Any:
    require(request.auth, VIEW)
    user: User = request.auth
    if has_role_rule(user, RUN):
        qs = list(
            Campaign.objects.prefetch_related("statements").order_by("-period_end", "-pk")[:100]
        )
    else:
        ids = [m["campaign"].pk for m in selectors.open_campaigns_for(user=user)]
        qs = list(Campaign.objects.filter(pk__in=ids).prefetch_related("statements"))
    return [_campaign_out(c) for c in qs]


@router.post("/programme/campaigns", response=responses({201: CampaignOut}))
def campaign_create(request: AuthedHttpRequest, payload: CampaignIn) -> Any:
    _run(request)
    campaign = services.campaign_open(actor=request.auth, **payload.model_dump())
    return Status(201, _campaign_out(campaign))


@router.post("/programme/campaigns/{campaign_id}/close", response=responses({200: CampaignOut}))
def campaign_close(request: AuthedHttpRequest, campaign_id: Id) -> Any:
    _run(request)
    campaign = services.campaign_close(campaign=_campaign(campaign_id), actor=request.auth)
    return _campaign_out(campaign)


@router.get(
    "/programme/statements",
    response=responses({200: list[StatementOut]}),
    summary="The assessment statements of the six conditions, active and retired",
)
def statement_list(request: AuthedHttpRequest) -> Any:
    _run(request)
    return [_statement_out(s) for s in Statement.objects.order_by("condition", "position", "pk")]


@router.post("/programme/statements", response=responses({201: StatementOut}))
def statement_create(request: AuthedHttpRequest, payload: StatementIn) -> Any:
    _run(request)
    statement = services.statement_create(actor=request.auth, **payload.model_dump())
    return Status(201, _statement_out(statement))


@router.patch("/programme/statements/{statement_id}", response=responses({200: StatementOut}))
def statement_update(request: AuthedHttpRequest, statement_id: Id, payload: StatementPatch) -> Any:
    """Edit a statement's texts or position; ``active: false`` retires it."""
    _run(request)
    statement = get_object_or_404(Statement, pk=statement_id)
    updated = services.statement_update(
        statement=statement, actor=request.auth, data=changes(payload)
    )
    return _statement_out(updated)


@router.get(
    "/programme/campaigns/{campaign_id}/results",
    response=responses({200: ResultsOut}),
    summary="Survey results per condition and per respondent group (executives only)",
)
def campaign_results(request: AuthedHttpRequest, campaign_id: Id) -> Any:
    _run(request)
    result = selectors.survey(campaign=_campaign(campaign_id))
    return {
        "campaign_id": campaign_id,
        "respondents": result.respondents,
        "shown": result.shown,
        "min_group_size": result.min_group_size,
        "scores": result.scores,
        "groups": [
            {"group": g.group, "respondents": g.respondents, "shown": g.shown, "scores": g.scores}
            for g in result.groups
        ],
        "gaps": [
            {
                "condition": g.condition,
                "high": g.high,
                "low": g.low,
                "gap": g.gap,
                "flagged": g.flagged,
            }
            for g in result.gaps
        ],
    }


def _respondent_campaign(request: AuthedHttpRequest, campaign_id: int) -> Campaign:
    require(request.auth, ANSWER)
    campaign = _campaign(campaign_id)
    if request.auth.role not in campaign.groups:
        raise PermissionDenied
    return campaign


@router.get(
    "/programme/campaigns/{campaign_id}/responses",
    response=responses({200: list[ResponseOut]}),
    summary="Your own answers to a campaign (nobody reads another person's answers)",
)
def response_list(request: AuthedHttpRequest, campaign_id: Id) -> Any:
    campaign = _respondent_campaign(request, campaign_id)
    return [
        {
            "statement_id": r.statement_id,
            "condition": r.statement.condition,
            "answer": r.answer,
            "comment": r.comment,
        }
        for r in selectors.own_responses(campaign=campaign, user=request.auth)
    ]


@router.put(
    "/programme/campaigns/{campaign_id}/responses",
    response=responses({200: SavedOut}),
    summary="Answer statements of a campaign (1–5; null clears an answer)",
)
def response_put(request: AuthedHttpRequest, campaign_id: Id, payload: AnswersIn) -> Any:
    campaign = _respondent_campaign(request, campaign_id)
    answers = {a.statement_id: (a.answer, a.comment) for a in payload.answers}
    saved = services.responses_submit(campaign=campaign, respondent=request.auth, answers=answers)
    return {"saved": saved}


class DashboardOut(Schema):
    as_of: dt.date
    computed_at: dt.datetime | None
    updating: bool = Field(
        description="The figures are stale or of an earlier day and the job worker is "
        "computing them again; these are the kept ones (ask again in a few seconds)"
    )
    figures: dict[str, Any]


@router.get(
    "/programme/dashboard",
    response=responses({200: DashboardOut}),
    summary="The executive dashboard: the kept figures of the page (counts, concentration, "
    "matrix, health, stages, plans, alerts, conditions, backtests, changes of the week)",
)
def dashboard_get(request: AuthedHttpRequest) -> Any:
    """The same kept snapshot as the page (shown as it is with ``updating`` while the job worker
    recomputes it, decision 135); codes are left as
    codes (``tier``, ``grade``, ``stage``, alert ``kind``), each figure with its ``link``."""
    require(request.auth, "kam.view_dashboard")
    snapshot = services.dashboard_current()
    return {
        "as_of": snapshot.as_of,
        "computed_at": snapshot.computed_at,
        "updating": snapshot.updating,
        "figures": snapshot.payload,
    }
