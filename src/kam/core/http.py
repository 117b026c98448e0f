"""Request types for code behind a login: who the caller is, typed for mypy."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest

if TYPE_CHECKING:
    # django-stubs' name for the configured user model (AUTH_USER_MODEL); types only.
    from django.contrib.auth.models import _User
    from django_htmx.middleware import HtmxDetails


class AuthedHttpRequest(HttpRequest):
    """A request that passed authentication (API token or session, or ``login_required``).

    Only an annotation: Django and django-ninja still pass their own request object, on which
    ninja sets ``auth`` and Django's middleware sets ``user`` to the logged-in user.
    """

    auth: _User
    user: _User
    htmx: HtmxDetails  # set by django-htmx's middleware on every request


def client_address(request: HttpRequest) -> str:
    """The caller's address, for login lockout and API throttling.

    ``REMOTE_ADDR`` unless ``KAM_TRUSTED_PROXIES`` (N) proxies stand in front: then the address
    the outermost trusted proxy saw, the N-th entry from the right of ``X-Forwarded-For`` (the
    entries left of it are whatever the client chose to send, so they are never trusted).
    """
    proxies = getattr(settings, "KAM_TRUSTED_PROXIES", 0)
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies and _is_ip(forwarded[-proxies]):
            return forwarded[-proxies]
    remote = str(request.META.get("REMOTE_ADDR") or "")
    # Always an address (the lockout log stores it in an address column, which PostgreSQL
    # checks): a request without one (a test client, a broken proxy) counts as 0.0.0.0.
    return remote if _is_ip(remote) else UNKNOWN_ADDRESS


UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104 - a placeholder value, not a bind address


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
