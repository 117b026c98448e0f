"""The filters of the alerts list, shared by the page and ``GET /alerts``."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kam.core.filters import IntegerFilter

from .models import LIVE_STATUSES, Alert, AlertStatus


class AlertFilter(django_filters.FilterSet):
    """``status``: any of these; ``live``: open, acknowledged or snoozed; ``kind``: the rule;
    ``account``: one account; ``mine``: alerts the user owns."""

    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=AlertStatus.choices)
    live = django_filters.BooleanFilter(method="filter_live", label=_("Still standing"))
    kind = django_filters.CharFilter(field_name="kind", label=_("Kind"), max_length=40)
    account = IntegerFilter(field_name="account_id", label=_("Account"), min_value=1)
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Mine"))

    class Meta:
        model = Alert
        fields = ["status", "live", "kind", "account", "mine"]

    def filter_live(self, queryset: QuerySet[Alert], name: str, value: Any) -> QuerySet[Alert]:
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=LIVE_STATUSES)
        return queryset.exclude(status__in=LIVE_STATUSES)

    def filter_mine(self, queryset: QuerySet[Alert], name: str, value: Any) -> QuerySet[Alert]:
        user = getattr(self.request, "user", None) if self.request is not None else None
        if not value or user is None or not user.is_authenticated:
            return queryset
        return queryset.filter(owner=user)
