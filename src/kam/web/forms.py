"""Forms of the web shell. Validation of the domain stays in services."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.customers.models import Unit
from kam.people.models import User


class UnitForm(forms.ModelForm):
    version = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = Unit
        fields = Unit.DETAIL_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.instance.is_account:
            # decision 23: a sub-unit is managed by its account's manager, not by its own
            del self.fields["account_manager"]
        else:
            manager = cast(forms.ModelChoiceField, self.fields["account_manager"])
            manager.queryset = User.objects.filter(
                is_active=True, role__in=["kam", "executive", "sales_manager"]
            ).order_by("last_name", "first_name")
        self.fields["country"].help_text = _("Two-letter ISO code, e.g. DE")
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
