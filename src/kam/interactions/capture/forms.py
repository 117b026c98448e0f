"""Forms of the capture pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kam.core.validation import date_error

from .services import default_range


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


class CaptureUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Calendar or mail file"),
        help_text=_("An .ics calendar export, one .eml message or an mbox mailbox."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".ics,.eml,.mbox,.mbx,text/calendar,message/rfc822"}
        ),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Recurring meetings are expanded inside this range (the last included)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        since, until = default_range()
        self.fields["since"].initial = since.date()
        self.fields["until"].initial = (until - dt.timedelta(days=1)).date()
        for _name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "form-control")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.KAM_IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("since", "until"):
            value = data.get(name)
            problem = date_error(value) if value else None
            if problem:
                self.add_error(name, problem)
        if self.errors:
            return data
        default_since, default_until = default_range()
        since = day_start(data["since"]) if data.get("since") else default_since
        until = (
            day_start(data["until"]) + dt.timedelta(days=1) if data.get("until") else default_until
        )
        if until <= since:
            self.add_error("until", _("The end of the range must be after its start."))
        data["since_at"], data["until_at"] = since, until
        return data


class CaptureContactForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    unit = forms.IntegerField(label=_("Works at"), min_value=1)
