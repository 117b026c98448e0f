from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

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
    return {"nav_items": items, "kam_languages": settings.LANGUAGES}
