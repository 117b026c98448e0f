"""REST endpoints of the relationship map: the graph JSON, the coverage matrix, warm paths."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from ninja import Field, Query, Router, Schema

from kam.core.api.helpers import responses
from kam.core.api.schemas import FilterSchema, Id
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user
from kam.customers.models import Unit

from . import paths
from .services import coverage_matrix_current, map_graph_current

router = Router(tags=["relationship map"])
VIEW = "kam.view_account"


class MapFilters(FilterSchema):
    unit: int | None = Field(None, ge=1, description="Only this unit and its sub-units.")
    function: str | None = Field(None, max_length=20, description="Customer function.")
    seniority: str | None = Field(None, max_length=12, description="Seniority.")
    role: str | None = Field(None, max_length=20, description="Buying-centre role.")
    attitude: str | None = Field(
        None, max_length=20, description="Attitude ('unknown' for people without one)."
    )
    cluster: str | None = Field(
        None, max_length=40, description="'<unit id>:<function>': that group's people only."
    )


class PathParams(Schema):
    k: int = Field(5, ge=1, le=20, description="How many paths (1–20).")


class GraphOut(Schema):
    account: dict[str, Any]
    mode: str
    cluster: str | None
    people: int
    threshold: int
    categories: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]


class CoverageMatrixOut(Schema):
    account: dict[str, Any]
    by: str
    rows: list[dict[str, Any]]
    columns: list[dict[str, Any]]
    cells: list[list[float]]
    max: float
    figures: dict[str, Any]


class PathsOut(Schema):
    contact: dict[str, Any]
    known_by: list[str]
    paths: list[dict[str, Any]]


def _account(request: AuthedHttpRequest, account_id: int) -> Unit:
    account: Unit = get_for_user(Unit.objects.accounts(), request.auth, VIEW, pk=account_id)
    return account


@router.get(
    "/accounts/{account_id}/relationship-map",
    response=responses({200: GraphOut}),
    summary="The account's relationship map as graph JSON (clusters above 300 people)",
)
def relationship_map(
    request: AuthedHttpRequest, account_id: Id, filters: Query[MapFilters]
) -> dict[str, Any]:
    account = _account(request, account_id)
    params = filters.model_dump(exclude_none=True)
    cluster = params.pop("cluster", None)
    return map_graph_current(account=account, filters=params, cluster=cluster)


@router.get(
    "/accounts/{account_id}/coverage-matrix",
    response=responses({200: CoverageMatrixOut}),
    summary="The buying centre × our team as link strengths, with the coverage figures",
)
def coverage_matrix(request: AuthedHttpRequest, account_id: Id, by: str = "role") -> dict[str, Any]:
    account = _account(request, account_id)
    return coverage_matrix_current(account=account, by=by)


@router.get(
    "/accounts/{account_id}/warm-paths/{contact_id}",
    response=responses({200: PathsOut}),
    summary="Warm paths: chains of introduction from our people to a contact",
)
def warm_paths(
    request: AuthedHttpRequest, account_id: Id, contact_id: Id, params: Query[PathParams]
) -> dict[str, Any]:
    account = _account(request, account_id)
    try:
        return paths.warm_paths(account=account, contact_id=contact_id, k=params.k)
    except DomainError as exc:
        if exc.field == "contact":
            raise Http404 from exc
        raise
