"""Form widgets shared by the apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms


class QuickSelect(forms.Select):
    """A select whose options are written in one template loop: Django's own includes a
    template per option, which costs milliseconds per hundred options (an account's units
    can number hundreds). Options carry their value, label and selection only."""

    template_name = "core/widgets/quick_select.html"


class SearchPicker(forms.Widget):
    """One choice among thousands: the chosen value in a hidden input with its label, and a
    search box that asks ``search_url`` (HTMX) for matches as the user types; each match, once
    picked, replaces the chosen value (the view answers ``?pick=<id>`` with
    ``core/widgets/_picked.html``). ``label_of(value)`` names the value chosen so far. Not a
    hidden widget: the form lays it out with its label like any visible field."""

    template_name = "core/widgets/search_picker.html"

    def __init__(
        self, *, search_url: str, label_of: Callable[[Any], str], attrs: dict | None = None
    ) -> None:
        super().__init__(attrs)
        self.search_url = search_url
        self.label_of = label_of

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["search_url"] = self.search_url
        context["widget"]["label"] = self.label_of(value) if value not in (None, "") else ""
        return context

    def id_for_label(self, id_: str) -> str:
        return f"{id_}-q" if id_ else id_
