"""Forms of the plan pages. Every edit form carries the plan's ``revision`` (decision 41)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.core.validation import AmountInRange, date_in_range
from kam.customers.models import Unit
from kam.people.models import User

from .models import (
    VALUE_DIGITS,
    VALUE_PLACES,
    AccountPlan,
    ActionStatus,
    Objective,
    ReviewOutcome,
    SwotKind,
)
from .selectors import metric_choices

DATE = forms.DateInput(attrs={"type": "date"})


class Styled(forms.Form):
    """Bootstrap classes on every widget (the templates render ``{{ field }}``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs.setdefault("class", css)


class RevisionForm(Styled):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _date(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DATE, validators=[date_in_range])


def _value(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        validators=[AmountInRange(VALUE_DIGITS, VALUE_PLACES)],
    )


class PlanCreateForm(Styled):
    period_start = _date(_("Period start"), required=False)
    period_end = _date(_("Period end"), required=False)
    from_template = forms.BooleanField(
        label=_("Start from the template of the account's portfolio quadrant"),
        required=False,
        initial=True,
    )


class PlanForm(RevisionForm):
    period_start = _date(_("Period start"))
    period_end = _date(_("Period end"))
    mission = forms.CharField(
        label=_("Mission for the account"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    review_cadence_months = forms.IntegerField(
        label=_("Review every (months)"), min_value=1, max_value=24
    )

    @staticmethod
    def initial_for(plan: AccountPlan) -> dict[str, Any]:
        return {name: getattr(plan, name) for name in AccountPlan.DETAIL_FIELDS} | {
            "revision": plan.revision
        }


class ObjectiveForm(RevisionForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    metric_key = forms.ChoiceField(label=_("Metric"), required=False)
    baseline = _value(_("Baseline"))
    target_value = _value(_("Target value"))
    target_level = forms.CharField(
        label=_("Target level"),
        required=False,
        max_length=32,
        help_text=_("For a level metric (supplier position, stage): the level to reach."),
    )
    deadline = _date(_("Deadline"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric_key"].choices = metric_choices()  # type: ignore[attr-defined]


class ObjectiveValueForm(RevisionForm):
    date = _date(_("Date"))
    value = forms.DecimalField(
        label=_("Value"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        validators=[AmountInRange(VALUE_DIGITS, VALUE_PLACES)],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)


class ActionForm(RevisionForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    due_date = _date(_("Due"))
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices, initial="open")
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    objective = forms.ModelChoiceField(
        label=_("Objective"), queryset=Objective.objects.none(), required=False
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)

    def __init__(self, *args: Any, plan: AccountPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner: Any = self.fields["owner"]
        owner.queryset = (
            User.objects.filter(is_active=True).exclude(role="").order_by("last_name", "first_name")
        )
        unit: Any = self.fields["unit"]
        unit.queryset = Unit.objects.in_account(plan.account)
        objective: Any = self.fields["objective"]
        objective.queryset = plan.objectives.all()


class ActionStatusForm(RevisionForm):
    """What an action's owner changes: the status and the note."""

    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)


class ActionInteractionForm(Styled):
    summary = forms.CharField(label=_("What happened"), max_length=300, required=False)


class SectionForm(RevisionForm):
    text = forms.CharField(
        label=_("Text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=SwotKind.choices, required=False)
    told_by = forms.CharField(label=_("Who told us"), max_length=200, required=False)
    confirmed = forms.BooleanField(label=_("Confirmed by the customer"), required=False)
    mitigation = forms.CharField(label=_("Mitigation"), max_length=5000, required=False)

    FIELDS = {
        "customer_objectives": ("text", "told_by", "confirmed"),
        "swot": ("kind", "text"),
        "strategies": ("text",),
        "risks": ("text", "mitigation"),
    }

    def data_for(self, section: str) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS[section]}


class StepForm(Styled):
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)


class ReviewForm(Styled):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReviewOutcome.choices)
    date = _date(_("Date"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
