"""The result of an import: counts and every bad row (line, column, value, reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from django.utils.translation import gettext as _

from kam.core.tabular import csv_stream, neutralise


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    reason: str


@dataclass
class ImportReport:
    entity: str
    path: str
    dry_run: bool = False
    skip_bad_rows: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    written: bool = False
    errors: list[RowError] = field(default_factory=list)
    # whole-file remarks that stop nothing: unused columns, a misspelt header, how dates read
    warnings: list[str] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)
    encoding: str | None = None
    _bad_lines: set[int] = field(default_factory=set, repr=False)

    def add_error(self, line: int, column: str, value, reason: str) -> None:
        text = "" if value is None else str(value)
        if len(text) > 200:
            text = text[:197] + "..."
        self.errors.append(RowError(line=line, column=column, value=text, reason=str(reason)))
        self._bad_lines.add(line)

    @property
    def bad_rows(self) -> int:
        return len(self._bad_lines)

    def is_bad(self, line: int) -> bool:
        return line in self._bad_lines

    @property
    def ok(self) -> bool:
        return not self.errors or self.skip_bad_rows

    def notes(self) -> list[str]:
        """The warnings, and the columns that fed nothing, as sentences for the user."""
        notes = list(self.warnings)
        if self.unused_columns:
            notes.append(_("Columns not imported: %s.") % ", ".join(self.unused_columns))
        return notes

    def summary(self) -> str:
        counts = _(
            "%(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged"
        ) % {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        if self.errors and not self.skip_bad_rows:
            return _(
                "%(entity)s: %(bad)s of %(rows)s rows have errors (%(n)s problems); "
                "nothing was written."
            ) % {
                "entity": self.entity,
                "bad": self.bad_rows,
                "rows": self.rows,
                "n": len(self.errors),
            }
        if self.skipped:
            counts += _("; %s bad rows skipped") % self.skipped
        if self.dry_run:
            return _("%(entity)s (dry run, nothing written): %(counts)s") % {
                "entity": self.entity,
                "counts": counts,
            }
        return f"{self.entity}: {counts}"

    def write_csv(self, path: Path | str) -> None:
        """The error report (a download): the file's own text neutralised, like every export."""
        rows = (
            [err.line, neutralise(err.column), neutralise(err.value), neutralise(err.reason)]
            for err in self.errors
        )
        with open(path, "wb") as fh:
            for chunk in csv_stream(
                chain([["line", "column", "value", "reason"]], rows), bom=False
            ):
                fh.write(chunk)
