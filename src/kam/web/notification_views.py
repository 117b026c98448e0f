"""The notifications menu of the header and the notifications page (every signed-in user)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kam.core import pages
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import is_internal
from kam.people.selectors import (
    notification_list,
    notifications_latest,
    notifications_unread_count,
)
from kam.people.services import notifications_mark_read

MENU_SIZE = 8
PAGE_SIZE = 25


def _internal(request: AuthedHttpRequest) -> None:
    if not is_internal(request.user):
        raise PermissionDenied


def _menu(request: AuthedHttpRequest) -> HttpResponseBase:
    return render(
        request,
        "web/_notifications_menu.html",
        {
            "notifications": notifications_latest(user=request.user, limit=MENU_SIZE),
            "unread_count": notifications_unread_count(user=request.user),
        },
    )


@login_required
@require_GET
def notifications_menu(request: AuthedHttpRequest) -> HttpResponseBase:
    """The bell's dropdown (loaded by HTMX when opened, so other pages do not pay for it)."""
    _internal(request)
    return _menu(request)


@login_required
@require_GET
def notifications(request: AuthedHttpRequest) -> HttpResponseBase:
    _internal(request)
    try:
        page = pages.page_number(request)
        rows, count, page_total = pages.paginate(
            notification_list(user=request.user), page, PAGE_SIZE
        )
    except pages.BadQuery as exc:
        return pages.bad_request(request, str(exc))
    return render(
        request,
        "web/notifications.html",
        {
            "notifications": rows,
            "count": count,
            "page": page,
            "pages": page_total,
            "unread_count": notifications_unread_count(user=request.user),
        },
    )


@login_required
@require_POST
def notifications_read(request: AuthedHttpRequest) -> HttpResponseBase:
    """Mark the user's own notifications read: those named by ``id``, or all of them."""
    _internal(request)
    raw = request.POST.getlist("id")
    try:
        ids = [int(v) for v in raw] if raw else None
    except ValueError:
        return pages.bad_request(request, _("The notifications to mark are not valid."))
    notifications_mark_read(user=request.user, ids=ids)
    if getattr(request, "htmx", False):
        return _menu(request)
    fallback = reverse("web:notifications")
    next_url = request.POST.get("next") or fallback
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = fallback
    return redirect(next_url)
