"""Writing tables for people's spreadsheets: every CSV and XLSX export goes through here.

* :func:`neutralise` puts a ``'`` in front of a text cell that a spreadsheet would run as a
  formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return);
  :func:`unneutralise` removes that one quote again on import (decision 10 in
  ``docs/decisions.md``), so an export re-imports unchanged.
* :func:`csv_lines` / :func:`csv_stream` write rows as CSV text lines / UTF-8 byte chunks (a
  ``StreamingHttpResponse``, a file, standard output), one row at a time.
* :func:`xlsx_write` writes rows as a one-sheet workbook, numbers as numbers and text as text.

The rows given are the header first, then the data; which cells to neutralise is the caller's
choice (a negative amount written as text is data, not a formula).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CHUNK_BYTES = 64 * 1024
BOM = "\ufeff"

Row = Sequence[Any]


def neutralise(value: Any) -> Any:
    """Prefix a quote to text that looks like a formula; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unneutralise(text: str) -> str:
    """Remove the quote :func:`neutralise` added (and only that one)."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text


class _Echo:
    """A file-like object whose ``write`` hands the line back, for ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def csv_lines(rows: Iterable[Row], *, bom: bool = True) -> Iterator[str]:
    """CSV text one line at a time, with a BOM first (spreadsheets then read UTF-8 right)."""
    writer = csv.writer(_Echo())
    if bom:
        yield BOM
    for row in rows:
        yield writer.writerow([_csv_cell(v) for v in row])


def csv_stream(rows: Iterable[Row], *, bom: bool = True) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks of about :data:`CSV_CHUNK_BYTES` (for streaming)."""
    buffer: list[str] = []
    size = 0
    for line in csv_lines(rows, bom=bom):
        buffer.append(line)
        size += len(line)
        if size >= CSV_CHUNK_BYTES:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    yield "".join(buffer).encode("utf-8")


def xlsx_write(rows: Iterable[Row], out: str | Path | IO[bytes], *, sheet: str) -> int:
    """Write the rows to ``out`` (a path or a binary stream) as one sheet; the data rows' count.

    The header row is bold and stays in view; booleans, numbers and dates get their own cell
    types, everything else is written as text (never as a formula).
    """
    import xlsxwriter

    buffer = None if isinstance(out, str | Path) else io.BytesIO()
    book = xlsxwriter.Workbook(buffer or str(out), {"constant_memory": True})
    worksheet = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    n = -1
    for n, row in enumerate(rows):
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                worksheet.write_boolean(n, col, value)
            elif isinstance(value, int | float | Decimal):
                worksheet.write_number(n, col, float(value))
            elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                worksheet.write_datetime(n, col, value, date_format)
            else:
                worksheet.write_string(n, col, str(value), bold if n == 0 else None)
    worksheet.freeze_panes(1, 0)
    book.close()
    if buffer is not None and not isinstance(out, str | Path):
        out.write(buffer.getvalue())
    return max(n, 0)


def xlsx_bytes(rows: Iterable[Row], *, sheet: str) -> bytes:
    """The workbook of :func:`xlsx_write` as bytes."""
    out = io.BytesIO()
    xlsx_write(rows, out, sheet=sheet)
    return out.getvalue()
