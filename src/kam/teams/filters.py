"""The filters of the resource requests list, shared by the page and ``GET /requests``."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.filters import IntegerFilter
from kam.people.models import Function

from .models import RequestStatus, ResourceRequest


class RequestFilter(django_filters.FilterSet):
    """``status``: any of these; ``function``: the function asked; ``account``: one account;
    ``mine``: requests the user filed, is assigned or heads the function of; ``overdue``: needed
    by a passed day and not done."""

    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=RequestStatus.choices)
    function = django_filters.ChoiceFilter(label=_("Function"), choices=Function.choices)
    account = IntegerFilter(field_name="account_id", label=_("Account"), min_value=1)
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Mine"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))

    class Meta:
        model = ResourceRequest
        fields = ["status", "function", "account", "mine", "overdue"]

    def filter_mine(
        self, queryset: QuerySet[ResourceRequest], name: str, value: Any
    ) -> QuerySet[ResourceRequest]:
        user = getattr(self.request, "user", None) if self.request is not None else None
        if not value or user is None or not user.is_authenticated:
            return queryset
        headed = user.functions_headed.values("function")
        return queryset.filter(Q(requester=user) | Q(assignee=user) | Q(function__in=headed))

    def filter_overdue(
        self, queryset: QuerySet[ResourceRequest], name: str, value: Any
    ) -> QuerySet[ResourceRequest]:
        running = Q(status__in=[RequestStatus.OPEN, RequestStatus.ACCEPTED])
        late = running & Q(needed_by__lt=timezone.localdate())
        if value is None:
            return queryset
        return queryset.filter(late) if value else queryset.exclude(late)
