"""REST endpoints of account teams: members, suggestions, workload."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from django.contrib.auth import get_user_model
from ninja import Field, Query, Router, Schema, Status

from kam.core.api.helpers import changes, ref, responses
from kam.core.api.schemas import (
    OMITTED,
    FilterSchema,
    Id,
    InSchema,
    SaneDate,
    Text120,
    Text200,
)
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require
from kam.customers.models import Unit

from . import selectors, services
from .models import TeamMember, TeamRole

router = Router(tags=["teams"])

if TYPE_CHECKING:
    RoleLit = str
else:
    RoleLit = Literal[tuple(TeamRole.values)]
VIEW, CHANGE = "kam.view_account", "kam.change_account"


class MemberOut(Schema):
    id: int
    account_id: int
    user_id: int
    username: str = Field(..., alias="user.username")
    role: str
    unit_id: int | None
    region: str
    allocation: int
    start: dt.date
    end: dt.date | None
    note: str


class MemberIn(InSchema):
    user_id: Id
    role: RoleLit
    unit_id: Id | None = None
    region: Text120 = ""
    allocation: int = Field(10, ge=0, le=100)
    start: SaneDate | None = None
    end: SaneDate | None = None
    note: Text200 = ""


class MemberPatch(InSchema):
    role: RoleLit = OMITTED
    unit_id: Id | None = None
    region: Text120 = OMITTED
    allocation: int = Field(OMITTED, ge=0, le=100)
    start: SaneDate = OMITTED
    end: SaneDate | None = None
    note: Text200 = OMITTED


class EndIn(InSchema):
    end: SaneDate | None = None


class SuggestionOut(Schema):
    user_id: int
    username: str
    role: str
    interactions: int
    last: dt.datetime


class LoadOut(Schema):
    user_id: int
    username: str
    role: str
    function: str
    allocation: int
    over_allocated: bool
    key_accounts_managed: int
    capacity: int
    over_capacity: bool
    accounts: list[dict[str, Any]]


class WorkloadFilters(FilterSchema):
    function: str | None = None


def _account(request: AuthedHttpRequest, account_id: int) -> Unit:
    account: Unit = get_for_user(Unit.objects.all(), request.auth, VIEW, pk=account_id)
    return account.account


def _unit(data: dict[str, Any], account: Unit) -> None:
    if "unit_id" in data:
        pk = data.pop("unit_id")
        data["unit"] = ref(Unit.objects.in_account(account), "unit_id", pk=pk) if pk else None


@router.get(
    "/accounts/{account_id}/team",
    response=responses({200: list[MemberOut]}),
    summary="The account's team as it is today (or ?on=DATE); ?all=true for its whole history",
)
def team_list(
    request: AuthedHttpRequest, account_id: Id, on: SaneDate | None = None, all: bool = False
) -> Any:
    account = _account(request, account_id)
    if all:
        return selectors.team_history(account=account)
    return selectors.team_of(account=account, on=on)


@router.post("/accounts/{account_id}/team", response=responses({201: MemberOut}))
def team_member_create(request: AuthedHttpRequest, account_id: Id, payload: MemberIn) -> Any:
    account = _account(request, account_id)
    require(request.auth, CHANGE, account)
    data = payload.model_dump()
    user = ref(get_user_model().objects.all(), "user_id", pk=data.pop("user_id"))
    _unit(data, account)
    if data.get("start") is None:
        data.pop("start", None)
    member = services.team_member_add(account=account, user=user, actor=request.auth, **data)
    return Status(201, member)


@router.get(
    "/accounts/{account_id}/team/suggestions", response=responses({200: list[SuggestionOut]})
)
def team_suggestions(request: AuthedHttpRequest, account_id: Id) -> Any:
    account = _account(request, account_id)
    require(request.auth, CHANGE, account)
    return [
        {
            "user_id": s.user.pk,
            "username": s.user.username,
            "role": s.role,
            "interactions": s.interactions,
            "last": s.last,
        }
        for s in selectors.member_suggestions(account=account)
    ]


def _member(request: AuthedHttpRequest, member_id: int) -> TeamMember:
    member: TeamMember = get_for_user(
        TeamMember.objects.select_related("account", "user"), request.auth, VIEW, pk=member_id
    )
    require(request.auth, CHANGE, member.account)
    return member


@router.patch("/team-members/{member_id}", response=responses({200: MemberOut}))
def team_member_update(request: AuthedHttpRequest, member_id: Id, payload: MemberPatch) -> Any:
    member = _member(request, member_id)
    data = changes(payload)
    _unit(data, member.account)
    return services.team_member_update(member=member, data=data, actor=request.auth)


@router.post(
    "/team-members/{member_id}/end",
    response=responses({200: MemberOut}),
    summary="End a membership (today by default); it stays in the team's history",
)
def team_member_end(request: AuthedHttpRequest, member_id: Id, payload: EndIn) -> Any:
    member = _member(request, member_id)
    return services.team_member_end(member=member, end=payload.end, actor=request.auth)


@router.get(
    "/workload",
    response=responses({200: list[LoadOut]}),
    summary="Each person's allocation across account teams (a sales manager: their reports)",
)
def workload(request: AuthedHttpRequest, filters: Query[WorkloadFilters]) -> Any:
    require(request.auth, VIEW)
    users = selectors.workload_users(viewer=request.auth, function=filters.function or "")
    return [
        {
            "user_id": x.user.pk,
            "username": x.user.username,
            "role": x.user.role,
            "function": x.user.function,
            "allocation": x.allocation,
            "over_allocated": x.over_allocated,
            "key_accounts_managed": x.key_accounts_managed,
            "capacity": x.user.capacity,
            "over_capacity": x.over_capacity,
            "accounts": [
                {
                    "account_id": m.account_id,
                    "name": m.account.name,
                    "role": m.role,
                    "allocation": m.allocation,
                }
                for m in x.memberships
            ],
        }
        for x in selectors.workload(users=users)
    ]
