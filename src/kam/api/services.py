"""Writes of API tokens: create (the plain secret is returned once), revoke, note use."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.core.validation import check_date
from kam.people.models import User

from .models import ApiToken, TokenScope

TOKEN_PREFIX = "kam_"
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, user: User, name: str, scope: str = TokenScope.READ, expires: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the plain secret, which is never stored nor shown again."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("A token needs a name."), field="name")
    if len(name) > 100:
        raise DomainError(_("The name is too long (100 characters at most)."), field="name")
    if scope not in TokenScope.values:
        raise DomainError(_("Scope must be read or read_write."), field="scope")
    check_date(expires, "expires")
    if expires is not None and expires <= timezone.now():
        raise DomainError(_("The expiry date must be in the future."), field="expires")
    while True:
        prefix = secrets.token_hex(4)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        secret_hash=_hash(plain),
        scope=scope,
        expires=expires,
    )
    return token, plain


@transaction.atomic
def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(*, plain: str) -> ApiToken | None:
    """The active token for a presented secret (and note its use), or None."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    prefix, _sep, rest = plain[len(TOKEN_PREFIX) :].partition("_")
    if not prefix or not rest:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(plain)):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token
