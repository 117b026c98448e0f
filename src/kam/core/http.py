"""Request types for code behind a login: who the caller is, typed for mypy."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
