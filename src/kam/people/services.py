"""Writes about our people."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from kam.core.errors import CycleError, DomainError

from .models import User


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    if language not in {code for code, _n in settings.LANGUAGES}:
        raise DomainError("Unknown language.", field="language")
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def user_set_manager(*, user: User, manager: User | None) -> User:
    """Set the reporting line, rejecting a loop (a person cannot manage their own manager)."""
    seen = {user.pk}
    node = manager
    while node is not None:
        if node.pk in seen:
            raise CycleError("That would make a reporting loop.", field="manager")
        seen.add(node.pk)
        node = node.manager
    user.manager = manager
    user.save(update_fields=["manager"])
    return user
