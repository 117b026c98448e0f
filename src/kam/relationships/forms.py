"""Forms of the buying-centre pages: a member's roles and stance, placeholders, stage, sharing,
and our judged level of a link."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.core.validation import DateInRange
from kam.core.widgets import QuickSelect, SearchPicker
from kam.customers.models import Contact, CustomerFunction, Unit

from .models import (
    Attitude,
    BuyingRoleKind,
    DecisionOrientation,
    LinkLevel,
    OpportunityRoleKind,
    Placeholder,
    SharingLevel,
    Stage,
)


class MemberForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=BuyingRoleKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    attitude = forms.ChoiceField(label=_("Attitude"), choices=Attitude.choices)
    influence = forms.IntegerField(label=_("Influence"), min_value=1, max_value=5)
    orientation = forms.ChoiceField(
        label=_("Decision orientation"),
        choices=[("", "—"), *DecisionOrientation.choices],
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    fill = forms.ModelChoiceField(
        label=_("Fills the placeholder"), queryset=Placeholder.objects.none(), required=False
    )

    def __init__(self, *args: Any, placeholders: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if placeholders is not None:
            field = self.fields["fill"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = placeholders


def _unit_label(units: Any, value: Any) -> str:
    """The name of the unit ``value`` among ``units`` (none for another account's unit)."""
    try:
        unit = units.filter(pk=int(value)).only("name").first()
    except (TypeError, ValueError):
        return ""
    return str(unit) if unit else ""


class PlaceholderForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=BuyingRoleKind.choices)
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(), required=False, widget=QuickSelect
    )
    function = forms.ChoiceField(
        label=_("Function"), choices=[("", "—"), *CustomerFunction.choices], required=False
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(
        self, *args: Any, account: Unit, units: Any, listable: bool = True, **kwargs: Any
    ) -> None:
        """``units``: those the form accepts; ``listable``: offer them as a list, else find
        one by name (the account's own search, decision 140)."""
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        if not listable:
            field.widget = SearchPicker(
                search_url=reverse("relationships:placeholder_units", args=[account.pk]),
                label_of=lambda value: _unit_label(units, value),
            )
        field.queryset = units


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    reason = forms.CharField(
        label=_("Reason (needed to override)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SharingForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("Information sharing"), choices=SharingLevel.choices, coerce=int
    )
    since = forms.DateField(
        label=_("Since"),
        required=False,
        validators=[DateInRange()],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class LinkForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("How well do you know them?"), choices=LinkLevel.choices, coerce=int
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class OpportunityRolesForm(forms.Form):
    """One contact's roles on one opportunity: the choices are the people who may hold them."""

    contact: forms.ModelChoiceField[Contact] = forms.ModelChoiceField(
        queryset=Contact.objects.none(), label=_("Contact")
    )
    roles = forms.MultipleChoiceField(
        choices=OpportunityRoleKind.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        required=False,
        label=_("Roles on this opportunity"),
    )

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contact"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (a typing narrow)
        field.queryset = contacts
