"""Writes about our people."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import translation

from kam.core.errors import DomainError

from .models import Notification, User

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
