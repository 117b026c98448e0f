"""Forms of the team pages; the services check every rule again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.customers.models import Unit
from kam.people.models import User

from .models import TeamMember, TeamRole


class MemberForm(forms.ModelForm):  # type: ignore[type-arg]
    """Add a person to the team, or change a membership."""

    class Meta:
        model = TeamMember
        fields = ["user", "role", "unit", "region", "allocation", "start", "end", "note"]
        widgets = {
            "start": forms.DateInput(attrs={"type": "date"}),
            "end": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, account: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.account = account
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)
        user_field.queryset = (
            User.objects.filter(is_active=True).exclude(role="").order_by("last_name", "username")
        )
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = Unit.objects.in_account(account).order_by("path")
        self.fields["allocation"].widget.attrs.update({"min": 0, "max": 100})
        if self.instance.pk:
            self.fields["user"].disabled = True
        for name, f in self.fields.items():
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            f.widget.attrs.setdefault("class", css)
            if name == "role":
                f.choices = TeamRole.choices  # type: ignore[attr-defined]

    def _post_clean(self) -> None:
        # the services validate the whole membership (with the account) and write it
        pass


class EndForm(forms.Form):
    end = forms.DateField(
        label=_("Left on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
