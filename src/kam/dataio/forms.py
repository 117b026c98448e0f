"""Forms of the import/export pages. The import rules themselves stay in the engine."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import encodings, formats
from .exporters import FORMATS
from .importers import ENTITIES, ENTITY_NAMES

ENTITY_LABELS = {
    "units": _("Customer units"),
    "contacts": _("Contacts"),
    "employments": _("Contact positions"),
    "users": _("Users (our people)"),
    "product-lines": _("Product lines"),
    "products": _("Products"),
    "transactions": _("Sales transactions"),
    "opportunities": _("Opportunities"),
    "interactions": _("Interactions"),
    "competitor-shares": _("Competitor shares"),
    "supplier-positions": _("Supplier positions"),
    "buying-roles": _("Buying-centre roles"),
    "buying-centre": _("Buying centre: attitude, influence, orientation"),
    "our-links": _("Our links to contacts (judged level)"),
    "currency-rates": _("Currency rates"),
    "costs-to-serve": _("Costs to serve"),
    "list-prices": _("List prices"),
}
FORMAT_LABELS = {"csv": _("CSV (UTF-8)"), "xlsx": _("Excel (XLSX)")}
IGNORE = "-"


def entity_label(name: str) -> str:
    return str(ENTITY_LABELS.get(name, name))


def entity_choices() -> list[tuple[str, str]]:
    return [(name, f"{ENTITY_LABELS.get(name, name)} ({name})") for name in ENTITY_NAMES]


class _Styled:
    fields: dict[str, forms.Field]  # a form's fields: this mixin styles them

    def _style(self) -> None:
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            field.widget.attrs.setdefault("class", css)


class UploadForm(_Styled, forms.Form):
    entity = forms.ChoiceField(label=_("What the file holds"), choices=entity_choices)
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        widget=forms.FileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
        error_messages={
            "required": _("Choose a file to import."),
            "empty": _("The file is empty."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_mb = max(formats.max_bytes() // (1024 * 1024), 1)
        self.fields["file"].help_text = _(
            "CSV in UTF-8 or Windows-1251 (comma, semicolon or tab separated) or XLSX; "
            "the first row holds the column names. At most %(mb)s MB."
        ) % {"mb": limit_mb}
        self._style()


class MappingForm(_Styled, forms.Form):
    """One select per file column (the entity's fields), plus the run options."""

    dry_run = forms.BooleanField(
        label=_("Dry run: check everything, write nothing"), required=False
    )
    skip_bad_rows = forms.BooleanField(
        label=_("Skip bad rows and import the rest"),
        required=False,
        help_text=_("Without this, a file with any bad row writes nothing."),
    )

    encoding = forms.ChoiceField(
        label=_("Text encoding of the file"),
        choices=encodings.CHOICES,
        required=False,
        help_text=_(
            "Check the preview: if letters look wrong, choose the encoding and show it again."
        ),
    )
    date_order = forms.ChoiceField(
        label=_("Dates written with slashes"),
        choices=[
            ("auto", _("Detect from the file (day first when unclear)")),
            ("dmy", _("Day first: DD/MM/YYYY")),
            ("mdy", _("Month first: MM/DD/YYYY")),
        ],
        initial="auto",
        required=False,
    )
    round_amounts = forms.BooleanField(
        label=_("Round amounts with more decimals than kept (2; quantities 3)"),
        required=False,
        help_text=_("Without this, such an amount is a row error."),
    )

    def __init__(self, *args, entity: str, header: list[str], suggested: dict[int, str], **kw):
        super().__init__(*args, **kw)
        self.entity = ENTITIES[entity]
        self.header = header
        choices: list[tuple[str, str | Promise]] = [(IGNORE, _("— do not import —"))]
        for f in self.entity.fields:
            label = f"{f.name} ({_('required')})" if f.required else f.name
            choices.append((f.name, label))
        self.columns: list[tuple[int, str]] = []
        for index, name in enumerate(header):
            if not formats.norm_header(name):
                continue  # a column without a name is never imported
            key = f"col_{index}"
            self.fields[key] = forms.ChoiceField(
                label=name, choices=choices, initial=suggested.get(index, IGNORE)
            )
            self.columns.append((index, key))
        self._style()

    def column_fields(self):
        """(column index, file column name, bound select) in file order."""
        return [(index, self.header[index], self[key]) for index, key in self.columns]

    def clean(self):
        data = super().clean() or {}
        by_field: dict[str, str] = {}
        by_header: dict[str, str] = {}
        for index, key in self.columns:
            target = data.get(key)
            if target is None:
                continue
            header = self.header[index]
            norm = formats.norm_header(header)
            if norm in by_header and by_header[norm] != target:
                raise forms.ValidationError(
                    _("Columns named “%(column)s” appear twice: map both the same way.")
                    % {"column": header}
                )
            by_header[norm] = target
            if target == IGNORE:
                continue
            if target in by_field and formats.norm_header(by_field[target]) != norm:
                raise forms.ValidationError(
                    _("Columns “%(a)s” and “%(b)s” are both mapped to %(field)s; choose one.")
                    % {"a": by_field[target], "b": header, "field": target}
                )
            by_field.setdefault(target, header)
        return data

    def mapping(self) -> dict[str, Any]:
        """The mapping as the engine takes it (``kam.dataio.mapping``): file column → field (or
        ``-`` to leave it out), and the options chosen."""
        return {
            "columns": {self.header[index]: self.cleaned_data[key] for index, key in self.columns},
            "options": {
                "encoding": self.cleaned_data.get("encoding") or "",
                "date_order": self.cleaned_data.get("date_order") or "auto",
                "round_amounts": bool(self.cleaned_data.get("round_amounts")),
            },
        }


class ExportForm(_Styled, forms.Form):
    entity = forms.ChoiceField(label=_("What to export"), choices=entity_choices)
    format = forms.ChoiceField(
        label=_("Format"), choices=[(f, FORMAT_LABELS.get(f, f)) for f in FORMATS]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
