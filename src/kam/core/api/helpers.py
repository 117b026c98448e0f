"""Small shared pieces of the routers: error responses to document, look-ups of references."""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema

from kam.core.errors import DomainError

from .errors import ErrorOut

ERRORS = dict.fromkeys((400, 401, 403, 404, 409, 422), ErrorOut)


def responses(ok: dict) -> dict:
    """The documented answers of an operation: its success codes plus the JSON errors."""
    return {**ok, **ERRORS}


def ref(queryset, field: str, **lookup):
    """The object a request body refers to, or a 400 naming the field."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise DomainError(_("No such record."), field=field, code="unknown")
    return obj


def changes(payload: Schema, *, exclude: Set[str] = frozenset()) -> dict[str, Any]:
    """The fields a PATCH body actually sets."""
    return {k: v for k, v in payload.model_dump(exclude_unset=True).items() if k not in exclude}
