"""Every API error is JSON: ``{"code", "message", "errors": [{"field", "message"}]}``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar, cast

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DataError, IntegrityError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.main import ExcHandler

from kam.core.db import BUSY_RETRY_AFTER, is_busy
from kam.core.errors import DomainError
from kam.core.middleware import body_too_large_message, busy_message

logger = logging.getLogger("kam.api")


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[FieldErrorOut] = []


class ScopeError(Exception):
    """A read-only token was used for a write."""


class ThrottledError(Exception):
    """Too many requests (bad tokens from one address, or one token over its rate)."""

    def __init__(self, retry_after: int, *, bad_tokens: bool = False) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after
        self.bad_tokens = bad_tokens


class CursorError(Exception):
    """The pagination cursor is not one we handed out."""


_E = TypeVar("_E", bound=Exception)


def _field_path(loc) -> str:
    parts = [str(p) for p in loc]
    # ninja puts where the value came from first (body, query, path) and the argument name next.
    if len(parts) > 1 and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        source, rest = parts[0], parts[1:]
        if (
            source == "body"
            and len(rest) > 1
            and rest[0] == "payload"
            or source == "query"
            and len(rest) > 1
            and rest[0] == "filters"
        ):
            rest = rest[1:]
        return ".".join(rest)
    return ".".join(parts)


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    errors: list[dict] | None = None,
) -> HttpResponse:
    body = {"code": code, "message": message, "errors": errors or []}
    return api.create_response(request, body, status=status)


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn exceptions into JSON errors."""

    def on_validation(request, exc: ValidationError):
        errors = [
            {"field": _field_path(e.get("loc", ())), "message": str(e.get("msg", ""))}
            for e in exc.errors
        ]
        return error_response(
            api, request, 422, "validation", _("Some values are not valid."), errors
        )

    def on_domain(request, exc: DomainError):
        row_errors = getattr(exc, "errors", None)
        if row_errors:
            errors = [{"field": f, "message": m} for f, m in row_errors]
        else:
            errors = [{"field": exc.field, "message": exc.message}] if exc.field else []
        status = 409 if exc.code == "conflict" else 400
        return error_response(api, request, status, exc.code, exc.message, errors)

    def on_protected(request, exc):
        return error_response(
            api,
            request,
            409,
            "in_use",
            _("This cannot be deleted because other records still refer to it."),
        )

    def on_integrity(request, exc: IntegrityError):
        text = str(exc).lower()
        if "unique" in text or "duplicate" in text:
            field = "external_id" if "external_id" in text else ""
            errors = (
                [{"field": field, "message": _("This value is already used.")}] if field else []
            )
            return error_response(
                api,
                request,
                409,
                "conflict",
                _("A record with this value already exists."),
                errors,
            )
        logger.warning("API integrity error: %s", exc)
        return error_response(
            api, request, 409, "conflict", _("The change conflicts with other data.")
        )

    def on_data_error(request, exc: DataError):
        logger.warning("API data error: %s", exc)
        return error_response(api, request, 400, "invalid", _("A value is out of range."))

    def on_not_found(request, exc):
        return error_response(api, request, 404, "not_found", _("Not found."))

    def on_denied(request, exc):
        return error_response(api, request, 403, "forbidden", _("You are not allowed to do this."))

    def on_scope(request, exc):
        return error_response(
            api,
            request,
            403,
            "scope",
            _("This token is read-only; a read-write token is needed for changes."),
        )

    def on_throttled(request, exc: ThrottledError):
        if exc.bad_tokens:
            message = _("Too many requests with a bad token from this address; try again later.")
        else:
            message = _("This token has made too many requests; slow down and try again later.")
        response = error_response(api, request, 429, "throttled", message)
        response["Retry-After"] = str(exc.retry_after)
        return response

    def on_cursor(request, exc):
        return error_response(
            api,
            request,
            400,
            "cursor",
            _("The cursor is not valid."),
            [{"field": "after", "message": _("Use the value of 'next' from a previous page.")}],
        )

    def on_auth(request, exc):
        response = error_response(
            api,
            request,
            401,
            "unauthenticated",
            _("Authentication is needed: send 'Authorization: Bearer <token>'."),
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    def on_http(request, exc: HttpError):
        status = exc.status_code
        if status == 403:
            return error_response(api, request, 403, "forbidden", str(exc.message))
        if status == 400:
            return error_response(
                api, request, 400, "bad_request", _("The request body is not valid JSON.")
            )
        return error_response(api, request, status, "error", str(exc.message))

    def on_too_big(request, exc):
        # a body without a declared length that grew over the limit while being read
        return error_response(api, request, 413, "too_large", body_too_large_message())

    def on_operational(request, exc: OperationalError):
        if not is_busy(exc):
            return on_unexpected(request, exc)
        logger.warning("API database busy: %s", exc)
        response = error_response(api, request, 503, "busy", busy_message())
        response["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response

    def on_unexpected(request, exc):
        request_id = getattr(request, "request_id", "")
        logger.exception("Unexpected API error (request %s)", request_id)
        return error_response(
            api,
            request,
            500,
            "server_error",
            _("Something went wrong on our side (request %(id)s).") % {"id": request_id},
        )

    def _register(exc_class: type[_E], handler: Callable[[HttpRequest, _E], HttpResponse]) -> None:
        # ninja annotates a handler's argument as "the exception or its class"; it passes the
        # instance, which is what the handlers above are typed for.
        api.add_exception_handler(exc_class, cast("ExcHandler[_E]", handler))

    _register(Exception, on_unexpected)
    _register(ValidationError, on_validation)
    _register(DomainError, on_domain)
    _register(ProtectedError, on_protected)
    _register(RestrictedError, on_protected)
    _register(IntegrityError, on_integrity)
    _register(DataError, on_data_error)
    _register(OperationalError, on_operational)
    _register(Http404, on_not_found)
    _register(PermissionDenied, on_denied)
    _register(ScopeError, on_scope)
    _register(ThrottledError, on_throttled)
    _register(CursorError, on_cursor)
    _register(AuthenticationError, on_auth)
    _register(HttpError, on_http)
    _register(RequestDataTooBig, on_too_big)
