"""Forms of the programme pages; the services check every rule again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Condition, Group, Statement


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    period_start = forms.DateField(
        label=_("Period start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("Period end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    groups = forms.MultipleChoiceField(
        label=_("Respondent groups"),
        choices=Group.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(Group.values),
    )


class AnswersForm(forms.Form):
    """One 1–5 choice and one comment per statement of the campaign."""

    SCALE = [
        ("", _("no answer")),
        ("1", _("1 — disagree")),
        ("2", "2"),
        ("3", "3"),
        ("4", "4"),
        ("5", _("5 — agree")),
    ]

    def __init__(self, *args: Any, statements: list[Any], language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statements = statements
        for s in statements:
            self.fields[f"answer_{s.pk}"] = forms.TypedChoiceField(
                label=s.text(language),
                choices=self.SCALE,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"comment_{s.pk}"] = forms.CharField(
                label=_("Comment (optional)"), max_length=500, required=False
            )

    def answers(self) -> dict[int, tuple[int | None, str]]:
        data = self.cleaned_data
        return {
            s.pk: (data.get(f"answer_{s.pk}"), data.get(f"comment_{s.pk}") or "")
            for s in self.statements
        }


class StatementForm(forms.Form):
    """A new statement of a condition (the services check every rule again)."""

    condition = forms.TypedChoiceField(
        label=_("Condition"), choices=Condition.choices, coerce=int, empty_value=None
    )
    text_en = forms.CharField(label=_("Statement (English)"), max_length=300)
    text_ru = forms.CharField(label=_("Statement (Russian)"), max_length=300, required=False)


class StatementEditForm(forms.ModelForm[Statement]):
    class Meta:
        model = Statement
        fields = ["text_en", "text_ru", "position"]
