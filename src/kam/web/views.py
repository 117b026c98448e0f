"""Pages of the web shell. Views are thin: permission helper, selectors, render."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.core import pages
from kam.core.countries import country_name
from kam.core.errors import DomainError
from kam.core.filters import offer_choices
from kam.core.http import AuthedHttpRequest
from kam.core.middleware import current_request_id
from kam.core.permissions import get_for_user, require, visible
from kam.customers.filters import UnitFilter
from kam.customers.models import Tier, Unit, UnitKind
from kam.customers.selectors import (
    account_field_values,
    account_manager_choices,
    account_position_list,
    unit_ancestors,
    unit_history,
    unit_list,
    unit_subtree,
)
from kam.customers.services import unit_update, unit_version
from kam.health.modes import lean_kpis
from kam.interactions.selectors import interactions_for
from kam.people.services import user_set_language
from kam.sales.selectors import (
    account_revenue_by_year_and_line,
    revenue_12m_kept,
    revenue_12m_subquery,
    subtree_totals,
    unit_revenue_12m,
)
from kam.sales.services import account_revenue_current

from .forms import UnitForm
from .profile import account_profile, key_account_status
from .tables import SORTABLE, PortfolioTable

log = logging.getLogger(__name__)

PAGE_SIZE = 25
TREE_LIMIT = 300
CONTACT_LIMIT = 50
INTERACTION_LIMIT = 10
HISTORY_LIMIT = 100
PORTFOLIO_SELECTS = ("country", "industry", "tier", "account_manager")


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


def locked_out(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
    """django-axes' answer to a locked-out login: the login page, saying why and for how long."""
    form = AuthenticationForm(request)
    context = {
        "form": form,
        "locked_out": True,
        "lockout_minutes": settings.KAM_LOCKOUT_MINUTES,
        "next": request.POST.get("next", "") if request.method == "POST" else "",
    }
    return render(request, "web/login.html", context, status=429)


PORTFOLIO_COLUMNS = (
    "name",
    "path",
    "country",
    "industry",
    "tier",
    "employees",
    "account_manager",
    "account_manager__first_name",
    "account_manager__last_name",
    "account_manager__username",
)


@login_required
def portfolio(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, "kam.view_account")
    today = timezone.localdate()
    try:
        accounts = visible(request.user, unit_list(filters=request.GET, accounts_only=True))
    except DomainError as exc:
        return pages.bad_request(request, exc.message)
    # the kept revenue when every account's is of this month (a few stale ones are refreshed
    # first), else the live sums over the roll-ups (decision 111)
    kept = account_revenue_current(today=today)
    queryset = (
        accounts.select_related("account_manager")
        # the columns the rows show, all carried by the accounts' index (customers 0007,
        # decision 121): the sort by revenue reads that index alone, not every unit's row
        .only(*PORTFOLIO_COLUMNS)
        .annotate(revenue_12m=revenue_12m_kept() if kept else revenue_12m_subquery(today=today))
    )
    filterset = UnitFilter(request.GET or None)  # the form the page shows
    for field in PORTFOLIO_SELECTS[:2]:
        offer_choices(filterset.form, field, account_field_values(field=field))
    offer_choices(filterset.form, "account_manager", account_manager_choices())
    sort = request.GET.get("sort", "-revenue_12m")
    if sort.lstrip("-") not in SORTABLE:
        return pages.bad_request(request, _("The list cannot be sorted by “%s”.") % sort)
    count = queryset.count()
    try:
        page = pages.page_number(request)
        pages.page_count(count, page, PAGE_SIZE)
    except pages.BadQuery as exc:
        return pages.bad_request(request, str(exc))
    table = PortfolioTable(queryset, order_by=(sort, "name"))
    table.paginate(paginator_class=pages.counted_paginator(count), page=page, per_page=PAGE_SIZE)
    return render(
        request,
        "web/portfolio.html",
        {
            "filter": filterset,
            "selects": PORTFOLIO_SELECTS,
            "table": table,
            "count": count,
            "sort": sort,
        },
    )


def _chart_data(by_year, by_line_year) -> dict:
    years = sorted({*by_year.keys(), *(y for d in by_line_year.values() for y in d)})
    return {
        "years": [str(y) for y in years],
        "total": [float(by_year.get(y, 0)) for y in years],
        "lines": [
            {"name": name, "data": [float(values.get(y, 0)) for y in years]}
            for name, values in sorted(by_line_year.items())
        ],
        "labels": {
            "total": _("Total"),
            "title": _("Revenue by year and product line"),
            "currency": settings.KAM_CURRENCY,
        },
    }


def _line_years(by_line_year: dict[str, dict[int, Any]], years: list[int]) -> list[dict]:
    """Revenue by product line for the last years, biggest line of the latest year first."""
    rows = [
        {"name": name, "values": [values.get(y, 0) for y in years]}
        for name, values in by_line_year.items()
    ]
    return sorted(rows, key=lambda r: (-(r["values"][-1] if years else 0), r["name"]))


def _contacts(request: AuthedHttpRequest, unit: Unit) -> dict:
    """One page of the account's current contacts, searched by name, title or function."""
    positions = account_position_list(unit=unit, filters={"q": request.GET.get("q", "")})
    page = pages.page_number(request, "cpage")
    rows, count, page_total = pages.paginate(positions, page, CONTACT_LIMIT, keys_first=True)
    link = pages.link_maker("web:contact")  # one reverse, not one per row (decision 113)
    for row in rows:
        row.contact_url = link(row.contact_id)
    return {
        "positions": rows,
        "positions_count": count,
        "contacts_page": page,
        "contacts_pages": page_total,
        "contacts_q": request.GET.get("q", ""),
    }


def _tree_rows(unit: Unit, tree: list[Unit], totals: dict[int, Any]) -> list[dict[str, Any]]:
    """The tree's rows with their labels and links ready: up to TREE_LIMIT rows, so each kind
    and country is translated once and each link written from one reversed path, not per row
    in the template (decision 113)."""
    kinds = {code: str(label) for code, label in UnitKind.choices}
    countries = {code: country_name(code) for code in {u.country for u in tree if u.country}}
    link = pages.link_maker("web:account")
    return [
        {
            "unit": u,
            "indent": u.depth - unit.depth,
            "revenue": totals.get(u.pk, 0),
            "kind": kinds.get(u.kind, u.kind),
            "country": countries.get(u.country, ""),
            "url": link(u.pk),
        }
        for u in tree
    ]


@login_required
def account(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    unit = get_for_user(
        Unit.objects.select_related("account_manager"), request.user, "kam.view_account", pk=pk
    )
    try:
        contacts = _contacts(request, unit)
    except pages.BadQuery as exc:
        return pages.bad_request(request, str(exc))
    except DomainError as exc:
        return pages.bad_request(request, exc.message)
    if request.htmx and request.htmx.target == "account-contacts":
        return render(request, "web/_account_contacts.html", {"unit": unit, **contacts})
    today = timezone.localdate()
    tree = list(unit_subtree(unit=unit)[: TREE_LIMIT + 1])
    tree_truncated = len(tree) > TREE_LIMIT
    tree = tree[:TREE_LIMIT]
    totals = subtree_totals(units=tree, own=unit_revenue_12m(unit=unit, today=today))
    tree_rows = _tree_rows(unit, tree, totals)
    by_year, by_line_year = account_revenue_by_year_and_line(unit=unit)
    years = [y for y in sorted(by_year) if y >= today.year - 3]
    context = {
        "unit": unit,
        "ancestors": unit_ancestors(unit=unit),
        "tree_rows": tree_rows,
        "tree_truncated": tree_truncated,
        "subtree_size": unit_subtree(unit=unit).count() if tree_truncated else len(tree),
        "revenue_12m": totals.get(unit.pk, 0),
        **contacts,
        "interactions": interactions_for(unit=unit)[:INTERACTION_LIMIT],
        "chart": _chart_data(by_year, by_line_year),
        "years": years,
        "by_year": [by_year[y] for y in years],
        "line_years": _line_years(by_line_year, years),
        "can_change": request.user.has_perm("kam.change_account", unit),
        "today": today,
        "since_year": today.year - 3,
        "currency": settings.KAM_CURRENCY,
        "profile": account_profile(account=unit, as_of=today) if unit.is_account else None,
        # Table 6.1: a transactional account's page leads with its sales figures (decision 93)
        "lean": lean_kpis(account=unit, as_of=today)
        if unit.is_account and unit.tier == Tier.TRANSACTIONAL
        else None,
        "key_status": key_account_status(account=unit, user=request.user),
    }
    return render(request, "web/account.html", context)


@login_required
@require_POST
def set_language(request: AuthedHttpRequest) -> HttpResponseBase:
    try:
        user_set_language(user=request.user, language=request.POST.get("language", ""))
    except DomainError as exc:
        return pages.bad_request(request, exc.message)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    from django.conf import settings

    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, request.user.language, samesite="Lax")
    messages.success(request, _("Language changed."))
    return response


def _error(request: HttpRequest, status: int, message: str) -> HttpResponseBase:
    return render(
        request,
        "web/error.html",
        {"status": status, "message": message, "request_id": current_request_id()},
        status=status,
    )


def bad_request(request, exception=None):
    return _error(request, 400, _("The request could not be understood."))


def permission_denied(request, exception=None):
    return _error(request, 403, _("You do not have access to this page."))


def page_not_found(request, exception=None):
    return _error(request, 404, _("There is no such page or record."))


def server_error(request):
    return _error(request, 500, _("Something went wrong on our side. The error has been logged."))


@login_required
def account_edit(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    unit = get_for_user(Unit.objects.all(), request.user, "kam.change_account", pk=pk)
    if request.method == "POST":
        form = UnitForm(request.POST, instance=Unit.objects.get(pk=pk))
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                unit_update(unit=unit, expected_version=form.cleaned_data["version"], **data)
            except DomainError as exc:
                status = 409 if exc.code == "conflict" else 400
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                return render(
                    request, "web/account_edit.html", {"unit": unit, "form": form}, status=status
                )
            messages.success(request, _("Saved."))
            return redirect("web:account", pk=unit.pk)
        return render(request, "web/account_edit.html", {"unit": unit, "form": form}, status=400)
    form = UnitForm(instance=unit, initial={"version": unit_version(unit)})
    return render(request, "web/account_edit.html", {"unit": unit, "form": form})


@login_required
def account_history(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    unit = get_for_user(Unit.objects.all(), request.user, "kam.view_account", pk=pk)
    return render(
        request,
        "web/account_history.html",
        {"unit": unit, "changes": unit_history(unit=unit, limit=HISTORY_LIMIT)},
    )
