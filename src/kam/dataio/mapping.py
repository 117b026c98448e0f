"""The column mapping of an import: which file column feeds which fields, value maps, constants.

A mapping file is either the flat form (JSON ``{"file column": "field"}`` or a two-column CSV)
or the full JSON form::

    {
      "columns": {"Kunde": "unit", "Artikel": ["product", "external_id"], "Alt": "-"},
      "values": {"stage": {"Gewonnen": "won"}, "country": {"Deutschland": "DE"}},
      "constants": {"currency": "USD"},
      "options": {"encoding": "cp1252", "date_order": "dmy", "round_amounts": true}
    }

* ``columns``: one file column may feed several fields (a list); ``-`` ignores a column.
  In the flat form a value may be a list too, and in the CSV form ``field1|field2``.
* ``values``: per field, file value → value to import (matched without case and outer spaces),
  e.g. a CRM's stage names, product names → product lines, country spellings.
* ``constants``: a value for every row of a field the file has no column for.
* ``options``: defaults of the import options (the command's and the form's options win).

Unknown values and near misses get a suggestion (rapidfuzz): :func:`closest`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .formats import ImportFileError, norm_header

SECTIONS = ("columns", "values", "constants", "options")
IGNORE = ("", "-")


def norm_value(value: Any) -> str:
    return str(value).strip().lower().replace("ё", "е")


@dataclass
class ColumnMapping:
    columns: dict[str, list[str]] = field(default_factory=dict)  # norm. column → fields
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field → norm. value → value
    constants: dict[str, str] = field(default_factory=dict)  # field → value of every row
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_raw(cls, raw: Any) -> ColumnMapping:
        """The mapping of a JSON object (flat or full form), a dict, or None."""
        if isinstance(raw, ColumnMapping):
            return raw
        if not raw:
            return cls()
        if not isinstance(raw, dict):
            raise ImportFileError(_("The mapping must be an object: file column → field."))
        full = any(k in SECTIONS and isinstance(v, dict) for k, v in raw.items())
        if not full:
            return cls(columns=_columns(raw))
        unknown = sorted(set(raw) - set(SECTIONS))
        if unknown:
            raise ImportFileError(
                _("The mapping has unknown sections: %(names)s. Sections: %(sections)s.")
                % {"names": ", ".join(unknown), "sections": ", ".join(SECTIONS)},
                code="mapping",
            )
        for name in SECTIONS:
            if not isinstance(raw.get(name, {}), dict):
                raise ImportFileError(
                    _("The mapping section “%s” must be an object.") % name, code="mapping"
                )
        values: dict[str, dict[str, str]] = {}
        for field_name, table in raw.get("values", {}).items():
            if not isinstance(table, dict):
                raise ImportFileError(
                    _("The value map of “%s” must be an object: file value → value.") % field_name,
                    code="mapping",
                )
            values[str(field_name)] = {norm_value(k): str(v) for k, v in table.items()}
        return cls(
            columns=_columns(raw.get("columns", {})),
            values=values,
            constants={str(k): str(v) for k, v in raw.get("constants", {}).items()},
            options=dict(raw.get("options", {})),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "values": self.values,
            "constants": self.constants,
            "options": self.options,
        }

    def map_value(self, field_name: str, value: Any) -> Any:
        """The value a value map gives for ``value`` (unchanged when it names none)."""
        table = self.values.get(field_name)
        if not table or value is None:
            return value
        return table.get(norm_value(value), value)


def _columns(raw: dict[str, Any]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for column, target in raw.items():
        if isinstance(target, list):
            names = [str(t).strip() for t in target]
        else:
            names = [t.strip() for t in str(target).split("|")]
        result[norm_header(column)] = [n for n in names if n not in IGNORE]
    return result


def closest(value: Any, choices: Iterable[str], *, cutoff: float = 60) -> str | None:
    """The choice most like ``value`` (rapidfuzz), or None when nothing is close."""
    from rapidfuzz import fuzz, process, utils

    text = str(value).strip()
    if not text:
        return None
    found = process.extractOne(
        text,
        list(choices),
        scorer=fuzz.ratio,
        processor=utils.default_process,
        score_cutoff=cutoff,
    )
    return str(found[0]) if found else None
