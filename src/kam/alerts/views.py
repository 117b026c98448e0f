"""Pages of alerts: the list (its FilterSet is the API's), one step on an alert (HTMX row),
the digest preference."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kam.core import pages
from kam.core.errors import DomainError
from kam.core.filters import FilterError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require, visible
from kam.customers.models import Unit

from . import selectors, services
from .models import Alert, AlertStatus, DigestFrequency
from .rules import rules
from .workflows import ALERT_WORKFLOW

VIEW = "kam.view_account"
PAGE_SIZE = 50


@login_required
@require_GET
def alert_list(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    try:
        qs = selectors.alert_list(user=request.user, filters=request.GET)
    except FilterError as exc:
        messages.error(request, exc.message)
        qs = selectors.alert_list(user=request.user)
    paginator = Paginator(visible(request.user, qs), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page") or 1)
    query = request.GET.copy()
    query.pop("page", None)
    state = selectors.inbox_state(user=request.user)
    return render(
        request,
        "alerts/list.html",
        {
            "page": page,
            "rows": [(a, selectors.alert_steps(user=request.user, alert=a)) for a in page],
            "statuses": AlertStatus.choices,
            "kinds": rules.choices(),
            "chosen_status": request.GET.getlist("status"),
            "chosen_kind": request.GET.get("kind", ""),
            "mine": request.GET.get("mine", "") in ("true", "on", "1", "True"),
            "query": query.urlencode(),
            "digest": state.digest if state else DigestFrequency.NONE,
            "digest_choices": DigestFrequency.choices,
        },
    )


def _row(request: AuthedHttpRequest, alert: Alert, error: str = "") -> HttpResponse:
    return render(
        request,
        "alerts/_alert.html",
        {
            "alert": alert,
            "steps": selectors.alert_steps(user=request.user, alert=alert),
            "error": error,
        },
    )


@login_required
@require_POST
def alert_step(request: AuthedHttpRequest, pk: int, step: str) -> HttpResponseBase:
    """Acknowledge, resolve (with a note) or snooze (until a day) one alert; an HTMX request
    gets the alert's row back, a plain form goes back where it came from."""
    alert: Alert = get_for_user(
        Alert.objects.select_related("account__account_manager"), request.user, VIEW, pk=pk
    )
    if step not in ALERT_WORKFLOW.transitions:
        raise Http404
    if not ALERT_WORKFLOW[step].permitted(request.user, alert):
        raise PermissionDenied
    until = None
    error = ""
    if step == "snooze":
        raw = request.POST.get("until", "")
        try:
            until = dt.date.fromisoformat(raw)
        except ValueError:
            error = _("Enter the day the alert comes back as YYYY-MM-DD.")
    if not error:
        try:
            alert = services.alert_step(
                alert=alert,
                step=step,
                actor=request.user,
                note=request.POST.get("note", ""),
                until=until,
            )
        except DomainError as exc:
            error = exc.message
    if request.htmx:
        # htmx swaps no 4xx answer: the row comes back with the refusal shown in it
        return _row(request, alert, error)
    if error:
        return pages.bad_request(request, error)
    messages.success(request, _("Done: %(step)s.") % {"step": ALERT_WORKFLOW[step].label})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "alerts:list")


@login_required
@require_POST
def digest_set(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    try:
        services.inbox_digest_set(user=request.user, digest=request.POST.get("digest", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("alerts:list")
    messages.success(request, _("Your e-mail digest is set."))
    return redirect("alerts:list")


@login_required
@require_GET
def account_alerts(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The account page's panel: the alerts that stand on the account, with their steps."""
    unit: Unit = get_for_user(
        Unit.objects.select_related("account_manager"), request.user, VIEW, pk=pk
    )
    account = unit.account
    alerts = selectors.live_alerts(account_ids=[account.pk], limit=20)
    return render(
        request,
        "alerts/_account_alerts.html",
        {
            "account": account,
            "rows": [(a, selectors.alert_steps(user=request.user, alert=a)) for a in alerts],
        },
    )
