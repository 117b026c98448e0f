"""Forms of the health pages: the KAM's sentiment, profiles, versions and assignment rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.customers.models import Tier

from .models import COMPONENT_LABELS, COMPONENTS, Combine, Grade, HealthProfileVersion

QUADRANTS = [
    ("", _("Any")),
    ("strategic", _("Strategic")),
    ("star", _("Star")),
    ("status", _("Status")),
    ("streamline", _("Streamline")),
]


class SentimentForm(forms.Form):
    grade = forms.ChoiceField(label=_("Your reading"), choices=Grade.choices)
    on = forms.DateField(label=_("Date"), initial=timezone.localdate)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ProfileForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, max_length=2000)


class RuleForm(forms.Form):
    tier = forms.ChoiceField(
        label=_("Tier"), choices=[("", _("Any")), *Tier.choices], required=False
    )
    quadrant = forms.ChoiceField(label=_("Portfolio quadrant"), choices=QUADRANTS, required=False)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=1000, initial=10)


class VersionForm(forms.Form):
    combine = forms.ChoiceField(label=_("Combination"), choices=Combine.choices)
    frequency_norm = forms.DecimalField(
        label=_("Interactions per month that count as full frequency"),
        min_value=0.1,
        max_value=100,
        decimal_places=2,
    )
    depth_target = forms.IntegerField(
        label=_("Senior or board contacts for full depth"), min_value=1, max_value=50
    )
    our_side_target = forms.IntegerField(
        label=_("Our functions for full our-side breadth"), min_value=1, max_value=20
    )
    recency_half_life = forms.IntegerField(
        label=_("Recency half-life (days)"), min_value=1, max_value=730
    )
    good_from = forms.IntegerField(label=_("Good from"), min_value=0, max_value=100)
    fair_from = forms.IntegerField(label=_("Fair from"), min_value=0, max_value=100)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, version: HealthProfileVersion | None = None, **kwargs: Any):
        if version is not None and not args and "initial" not in kwargs:
            initial = {
                name: getattr(version, name)
                for name in (
                    "combine",
                    "frequency_norm",
                    "depth_target",
                    "our_side_target",
                    "recency_half_life",
                    "good_from",
                    "fair_from",
                    "note",
                )
            }
            for key in COMPONENTS:
                initial[f"w_{key}"] = version.weights.get(key, 0)
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for key in COMPONENTS:
            self.fields[f"w_{key}"] = forms.IntegerField(
                label=_("Weight: %(component)s") % {"component": COMPONENT_LABELS[key]},
                min_value=0,
                max_value=100,
            )

    def version_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        weights = {key: data.pop(f"w_{key}") for key in COMPONENTS}
        return {**data, "weights": weights}
