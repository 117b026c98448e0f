from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse

from kam.core.permissions import is_internal
from kam.people.selectors import notifications_unread_count

from .navigation import nav_items


@lru_cache(maxsize=256)
def _nav_url(url_name: str, script_prefix: str) -> str:
    """A menu entry's address: the same for every request under one script prefix (reversing
    every entry on every page cost 0.33 ms of the menu's 0.46)."""
    return reverse(url_name)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "kam_languages": settings.LANGUAGES}
    items = []
    for item in nav_items():
        if user.has_perm(item.perm):
            url = _nav_url(item.url_name, get_script_prefix())
            items.append({"url": url, "label": item.label, "active": request.path.startswith(url)})
    return {
        "nav_items": items,
        "kam_languages": settings.LANGUAGES,
        # the bell's badge: one count query; the dropdown itself is loaded when opened
        "notifications_unread": (
            notifications_unread_count(user=user) if is_internal(user) else None
        ),
    }
