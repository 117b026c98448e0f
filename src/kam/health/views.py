"""Health pages: the portfolio list, one account's health, and the profiles (executives and
administrators)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kam.core import pages
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require
from kam.customers.models import Tier, Unit

from . import selectors, services
from .forms import ProfileForm, RuleForm, SentimentForm, VersionForm
from .models import (
    COMPONENT_LABELS,
    COMPONENTS,
    Grade,
    HealthProfile,
    HealthProfileVersion,
    ProfileRule,
    VersionStatus,
)

VIEW, CHANGE, MANAGE = "kam.view_account", "kam.change_account", "kam.manage_health"
PAGE_SIZE = 50


def _form_error(form: Any, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def portfolio(request: AuthedHttpRequest) -> HttpResponseBase:
    """Every visible account's kept health, worst first, filtered by one FilterSet."""
    require(request.user, VIEW)
    try:
        rows = selectors.health_list(user=request.user, params=request.GET)
        page = Paginator(rows, PAGE_SIZE).get_page(pages.page_number(request))
    except DomainError as exc:
        return pages.bad_request(request, exc.message)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "health/portfolio.html",
        {
            "page": page,
            "grades": Grade.choices,
            "tiers": [("key", _("Every key tier")), *Tier.choices],
            "chosen_grade": request.GET.getlist("grade"),
            "chosen_tier": request.GET.get("tier", ""),
            "q": request.GET.get("q", ""),
            "falling": request.GET.get("falling", "") in ("true", "on", "1", "True"),
            "query": query.urlencode(),
            "stale": selectors.stale_count(),
            "backtest": selectors.latest_backtest(),
        },
    )


def _components(health: Any) -> list[dict[str, Any]]:
    if health is None:
        return []
    weights = health.version.weights if health.version else {}
    return [
        {
            "key": key,
            "label": COMPONENT_LABELS[key],
            "weight": weights.get(key),
            **health.components.get(key, {}),
        }
        for key in COMPONENTS
    ]


@login_required
@require_http_methods(["GET", "POST"])
def account(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """One account's health: components with their numbers, trend chart, history, sentiment."""
    unit: Unit = get_for_user(
        Unit.objects.select_related("account_manager"), request.user, VIEW, pk=pk
    )
    if not unit.is_account:
        return redirect("health:account", unit.account.pk)
    can_change = request.user.has_perm(CHANGE, unit)
    form = SentimentForm()
    status = 200
    if request.method == "POST":
        require(request.user, CHANGE, unit)
        form = SentimentForm(request.POST)
        if form.is_valid():
            try:
                services.sentiment_record(account=unit, user=request.user, **form.cleaned_data)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Your reading is kept beside the score."))
                return redirect("health:account", unit.pk)
        status = 400
    data = selectors.account_health(account=unit)
    chart = [
        {"month": row["month"].strftime("%Y-%m"), "score": float(row["score"])}
        for row in data["history"]
    ]
    return render(
        request,
        "health/account.html",
        {
            "account": unit,
            **data,
            "components": _components(data["health"]),
            "rollup": selectors.group_rollup(account=unit),
            "chart": chart,
            "form": form,
            "can_change": can_change,
            "can_manage": request.user.has_perm(MANAGE),
            "currency": settings.KAM_CURRENCY,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def profiles(request: AuthedHttpRequest) -> HttpResponseBase:
    """The profiles with their versions and assignment rules; POST adds a profile."""
    require(request.user, MANAGE)
    form = ProfileForm()
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                profile = services.profile_create(user=request.user, **form.cleaned_data)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Profile %(name)s added.") % {"name": profile.name})
                return redirect("health:profiles")
        status = 400
    return render(
        request,
        "health/profiles.html",
        {
            "profiles": selectors.profiles(),
            "form": form,
            "rule_form": RuleForm(),
            "labels": COMPONENT_LABELS,
            "components": COMPONENTS,
        },
        status=status,
    )


@login_required
@require_POST
def version_draft(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    require(request.user, MANAGE)
    profile = get_object_or_404(HealthProfile, pk=pk)
    draft = services.profile_version_draft(profile=profile, user=request.user)
    return redirect("health:version", draft.pk)


@login_required
@require_http_methods(["GET", "POST"])
def version(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """A profile version; a draft's weights and bands can be changed here."""
    require(request.user, MANAGE)
    obj = get_object_or_404(HealthProfileVersion.objects.select_related("profile"), pk=pk)
    form = VersionForm(version=obj)
    status = 200
    if request.method == "POST":
        form = VersionForm(request.POST)
        if form.is_valid():
            try:
                services.profile_version_update(version=obj, **form.version_fields())
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("health:version", obj.pk)
        status = 400
    return render(
        request,
        "health/version.html",
        {"version": obj, "form": form, "is_draft": obj.status == VersionStatus.DRAFT},
        status=status,
    )


@login_required
@require_POST
def version_activate(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    require(request.user, MANAGE)
    obj = get_object_or_404(HealthProfileVersion, pk=pk)
    try:
        services.profile_version_activate(version=obj, user=request.user)
    except DomainError as exc:
        return pages.bad_request(request, exc.message)
    messages.success(
        request, _("Version activated; every account's health is recomputed at the next refresh.")
    )
    return redirect("health:profiles")


@login_required
@require_POST
def rule_add(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    require(request.user, MANAGE)
    profile = get_object_or_404(HealthProfile, pk=pk)
    form = RuleForm(request.POST)
    if not form.is_valid():
        return pages.bad_request(
            request, "; ".join(str(m) for e in form.errors.values() for m in e)
        )
    try:
        services.profile_rule_add(profile=profile, **form.cleaned_data)
    except DomainError as exc:
        return pages.bad_request(request, exc.message)
    messages.success(request, _("Rule added."))
    return redirect("health:profiles")


@login_required
@require_POST
def rule_delete(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    require(request.user, MANAGE)
    rule = get_object_or_404(ProfileRule, pk=pk)
    services.profile_rule_delete(rule=rule)
    messages.success(request, _("Rule removed."))
    return redirect("health:profiles")
