"""The one place for the ranges of dates and amounts that any entry may store.

Forms get the rules through the model fields' validators (:class:`DateInRange`,
:class:`AmountInRange`), services through :func:`check_date` / :func:`check_amount`, the API
through the schema types of ``kam.core.api.schemas`` and the importers through
:func:`date_error` / :func:`amount_error` (a row error). The bounds of dates are settings
(``KAM_DATE_MIN`` / ``KAM_DATE_MAX``, default 1900-01-01 … 2100-12-31).

Amounts are limited to the digits a column keeps exactly everywhere: at most
``max_digits`` and never more than 15 significant digits, because SQLite stores a decimal as an
8-byte float, which keeps only 15 (99 999 999 999 999.99 would come back as 1e14).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from .errors import DomainError

# Significant digits an 8-byte float (SQLite's storage of a decimal) keeps exactly.
SAFE_DIGITS = 15


@functools.lru_cache(maxsize=8)
def _parse_bound(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def date_bounds() -> tuple[dt.date, dt.date]:
    """The first and the last date any entry accepts (``KAM_DATE_MIN``, ``KAM_DATE_MAX``).

    Read on every call (tests change the settings) and parsed once per value: bulk writes call
    this per row.
    """
    return (
        _parse_bound(getattr(settings, "KAM_DATE_MIN", "1900-01-01")),
        _parse_bound(getattr(settings, "KAM_DATE_MAX", "2100-12-31")),
    )


def date_error(value: dt.date | dt.datetime | str | None) -> str | None:
    """Why ``value`` is out of range, or None. A date-time is judged by its own calendar day.

    The day is read without converting the time zone, so a date-time at year 1 or 9999 with a
    ±14:00 offset is refused here instead of overflowing in a conversion.
    """
    if value is None:
        return None
    if isinstance(value, str):  # services also take ISO text, as the ORM does
        try:
            parse = dt.datetime.fromisoformat if "T" in value else dt.date.fromisoformat
            value = parse(value)
        except ValueError:
            return _("Enter a valid date.")
    day = value.date() if isinstance(value, dt.datetime) else value
    first, last = date_bounds()
    if first <= day <= last:
        return None
    return _("The date must be between %(min)s and %(max)s.") % {
        "min": first.isoformat(),
        "max": last.isoformat(),
    }


def check_date(value: dt.date | dt.datetime | str | None, field: str) -> None:
    """Raise a DomainError naming ``field`` when ``value`` is outside the accepted dates."""
    message = date_error(value)
    if message:
        raise DomainError(message, field=field)


def amount_limit(max_digits: int, decimal_places: int) -> Decimal:
    """The largest absolute amount a column of this precision accepts."""
    digits = min(max_digits, SAFE_DIGITS) - decimal_places
    return Decimal(10) ** digits - Decimal(1).scaleb(-decimal_places)


def amount_error(value: Any, max_digits: int, decimal_places: int) -> str | None:
    """Why ``value`` cannot be stored in a column of this precision, or None."""
    if value is None:
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return _("Enter a number.")
    if not number.is_finite():
        return _("Enter a number.")
    limit = amount_limit(max_digits, decimal_places)
    if abs(number) > limit:
        return _("The amount must be between -%(limit)s and %(limit)s.") % {"limit": limit}
    exponent = number.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -decimal_places
        and number != number.quantize(Decimal(1).scaleb(-decimal_places))
    ):
        return _("Enter at most %(n)d decimal places.") % {"n": decimal_places}
    return None


def check_amount(value: Any, field: str, max_digits: int, decimal_places: int) -> None:
    """Raise a DomainError naming ``field`` when ``value`` does not fit its column."""
    message = amount_error(value, max_digits, decimal_places)
    if message:
        raise DomainError(message, field=field)


def check_fields(instance: Any, names: Collection[str] | None = None) -> None:
    """Check the date and decimal fields of a model instance (all, or ``names``) as above."""
    for f in instance._meta.concrete_fields:
        if names is not None and f.name not in names and f.attname not in names:
            continue
        value = getattr(instance, f.attname)
        if value is None:
            continue
        if isinstance(f, models.DateField):  # DateTimeField is a DateField
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                continue
            if isinstance(value, dt.date):
                check_date(value, f.name)
        elif isinstance(f, models.DecimalField):
            check_amount(value, f.name, f.max_digits or SAFE_DIGITS, f.decimal_places or 0)


@deconstructible
class DateInRange:
    """Model field validator: the date (or date-time) lies within the accepted dates."""

    def __call__(self, value: dt.date | dt.datetime | None) -> None:
        message = date_error(value)
        if message:
            raise ValidationError(message, code="date_range")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateInRange)

    def __hash__(self) -> int:
        return hash(DateInRange)


@deconstructible
class AmountInRange:
    """Model field validator: the amount fits its column (see the module's note)."""

    def __init__(self, max_digits: int, decimal_places: int) -> None:
        self.max_digits = max_digits
        self.decimal_places = decimal_places

    def __call__(self, value: Any) -> None:
        message = amount_error(value, self.max_digits, self.decimal_places)
        if message:
            raise ValidationError(message, code="amount_range")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, AmountInRange)
            and other.max_digits == self.max_digits
            and other.decimal_places == self.decimal_places
        )

    def __hash__(self) -> int:
        return hash((AmountInRange, self.max_digits, self.decimal_places))


date_in_range = DateInRange()
