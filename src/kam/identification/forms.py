"""Forms of the identification pages: score filters, nomination steps, scoring-model drafts."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.customers.models import Tier
from kam.customers.selectors import account_field_values

from .models import AccountScore, Criterion, Normalisation, Recommendation, Scope, ScoringModel

# Dates further out than this are typing mistakes (and would overflow date arithmetic).
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)

# Sort keys of the scores list → ordering (the rank breaks ties).
SCORE_SORTS = {
    "rank": "rank",
    "name": "account__name",
    "total": "total",
    "potential": "potential",
    "complexity": "complexity",
    "relational": "relational",
    "completeness": "completeness",
    "revenue": "revenue_12m",
    "share": "share_of_wallet",
    "headroom": "headroom",
    "country": "account__country",
    "industry": "account__industry",
    "tier": "account__tier",
}


def _any(choices) -> list[tuple[str, str]]:
    return [("", _("Any")), *choices]


class ScoreFilterForm(forms.Form):
    """Filters, sort and page of the scores list; anything it cannot understand is a 400."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    recommendation = forms.ChoiceField(
        label=_("Recommendation"), required=False, choices=_any(Recommendation.choices)
    )
    scope = forms.ChoiceField(label=_("Scope"), required=False, choices=_any(Scope.choices))
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=_any(Tier.choices))
    country = forms.ChoiceField(label=_("Country"), required=False, choices=[])
    industry = forms.ChoiceField(label=_("Industry"), required=False, choices=[])
    min_score = forms.FloatField(
        label=_("Minimum score"), required=False, min_value=0, max_value=100
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[(k, k) for key in SCORE_SORTS for k in (key, f"-{key}")],
    )
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1)

    SELECTS = ("recommendation", "scope", "tier", "country", "industry")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The values that occur among top-level customers (two small distinct queries).
        for name in ("country", "industry"):
            field = cast(forms.ChoiceField, self.fields[name])
            field.choices = _any(account_field_values(field=name))

    @property
    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or "rank"

    @property
    def page_number(self) -> int:
        return (self.cleaned_data.get("page") if self.is_valid() else None) or 1

    def filter(self, scores: QuerySet[AccountScore]) -> QuerySet[AccountScore]:
        """The scores matching the filters, in the chosen order."""
        data = self.cleaned_data
        if data.get("q"):
            q = data["q"].strip()
            scores = scores.filter(
                Q(account__name__icontains=q) | Q(account__external_id__iexact=q)
            )
        for name, lookup in (
            ("recommendation", "recommendation"),
            ("scope", "scope"),
            ("tier", "account__tier"),
            ("country", "account__country"),
            ("industry", "account__industry"),
        ):
            if data.get(name):
                scores = scores.filter(**{lookup: data[name]})
        if data.get("min_score") is not None:
            scores = scores.filter(total__gte=data["min_score"])
        sort = self.sort_key
        field = SCORE_SORTS[sort.lstrip("-")]
        ordering = f"-{field}" if sort.startswith("-") else field
        if field in ("share_of_wallet", "headroom"):  # empty values last whichever the direction
            column = F(field)
            expr = (
                column.desc(nulls_last=True)
                if sort.startswith("-")
                else column.asc(nulls_last=True)
            )
            return scores.order_by(expr, "rank")
        return scores.order_by(ordering, "rank")

    def problems(self) -> str:
        return "; ".join(
            f"{self.fields[f].label if f in self.fields else f}: {' '.join(str(m) for m in e)}"
            for f, e in self.errors.items()
        )


# --------------------------------------------------------------------------------------------
# Nominations


class NominateForm(forms.Form):
    rationale = forms.CharField(
        label=_("Rationale"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,  # the service says why an empty rationale is not enough
        help_text=_("Why should this account become a key account?"),
    )


def _reasonable(value: dt.date | None) -> dt.date | None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise forms.ValidationError(_("Enter a date between 1900 and 2999."))
    return value


class ApproveForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    effective_date = forms.DateField(
        label=_("Effective date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Today when empty."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        required=False,
        choices=[("", _("As recommended")), *Scope.choices],
    )

    def clean_effective_date(self):
        return _reasonable(self.cleaned_data.get("effective_date"))


class ReasonForm(forms.Form):
    """Reject and demote: the service insists on a reason."""

    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    """Start a review, keep after review: an optional note."""

    note = forms.CharField(
        label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


# --------------------------------------------------------------------------------------------
# Scoring model drafts

MODEL_FORM_FIELDS = [
    "name",
    "description",
    "min_score",
    "min_potential",
    "min_willingness",
    "kam_capacity",
    "max_key_accounts",
    "global_min_countries",
    "national_min_regions",
    "peer_quantile",
    "peer_min_count",
]


class ModelSettingsForm(forms.ModelForm):
    class Meta:
        model = ScoringModel
        fields = MODEL_FORM_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ["weight", "normalisation", "cap"]

    def clean(self):
        data = super().clean() or {}
        cap = data.get("cap")
        if data.get("normalisation") == Normalisation.CAPPED_LINEAR and not (cap and cap > 0):
            self.add_error("cap", _("Capped linear normalisation needs a positive cap."))
        if cap is not None and cap < 0:
            self.add_error("cap", _("A cap cannot be negative."))
        return data


CriterionFormSet = forms.modelformset_factory(
    Criterion, form=CriterionForm, extra=0, can_delete=False, edit_only=True
)
