"""Downloads of a plan (PDF, JSON) and the upload of a plan's JSON into an account.

Reading a plan = may view its account; importing into an account = may change it.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user
from kam.customers.models import Unit

from .exports import plan_export, plan_import
from .models import AccountPlan
from .pdf import plan_pdf

VIEW, CHANGE = "kam.view_account", "kam.change_account"
LANGUAGES = ("en", "ru")
MAX_UPLOAD = 5 * 1024 * 1024


def plan_for(request: AuthedHttpRequest, pk: int) -> AccountPlan:
    plan: AccountPlan = get_for_user(
        AccountPlan.objects.select_related("account", "account__account_manager"),
        request.user,
        VIEW,
        pk=pk,
    )
    return plan


def pdf_language(asked: str | None, user: Any) -> str:
    """The language asked for (?lang=), else the user's, else the active one; en or ru."""
    for code in (asked, getattr(user, "language", ""), translation.get_language()):
        code = (code or "")[:2]
        if code in LANGUAGES:
            return code
    return "en"


def file_name(plan: AccountPlan, ext: str) -> str:
    name = slugify(plan.account.name) or "account"
    return f"plan-{name}-{plan.period_start:%Y-%m}.{ext}"


@login_required
@require_GET
def plan_pdf_view(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    plan = plan_for(request, pk)
    language = pdf_language(request.GET.get("lang"), request.user)
    data = plan_pdf(plan=plan, language=language, as_of=timezone.localdate())
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{file_name(plan, "pdf")}"'
    return response


@login_required
@require_GET
def plan_json_view(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    plan = plan_for(request, pk)
    body = json.dumps(plan_export(plan=plan), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name(plan, "json")}"'
    return response


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Plan file (JSON exported from OpenKAM)"),
        help_text=gettext_lazy("The plan is created as a draft of this account."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_import_view(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account: Unit = get_for_user(
        Unit.objects.accounts().select_related("account_manager"), request.user, CHANGE, pk=pk
    )
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_UPLOAD:
                    raise DomainError(_("The file is larger than 5 MB."))
                try:
                    data = json.loads(upload.read().decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise DomainError(_("The file is not valid JSON: %s") % exc) from exc
                plan = plan_import(data=data, user=request.user, account=account)
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(request, _("The plan has been imported as a draft."))
                return redirect_to_plan(plan)
    context = {"account": account, "form": form}
    return render(request, "planning/plan_import.html", context, status=status)


def redirect_to_plan(plan: AccountPlan) -> HttpResponseBase:
    """The plan's page when the plan part provides one, else the account page."""
    try:
        return redirect("planning:plan", pk=plan.pk)
    except NoReverseMatch:
        return redirect("web:account", pk=plan.account_id)
