"""Forms of the account profile's edit pages; the rules are checked by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.core.validation import date_error
from kam.core.widgets import QuickSelect, SearchPicker
from kam.customers.models import Contact, Unit

from .models import BUYING_PROCESS_MAX, GOAL_TEXT_MAX, GoalKind
from .selectors import goal_source_choices, goal_sources_listable


def _contact_label(value: Any) -> str:
    try:
        contact = Contact.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return ""
    return str(contact) if contact else ""


class CustomerGoalForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=GoalKind.choices)
    text = forms.CharField(
        label=_("What the customer aims at"),
        max_length=GOAL_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    source_contact = forms.ModelChoiceField(
        label=_("Who told us"), queryset=Contact.objects.none(), required=False
    )
    confirmed = forms.BooleanField(label=_("Confirmed by the customer"), required=False)
    confirmed_on = forms.DateField(
        label=_("Confirmed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Today when left empty."),
    )

    def __init__(self, *args: Any, account: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source = self.fields["source_contact"]
        assert isinstance(source, forms.ModelChoiceField)
        if goal_sources_listable(account=account):
            source.widget = QuickSelect()
        else:  # thousands of people: found by typing a name (decision 115)
            source.widget = SearchPicker(
                search_url=reverse("web:account_goal_sources", args=[account.pk]),
                label_of=_contact_label,
            )
        source.queryset = goal_source_choices(account=account)  # gives the widget its choices
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            else:
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)

    def clean_confirmed_on(self) -> Any:
        value = self.cleaned_data.get("confirmed_on")
        problem = date_error(value)
        if problem:
            raise forms.ValidationError(problem)
        return value


class BuyingProcessForm(forms.Form):
    text = forms.CharField(
        label=_("How the customer buys"),
        required=False,
        max_length=BUYING_PROCESS_MAX,
        widget=forms.Textarea(attrs={"rows": 10, "class": "form-control"}),
        help_text=_(
            "Steps from need to order, who decides and who signs, tenders, framework "
            "agreements, budget cycle."
        ),
    )
