"""REST endpoints of customer units, contacts and employments (router mounted by kam.api)."""

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from kam.core.api.helpers import changes, ref, responses
from kam.core.api.pagination import PageParams, keyset_page
from kam.core.api.schemas import (
    OMITTED,
    DeletedOut,
    ExternalId,
    FilterSchema,
    Id,
    InSchema,
    NonEmptyText200,
    NonNegativeMoney18,
    PositiveInt,
    SaneDate,
    Text2,
    Text50,
    Text64,
    Text100,
    Text120,
    Text200,
    Text254,
    Text10000,
)
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require, visible
from kam.core.services import UNSET

from . import selectors, services
from .models import Contact, CustomerFunction, Employment, Seniority, Tier, Unit, UnitKind

router = Router(tags=["customers"])

# The stored values of each choice, a Literal for the OpenAPI enum; mypy cannot read a Literal
# built at runtime, so to it a choice is text.
if TYPE_CHECKING:
    KindLit = str
    TierLit = str
    FunctionLit = str
    SeniorityLit = str
else:
    KindLit = Literal[tuple(UnitKind.values)]
    TierLit = Literal[tuple(Tier.values)]
    FunctionLit = Literal[tuple(CustomerFunction.values)]
    SeniorityLit = Literal[tuple(Seniority.values)]

VIEW, CHANGE = "kam.view_account", "kam.change_account"


# --- units ---------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    industry: str
    country: str
    region: str
    city: str
    employees: int | None
    turnover: Decimal | None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    external_id: str | None
    tier: str
    account_manager_id: int | None
    parent_id: int | None = None
    parent_external_id: str | None = None
    depth: int
    version: str = Field(description="Send back in PATCH to refuse overwriting others' edits.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_version(obj) -> str:
        return services.unit_version(obj)


class UnitPage(Schema):
    items: list[UnitOut]
    next: str | None


class UnitFields(InSchema):
    industry: Text100 = ""
    country: Text2 = Field("", description="ISO 3166 two-letter code")
    region: Text120 = ""
    city: Text120 = ""
    employees: PositiveInt | None = None
    turnover: NonNegativeMoney18 | None = None
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=8, decimal_places=5)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=8, decimal_places=5)
    external_id: ExternalId | None = None
    account_manager_id: Id | None = None
    parent_id: Id | None = Field(None, description="Parent unit id (null: a top-level unit).")
    parent_external_id: ExternalId | None = Field(None, description="Or the parent's external id.")


class UnitIn(UnitFields):
    name: NonEmptyText200
    kind: KindLit
    tier: TierLit = "transactional"


class UnitPatch(UnitFields):
    version: Text64 | None = Field(
        None, description="The unit's version as read; a 409 if it was changed since."
    )
    name: NonEmptyText200 = OMITTED
    kind: KindLit = OMITTED
    tier: TierLit = OMITTED
    industry: Text100 = OMITTED
    country: Text2 = OMITTED
    region: Text120 = OMITTED
    city: Text120 = OMITTED


class UnitFilters(FilterSchema):
    q: Text200 | None = Field(
        None, description="Part of the name or the city, or the external id (any case)."
    )
    country: Text2 | None = Field(None, description="ISO country code (any case).")
    industry: Text100 | None = Field(None, description="The industry (any case).")
    tier: TierLit | None = None
    parent: Id | None = Field(None, description="Only the direct sub-units of this unit.")
    depth: int | None = Field(None, ge=1, le=100, description="1 = top-level units.")
    account_manager: Id | None = Field(None, description="Units managed by this user (id).")


def _unit_out(unit: Unit) -> Unit:
    selectors.unit_parents_attach(units=[unit])
    return unit


def _parent_from(payload: dict) -> tuple[bool, Unit | None]:
    """(given, parent) from ``parent_id`` / ``parent_external_id`` of a body."""
    has_id, has_ext = "parent_id" in payload, "parent_external_id" in payload
    pk, ext = payload.pop("parent_id", None), payload.pop("parent_external_id", None)
    if pk is not None and ext is not None:
        raise DomainError(_("Give parent_id or parent_external_id, not both."), field="parent_id")
    if pk is not None:
        return True, ref(Unit.objects.all(), "parent_id", pk=pk)
    if ext is not None:
        return True, ref(Unit.objects.all(), "parent_external_id", external_id=ext)
    return has_id or has_ext, None


def _manager_from(payload: dict) -> None:
    if "account_manager_id" in payload:
        pk = payload.pop("account_manager_id")
        payload["account_manager"] = (
            ref(get_user_model().objects.all(), "account_manager_id", pk=pk) if pk else None
        )


@router.get("/units", response=responses({200: UnitPage}), summary="List customer units")
def unit_list(request: AuthedHttpRequest, filters: Query[UnitFilters], page: Query[PageParams]):
    require(request.auth, VIEW)
    result = keyset_page(
        visible(request.auth, selectors.unit_list(filters=filters.model_dump(exclude_none=True))),
        page,
    )
    selectors.unit_parents_attach(units=result["items"])
    return result


@router.get("/units/{unit_id}", response=responses({200: UnitOut}), summary="Read a unit")
def unit_read(request: AuthedHttpRequest, unit_id: Id):
    return _unit_out(get_for_user(Unit.objects.all(), request.auth, VIEW, pk=unit_id))


@router.post("/units", response=responses({201: UnitOut}), summary="Create a unit")
def unit_create(request: AuthedHttpRequest, payload: UnitIn):
    data = payload.model_dump()
    _given, parent = _parent_from(data)
    require(request.auth, CHANGE, parent)
    _manager_from(data)
    return Status(201, _unit_out(services.unit_create(parent=parent, **data)))


@router.patch(
    "/units/{unit_id}",
    response=responses({200: UnitOut}),
    summary="Change a unit; a new parent moves it with its subtree",
)
def unit_update(request: AuthedHttpRequest, unit_id: Id, payload: UnitPatch):
    unit = get_for_user(Unit.objects.all(), request.auth, CHANGE, pk=unit_id)
    data = changes(payload)
    version = data.pop("version", None)
    move, parent = _parent_from(data)
    _manager_from(data)
    if move:
        require(request.auth, CHANGE, parent)
    unit = services.unit_change(
        unit=unit,
        fields=data,
        new_parent=parent if move else UNSET,
        expected_version=version,
    )
    return _unit_out(unit)


@router.delete(
    "/units/{unit_id}",
    response=responses({200: DeletedOut}),
    summary="Delete a unit and its sub-units",
)
def unit_delete(request: AuthedHttpRequest, unit_id: Id):
    services.unit_delete(unit=get_for_user(Unit.objects.all(), request.auth, CHANGE, pk=unit_id))
    return {"deleted": True}


# --- contacts ------------------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    notes: str
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactPage(Schema):
    items: list[ContactOut]
    next: str | None


def _check_email(value):
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError(_("Enter a valid e-mail address.")) from exc
    return value


class ContactFields(InSchema):
    first_name: Text100 = ""
    last_name: Text100 = ""
    email: Text254 = ""
    phone: Text50 = ""
    notes: Text10000 = ""
    external_id: ExternalId | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value):
        return _check_email(value)


class ContactIn(ContactFields):
    unit_id: Id | None = Field(None, description="Where the contact works now (optional).")
    title: Text200 = ""
    function: FunctionLit = "other"
    seniority: SeniorityLit = "operational"
    start_date: SaneDate | None = None


class ContactPatch(ContactFields):
    first_name: Text100 = OMITTED
    last_name: Text100 = OMITTED
    email: Text254 = OMITTED
    phone: Text50 = OMITTED
    notes: Text10000 = OMITTED


class ContactFilters(FilterSchema):
    q: Text200 | None = Field(None, description="Part of the name or e-mail.")
    unit: Id | None = Field(None, description="People working now in this unit or below it.")


def _require_change_contact(user, contact: Contact) -> None:
    require(user, "kam.change_contact", contact)


@router.get("/contacts", response=responses({200: ContactPage}), summary="List contacts")
def contact_list(
    request: AuthedHttpRequest, filters: Query[ContactFilters], page: Query[PageParams]
):
    require(request.auth, VIEW)
    return keyset_page(visible(request.auth, selectors.contact_list(**filters.model_dump())), page)


@router.get("/contacts/{contact_id}", response=responses({200: ContactOut}))
def contact_read(request: AuthedHttpRequest, contact_id: Id):
    return get_for_user(Contact.objects.all(), request.auth, VIEW, pk=contact_id)


@router.post("/contacts", response=responses({201: ContactOut}), summary="Create a contact")
def contact_create(request: AuthedHttpRequest, payload: ContactIn):
    data = payload.model_dump()
    unit_id = data.pop("unit_id")
    unit = ref(Unit.objects.all(), "unit_id", pk=unit_id) if unit_id else None
    require(request.auth, CHANGE, unit)
    return Status(201, services.contact_create(unit=unit, **data))


@router.patch("/contacts/{contact_id}", response=responses({200: ContactOut}))
def contact_update(request: AuthedHttpRequest, contact_id: Id, payload: ContactPatch):
    contact = get_for_user(Contact.objects.all(), request.auth, VIEW, pk=contact_id)
    _require_change_contact(request.auth, contact)
    return services.contact_update(contact=contact, **changes(payload))


@router.delete("/contacts/{contact_id}", response=responses({200: DeletedOut}))
def contact_delete(request: AuthedHttpRequest, contact_id: Id):
    contact = get_for_user(Contact.objects.all(), request.auth, VIEW, pk=contact_id)
    require(request.auth, "kam.delete_contact", contact)
    services.contact_delete(contact=contact)
    return {"deleted": True}


# --- employments ---------------------------------------------------------------------------


class EmploymentOut(Schema):
    id: int
    contact_id: int
    unit_id: int
    title: str
    department: str
    function: str
    seniority: str
    start_date: dt.date | None
    end_date: dt.date | None
    reports_to_id: int | None
    external_id: str | None


class EmploymentPage(Schema):
    items: list[EmploymentOut]
    next: str | None


class EmploymentFields(InSchema):
    title: Text200 = ""
    department: Text200 = ""
    function: FunctionLit = "other"
    seniority: SeniorityLit = "operational"
    start_date: SaneDate | None = None
    end_date: SaneDate | None = None
    reports_to_id: Id | None = Field(None, description="The position this one reports to.")
    external_id: ExternalId | None = None


class EmploymentIn(EmploymentFields):
    contact_id: Id
    unit_id: Id


class EmploymentPatch(EmploymentFields):
    unit_id: Id = OMITTED
    title: Text200 = OMITTED
    department: Text200 = OMITTED
    function: FunctionLit = OMITTED
    seniority: SeniorityLit = OMITTED


class EmploymentFilters(FilterSchema):
    contact: Id | None = None
    unit: Id | None = Field(None, description="Positions in this unit or below it.")
    current: bool | None = Field(None, description="Only positions without an end date.")


def _reports_to(data: dict):
    pk = data.pop("reports_to_id", None)
    return ref(Employment.objects.all(), "reports_to_id", pk=pk) if pk else None


@router.get("/employments", response=responses({200: EmploymentPage}), summary="List positions")
def employment_list(
    request: AuthedHttpRequest, filters: Query[EmploymentFilters], page: Query[PageParams]
):
    require(request.auth, VIEW)
    return keyset_page(
        visible(request.auth, selectors.employment_list(**filters.model_dump())), page
    )


@router.get("/employments/{employment_id}", response=responses({200: EmploymentOut}))
def employment_read(request: AuthedHttpRequest, employment_id: Id):
    return get_for_user(Employment.objects.all(), request.auth, VIEW, pk=employment_id)


@router.post("/employments", response=responses({201: EmploymentOut}))
def employment_create(request: AuthedHttpRequest, payload: EmploymentIn):
    data = payload.model_dump()
    unit = ref(Unit.objects.all(), "unit_id", pk=data.pop("unit_id"))
    require(request.auth, CHANGE, unit)
    contact = ref(Contact.objects.all(), "contact_id", pk=data.pop("contact_id"))
    reports_to = _reports_to(data)
    # the service refuses a caller who may not change the person as well as the unit
    employment = services.employment_create(
        actor=request.auth, contact=contact, unit=unit, reports_to=reports_to, **data
    )
    return Status(201, employment)


@router.patch("/employments/{employment_id}", response=responses({200: EmploymentOut}))
def employment_update(request: AuthedHttpRequest, employment_id: Id, payload: EmploymentPatch):
    employment = get_for_user(
        Employment.objects.select_related("unit"), request.auth, VIEW, pk=employment_id
    )
    require(request.auth, CHANGE, employment.unit)
    data = changes(payload)
    unit = None
    if "unit_id" in data:
        unit = ref(Unit.objects.all(), "unit_id", pk=data.pop("unit_id"))
    set_manager = "reports_to_id" in data
    manager = _reports_to(data)
    # the service checks the new unit, and the person for a new unit or date (decision 96)
    return services.employment_change(
        actor=request.auth,
        employment=employment,
        fields=data,
        unit=unit,
        reports_to=manager if set_manager else UNSET,
    )


@router.delete("/employments/{employment_id}", response=responses({200: DeletedOut}))
def employment_delete(request: AuthedHttpRequest, employment_id: Id):
    employment = get_for_user(
        Employment.objects.select_related("unit"), request.auth, VIEW, pk=employment_id
    )
    require(request.auth, CHANGE, employment.unit)
    services.employment_delete(employment=employment)
    return {"deleted": True}
