"""REST endpoints of the interaction log."""

import datetime as dt
from typing import TYPE_CHECKING, Literal

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kam.core.api.helpers import changes, ref, responses
from kam.core.api.pagination import PageParams, keyset_page
from kam.core.api.schemas import (
    OMITTED,
    AwareDateTime,
    DeletedOut,
    ExternalId,
    FilterSchema,
    Id,
    InSchema,
    NonEmptyText300,
    Text300,
    Text10000,
)
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require, visible
from kam.customers.models import Contact, Unit

from . import selectors, services
from .models import Initiator, Interaction, InteractionType

router = Router(tags=["interactions"])

# The stored values of each choice, a Literal for the OpenAPI enum; mypy cannot read a Literal
# built at runtime, so to it a choice is text.
if TYPE_CHECKING:
    TypeLit = str
    InitiatorLit = str
else:
    TypeLit = Literal[tuple(InteractionType.values)]
    InitiatorLit = Literal[tuple(Initiator.values)]
VIEW, CHANGE, LOG = "kam.view_account", "kam.change_account", "kam.log_interaction"
MAX_PEOPLE = 200


class InteractionOut(Schema):
    id: int
    type: str
    occurred_at: dt.datetime
    unit_id: int
    summary: str
    outcome: str
    next_step: str
    source: str
    initiated_by: str
    participant_ids: list[int]
    contact_ids: list[int]
    created_by_id: int | None
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_participant_ids(obj) -> list[int]:
        return sorted(u.pk for u in obj.participants.all())

    @staticmethod
    def resolve_contact_ids(obj) -> list[int]:
        return sorted(c.pk for c in obj.contacts.all())


class InteractionPage(Schema):
    items: list[InteractionOut]
    next: str | None


class InteractionFields(InSchema):
    outcome: Text10000 = ""
    next_step: Text300 = Field("", description="What happens next, agreed at the interaction.")
    initiated_by: InitiatorLit = "us"
    participant_ids: list[Id] = Field(OMITTED, max_length=MAX_PEOPLE, description="Our people.")
    contact_ids: list[Id] = Field(OMITTED, max_length=MAX_PEOPLE, description="Their contacts.")
    external_id: ExternalId | None = None


class InteractionIn(InteractionFields):
    type: TypeLit
    occurred_at: AwareDateTime
    unit_id: Id
    summary: NonEmptyText300


class InteractionPatch(InteractionFields):
    type: TypeLit = OMITTED
    occurred_at: AwareDateTime = OMITTED
    unit_id: Id = OMITTED
    summary: NonEmptyText300 = OMITTED
    outcome: Text10000 = OMITTED
    next_step: Text300 = OMITTED
    initiated_by: InitiatorLit = OMITTED


class InteractionFilters(FilterSchema):
    unit: Id | None = Field(None, description="Interactions with this unit or below it.")
    since: AwareDateTime | None = Field(None, description="Occurred at or after.")
    until: AwareDateTime | None = Field(None, description="Occurred before.")
    type: TypeLit | None = None


def _people(data: dict, user) -> dict:
    """Resolve unit, participant and contact ids of a body (a 400 for unknown ones; a unit or
    contact the user may not see is unknown to them, so logging an interaction never opens an
    account under restricted visibility)."""
    if "unit_id" in data:
        data["unit"] = ref(visible(user, Unit.objects.all()), "unit_id", pk=data.pop("unit_id"))
    for key, model, out in (
        ("participant_ids", get_user_model(), "participants"),
        ("contact_ids", Contact, "contacts"),
    ):
        if key not in data:
            continue
        ids = set(data.pop(key) or [])
        found = list(visible(user, model.objects.filter(pk__in=ids)))
        if len(found) != len(ids):
            raise DomainError(_("Some of these ids are unknown."), field=key, code="unknown")
        data[out] = found
    return data


def _require_change(user, interaction: Interaction) -> None:
    require(user, "kam.change_interaction", interaction)


@router.get("/interactions", response=responses({200: InteractionPage}))
def interaction_list(
    request: AuthedHttpRequest, filters: Query[InteractionFilters], page: Query[PageParams]
):
    require(request.auth, VIEW)
    return keyset_page(
        visible(request.auth, selectors.interaction_list(**filters.model_dump())), page
    )


@router.get("/interactions/{interaction_id}", response=responses({200: InteractionOut}))
def interaction_read(request: AuthedHttpRequest, interaction_id: Id):
    return get_for_user(Interaction.objects.all(), request.auth, VIEW, pk=interaction_id)


@router.post("/interactions", response=responses({201: InteractionOut}))
def interaction_create(request: AuthedHttpRequest, payload: InteractionIn):
    data = _people(payload.model_dump(), request.auth)
    require(request.auth, LOG, data["unit"])
    return Status(201, services.interaction_create(created_by=request.auth, **data))


@router.patch("/interactions/{interaction_id}", response=responses({200: InteractionOut}))
def interaction_update(request: AuthedHttpRequest, interaction_id: Id, payload: InteractionPatch):
    interaction = get_for_user(
        Interaction.objects.select_related("unit"), request.auth, VIEW, pk=interaction_id
    )
    _require_change(request.auth, interaction)
    data = _people(changes(payload), request.auth)
    if "unit" in data:
        require(request.auth, LOG, data["unit"])
    return services.interaction_update(interaction=interaction, **data)


@router.delete("/interactions/{interaction_id}", response=responses({200: DeletedOut}))
def interaction_delete(request: AuthedHttpRequest, interaction_id: Id):
    interaction = get_for_user(
        Interaction.objects.select_related("unit"), request.auth, VIEW, pk=interaction_id
    )
    _require_change(request.auth, interaction)
    services.interaction_delete(interaction=interaction)
    return {"deleted": True}
