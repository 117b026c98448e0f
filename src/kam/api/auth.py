"""Who is calling: a personal token (``Authorization: Bearer …``) or the browser session.

Both give ``request.auth`` = the user. A read-only token on a write method is refused with 403
(code ``scope``); a user without a role (an outsider) is refused with 403 on every endpoint.
A token request also gets ``request.user`` = the token's user, so the audit history
(simple-history reads the author from the request) names them as the author of its writes.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from kam.core.api.errors import ScopeError, ThrottledError
from kam.core.permissions import is_internal

from . import throttle
from .services import token_authenticate

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _admit(user):
    if not is_internal(user):
        raise PermissionDenied
    return user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        # Throttled (trust): an address that sent too many bad tokens is refused before the
        # token is looked at; a valid token is held to KAM_API_RATE requests a minute.
        now = throttle.clock()
        bad = throttle.bad_token_window(request)
        if throttle.count_of(bad, now=now) >= bad.limit:
            raise ThrottledError(bad.retry_after(now), bad_tokens=True)
        found = token_authenticate(plain=token.strip())
        if found is None:
            throttle.count_up(bad, now=now)
            return None
        rate = throttle.token_window(found.pk)
        if throttle.count_up(rate, now=now) > rate.limit:
            raise ThrottledError(rate.retry_after(now))
        if request.method not in SAFE_METHODS and not found.can_write:
            raise ScopeError
        user = _admit(found.user)
        # the author of the request's writes in the history, as for a browser session
        request.user = user
        return user


class BrowserSession(SessionAuth):
    """The logged-in browser on the same site; writes need the CSRF token (ninja checks it)."""

    def __call__(self, request: HttpRequest):
        # A request that presents a token is judged by the token alone (a bad one is a 401).
        if request.headers.get("Authorization"):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return _admit(user)


token_auth = TokenAuth()
session_auth = BrowserSession()
API_AUTH = [token_auth, session_auth]
