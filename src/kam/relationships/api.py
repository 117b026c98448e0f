"""REST endpoints of the buying centre: roles, placeholders, links, strengths, metrics, gaps,
stage and information sharing (PRODUCT §5, §8).

Reading needs ``kam.view_account``; roles, placeholders, stage and sharing need
``kam.change_account`` on the account; a link needs ``kam.change_link`` on it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from kam.core.api.helpers import ref, responses
from kam.core.api.pagination import PageParams, keyset_page
from kam.core.api.schemas import DeletedOut, Id, InSchema, SaneDate, Text200, Text5000
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require, visibility_restricted, visible
from kam.customers.models import Contact, Unit
from kam.people.models import User
from kam.sales.models import Opportunity

from . import selectors, services
from .models import (
    Attitude,
    BuyingRole,
    BuyingRoleKind,
    DecisionOrientation,
    OpportunityRole,
    OpportunityRoleKind,
    OurLink,
    Placeholder,
    Stage,
)
from .stage import input_label

router = Router(tags=["relationships"])

VIEW, CHANGE, LINK = "kam.view_account", "kam.change_account", "kam.change_link"

if TYPE_CHECKING:
    RoleLit = str
    AttitudeLit = str
    OrientationLit = str
    StageLit = str
    OpportunityRoleLit = str
else:
    RoleLit = Literal[tuple(BuyingRoleKind.values)]
    AttitudeLit = Literal[tuple(Attitude.values)]
    OrientationLit = Literal[("", *DecisionOrientation.values)]
    StageLit = Literal[tuple(Stage.values)]
    OpportunityRoleLit = Literal[tuple(OpportunityRoleKind.values)]
Level = Annotated[int, Field(ge=0, le=4)]
Influence = Annotated[int, Field(ge=1, le=5)]
Note = Annotated[str, Field(max_length=300)]


def _account(request: AuthedHttpRequest, account_id: int, perm: str = VIEW) -> Unit:
    account: Unit = get_for_user(
        Unit.objects.accounts().select_related("account_manager"), request.auth, perm, pk=account_id
    )
    return account


def _contact(request: AuthedHttpRequest, contact_id: int, field: str = "contact_id") -> Contact:
    contact: Contact = ref(visible(request.auth, Contact.objects.all()), field, pk=contact_id)
    return contact


# --- roles ---------------------------------------------------------------------------------


class RoleOut(Schema):
    id: int
    account_id: int
    contact_id: int
    contact_name: str
    role: str
    from_placeholder_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_contact_name(obj: BuyingRole) -> str:
        return str(obj.contact)


class RolePage(Schema):
    items: list[RoleOut]
    next: str | None


class RoleIn(InSchema):
    contact_id: Id
    role: RoleLit


class MemberIn(InSchema):
    roles: list[RoleLit] | None = Field(None, description="The contact's roles, all of them.")
    attitude: AttitudeLit | None = None
    influence: Influence | None = None
    orientation: OrientationLit | None = None
    note: Note | None = None


class StanceOut(Schema):
    account_id: int
    contact_id: int
    roles: list[str]
    attitude: str
    influence: int
    orientation: str
    note: str


@router.get(
    "/relationships/accounts/{account_id}/roles",
    response=responses({200: RolePage}),
    summary="Buying-centre roles of an account",
)
def role_list(request: AuthedHttpRequest, account_id: Id, page: Query[PageParams]) -> Any:
    account = _account(request, account_id)
    return keyset_page(selectors.account_roles(account=account), page)


@router.post(
    "/relationships/accounts/{account_id}/roles",
    response=responses({201: RoleOut}),
    summary="Give a contact a buying-centre role",
)
def role_create(request: AuthedHttpRequest, account_id: Id, payload: RoleIn) -> Any:
    account = _account(request, account_id, CHANGE)
    contact = _contact(request, payload.contact_id)
    return Status(
        201,
        services.role_add(account=account, contact=contact, role=payload.role, actor=request.auth),
    )


@router.put(
    "/relationships/accounts/{account_id}/contacts/{contact_id}",
    response=responses({200: StanceOut}),
    summary="Set a contact's roles, attitude, influence and decision orientation at an account",
)
def member_update(
    request: AuthedHttpRequest, account_id: Id, contact_id: Id, payload: MemberIn
) -> Any:
    account = _account(request, account_id, CHANGE)
    contact = _contact(request, contact_id)
    data = payload.model_dump(exclude_unset=True, exclude_none=True)
    stance = services.member_update(account=account, contact=contact, actor=request.auth, **data)
    return {
        "account_id": account.pk,
        "contact_id": contact.pk,
        "roles": sorted(
            BuyingRole.objects.filter(account=account, contact=contact).values_list(
                "role", flat=True
            )
        ),
        "attitude": stance.attitude,
        "influence": stance.influence,
        "orientation": stance.orientation,
        "note": stance.note,
    }


@router.delete(
    "/relationships/roles/{role_id}",
    response=responses({200: DeletedOut}),
    summary="Take a buying-centre role away",
)
def role_delete(request: AuthedHttpRequest, role_id: Id) -> Any:
    role = get_for_user(
        BuyingRole.objects.select_related("account"), request.auth, VIEW, pk=role_id
    )
    require(request.auth, CHANGE, role.account)
    services.role_remove(role=role)
    return {"deleted": True}


# --- roles on one opportunity -------------------------------------------------------------


class OpportunityRoleOut(Schema):
    id: int
    opportunity_id: int
    contact_id: int
    contact_name: str
    role: str

    @staticmethod
    def resolve_contact_name(obj: OpportunityRole) -> str:
        return str(obj.contact)


class OpportunityRolesIn(InSchema):
    roles: list[OpportunityRoleLit] = Field(
        ..., max_length=4, description="The contact's roles on the opportunity, all of them."
    )


def _opportunity(request: AuthedHttpRequest, opportunity_id: int, perm: str = VIEW) -> Opportunity:
    opportunity: Opportunity = get_for_user(
        Opportunity.objects.select_related("unit"), request.auth, VIEW, pk=opportunity_id
    )
    if perm != VIEW:
        require(request.auth, perm, opportunity.unit.account)
    return opportunity


@router.get(
    "/relationships/opportunities/{opportunity_id}/roles",
    response=responses({200: list[OpportunityRoleOut]}),
    summary="Contacts' roles on one opportunity (economic, technical, user buyer, coach)",
)
def opportunity_role_list(request: AuthedHttpRequest, opportunity_id: Id) -> Any:
    return list(selectors.opportunity_roles(opportunity=_opportunity(request, opportunity_id)))


@router.put(
    "/relationships/opportunities/{opportunity_id}/contacts/{contact_id}",
    response=responses({200: list[OpportunityRoleOut]}),
    summary="Set a contact's roles on one opportunity (an empty list removes them)",
)
def opportunity_role_set(
    request: AuthedHttpRequest, opportunity_id: Id, contact_id: Id, payload: OpportunityRolesIn
) -> Any:
    opportunity = _opportunity(request, opportunity_id, CHANGE)
    contact = _contact(request, contact_id)
    return services.opportunity_role_set(
        opportunity=opportunity, contact=contact, roles=payload.roles
    )


# --- placeholders --------------------------------------------------------------------------


class PlaceholderOut(Schema):
    id: int
    account_id: int
    unit_id: int | None
    role: str
    function: str
    note: str
    filled_by_id: int | None
    filled_at: dt.datetime | None
    created_at: dt.datetime


class PlaceholderPage(Schema):
    items: list[PlaceholderOut]
    next: str | None


class PlaceholderIn(InSchema):
    role: RoleLit
    unit_id: Id | None = None
    function: Annotated[str, Field(max_length=20)] = ""
    note: Note = ""


class FillIn(InSchema):
    contact_id: Id


@router.get(
    "/relationships/accounts/{account_id}/placeholders",
    response=responses({200: PlaceholderPage}),
    summary="Placeholders of an account (open and filled)",
)
def placeholder_list(request: AuthedHttpRequest, account_id: Id, page: Query[PageParams]) -> Any:
    account = _account(request, account_id)
    return keyset_page(Placeholder.objects.filter(account=account), page)


@router.post(
    "/relationships/accounts/{account_id}/placeholders",
    response=responses({201: PlaceholderOut}),
    summary="Add a placeholder: a role whose person is not known yet",
)
def placeholder_create(request: AuthedHttpRequest, account_id: Id, payload: PlaceholderIn) -> Any:
    account = _account(request, account_id, CHANGE)
    unit = (
        ref(Unit.objects.in_account(account), "unit_id", pk=payload.unit_id)
        if payload.unit_id
        else None
    )
    return Status(
        201,
        services.placeholder_create(
            account=account,
            role=payload.role,
            unit=unit,
            function=payload.function,
            note=payload.note,
            actor=request.auth,
        ),
    )


def _placeholder(request: AuthedHttpRequest, pk: int) -> Placeholder:
    found: Placeholder = get_for_user(
        Placeholder.objects.select_related("account"), request.auth, VIEW, pk=pk
    )
    require(request.auth, CHANGE, found.account)
    return found


@router.post(
    "/relationships/placeholders/{placeholder_id}/fill",
    response=responses({200: RoleOut}),
    summary="Fill a placeholder with a contact: the role moves onto the contact",
)
def placeholder_fill(request: AuthedHttpRequest, placeholder_id: Id, payload: FillIn) -> Any:
    placeholder = _placeholder(request, placeholder_id)
    contact = _contact(request, payload.contact_id)
    return services.placeholder_fill(placeholder=placeholder, contact=contact, actor=request.auth)


@router.delete(
    "/relationships/placeholders/{placeholder_id}",
    response=responses({200: DeletedOut}),
    summary="Delete a placeholder",
)
def placeholder_delete(request: AuthedHttpRequest, placeholder_id: Id) -> Any:
    services.placeholder_delete(placeholder=_placeholder(request, placeholder_id))
    return {"deleted": True}


# --- links and strengths -------------------------------------------------------------------


class LinkOut(Schema):
    user_id: int
    username: str
    contact_id: int
    level: int | None
    strength: float
    interactions: int
    disagrees: bool


class LinkIn(InSchema):
    contact_id: Id
    user_id: Id | None = Field(None, description="Our person; yourself when left out.")
    level: Level
    note: Note | None = None


class LinkWrittenOut(Schema):
    id: int
    user_id: int
    contact_id: int
    level: int
    note: str
    updated_at: dt.datetime


@router.get(
    "/relationships/contacts/{contact_id}/links",
    response=responses({200: list[LinkOut]}),
    summary="Which of our people know this contact, and how well",
)
def link_list(request: AuthedHttpRequest, contact_id: Id) -> Any:
    contact = get_for_user(Contact.objects.all(), request.auth, VIEW, pk=contact_id)
    return [
        {
            "user_id": r["user"].pk,
            "username": r["user"].username,
            "contact_id": contact.pk,
            "level": r["level"],
            "strength": r["strength"],
            "interactions": r["interactions"],
            "disagrees": r["disagrees"],
        }
        for r in selectors.links_of_contact(contact=contact)
    ]


class PersonLinkOut(Schema):
    contact_id: int
    contact_name: str
    level: int | None
    strength: float
    interactions: int
    disagrees: bool


@router.get(
    "/relationships/people/{user_id}/links",
    response=responses({200: list[PersonLinkOut]}),
    summary="Which contacts one of our people knows, and how well (judged level, strength)",
)
def person_link_list(request: AuthedHttpRequest, user_id: Id) -> Any:
    require(request.auth, VIEW)
    person = get_for_user(User.objects.filter(is_active=True), request.auth, VIEW, pk=user_id)
    contacts = (
        visible(request.auth, Contact.objects.all())
        if visibility_restricted(request.auth)
        else None
    )
    return [
        {
            "contact_id": r["contact"].pk,
            "contact_name": str(r["contact"]),
            "level": r["level"],
            "strength": r["strength"],
            "interactions": r["interactions"],
            "disagrees": r["disagrees"],
        }
        for r in selectors.links_of_user(user=person, contacts=contacts)
    ]


@router.put(
    "/relationships/links",
    response=responses({200: LinkWrittenOut}),
    summary="Set how well one of our people knows a contact (judged level 0–4)",
)
def link_upsert(request: AuthedHttpRequest, payload: LinkIn) -> Any:
    contact = get_for_user(Contact.objects.all(), request.auth, VIEW, pk=payload.contact_id)
    user = request.auth
    if payload.user_id is not None and payload.user_id != user.pk:
        user = ref(User.objects.filter(is_active=True), "user_id", pk=payload.user_id)
    require(request.auth, LINK, OurLink(user=user, contact=contact))
    return services.link_upsert(
        user=user, contact=contact, level=payload.level, note=payload.note, actor=request.auth
    )


class StrengthOut(Schema):
    user_id: int
    contact_id: int
    strength: float
    as_of: dt.date
    interactions: int
    last_interaction: dt.date | None
    activity_level: int
    disagrees: bool


@router.get(
    "/relationships/accounts/{account_id}/strengths",
    response=responses({200: list[StrengthOut]}),
    summary="Activity strengths of our people with the account's contacts (strongest first)",
)
def strength_list(request: AuthedHttpRequest, account_id: Id) -> Any:
    account = _account(request, account_id)
    half_life = selectors.relationship_settings().half_life_days
    today = timezone.localdate()
    return [
        {
            "user_id": s.user_id,
            "contact_id": s.contact_id,
            "strength": round(selectors.strength_now(s, half_life, today), 3),
            "as_of": today,
            "interactions": s.interactions,
            "last_interaction": s.last_interaction,
            "activity_level": s.activity_level,
            "disagrees": s.disagrees,
        }
        for s in selectors.strengths_of_account(account=account)
    ]


# --- metrics and gaps ----------------------------------------------------------------------


class MetricsOut(Schema):
    account_id: int
    as_of: dt.date
    contact_coverage: dict[str, int]
    role_coverage: dict[str, Any]
    function_coverage: dict[str, Any]
    level_coverage: dict[str, Any]
    single_point_of_failure: dict[str, Any]
    structure: dict[str, Any]


@router.get(
    "/relationships/accounts/{account_id}/metrics",
    response=responses({200: MetricsOut}),
    summary="Coverage, single point of failure and contact structure, with the numbers behind",
)
def metrics_read(request: AuthedHttpRequest, account_id: Id, as_of: SaneDate | None = None) -> Any:
    account = _account(request, account_id)
    day = as_of or timezone.localdate()
    return {
        "account_id": account.pk,
        "as_of": day,
        **selectors.account_metrics(account=account, as_of=day),
    }


class GapsOut(Schema):
    account_id: int
    missing_roles: list[str]
    open_placeholders: list[PlaceholderOut]
    silent_deciders: list[dict[str, Any]]
    single_link: list[dict[str, Any]]
    champions_left: list[dict[str, Any]]
    opportunity_notes: list[dict[str, Any]]


@router.get(
    "/relationships/accounts/{account_id}/gaps",
    response=responses({200: GapsOut}),
    summary="Gaps of the buying centre, and champions of other customers who now work here",
)
def gaps_read(request: AuthedHttpRequest, account_id: Id) -> Any:
    account = _account(request, account_id)
    gaps = dict(services.gaps_current(account=account).gaps)
    gaps.pop("count", None)
    gaps.pop("missing_role_labels", None)
    return {
        "account_id": account.pk,
        **gaps,
        "opportunity_notes": selectors.opportunity_notes(account=account),
    }


# --- stage ---------------------------------------------------------------------------------


class EvidenceOut(Schema):
    name: str
    label: str
    value: Any = None
    present: bool
    met: bool


class StageOut(Schema):
    account_id: int
    suggested: str
    confidence: Decimal
    evidence: list[EvidenceOut]
    confirmed: str | None
    mismatch: bool


class StageAssessmentOut(Schema):
    id: int
    suggested: str
    confidence: Decimal
    confirmed: str
    override_reason: str
    decided_by_id: int | None
    decided_at: dt.datetime
    evidence: dict[str, Any]


class StageAssessmentPage(Schema):
    items: list[StageAssessmentOut]
    next: str | None


class StageIn(InSchema):
    stage: StageLit
    reason: Text5000 = Field("", description="Required when the stage differs from the suggested.")


def _stage_out(account: Unit) -> dict[str, Any]:
    suggestion = selectors.stage_suggestion(account=account)
    confirmed = selectors.confirmed_stages([account.pk]).get(account.pk)
    return {
        "account_id": account.pk,
        "suggested": suggestion.stage,
        "confidence": suggestion.confidence,
        "evidence": [
            {**i, "label": input_label(i["name"])} for i in suggestion.evidence.get("inputs", [])
        ],
        "confirmed": confirmed,
        "mismatch": confirmed is not None and confirmed != suggestion.stage,
    }


@router.get(
    "/relationships/accounts/{account_id}/stage",
    response=responses({200: StageOut}),
    summary="Suggested stage with its evidence and confidence, and the confirmed stage",
)
def stage_read(request: AuthedHttpRequest, account_id: Id) -> Any:
    return _stage_out(_account(request, account_id))


@router.post(
    "/relationships/accounts/{account_id}/stage",
    response=responses({201: StageAssessmentOut}),
    summary="Confirm the suggested stage, or override it with a reason",
)
def stage_confirm(request: AuthedHttpRequest, account_id: Id, payload: StageIn) -> Any:
    account = _account(request, account_id, CHANGE)
    return Status(
        201,
        services.stage_confirm(
            account=account, stage=payload.stage, reason=payload.reason, actor=request.auth
        ),
    )


@router.get(
    "/relationships/accounts/{account_id}/stage/history",
    response=responses({200: StageAssessmentPage}),
    summary="Every stage decision of an account",
)
def stage_history(request: AuthedHttpRequest, account_id: Id, page: Query[PageParams]) -> Any:
    account = _account(request, account_id)
    return keyset_page(selectors.stage_history(account=account), page)


# --- information sharing -------------------------------------------------------------------


class SharingOut(Schema):
    id: int
    account_id: int
    level: int
    since: dt.date
    note: str
    recorded_by_id: int | None
    recorded_at: dt.datetime


class SharingPage(Schema):
    items: list[SharingOut]
    next: str | None


class SharingIn(InSchema):
    level: Level
    since: SaneDate | None = None
    note: Text200 = ""


@router.get(
    "/relationships/accounts/{account_id}/sharing",
    response=responses({200: SharingPage}),
    summary="Information-sharing levels of an account, newest first by id",
)
def sharing_list(request: AuthedHttpRequest, account_id: Id, page: Query[PageParams]) -> Any:
    account = _account(request, account_id)
    return keyset_page(selectors.sharing_history(account=account), page)


@router.post(
    "/relationships/accounts/{account_id}/sharing",
    response=responses({201: SharingOut}),
    summary="Record the account's information-sharing level (0–4)",
)
def sharing_create(request: AuthedHttpRequest, account_id: Id, payload: SharingIn) -> Any:
    account = _account(request, account_id, CHANGE)
    return Status(
        201,
        services.sharing_set(
            account=account,
            level=payload.level,
            since=payload.since,
            note=payload.note,
            actor=request.auth,
        ),
    )
