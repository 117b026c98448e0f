"""Reads about our people."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification, User


def notifications_unread(*, user: User, limit: int = 20) -> list[Notification]:
    return list(Notification.objects.filter(user=user, read=False)[:limit])


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read=False).count()


def notification_list(*, user: User) -> QuerySet[Notification]:
    """Every notification of ``user``, newest first (the notifications page and the API)."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notifications_latest(*, user: User, limit: int = 10) -> list[Notification]:
    """The newest notifications of ``user``, read or not: the header's dropdown."""
    return list(notification_list(user=user)[:limit])
