"""Forms of the identification pages: score filters, nomination steps, scoring-model drafts."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.core.validation import date_error
from kam.people.models import User

from .models import AccountAssessment, AccountScore, Criterion, Normalisation, Scope, ScoringModel

# Dates further out than this are typing mistakes (and would overflow date arithmetic).

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
    "account_manager": "account__account_manager__last_name",
}


class ScoreFilterForm(forms.Form):
    """Sort and page of the scores list (its filters are :class:`~.filters.ScoreFilter`);
    anything it cannot understand is a 400."""

    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[(k, k) for key in SCORE_SORTS for k in (key, f"-{key}")],
    )
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1)

    @property
    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or "rank"

    @property
    def page_number(self) -> int:
        return (self.cleaned_data.get("page") if self.is_valid() else None) or 1

    def order(self, scores: QuerySet[AccountScore]) -> QuerySet[AccountScore]:
        """The scores in the chosen order."""
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
    """The date within the accepted range (KAM_DATE_MIN … KAM_DATE_MAX)."""
    message = date_error(value)
    if message:
        raise forms.ValidationError(message)
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
    account_manager = forms.ModelChoiceField(
        label=_("Account manager"),
        required=False,
        queryset=User.objects.filter(
            is_active=True, role__in=("kam", "sales_manager", "executive")
        ),
        help_text=_("Required when the account has no manager yet."),
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


class ModelSettingsForm(forms.ModelForm):
    class Meta:
        model = ScoringModel
        fields = ScoringModel.SETTINGS_FIELDS
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


class AssessmentForm(forms.ModelForm):
    """The relational scoring inputs of an account; the service validates again."""

    buying_criteria = forms.CharField(
        label=_("Buying criteria"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line, e.g. price, delivery reliability, technical support."),
    )

    class Meta:
        model = AccountAssessment
        fields = [
            "willingness",
            "agreement_horizon_months",
            "joint_initiatives",
            "buying_criteria_count",
            "wallet_estimate",
            "wallet_source",
            "wallet_confidence",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        willingness = self.fields["willingness"]
        willingness.widget.attrs.update({"min": 0, "max": 10, "step": 1})
        willingness.help_text = _("0–10, see the scale on the right.")
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def criteria_names(self) -> list[str]:
        text = self.cleaned_data.get("buying_criteria") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean_wallet_estimate(self):
        value = self.cleaned_data.get("wallet_estimate")
        if value is not None and value < 0:
            raise forms.ValidationError(_("A wallet estimate cannot be negative."))
        return value

    def clean_buying_criteria(self) -> str:
        text = self.cleaned_data.get("buying_criteria") or ""
        if any(len(line.strip()) > 120 for line in text.splitlines()):
            raise forms.ValidationError(_("A buying criterion has at most 120 characters."))
        return text
