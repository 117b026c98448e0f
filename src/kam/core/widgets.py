"""Form widgets shared by the apps."""

from __future__ import annotations

from django import forms


class QuickSelect(forms.Select):
    """A select whose options are written in one template loop: Django's own includes a
    template per option, which costs milliseconds per hundred options (an account's units
    can number hundreds). Options carry their value, label and selection only."""

    template_name = "core/widgets/quick_select.html"
