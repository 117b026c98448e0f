"""REST endpoints of plan exports: PDF, JSON, and the import of a plan's JSON."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from ninja import Body, Router, Schema, Status

from kam.core.api.helpers import responses
from kam.core.api.schemas import Id
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require
from kam.customers.models import Unit

from .export_views import file_name, pdf_language
from .exports import plan_export, plan_import
from .models import AccountPlan
from .pdf import plan_pdf

router = Router(tags=["plan exports"])
VIEW, CHANGE = "kam.view_account", "kam.change_account"


class ImportedOut(Schema):
    id: int
    account_id: int
    status: str
    period_start: str
    period_end: str


def _plan(request: AuthedHttpRequest, plan_id: int) -> AccountPlan:
    plan: AccountPlan = get_for_user(
        AccountPlan.objects.select_related("account", "account__account_manager"),
        request.auth,
        VIEW,
        pk=plan_id,
    )
    return plan


@router.get(
    "/plans/{plan_id}/export.pdf",
    response=responses({200: None}),
    summary="The plan as PDF: a one-page summary, then the details (?lang=en|ru)",
)
def plan_pdf_get(request: AuthedHttpRequest, plan_id: Id, lang: str = "") -> HttpResponse:
    plan = _plan(request, plan_id)
    data = plan_pdf(
        plan=plan, language=pdf_language(lang, request.auth), as_of=timezone.localdate()
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{file_name(plan, "pdf")}"'
    return response


@router.get(
    "/plans/{plan_id}/export.json",
    response=responses({200: dict[str, Any]}),
    summary="The plan as JSON (format openkam.account-plan, see docs/plan-json.md)",
)
def plan_json_get(request: AuthedHttpRequest, plan_id: Id) -> dict[str, Any]:
    return plan_export(plan=_plan(request, plan_id))


@router.post(
    "/plan-imports",
    response=responses({201: ImportedOut}),
    summary="Create a draft plan from an export; the account is matched by external id "
    "unless account_id is given",
)
def plan_import_post(
    request: AuthedHttpRequest,
    payload: Body[dict[str, Any]],
    account_id: Id | None = None,
) -> Status[dict[str, Any]]:
    account: Unit | None = None
    if account_id is not None:
        account = get_for_user(Unit.objects.accounts(), request.auth, CHANGE, pk=account_id)
    else:
        # the account named in the document: the writer must be allowed to change it
        ref = payload.get("AccountPlan", {}) if isinstance(payload, dict) else {}
        external = (ref.get("Account") or {}).get("ExternalId") if isinstance(ref, dict) else None
        if external:
            found = Unit.objects.accounts().filter(external_id=str(external)).first()
            if found is not None:
                require(request.auth, CHANGE, found)
                account = found
    if account is None:
        require(request.auth, "kam.log_interaction")  # any internal user gets the clear 4xx
    plan = plan_import(data=payload, user=request.auth, account=account)
    return Status(
        201,
        {
            "id": plan.pk,
            "account_id": plan.account_id,
            "status": plan.status,
            "period_start": plan.period_start.isoformat(),
            "period_end": plan.period_end.isoformat(),
        },
    )
