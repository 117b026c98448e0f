"""Request ids: every request gets one, logged with each line and shown on error pages."""

from __future__ import annotations

import logging
import threading
import uuid

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kam.core.db import BUSY_RETRY_AFTER, is_busy

logger = logging.getLogger("kam.db")

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


class DatabaseBusyMiddleware:
    """A page whose write found the database locked past the busy timeout answers 503.

    Another writer (an import's publish step, a job) held SQLite's write lock for longer than
    ``KAM_DB_BUSY_TIMEOUT``: that is not a fault of the page, so the user gets "busy, try again"
    and a ``Retry-After`` instead of a server error. The API answers the same in JSON
    (``kam.core.api.errors``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_busy(exception):
            return None
        logger.warning("Database busy: %s", exception)
        message = busy_message()
        context = {"status": 503, "message": message, "request_id": request.request_id}
        try:
            response = render(request, "web/error.html", context, status=503)
        except Exception:  # the page frame itself needs the database: answer in plain text
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response


def busy_message() -> str:
    return _("The database is busy; try again in a moment.")
