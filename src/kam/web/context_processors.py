from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from kam.core.permissions import is_internal
from kam.people.selectors import notifications_unread_count

from .navigation import nav_items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "kam_languages": settings.LANGUAGES}
    items = []
    for item in nav_items():
        if user.has_perm(item.perm):
            url = reverse(item.url_name)
            items.append({"url": url, "label": item.label, "active": request.path.startswith(url)})
    return {
        "nav_items": items,
        "kam_languages": settings.LANGUAGES,
        # the bell's badge: one count query; the dropdown itself is loaded when opened
        "notifications_unread": (
            notifications_unread_count(user=user) if is_internal(user) else None
        ),
    }
