"""Pages of the white space matrix: the matrix, a cell edited in place (HTMX), the pre-fill.

View = may view the account; edit and pre-fill = may change the account.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.pages import BadQuery, bad_request, page_number
from kam.core.permissions import get_for_user
from kam.customers.models import Unit
from kam.sales.models import Competitor, ProductLine, reporting_currency

from .models import WhiteSpaceCell, WhiteSpaceStatus
from .whitespace import (
    MatrixCell,
    whitespace_cell,
    whitespace_cell_update,
    whitespace_heatmap,
    whitespace_matrix,
    whitespace_prefill,
)

VIEW, CHANGE = "kam.view_account", "kam.change_account"


def _is_htmx(request: AuthedHttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _account(request: AuthedHttpRequest, pk: int, perm: str) -> Unit:
    unit: Unit = get_for_user(
        Unit.objects.accounts().select_related("account_manager"), request.user, perm, pk=pk
    )
    return unit


def _cell_target(
    request: AuthedHttpRequest, pk: int, unit_pk: int, line_pk: int
) -> tuple[Unit, Unit, ProductLine]:
    account = _account(request, pk, CHANGE)
    unit = Unit.objects.in_account(account).filter(pk=unit_pk).first()
    line = ProductLine.objects.filter(pk=line_pk).first()
    if unit is None or line is None:
        raise Http404
    return account, unit, line


@login_required
@require_GET
def matrix(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk, VIEW)
    try:
        page = page_number(request)
    except BadQuery as exc:
        return bad_request(request, str(exc))
    data = whitespace_matrix(account=account, page=page)
    context: dict[str, Any] = {
        "account": account,
        "m": data,
        "heatmap": whitespace_heatmap(account=account),
        "currency": reporting_currency(),
        "can_change": request.user.has_perm(CHANGE, account),
        "statuses": WhiteSpaceStatus.choices,
    }
    return render(request, "planning/whitespace.html", context)


def _cell_response(
    request: AuthedHttpRequest, account: Unit, unit: Unit, line: ProductLine, **extra: Any
) -> HttpResponse:
    cell = whitespace_cell(account=account, unit=unit, product_line=line)
    return render(
        request,
        "planning/_whitespace_cell.html",
        {
            "account": account,
            "c": cell,
            "can_change": True,
            "currency": reporting_currency(),
            **extra,
        },
    )


def _form_response(
    request: AuthedHttpRequest,
    account: Unit,
    unit: Unit,
    line: ProductLine,
    current: MatrixCell,
    *,
    errors: list[str] | None = None,
    posted: Any = None,
    status: int = 200,
) -> HttpResponse:
    """The in-place form of a cell. After a refused save it shows the user's input again, with
    the cell's current revision: saving once more then replaces what the other person wrote,
    knowingly (decision 100)."""
    values: dict[str, Any]
    if posted is not None:
        raw_competitor = str(posted.get("competitor") or "")
        values = {
            "status": posted.get("status", ""),
            "competitor_id": int(raw_competitor) if raw_competitor.isdigit() else None,
            "potential": posted.get("potential", ""),
            "note": posted.get("note", ""),
        }
        raw_revision = str(posted.get("revision", "")).strip()
        if status != 409 and raw_revision.isdigit():
            # a refused input keeps the revision the user started from; a conflict moves on
            values["revision"] = int(raw_revision)
    else:
        values = {
            "status": current.status,
            "competitor_id": current.competitor_id,
            "potential": floatformat(current.potential, "-2"),
            "note": current.note,
        }
    values.setdefault("revision", current.revision)
    return render(
        request,
        "planning/_whitespace_cell_form.html",
        {
            "account": account,
            "c": current,
            "v": values,
            "unit": unit,
            "line": line,
            "statuses": WhiteSpaceStatus.choices,
            "competitors": Competitor.objects.order_by("name"),
            "errors": errors or [],
            "full_page": not _is_htmx(request),
            "base_template": "web/base.html" if not _is_htmx(request) else "planning/_bare.html",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def cell(request: AuthedHttpRequest, pk: int, unit_pk: int, line_pk: int) -> HttpResponseBase:
    account, unit, line = _cell_target(request, pk, unit_pk, line_pk)
    if request.method == "GET":
        current = whitespace_cell(account=account, unit=unit, product_line=line)
        return _form_response(request, account, unit, line, current)
    data = request.POST
    errors: list[str] = []
    competitor: Competitor | None = None
    raw_revision = str(data.get("revision", "")).strip()
    if not raw_revision.isdigit():
        errors.append(_("The form is out of date: reload the page and edit the cell again."))
    if data.get("competitor"):
        raw_competitor = str(data.get("competitor"))
        if raw_competitor.isdigit():
            competitor = Competitor.objects.filter(pk=int(raw_competitor)).first()
        if competitor is None:
            errors.append(_("Unknown competitor."))
    raw = (data.get("potential") or "0").strip().replace(" ", "").replace(",", ".")
    try:
        potential = Decimal(raw)
    except InvalidOperation:
        errors.append(_("Enter a number."))
        potential = Decimal("0")
    status_code = 400
    if not errors:
        try:
            whitespace_cell_update(
                account=account,
                unit=unit,
                product_line=line,
                user=request.user,
                revision=int(raw_revision),
                status=data.get("status", ""),
                competitor=competitor,
                potential=potential,
                note=data.get("note", ""),
            )
        except DomainError as exc:
            errors.append(exc.message)
            if exc.code == "conflict":
                status_code = 409
    if errors:
        current = whitespace_cell(account=account, unit=unit, product_line=line)
        response = _form_response(
            request, account, unit, line, current, errors=errors, posted=data, status=status_code
        )
        if _is_htmx(request):
            # htmx swaps 4xx answers only when told to: keep the form with its message
            response.status_code = 200
            response["HX-Reswap"] = "innerHTML"
        return response
    if not _is_htmx(request):
        messages.success(request, _("The cell has been saved."))
        return redirect("whitespace:matrix", pk=account.pk)
    totals = WhiteSpaceCell.objects.filter(account=account)
    row_potential = sum((c.potential for c in totals.filter(unit=unit)), Decimal("0"))
    line_potential = sum((c.potential for c in totals.filter(product_line=line)), Decimal("0"))
    return _cell_response(
        request,
        account,
        unit,
        line,
        oob={
            "row": unit.pk,
            "row_potential": row_potential,
            "line": line.pk,
            "line_potential": line_potential,
        },
    )


@login_required
@require_GET
def cell_view(request: AuthedHttpRequest, pk: int, unit_pk: int, line_pk: int) -> HttpResponseBase:
    """The cell as displayed (Cancel of the in-place form)."""
    account, unit, line = _cell_target(request, pk, unit_pk, line_pk)
    return _cell_response(request, account, unit, line)


@login_required
@require_POST
def prefill(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk, CHANGE)
    try:
        result = whitespace_prefill(account=account)
    except DomainError as exc:
        return bad_request(request, exc.message)
    messages.success(
        request,
        _(
            "White space pre-filled from the data: %(created)d new, %(updated)d updated, "
            "%(kept)d edited cells kept."
        )
        % {"created": result.created, "updated": result.updated, "kept": result.kept},
    )
    return redirect("whitespace:matrix", pk=account.pk)
