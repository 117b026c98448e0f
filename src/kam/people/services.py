"""Writes about our people."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kam.core.countries import country_code, suggest_country
from kam.core.errors import DomainError

from .models import Notification, Territory, User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # dev-only package: types only


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    if language not in {code for code, _n in settings.LANGUAGES}:
        raise DomainError("Unknown language.", field="language")
    user.language = language
    user.save(update_fields=["language"])
    return user


# --------------------------------------------------------------------------------------------
# Notifications: any app tells a person something through these two functions.


def notify(
    *,
    users: Iterable[User],
    message: StrOrPromise,
    params: dict[str, Any] | None = None,
    link: str = "",
) -> int:
    """Write one in-app notification per user, in that user's language."""
    rows = []
    for user in users:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            text = str(message) % (params or {})
        rows.append(Notification(user=user, text=text[:500], link=link))
    Notification.objects.bulk_create(rows)
    return len(rows)


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notifications read (all, or those of ``ids``); returns how many changed.

    Only the user's own notifications are touched: ids of another user's are ignored, so
    nobody can learn of or change someone else's notices.
    """
    qs = Notification.objects.filter(user=user, read=False)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read=True)


# --------------------------------------------------------------------------------------------
# Territories


def _iso_country(text: str) -> str:
    """The ISO alpha-2 code of a code (alpha-2/alpha-3/numeric) or English/Russian name.

    Refused when unknown (``ZZ`` too), with the closest known country as a suggestion.
    """
    code = country_code(text) if text else None
    if code is not None:
        return code
    if not text:
        raise DomainError(_("A territory needs a country."), field="country")
    suggestion = suggest_country(text)
    if suggestion:
        raise DomainError(
            _("Unknown country %(value)s; did you mean %(suggestion)s?")
            % {"value": text, "suggestion": suggestion},
            field="country",
        )
    raise DomainError(
        _("Unknown country %(value)s: use an ISO code or a country name, e.g. DE or Germany.")
        % {"value": text},
        field="country",
    )


@transaction.atomic
def territory_save(
    *,
    territory: Territory | None = None,
    name: str,
    country: str,
    region: str = "",
    external_id: str | None = None,
    manager: User | None = None,
) -> Territory:
    """Create a territory (``territory`` None) or change one; the checks of the import apply."""
    name, region = (name or "").strip(), (region or "").strip()
    country_text = (country or "").strip()
    external_id = (external_id or "").strip() or None
    if not name:
        raise DomainError(_("A territory needs a name."), field="name")
    if len(name) > 120 or len(region) > 120:
        raise DomainError(
            _("At most 120 characters."), field="name" if len(name) > 120 else "region"
        )
    country = _iso_country(country_text)
    if external_id and len(external_id) > 64:
        raise DomainError(_("At most 64 characters."), field="external_id")
    others = Territory.objects.exclude(pk=territory.pk) if territory else Territory.objects.all()
    if others.filter(country=country, region=region).exists():
        raise DomainError(
            _("Another territory already covers this country and region."), field="region"
        )
    if external_id and others.filter(external_id=external_id).exists():
        raise DomainError(_("Another territory has this code."), field="external_id")
    territory = territory or Territory()
    territory.name, territory.country, territory.region = name, country, region
    territory.external_id, territory.manager = external_id, manager
    territory.save()
    return territory


# --------------------------------------------------------------------------------------------
# Users (the ``kam user`` command; the import writes users in bulk)


def _role(role: str) -> str:
    from .models import Role

    if role not in Role.values:
        raise DomainError(
            _("Unknown role “%(role)s”. Choose one of: %(roles)s.")
            % {"role": role, "roles": ", ".join(Role.values)},
            field="role",
        )
    return role


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    email: str = "",
    manager: User | None = None,
    territory: Territory | None = None,
    password: str | None = None,
) -> User:
    """A user with a role (without one they could open no page). No password: they cannot sign
    in until one is set (or single sign-on is configured)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    username = (username or "").strip()
    if not username or len(username) > 150:
        raise DomainError(_("A username has 1 to 150 characters."), field="username")
    if User.objects.filter(username=username).exists():
        raise DomainError(_("This username is taken."), field="username")
    _role(role)
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise DomainError(_("Not an e-mail address."), field="email") from exc
    user = User(username=username, role=role, email=email, manager=manager, territory=territory)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field="password") from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str) -> User:
    user.role = _role(role)
    user.save(update_fields=["role"])
    return user
