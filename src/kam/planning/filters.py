"""The filters of the plan lists, shared by the pages and the API (one filter per list)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.filters import IntegerFilter

from .models import OPEN_ACTION_STATUSES, AccountPlan, Action, ActionStatus, PlanStatus
from .workflows import review_due_q


class PlanFilter(django_filters.FilterSet):
    """``status`` (as shown: an approved plan whose review date has come is "review due",
    decision 101); ``owner``: id of the account manager; ``account``: id of the account;
    ``q``: part of the account name."""

    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=PlanStatus.choices, method="by_status"
    )
    owner = IntegerFilter(field_name="account__account_manager", label=_("Account manager"))
    account = IntegerFilter(field_name="account", label=_("Account"))
    q = django_filters.CharFilter(
        field_name="account__name", lookup_expr="icontains", label=_("Search"), max_length=200
    )

    class Meta:
        model = AccountPlan
        fields = ["status", "owner", "account", "q"]

    def by_status(
        self, queryset: QuerySet[AccountPlan], name: str, value: str
    ) -> QuerySet[AccountPlan]:
        if not value:
            return queryset
        due = review_due_q(timezone.localdate())
        if value == PlanStatus.REVIEW_DUE:
            return queryset.filter(due)
        if value == PlanStatus.APPROVED:
            return queryset.filter(status=value).exclude(due)
        return queryset.filter(status=value)


class ActionFilter(django_filters.FilterSet):
    """``owner``: id of the action's owner; ``status``; ``open``: only open / in progress;
    ``plan``: id of the plan."""

    owner = IntegerFilter(field_name="owner", label=_("Owner"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ActionStatus.choices)
    open = django_filters.BooleanFilter(method="only_open", label=_("Open only"))
    plan = IntegerFilter(field_name="plan", label=_("Plan"))

    class Meta:
        model = Action
        fields = ["owner", "status", "open", "plan"]

    def only_open(
        self, queryset: QuerySet[Action], name: str, value: bool | None
    ) -> QuerySet[Action]:
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=OPEN_ACTION_STATUSES)
        return queryset.exclude(status__in=OPEN_ACTION_STATUSES)
