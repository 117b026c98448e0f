"""Reads of API tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from kam.people.models import User

from .models import ApiToken


def tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    """All tokens of a user, newest first (revoked ones included, marked by ``revoked_at``)."""
    return ApiToken.objects.filter(user=user).order_by("-created", "-pk")
