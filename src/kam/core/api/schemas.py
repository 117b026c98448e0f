"""Building blocks of the API schemas: safe text, ids, money and time types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, field_validator

from kam.core.validation import amount_error, date_error

from .pagination import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PositiveInt = Annotated[int, Field(ge=0, le=2_147_483_647)]


def _clean_text(value: Any) -> Any:
    """Refuse text a database cannot store (NUL bytes, lone surrogates)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(_("Text must not contain NUL characters."))
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(_("Text must be valid UTF-8.")) from exc
    elif isinstance(value, list):
        for item in value:
            _clean_text(item)
    return value


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, dt.UTC)
    return value


def _date_in_range(value: Any) -> Any:
    """Dates and date-times within KAM_DATE_MIN … KAM_DATE_MAX (before any time-zone sum)."""
    message = date_error(value)
    if message:
        raise ValueError(message)
    return value


def _amount_in(max_digits: int, decimal_places: int) -> AfterValidator:
    def check(value: Any) -> Any:
        message = amount_error(value, max_digits, decimal_places)
        if message:
            raise ValueError(message)
        return value

    return AfterValidator(check)


# A date any entry accepts (kam.core.validation); a date-time is judged by its calendar day
# before it is made aware, so year 1 or 9999 with a ±14:00 offset is a 422, not an overflow.
SaneDate = Annotated[dt.date, AfterValidator(_date_in_range)]
AwareDateTime = Annotated[dt.datetime, AfterValidator(_date_in_range), AfterValidator(_aware)]


# Text and money types with their limits, one alias each (a call is not a type for mypy).
Text2 = Annotated[str, Field(max_length=2)]
Text50 = Annotated[str, Field(max_length=50)]
Text64 = Annotated[str, Field(max_length=64)]
Text100 = Annotated[str, Field(max_length=100)]
Text120 = Annotated[str, Field(max_length=120)]
Text200 = Annotated[str, Field(max_length=200)]
Text254 = Annotated[str, Field(max_length=254)]
Text300 = Annotated[str, Field(max_length=300)]
Text5000 = Annotated[str, Field(max_length=5000)]
Text10000 = Annotated[str, Field(max_length=10000)]
NonEmptyText64 = Annotated[str, Field(max_length=64, min_length=1)]
NonEmptyText200 = Annotated[str, Field(max_length=200, min_length=1)]
NonEmptyText300 = Annotated[str, Field(max_length=300, min_length=1)]
CurrencyCode = Annotated[str, Field(max_length=3, min_length=3)]
# Money within its column's safe range (kam.core.validation.amount_limit), with a message.
Money16 = Annotated[Decimal, Field(max_digits=16, decimal_places=2), _amount_in(16, 2)]
NonNegativeMoney16 = Annotated[
    Decimal, Field(max_digits=16, decimal_places=2, ge=0), _amount_in(16, 2)
]
NonNegativeMoney18 = Annotated[
    Decimal, Field(max_digits=18, decimal_places=2, ge=0), _amount_in(18, 2)
]
Quantity14 = Annotated[Decimal, Field(max_digits=14, decimal_places=3), _amount_in(14, 3)]

# Default of a PATCH field: leaving the field out changes nothing, while an explicit null is
# still refused by the field's own (non-null) type. Typed Any so that ``name: Text200 = OMITTED``
# type-checks; the documented default stays null as before.
OMITTED: Any = None

ExternalId = Annotated[str, Field(min_length=1, max_length=64)]


class InSchema(Schema):
    """Base of every input schema: unknown fields are refused, text is checked."""

    model_config = {"extra": "forbid"}

    @field_validator("*", mode="after")
    @classmethod
    def _no_bad_text(cls, value):
        return _clean_text(value)


class FilterSchema(Schema):
    """Base of list filters (query parameters); text is checked like input."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_bad_text(cls, value):
        return _clean_text(value)


class DeletedOut(Schema):
    deleted: bool = True
