"""REST endpoints of sales territories (administrators): list, read, create, change."""

from __future__ import annotations

from typing import Annotated

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from kam.core.api.helpers import changes, ref, responses
from kam.core.api.pagination import PageParams, keyset_page
from kam.core.api.schemas import OMITTED, Id, InSchema
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import require

from .models import Territory, User
from .services import territory_save

router = Router(tags=["territories"])

ADMINISTER = "kam.administer"
Name = Annotated[str, Field(min_length=1, max_length=120)]
Country = Annotated[
    str,
    Field(
        min_length=1,
        max_length=80,
        description="ISO 3166 code (alpha-2, alpha-3 or numeric) or English or Russian name;"
        " stored and returned as alpha-2",
    ),
]
Region = Annotated[str, Field(max_length=120)]
Code = Annotated[str, Field(max_length=64)]
Username = Annotated[str, Field(min_length=1, max_length=150)]


class TerritoryOut(Schema):
    id: int
    name: str
    external_id: str | None
    country: str
    region: str
    manager: str | None

    @staticmethod
    def resolve_manager(obj) -> str | None:
        return obj.manager.username if obj.manager else None


class TerritoryPage(Schema):
    items: list[TerritoryOut]
    next: str | None


class TerritoryIn(InSchema):
    name: Name
    country: Country
    region: Region = ""
    external_id: Code | None = None
    manager: Username | None = Field(None, description="The manager's username")


class TerritoryPatch(TerritoryIn):
    name: Name = OMITTED
    country: Country = OMITTED


def _save(territory: Territory | None, data: dict) -> Territory:
    if "manager" in data:
        name = data.pop("manager")
        data["manager"] = ref(User.objects.all(), "manager", username=name) if name else None
    elif territory is not None:
        data["manager"] = territory.manager
    if territory is not None:
        current = {
            "name": territory.name,
            "country": territory.country,
            "region": territory.region,
            "external_id": territory.external_id,
        }
        data = {**current, **data}
    return territory_save(territory=territory, **data)


def _territory(request: AuthedHttpRequest, territory_id: int) -> Territory:
    require(request.auth, ADMINISTER)  # not account data: the role alone decides
    return get_object_or_404(Territory.objects.select_related("manager"), pk=territory_id)


@router.get("/territories", response=responses({200: TerritoryPage}), summary="List territories")
def territory_list(request: AuthedHttpRequest, page: Query[PageParams]):
    require(request.auth, ADMINISTER)
    return keyset_page(Territory.objects.select_related("manager"), page)


@router.get("/territories/{territory_id}", response=responses({200: TerritoryOut}))
def territory_read(request: AuthedHttpRequest, territory_id: Id):
    return _territory(request, territory_id)


@router.post("/territories", response=responses({201: TerritoryOut}))
def territory_create(request: AuthedHttpRequest, payload: TerritoryIn):
    require(request.auth, ADMINISTER)
    return Status(201, _save(None, payload.model_dump()))


@router.patch("/territories/{territory_id}", response=responses({200: TerritoryOut}))
def territory_update(request: AuthedHttpRequest, territory_id: Id, payload: TerritoryPatch):
    territory = _territory(request, territory_id)
    return _save(territory, changes(payload))
