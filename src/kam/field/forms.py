"""Forms of the field pages; the services check every rule again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.core.widgets import QuickSelect
from kam.customers.models import Contact, Unit
from kam.interactions.models import InteractionType
from kam.people.models import User
from kam.planning.models import Action, ActionStatus

from .models import Visit


def _style(form: forms.Form) -> None:
    for f in form.fields.values():
        if isinstance(f.widget, forms.CheckboxSelectMultiple | forms.MultipleHiddenInput):
            continue
        css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
        f.widget.attrs.setdefault("class", css)


class AssignForm(forms.Form):
    units = forms.ModelMultipleChoiceField(
        label=_("Units"), queryset=Unit.objects.all(), widget=forms.MultipleHiddenInput
    )
    rep = forms.ModelChoiceField(label=_("Field rep"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, reps: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rep_field = self.fields["rep"]
        assert isinstance(rep_field, forms.ModelChoiceField)
        rep_field.queryset = User.objects.filter(pk__in=[r.pk for r in reps])


class LogForm(forms.Form):
    """Log an interaction from the field: the unit first, then what happened."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    type = forms.ChoiceField(
        label=_("Type"), choices=InteractionType.choices, initial=InteractionType.VISIT
    )
    summary = forms.CharField(label=_("Summary"), max_length=300)
    outcome = forms.CharField(
        label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=300)
    action = forms.ModelChoiceField(
        label=_("Plan action it completes"), queryset=Action.objects.none(), required=False
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("Their people"),
        queryset=Contact.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("Our people"),
        queryset=User.objects.filter(is_active=True).exclude(role=""),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    visit = forms.ModelChoiceField(
        queryset=Visit.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(
        self,
        *args: Any,
        units: list[Unit],
        actions: list[Action],
        visits: list[Visit],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = Unit.objects.filter(pk__in=[u.pk for u in units])
        # the picker order: nearest planned visits first, then the rep's units
        unit_field.choices = [("", "—"), *[(u.pk, u.name) for u in units]]
        action_field = self.fields["action"]
        assert isinstance(action_field, forms.ModelChoiceField)
        action_field.queryset = Action.objects.filter(pk__in=[a.pk for a in actions])
        action_field.choices = [("", "—"), *[(a.pk, a.title) for a in actions]]
        visit_field = self.fields["visit"]
        assert isinstance(visit_field, forms.ModelChoiceField)
        visit_field.queryset = Visit.objects.filter(pk__in=[v.pk for v in visits])
        _style(self)


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class CadenceForm(forms.Form):
    """One field per tier × kind (empty: not visited)."""

    def __init__(self, *args: Any, cells: list[tuple[str, str, int | None]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for tier, kind, days in cells:
            self.fields[f"{tier}__{kind}"] = forms.IntegerField(
                required=False, min_value=1, max_value=365, initial=days
            )
        _style(self)


class GenerateForm(forms.Form):
    weeks = forms.IntegerField(label=_("Weeks ahead"), min_value=1, max_value=26, initial=4)


class VisitForm(forms.Form):
    """Plan one visit at a unit of the account (the service checks who may)."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), widget=QuickSelect)
    rep = forms.ModelChoiceField(
        label=_("Field rep"), queryset=User.objects.none(), widget=QuickSelect
    )
    planned_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    action = forms.ModelChoiceField(
        label=_("For the plan action"),
        queryset=Action.objects.none(),
        required=False,
        widget=QuickSelect,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(
        self,
        *args: Any,
        units: list[Unit],
        reps: list[User],
        actions: list[Action],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, rows, model in (
            ("unit", units, Unit),
            ("rep", reps, User),
            ("action", actions, Action),
        ):
            f = self.fields[name]
            assert isinstance(f, forms.ModelChoiceField)
            f.queryset = model.objects.filter(pk__in=[r.pk for r in rows])  # what it accepts
            # offered from the rows the view read: the queryset would read them again (an
            # account's hundreds of units), and a query per form is what a list costs
            empty = [] if f.empty_label is None else [("", f.empty_label)]
            f.widget.choices = [*empty, *((r.pk, f.label_from_instance(r)) for r in rows)]
        _style(self)
