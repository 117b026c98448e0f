"""REST endpoints of an account's white space: the matrix, a cell, the pre-fill."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.http import Http404
from ninja import Field, Router, Schema

from kam.core.api.helpers import changes, ref, responses
from kam.core.api.schemas import Id, InSchema, NonNegativeMoney16, Text5000
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user
from kam.customers.models import Unit
from kam.sales.models import Competitor, ProductLine, reporting_currency

from .models import WhiteSpaceStatus
from .whitespace import (
    MatrixCell,
    whitespace_cell,
    whitespace_cell_update,
    whitespace_matrix,
    whitespace_prefill,
)

router = Router(tags=["white space"])
VIEW, CHANGE = "kam.view_account", "kam.change_account"

if TYPE_CHECKING:
    StatusLit = str
else:
    StatusLit = Literal[tuple(WhiteSpaceStatus.values)]


class CellOut(Schema):
    unit_id: int
    product_line_id: int
    status: str
    competitor_id: int | None
    competitor: str
    potential: Decimal
    current_revenue: Decimal
    note: str
    edited: bool
    revision: int


class LineOut(Schema):
    id: int
    code: str
    name: str
    current_revenue: Decimal
    potential: Decimal


class RowOut(Schema):
    unit_id: int
    unit: str
    current_revenue: Decimal
    potential: Decimal
    cells: list[CellOut]


class MatrixOut(Schema):
    account_id: int
    currency: str
    page: int
    pages: int
    units: int
    current_revenue: Decimal
    potential: Decimal
    product_lines: list[LineOut]
    rows: list[RowOut]


class CellPatch(InSchema):
    revision: int = Field(
        ge=0,
        le=2_147_483_647,
        description="The cell's revision as read (0 for a cell never stored); a stale one is a 409",
    )
    status: StatusLit | None = None
    competitor_id: Id | None = None
    potential: NonNegativeMoney16 | None = None
    note: Text5000 | None = None


class PrefillOut(Schema):
    created: int
    updated: int
    kept: int


def _cell_out(c: MatrixCell) -> dict[str, Any]:
    return {
        "unit_id": c.unit_id,
        "product_line_id": c.line_id,
        "status": c.status,
        "competitor_id": c.competitor_id,
        "competitor": c.competitor_name,
        "potential": c.potential,
        "current_revenue": c.current,
        "note": c.note,
        "edited": c.edited,
        "revision": c.revision,
    }


def _account(request: AuthedHttpRequest, account_id: int, perm: str) -> Unit:
    unit: Unit = get_for_user(
        Unit.objects.accounts().select_related("account_manager"), request.auth, perm, pk=account_id
    )
    return unit


@router.get(
    "/accounts/{account_id}/white-space",
    response=responses({200: MatrixOut}),
    summary="An account's white space: units (50 a page, tree order) × product lines",
)
def matrix_get(request: AuthedHttpRequest, account_id: Id, page: int = 1) -> dict[str, Any]:
    account = _account(request, account_id, VIEW)
    m = whitespace_matrix(account=account, page=max(page, 1))
    return {
        "account_id": account.pk,
        "currency": reporting_currency(),
        "page": m.page.number,
        "pages": m.page.paginator.num_pages,
        "units": m.page.paginator.count,
        "current_revenue": m.total_current,
        "potential": m.total_potential,
        "product_lines": [
            {
                "id": ln.pk,
                "code": ln.code,
                "name": ln.name,
                "current_revenue": cur,
                "potential": pot,
            }
            for ln, cur, pot in m.columns
        ],
        "rows": [
            {
                "unit_id": r.unit.pk,
                "unit": r.unit.name,
                "current_revenue": r.current,
                "potential": r.potential,
                "cells": [_cell_out(c) for c in r.cells],
            }
            for r in m.rows
        ],
    }


@router.patch(
    "/accounts/{account_id}/white-space/{unit_id}/{product_line_id}",
    response=responses({200: CellOut}),
    summary="Change one cell (with its revision as read); the pre-fill then keeps it",
)
def cell_patch(
    request: AuthedHttpRequest, account_id: Id, unit_id: Id, product_line_id: Id, payload: CellPatch
) -> dict[str, Any]:
    account = _account(request, account_id, CHANGE)
    unit = Unit.objects.in_account(account).filter(pk=unit_id).first()
    line = ProductLine.objects.filter(pk=product_line_id).first()
    if unit is None or line is None:
        raise Http404
    data = changes(payload, exclude={"revision"})
    kwargs: dict[str, Any] = {}
    if "status" in data:
        kwargs["status"] = data["status"] or WhiteSpaceStatus.NOT_BOUGHT
    if "competitor_id" in data:
        cid = data["competitor_id"]
        kwargs["competitor"] = (
            ref(Competitor.objects.all(), "competitor_id", pk=cid) if cid else None
        )
    if "potential" in data:
        kwargs["potential"] = data["potential"] or Decimal("0")
    if "note" in data:
        kwargs["note"] = data["note"] or ""
    whitespace_cell_update(
        account=account,
        unit=unit,
        product_line=line,
        user=request.auth,
        revision=payload.revision,
        **kwargs,
    )
    return _cell_out(whitespace_cell(account=account, unit=unit, product_line=line))


@router.post(
    "/accounts/{account_id}/white-space/prefill",
    response=responses({200: PrefillOut}),
    summary="Pre-fill the white space from transactions, competitor shares and opportunities",
)
def prefill_post(request: AuthedHttpRequest, account_id: Id) -> dict[str, int]:
    account = _account(request, account_id, CHANGE)
    result = whitespace_prefill(account=account)
    return {"created": result.created, "updated": result.updated, "kept": result.kept}
