"""REST endpoints of the account profile: the customer's goals and their buying process."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from ninja import Field, Router, Schema, Status

from kam.core.api.helpers import changes, ref, responses
from kam.core.api.schemas import OMITTED, DeletedOut, Id, InSchema, SaneDate
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require, visible
from kam.customers.models import Contact, Unit

from . import selectors, services
from .models import BUYING_PROCESS_MAX, GOAL_TEXT_MAX, CustomerGoal, GoalKind

router = Router(tags=["account profile"])
VIEW, CHANGE = "kam.view_account", "kam.change_account"

if TYPE_CHECKING:
    KindLit = str
else:
    KindLit = Literal[tuple(GoalKind.values)]


class GoalOut(Schema):
    id: int
    account_id: int
    kind: str
    text: str
    source_contact_id: int | None
    confirmed: bool
    confirmed_on: dt.date | None
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class GoalIn(InSchema):
    kind: KindLit
    text: str = Field(min_length=1, max_length=GOAL_TEXT_MAX)
    source_contact_id: Id | None = Field(None, description="The customer's person who told us.")
    confirmed: bool = False
    confirmed_on: SaneDate | None = None


class GoalPatch(InSchema):
    kind: KindLit = OMITTED
    text: str = Field(OMITTED, min_length=1, max_length=GOAL_TEXT_MAX)
    source_contact_id: Id | None = OMITTED
    confirmed: bool = OMITTED
    confirmed_on: SaneDate | None = OMITTED


class BuyingProcessOut(Schema):
    account_id: int
    text: str
    updated_by_id: int | None = None
    updated_at: dt.datetime | None = None


class BuyingProcessIn(InSchema):
    text: str = Field(max_length=BUYING_PROCESS_MAX)


def _account(request: AuthedHttpRequest, account_id: int, perm: str = VIEW) -> Unit:
    account: Unit = get_for_user(Unit.objects.accounts(), request.auth, VIEW, pk=account_id)
    if perm != VIEW:
        require(request.auth, perm, account)
    return account


def _contact(request: AuthedHttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    if "source_contact_id" in data:
        contact_id = data.pop("source_contact_id")
        data["source_contact"] = (
            ref(visible(request.auth, Contact.objects.all()), "source_contact_id", pk=contact_id)
            if contact_id
            else None
        )
    return data


@router.get("/accounts/{account_id}/goals", response=responses({200: list[GoalOut]}))
def goal_list(request: AuthedHttpRequest, account_id: Id) -> list[CustomerGoal]:
    """The customer's strategy, goals and initiatives recorded for the account."""
    return list(selectors.customer_goals(account=_account(request, account_id)))


@router.post("/accounts/{account_id}/goals", response=responses({201: GoalOut}))
def goal_create(request: AuthedHttpRequest, account_id: Id, payload: GoalIn) -> Status:
    account = _account(request, account_id, CHANGE)
    data = _contact(request, payload.model_dump())
    return Status(201, services.customer_goal_create(account=account, user=request.auth, **data))


def _goal(request: AuthedHttpRequest, goal_id: int) -> CustomerGoal:
    goal: CustomerGoal = get_for_user(
        CustomerGoal.objects.select_related("account"), request.auth, VIEW, pk=goal_id
    )
    require(request.auth, CHANGE, goal.account)
    return goal


@router.patch("/goals/{goal_id}", response=responses({200: GoalOut}))
def goal_update(request: AuthedHttpRequest, goal_id: Id, payload: GoalPatch) -> CustomerGoal:
    goal = _goal(request, goal_id)
    data = _contact(request, changes(payload))
    return services.customer_goal_update(goal=goal, user=request.auth, **data)


@router.delete("/goals/{goal_id}", response=responses({200: DeletedOut}))
def goal_delete(request: AuthedHttpRequest, goal_id: Id) -> dict[str, bool]:
    services.customer_goal_delete(goal=_goal(request, goal_id), user=request.auth)
    return {"deleted": True}


@router.get("/accounts/{account_id}/buying-process", response=responses({200: BuyingProcessOut}))
def buying_process_read(request: AuthedHttpRequest, account_id: Id) -> dict[str, Any]:
    account = _account(request, account_id)
    process = selectors.buying_process(account=account)
    if process is None:
        return {"account_id": account.pk, "text": ""}
    return {
        "account_id": account.pk,
        "text": process.text,
        "updated_by_id": process.updated_by_id,
        "updated_at": process.updated_at,
    }


@router.put("/accounts/{account_id}/buying-process", response=responses({200: BuyingProcessOut}))
def buying_process_write(
    request: AuthedHttpRequest, account_id: Id, payload: BuyingProcessIn
) -> dict[str, Any]:
    account = _account(request, account_id, CHANGE)
    process = services.buying_process_set(account=account, user=request.auth, text=payload.text)
    return {
        "account_id": account.pk,
        "text": process.text,
        "updated_by_id": process.updated_by_id,
        "updated_at": process.updated_at,
    }
