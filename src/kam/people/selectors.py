"""Reads about our people."""

from __future__ import annotations

from .models import Notification, User


def notifications_unread(*, user: User, limit: int = 20) -> list[Notification]:
    return list(Notification.objects.filter(user=user, read=False)[:limit])


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read=False).count()
