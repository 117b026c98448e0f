"""The filter of an account's transactions list (the account page's transactions)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from kam.core.filters import IntegerFilter

from .models import ProductLine, Transaction


class TransactionFilter(django_filters.FilterSet):
    """``unit``: lines booked on this unit; ``product_line``; ``date_from`` / ``date_to``:
    inclusive dates (YYYY-MM-DD)."""

    unit = IntegerFilter(field_name="unit_id", label=_("Unit"), min_value=1)
    product_line = django_filters.ModelChoiceFilter(
        label=_("Product line"), queryset=ProductLine.objects.all()
    )
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"))

    class Meta:
        model = Transaction
        fields = ["unit", "product_line", "date_from", "date_to"]
