"""Forms of the team pages; the services check every rule again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.core.widgets import QuickSelect
from kam.customers.models import Unit
from kam.people.models import Function, User

from .models import TeamMember, TeamRole
from .selectors import assignee_choices, plan_target_choices


class MemberForm(forms.ModelForm):  # type: ignore[type-arg]
    """Add a person to the team, or change a membership."""

    class Meta:
        model = TeamMember
        fields = ["user", "role", "unit", "region", "allocation", "start", "end", "note"]
        widgets = {
            # hundreds of people and of an account's units: options in one template loop
            "user": QuickSelect,
            "unit": QuickSelect,
            "start": forms.DateInput(attrs={"type": "date"}),
            "end": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, account: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.account = account
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)
        # the options need the name only (hundreds of rows: no other column read)
        user_field.queryset = (
            User.objects.filter(is_active=True)
            .exclude(role="")
            .order_by("last_name", "username")
            .only("pk", "first_name", "last_name", "username")
        )
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = (
            Unit.objects.in_account(account).order_by("path").only("pk", "name", "path")
        )
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


def _style(form: forms.Form) -> None:
    for f in form.fields.values():
        css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
        f.widget.attrs.setdefault("class", css)


class RequestForm(forms.Form):
    """Ask one of our functions for help (“Ask for help” on the team page)."""

    function = forms.ChoiceField(label=_("Function asked"), choices=Function.choices)
    what = forms.CharField(
        label=_("What is needed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(), required=False, widget=QuickSelect
    )
    needed_by = forms.DateField(
        label=_("Needed by"), widget=forms.DateInput(attrs={"type": "date"})
    )
    plan_action_ref = forms.ChoiceField(
        label=_("Plan action or objective"),
        required=False,
        help_text=_("An action or objective of this account's plans, when the help serves one."),
    )

    def __init__(self, *args: Any, account: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = Unit.objects.in_account(account).order_by("path")
        plan_field = self.fields["plan_action_ref"]
        assert isinstance(plan_field, forms.ChoiceField)
        plan_field.choices = [("", "—"), *plan_target_choices(account=account)]
        _style(self)


class AcceptForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=User.objects.none(), widget=QuickSelect
    )

    def __init__(self, *args: Any, function: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = assignee_choices(function=function)
        _style(self)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Write @username to tell a colleague who can see this account."),
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(), required=False, widget=QuickSelect
    )

    def __init__(self, *args: Any, account: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        # every unit of the account (hundreds at a large one): the names only
        unit_field.queryset = Unit.objects.in_account(account).only("pk", "name").order_by("path")
        _style(self)
