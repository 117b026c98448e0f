"""The filter of the customer-unit lists: the portfolio page and ``GET /api/v1/units``."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.core.filters import IntegerFilter

from .models import Employment, Tier, Unit, UnitQuerySet, subtree_q


class CountryField(forms.CharField):
    """An ISO country code in any case; a code no customer unit has is a mistake."""

    def clean(self, value: Any) -> str:
        code = str(super().clean(value)).strip().upper()
        if code and not Unit.objects.filter(country=code).exists():
            raise forms.ValidationError(
                _("No customer is in the country “%(code)s”."),
                code="unknown_country",
                params={"code": code},
            )
        return code


class CountryFilter(django_filters.CharFilter):
    """Units (or rows of units, by ``field_name``) in the country; see :class:`CountryField`."""

    field_class = CountryField


class UnitFilter(django_filters.FilterSet):
    """One meaning per field on every surface.

    ``q``: part of the name or the city, or the external id (any case); ``country``: the ISO
    code (any case; one no unit has is an error); ``industry``: the industry (any case);
    ``parent``: only the direct sub-units of that unit; ``depth``: 1 = the accounts;
    ``account_manager``: the id of the user who manages the account.
    """

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=200)
    country = CountryFilter(field_name="country", label=_("Country"), max_length=2)
    industry = django_filters.CharFilter(
        field_name="industry", lookup_expr="iexact", label=_("Industry"), max_length=100
    )
    tier = django_filters.ChoiceFilter(label=_("Tier"), choices=Tier.choices)
    parent = IntegerFilter(method="children_of", label=_("Parent unit"), min_value=1)
    depth = IntegerFilter(field_name="depth", label=_("Depth"), min_value=1, max_value=100)
    account_manager = IntegerFilter(
        field_name="account_manager_id", label=_("Account manager"), min_value=1
    )

    class Meta:
        model = Unit
        fields = ["q", "country", "industry", "tier", "parent", "depth", "account_manager"]

    def search(self, queryset: UnitQuerySet, name: str, value: str) -> UnitQuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(external_id__iexact=value) | Q(city__icontains=value)
        )

    def children_of(self, queryset: UnitQuerySet, name: str, value: int) -> UnitQuerySet:
        found = Unit.objects.filter(pk=value).first()
        if found is None:
            return queryset.none()
        return queryset.filter(subtree_q(found), depth=found.depth + 1)


class PositionFilter(django_filters.FilterSet):
    """The contacts of an account page: ``q`` is part of the person's name, their title or
    their function (any case)."""

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=200)

    class Meta:
        model = Employment
        fields = ["q"]

    def search(self, queryset: Any, name: str, value: str) -> Any:
        for word in value.split():
            queryset = queryset.filter(
                Q(contact__first_name__icontains=word)
                | Q(contact__last_name__icontains=word)
                | Q(title__icontains=word)
                | Q(function__icontains=word)
            )
        return queryset
