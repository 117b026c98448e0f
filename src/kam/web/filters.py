"""The portfolio list's search and filters."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.customers.models import Tier, Unit
from kam.customers.selectors import account_field_values


class PortfolioFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    country = django_filters.ChoiceFilter(label=_("Country"), choices=[])
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=[])
    tier = django_filters.ChoiceFilter(label=_("Tier"), choices=Tier.choices)

    class Meta:
        model = Unit
        fields = ["q", "country", "industry", "tier"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer the values that occur among top-level customers (two small distinct queries).
        self.filters["country"].extra["choices"] = account_field_values(field="country")
        self.filters["industry"].extra["choices"] = account_field_values(field="industry")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(external_id__iexact=value) | Q(city__icontains=value)
        )
