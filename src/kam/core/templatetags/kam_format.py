"""Display filters every page uses: a country's name, a money figure with its currency.

``{% load kam_format %}`` then ``{{ unit.country|country }}`` (the name in the user's language),
``{{ amount|money }}`` (whole units, grouped in the user's locale, then the reporting currency
``KAM_CURRENCY``) and ``{{ amount|money_exact }}`` (with cents); both take another currency
code as their argument (``{{ tx.original_amount|money_exact:tx.original_currency }}``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings
from django.utils.formats import number_format

from kam.core.countries import country_name

register = template.Library()


@register.filter(name="country")
def country(code: str | None) -> str:
    return country_name(code)


def _money(value: Any, currency: str | None, places: int) -> str:
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    text = number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0{currency or settings.KAM_CURRENCY}"


@register.filter(name="money")
def money(value: Any, currency: str | None = None) -> str:
    return _money(value, currency, 0)


@register.filter(name="money_exact")
def money_exact(value: Any, currency: str | None = None) -> str:
    return _money(value, currency, 2)


@register.filter(name="whole")
def whole(value: Any) -> str:
    """A figure rounded to whole units and grouped in the user's locale (no currency)."""
    from django.contrib.humanize.templatetags.humanize import intcomma

    return intcomma(int(round(value or 0)))
