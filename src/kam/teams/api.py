"""REST endpoints of account teams: members, suggestions, workload."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kam.core.api.helpers import changes, ref, responses
from kam.core.api.pagination import PageParams, keyset_page
from kam.core.api.schemas import (
    OMITTED,
    FilterSchema,
    Id,
    InSchema,
    SaneDate,
    Text120,
    Text200,
)
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, is_executive, require, visible
from kam.customers.models import Unit
from kam.people.models import Function

from . import selectors, services
from .models import RequestStatus, ResourceRequest, TeamMember, TeamRole
from .workflows import REQUEST_WORKFLOW

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
                    "name": m.name,
                    "role": m.role,
                    "allocation": m.allocation,
                }
                for m in x.memberships
            ],
        }
        for x in selectors.workload(users=users, viewer=request.auth)
    ]


# --- Resource requests, comments, the feed, function heads (issue 14) --------------------------

if TYPE_CHECKING:
    FunctionLit = str
    StatusLit = str
    KindLit = str
else:
    FunctionLit = Literal[tuple(Function.values)]
    StatusLit = Literal[tuple(RequestStatus.values)]
    KindLit = Literal[tuple(selectors.FeedKind.values)]
COORDINATE = "kam.coordinate"
Text40 = Annotated[str, Field(max_length=40)]
Text500 = Annotated[str, Field(max_length=500)]
Text2000 = Annotated[str, Field(max_length=2000)]
Text4000 = Annotated[str, Field(max_length=4000)]


class RequestOut(Schema):
    id: int
    account_id: int
    unit_id: int | None
    requester_id: int
    function: str
    what: str
    needed_by: dt.date
    plan_action_ref: str
    plan_action_id: int | None
    plan_objective_id: int | None
    status: str
    assignee_id: int | None
    decline_reason: str
    opened_at: dt.datetime
    accepted_at: dt.datetime | None
    done_at: dt.datetime | None
    overdue: bool = Field(..., alias="is_overdue")
    days_to_mobilise: float | None
    days_to_done: float | None


class RequestPage(Schema):
    items: list[RequestOut]
    next: str | None


class RequestFilters(FilterSchema):
    status: list[StatusLit] | None = Field(None, description="Any of these statuses.")
    function: FunctionLit | None = None
    account: Id | None = Field(None, description="Only the requests of this account.")
    mine: bool | None = Field(
        None, description="Requests I filed, am assigned, or whose function I manage."
    )
    overdue: bool | None = Field(None, description="Needed by a passed day and not done.")


class RequestIn(InSchema):
    account_id: Id
    function: FunctionLit
    what: Text2000
    needed_by: SaneDate
    unit_id: Id | None = None
    plan_action_id: Id | None = Field(None, description="An action of the account's plans.")
    plan_objective_id: Id | None = Field(
        None, description="An objective of the account's plans (not with plan_action_id)."
    )
    plan_action_ref: Text40 = Field(
        "", description="Older form of the same: “action:123” or “objective:7”."
    )


class AcceptIn(InSchema):
    assignee_id: Id


class DeclineIn(InSchema):
    reason: Text500


class CommentIn(InSchema):
    text: Text4000


class CommentOut(Schema):
    id: int
    author_id: int
    text: str
    at: dt.datetime


class FeedItemOut(Schema):
    kind: str
    at: dt.datetime
    account_id: int
    unit_id: int | None
    actor_id: int | None
    text: str
    link: str


class FeedPage(Schema):
    items: list[FeedItemOut]
    more: bool


class FeedFilters(FilterSchema):
    kind: list[KindLit] | None = Field(None, description="Only these kinds of rows.")
    unit: Id | None = Field(None, description="Only rows of this unit (interactions: its subtree).")
    page: int = Field(1, ge=1, le=selectors.FEED_MAX_PAGE)


class NoteIn(InSchema):
    text: Text4000
    unit_id: Id | None = None


class NoteOut(Schema):
    id: int
    account_id: int
    unit_id: int | None
    author_id: int
    text: str
    at: dt.datetime


class FunctionHeadOut(Schema):
    function: str
    user_id: int
    username: str = Field(..., alias="user.username")


@router.get(
    "/requests",
    response=responses({200: RequestPage}),
    summary="Resource requests (filters: status, function, account, mine, overdue)",
)
def request_list(
    request: AuthedHttpRequest, filters: Query[RequestFilters], page: Query[PageParams]
) -> Any:
    require(request.auth, VIEW)
    data: dict[str, Any] = filters.model_dump(exclude_none=True)
    for key in ("mine", "overdue"):
        if key in data:
            data[key] = str(data[key])
    qs = visible(request.auth, selectors.request_list(user=request.auth, filters=data))
    return keyset_page(qs, page)


@router.post(
    "/requests",
    response=responses({201: RequestOut}),
    summary="Ask a function for help on an account (its team or whoever may change it)",
)
def request_create(request: AuthedHttpRequest, payload: RequestIn) -> Any:
    account = _account(request, payload.account_id)
    require(request.auth, COORDINATE, account)
    unit = (
        ref(Unit.objects.in_account(account), "unit_id", pk=payload.unit_id)
        if payload.unit_id
        else None
    )
    obj = services.request_create(
        account=account,
        requester=request.auth,
        function=payload.function,
        what=payload.what,
        needed_by=payload.needed_by,
        unit=unit,
        plan_action_ref=_plan_ref(payload),
    )
    return Status(201, obj)


def _plan_ref(payload: RequestIn) -> str:
    given = [
        ref
        for ref in (
            f"action:{payload.plan_action_id}" if payload.plan_action_id else "",
            f"objective:{payload.plan_objective_id}" if payload.plan_objective_id else "",
            payload.plan_action_ref.strip(),
        )
        if ref
    ]
    if len(given) > 1:
        raise DomainError(
            _("Link the request to one plan action or one objective."), field="plan_action_id"
        )
    return given[0] if given else ""


def _request(request: AuthedHttpRequest, request_id: int) -> ResourceRequest:
    obj: ResourceRequest = get_for_user(
        ResourceRequest.objects.select_related("account", "requester", "assignee"),
        request.auth,
        VIEW,
        pk=request_id,
    )
    return obj


@router.get("/requests/{request_id}", response=responses({200: RequestOut}))
def request_get(request: AuthedHttpRequest, request_id: Id) -> Any:
    return _request(request, request_id)


@router.post(
    "/requests/{request_id}/accept",
    response=responses({200: RequestOut}),
    summary="Accept and assign (the asked function's manager)",
)
def request_accept(request: AuthedHttpRequest, request_id: Id, payload: AcceptIn) -> Any:
    obj = _request(request, request_id)
    REQUEST_WORKFLOW.check("accept", obj, request.auth)
    assignee = ref(get_user_model().objects.all(), "assignee_id", pk=payload.assignee_id)
    return services.request_step(request=obj, step="accept", actor=request.auth, assignee=assignee)


@router.post(
    "/requests/{request_id}/decline",
    response=responses({200: RequestOut}),
    summary="Decline with a reason (the asked function's manager)",
)
def request_decline(request: AuthedHttpRequest, request_id: Id, payload: DeclineIn) -> Any:
    obj = _request(request, request_id)
    return services.request_step(
        request=obj, step="decline", actor=request.auth, reason=payload.reason
    )


@router.post(
    "/requests/{request_id}/done",
    response=responses({200: RequestOut}),
    summary="Mark done (the assignee or the function's manager)",
)
def request_done(request: AuthedHttpRequest, request_id: Id) -> Any:
    obj = _request(request, request_id)
    return services.request_step(request=obj, step="done", actor=request.auth)


@router.post(
    "/requests/{request_id}/withdraw",
    response=responses({200: RequestOut}),
    summary="Withdraw an open request (its requester)",
)
def request_withdraw(request: AuthedHttpRequest, request_id: Id) -> Any:
    obj = _request(request, request_id)
    return services.request_step(request=obj, step="withdraw", actor=request.auth)


@router.get("/requests/{request_id}/comments", response=responses({200: list[CommentOut]}))
def request_comments(request: AuthedHttpRequest, request_id: Id) -> Any:
    obj = _request(request, request_id)
    return selectors.request_detail(request=obj)["comments"]


@router.post("/requests/{request_id}/comments", response=responses({201: CommentOut}))
def request_comment_create(request: AuthedHttpRequest, request_id: Id, payload: CommentIn) -> Any:
    obj = _request(request, request_id)
    return Status(
        201, services.request_comment_add(request=obj, author=request.auth, text=payload.text)
    )


def _feed_page(items: list[selectors.FeedItem], more: bool) -> dict[str, Any]:
    return {
        "items": [
            {
                "kind": i.kind,
                "at": i.at,
                "account_id": i.account_id,
                "unit_id": i.unit_id,
                "actor_id": i.actor.pk if i.actor else None,
                "text": i.text,
                "link": i.link,
            }
            for i in items
        ],
        "more": more,
    }


class MyFeedFilters(FilterSchema):
    kind: list[KindLit] | None = Field(None, description="Only these kinds of rows.")
    page: int = Field(1, ge=1, le=selectors.FEED_MAX_PAGE)


@router.get(
    "/feed",
    response=responses({200: FeedPage}),
    summary="My feed: the accounts whose team I am on or that I manage, newest first",
)
def my_feed_get(request: AuthedHttpRequest, filters: Query[MyFeedFilters]) -> Any:
    require(request.auth, VIEW)
    ids = selectors.feed_account_ids(user=request.auth)
    ids = list(visible(request.auth, Unit.objects.filter(pk__in=ids)).values_list("pk", flat=True))
    items, more = selectors.feed(account_ids=ids, kinds=filters.kind, page=filters.page)
    return _feed_page(items, more)


class SponsorlessOut(Schema):
    id: int
    name: str
    tier: str
    account_manager_id: int | None


@router.get(
    "/accounts-without-sponsor",
    response=responses({200: list[SponsorlessOut]}),
    summary="Key accounts with no executive sponsor on their team (executives, administrators)",
)
def accounts_without_sponsor(request: AuthedHttpRequest) -> Any:
    if not (is_executive(request.auth) or request.auth.has_perm("kam.administer")):
        raise PermissionDenied(_("Only executives and administrators see this list."))
    return list(visible(request.auth, selectors.accounts_without_sponsor()))


@router.get(
    "/accounts/{account_id}/feed",
    response=responses({200: FeedPage}),
    summary="The account's coordination feed, newest first (?kind=…&unit=…&page=N)",
)
def feed_get(request: AuthedHttpRequest, account_id: Id, filters: Query[FeedFilters]) -> Any:
    account = _account(request, account_id)
    unit = filters.unit
    sub = ref(Unit.objects.in_account(account), "unit", pk=unit) if unit else None
    items, more = selectors.feed(
        account_ids=[account.pk], kinds=filters.kind, unit=sub, page=filters.page
    )
    return _feed_page(items, more)


@router.post(
    "/accounts/{account_id}/feed",
    response=responses({201: NoteOut}),
    summary="Write a note in the feed; @username notifies that person if they see the account",
)
def feed_note_create(request: AuthedHttpRequest, account_id: Id, payload: NoteIn) -> Any:
    account = _account(request, account_id)
    require(request.auth, COORDINATE, account)
    unit = (
        ref(Unit.objects.in_account(account), "unit_id", pk=payload.unit_id)
        if payload.unit_id
        else None
    )
    note = services.feed_note_add(
        account=account, author=request.auth, text=payload.text, unit=unit
    )
    return Status(201, note)


@router.get(
    "/function-heads",
    response=responses({200: list[FunctionHeadOut]}),
    summary="Who manages each function (accepts its resource requests)",
)
def function_heads(request: AuthedHttpRequest) -> Any:
    require(request.auth, VIEW)
    return selectors.function_heads()
