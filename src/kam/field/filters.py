"""The filters of the field lists, shared by the pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kam.core.filters import IntegerFilter
from kam.customers.models import Unit

from .models import Visit, VisitStatus


class UnitRepFilter(django_filters.FilterSet):
    """Units to be visited: ``account`` (its units), ``rep`` (current rep), ``without_rep``,
    ``country``, ``q`` (part of the name)."""

    account = IntegerFilter(method="filter_account", label=_("Account"), min_value=1)
    rep = IntegerFilter(field_name="current_rep_id", label=_("Field rep"), min_value=1)
    without_rep = django_filters.BooleanFilter(
        field_name="current_rep_id", lookup_expr="isnull", label=_("Without a rep")
    )
    country = django_filters.CharFilter(field_name="country", label=_("Country"), max_length=2)
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))

    class Meta:
        model = Unit
        fields = ["account", "rep", "without_rep", "country", "q"]

    def filter_account(self, queryset: QuerySet[Unit], name: str, value: Any) -> QuerySet[Unit]:
        if not value:
            return queryset
        account = Unit.objects.filter(pk=value).first()
        if account is None:
            return queryset.none()
        return queryset.filter(pk__in=Unit.objects.in_account(account).values("pk"))


class VisitFilter(django_filters.FilterSet):
    """Visits: ``rep``, ``unit``, ``status`` (any of), ``start``/``end`` (planned day range)."""

    rep = IntegerFilter(field_name="rep_id", label=_("Field rep"), min_value=1)
    unit = IntegerFilter(field_name="unit_id", label=_("Unit"), min_value=1)
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=VisitStatus.choices)
    start = django_filters.DateFilter(field_name="planned_on", lookup_expr="gte", label=_("From"))
    end = django_filters.DateFilter(field_name="planned_on", lookup_expr="lte", label=_("Until"))

    class Meta:
        model = Visit
        fields = ["rep", "unit", "status", "start", "end"]
