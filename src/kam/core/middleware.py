"""Request ids: every request gets one, logged with each line and shown on error pages."""

from __future__ import annotations

import logging
import threading
import uuid

from django.utils.cache import add_never_cache_headers

_local = threading.local()


def current_request_id() -> str:
    return getattr(_local, "request_id", "-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex[:16]
        _local.request_id = rid
        request.request_id = rid
        try:
            response = self.get_response(request)
        finally:
            _local.request_id = "-"
        response["X-Request-ID"] = rid
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every API answer and every page of a logged-in user (trust).

    Customer data must not stay in a browser or proxy cache after logout. Static files never get
    here (WhiteNoise answers them first); a response that declares itself public (the API docs'
    assets) keeps its own caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "public" in response.get("Cache-Control", ""):
            return response
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response
