"""Writes about our people."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from kam.core.errors import DomainError

from .models import User


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    if language not in {code for code, _n in settings.LANGUAGES}:
        raise DomainError("Unknown language.", field="language")
    user.language = language
    user.save(update_fields=["language"])
    return user
