"""One filter per list: the pieces every list's django-filter ``FilterSet`` is built from.

A list's FilterSet lives next to its selector, and the selector applies it with
:func:`filter_queryset`, so the web page and the API endpoint, which both call that selector,
can never return different rows for the same query (NetBox's rule). Invalid values raise
:class:`FilterError`, a :class:`DomainError`: the API answers 400 with one error per field, a
page shows the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import django_filters
from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from .errors import DomainError

M = TypeVar("M", bound=Model)


class IntegerFilter(django_filters.Filter):
    """A whole number (``NumberFilter`` would accept decimals)."""

    field_class = forms.IntegerField


class FloatFilter(django_filters.Filter):
    field_class = forms.FloatField


class FilterError(DomainError):
    """A filter value could not be understood; ``errors`` lists (field, message) pairs."""

    def __init__(self, form: forms.Form):
        self.errors = [
            (name, " ".join(str(m) for m in messages)) for name, messages in form.errors.items()
        ]
        problems = "; ".join(
            f"{form.fields[name].label if name in form.fields else name}: {message}"
            for name, message in self.errors
        )
        super().__init__(
            _("The filter could not be applied. %s") % problems,
            field=self.errors[0][0] if self.errors else None,
        )


def filter_queryset(
    filterset_class: type[django_filters.FilterSet],
    data: Mapping[str, Any] | None,
    queryset: QuerySet[M],
) -> QuerySet[M]:
    """``queryset`` filtered by the query parameters ``data`` (unknown keys are ignored)."""
    filterset = filterset_class(data or None, queryset=queryset)
    if filterset.is_bound and not filterset.is_valid():
        raise FilterError(filterset.form)
    return filterset.qs


def offer_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    """Show the free-text filter ``name`` as a select of ``choices`` (display only: the filter
    still accepts any value, so the page and the API agree on values not offered)."""
    form.fields[name].widget = forms.Select(choices=[("", ""), *choices])
