"""Form widgets shared by the apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


class QuickSelect(forms.Select):
    """A select whose options are written by one Python loop: Django's own builds a context
    and includes a template per option, which costs milliseconds per hundred options (an
    account's units, the people of ours, can number hundreds). Options carry their value,
    label and selection only; groups (one level, as a select has) are kept."""

    template_name = "core/widgets/quick_select.html"

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        # the plain widget's context: ChoiceWidget's would build every option's context first
        context = forms.Widget.get_context(self, name, value, attrs)
        if self.allow_multiple_selected:
            context["widget"]["attrs"]["multiple"] = True
        context["widget"]["options_html"] = self._options_html(self.format_value(value))
        return context

    def _options_html(self, chosen: list[str]) -> SafeString:
        selected = set(chosen)
        out: list[str] = []
        found = False

        def option(value: Any, label: Any) -> str:
            nonlocal found
            text = "" if value is None else str(value)
            mark = ""
            if text in selected and (self.allow_multiple_selected or not found):
                found, mark = True, " selected"
            return f'<option value="{escape(text)}"{mark}>{escape(label)}</option>'

        for value, label in self.choices:
            if isinstance(label, (list, tuple)):
                out.append(f'<optgroup label="{escape(value)}">')
                out.extend(option(v, lab) for v, lab in label)
                out.append("</optgroup>")
            else:
                out.append(option(value, label))
        return mark_safe("".join(out))  # noqa: S308  (every value and label escaped above)


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
