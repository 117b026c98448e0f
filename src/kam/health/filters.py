"""The one filter of the portfolio health list, shared by the page and ``GET /health``."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kam.core.filters import IntegerFilter
from kam.customers.models import Tier

from .models import AccountHealth, Grade


class HealthFilter(django_filters.FilterSet):
    """``grade``: any of these; ``tier``: the account's tier (``key`` = every key tier);
    ``manager``: the account manager's id; ``q``: part of the account's name; ``falling``:
    the score fell against three months ago."""

    grade = django_filters.MultipleChoiceFilter(label=_("Grade"), choices=Grade.choices)
    tier = django_filters.ChoiceFilter(
        label=_("Tier"),
        choices=[("key", _("Every key tier")), *Tier.choices],
        method="filter_tier",
    )
    manager = IntegerFilter(field_name="account__account_manager_id", label=_("KAM"), min_value=1)
    q = django_filters.CharFilter(
        field_name="account__name", lookup_expr="icontains", label=_("Name"), max_length=100
    )
    falling = django_filters.BooleanFilter(method="filter_falling", label=_("Falling"))

    class Meta:
        model = AccountHealth
        fields = ["grade", "tier", "manager", "q", "falling"]

    def filter_tier(
        self, queryset: QuerySet[AccountHealth], name: str, value: Any
    ) -> QuerySet[AccountHealth]:
        if not value:
            return queryset
        if value == "key":
            return queryset.exclude(account__tier=Tier.TRANSACTIONAL)
        return queryset.filter(account__tier=value)

    def filter_falling(
        self, queryset: QuerySet[AccountHealth], name: str, value: Any
    ) -> QuerySet[AccountHealth]:
        if value is None:
            return queryset
        return queryset.filter(trend__lt=0) if value else queryset.exclude(trend__lt=0)
