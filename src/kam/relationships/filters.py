"""The filter of the buying-centre list, shared by the page and ``GET …/buying-centre``."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kam.customers.models import CustomerFunction, Employment, Seniority

from .models import Attitude, BuyingRole, BuyingRoleKind, ContactStance


class BuyingCentreFilter(django_filters.FilterSet):
    """``role``/``attitude``: held at the account of the list (``account``, set by the selector);
    ``function``/``seniority``: of the position; ``q``: part of the contact's name."""

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=200)
    role = django_filters.ChoiceFilter(
        method="with_role", label=_("Role"), choices=BuyingRoleKind.choices
    )
    attitude = django_filters.ChoiceFilter(
        method="with_attitude", label=_("Attitude"), choices=Attitude.choices
    )
    function = django_filters.ChoiceFilter(label=_("Function"), choices=CustomerFunction.choices)
    seniority = django_filters.ChoiceFilter(label=_("Seniority"), choices=Seniority.choices)

    class Meta:
        model = Employment
        fields = ["q", "role", "attitude", "function", "seniority"]

    def _account(self) -> Any:
        return self.data.get("account")

    def search(self, queryset: QuerySet[Employment], name: str, value: str) -> QuerySet[Employment]:
        for part in value.split():
            queryset = queryset.filter(contact__last_name__icontains=part) | queryset.filter(
                contact__first_name__icontains=part
            )
        return queryset

    def with_role(
        self, queryset: QuerySet[Employment], name: str, value: str
    ) -> QuerySet[Employment]:
        held = BuyingRole.objects.filter(account_id=self._account(), role=value)
        return queryset.filter(contact_id__in=held.values("contact_id"))

    def with_attitude(
        self, queryset: QuerySet[Employment], name: str, value: str
    ) -> QuerySet[Employment]:
        held = ContactStance.objects.filter(account_id=self._account(), attitude=value)
        return queryset.filter(contact_id__in=held.values("contact_id"))
