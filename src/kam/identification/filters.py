"""The filters of the identification lists, shared by the pages and the API.

Scores: the scores page (and its export) and ``GET /identification/scores``; nominations: the
nominations queue and ``GET /identification/nominations``.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.core.filters import FloatFilter, IntegerFilter
from kam.customers.filters import CountryFilter
from kam.customers.models import Tier

from .models import AccountScore, Nomination, NominationStatus, Recommendation, Scope


class ScoreFilter(django_filters.FilterSet):
    """``q``: part of the account name, or its external id (any case); ``country``: the ISO code
    (any case); ``industry``: any case; ``min_score``: scores at or above it (0–100);
    ``account_manager``: the id of the user who manages the account."""

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=200)
    recommendation = django_filters.ChoiceFilter(
        label=_("Recommendation"), choices=Recommendation.choices
    )
    scope = django_filters.ChoiceFilter(label=_("Scope"), choices=Scope.choices)
    tier = django_filters.ChoiceFilter(
        field_name="account__tier", label=_("Tier"), choices=Tier.choices
    )
    country = CountryFilter(field_name="account__country", label=_("Country"), max_length=2)
    industry = django_filters.CharFilter(
        field_name="account__industry", lookup_expr="iexact", label=_("Industry"), max_length=100
    )
    min_score = FloatFilter(
        field_name="total", lookup_expr="gte", label=_("Minimum score"), min_value=0, max_value=100
    )
    account_manager = IntegerFilter(
        field_name="account__account_manager_id", label=_("Account manager"), min_value=1
    )

    class Meta:
        model = AccountScore
        fields = [
            "q",
            "recommendation",
            "scope",
            "tier",
            "country",
            "industry",
            "min_score",
            "account_manager",
        ]

    def search(
        self, queryset: QuerySet[AccountScore], name: str, value: str
    ) -> QuerySet[AccountScore]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(account__name__icontains=value) | Q(account__external_id__iexact=value)
        )


class NominationFilter(django_filters.FilterSet):
    """``status``: any of these statuses; ``account``: the nominations of this account."""

    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=NominationStatus.choices
    )
    account = IntegerFilter(field_name="account_id", label=_("Account"), min_value=1)

    class Meta:
        model = Nomination
        fields = ["status", "account"]
