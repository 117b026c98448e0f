"""Request ids: every request gets one, logged with each line and shown on error pages."""

from __future__ import annotations

import json
import logging
import threading
import uuid

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from kam.core import metrics
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


def body_too_large_message() -> str:
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    return _(
        "The request body is larger than the limit of %(limit).0f MB. Send less data at a time, "
        "or upload a file as an import."
    ) % {"limit": limit_mb}


class BodyLimitMiddleware:
    """A request body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` gets 413 with a message, not a 500.

    Django raises ``RequestDataTooBig`` only when a view (or the CSRF check) reads the body,
    where it became a 500 in the API and a bare 400 on pages. File uploads (multipart) are
    exempt here, as in Django: their files are streamed to disk and limited by the importer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        content_type = request.META.get("CONTENT_TYPE", "")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit and not content_type.startswith("multipart/"):
            return too_large_response(request)
        return self.get_response(request)


def too_large_response(request) -> HttpResponse:
    """413: JSON in the API's error format under /api/, the friendly error page elsewhere."""
    message = body_too_large_message()
    if request.path.startswith("/api/"):
        body = {"code": "too_large", "message": message, "errors": []}
        return HttpResponse(json.dumps(body), status=413, content_type="application/json")
    return render(request, "web/error.html", {"status": 413, "message": message}, status=413)


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


class MetricReadMiddleware:
    """A read (GET, HEAD) computes each account metric once (``kam.core.metrics.reading``):
    a page that shows one figure several ways pays for it once. Writes are left alone, so what
    they change is never hidden by a figure computed before them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with metrics.reading():
            return self.get_response(request)
