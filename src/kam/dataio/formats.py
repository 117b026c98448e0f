"""Reading import files: size guard, encoding and delimiter detection, cell parsing.

Formula-looking cells (decision, see ``docs/decisions.md``):

* On export every text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return gets a leading single quote (``'``), so a spreadsheet shows it as text instead of
  running it as a formula (``kam.core.tabular.neutralise``).
* On import a leading ``'`` in front of one of those characters is removed again, so an export
  re-imports exactly.
* A text cell that starts with ``=`` or ``@`` without the quote is **rejected** (row error): such a
  cell is a formula, not data, and storing it would pass the payload on to the next person who
  exports it. A user who really means the text writes it with the quote. Cells starting with ``+``
  or ``-`` are ordinary data (phone numbers "+49 …", "- none -") and are stored as they are; the
  exporter neutralises them on the way out.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.core.tabular import unneutralise
from kam.core.validation import date_error

from . import encodings

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
REJECTED_START = ("=", "@")
SAMPLE_BYTES = 1024 * 1024


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (size, encoding, header, format)."""

    def __init__(self, message: str, *, code: str = "file"):
        super().__init__(message, code=code)


def max_bytes() -> int:
    return int(getattr(settings, "KAM_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_size(path: Path) -> int:
    """Refuse a file over the limit before a single byte of it is read."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError as exc:
        raise ImportFileError(_("File not found: %s") % path, code="missing") from exc
    limit = max_bytes()
    if size > limit:
        raise ImportFileError(
            _(
                "The file is %(size)s bytes (%(size_h)s), over the import limit of %(limit)s "
                "bytes (%(limit_h)s; setting KAM_IMPORT_MAX_BYTES). Split it into smaller files."
            )
            % {
                "size": size,
                "limit": limit,
                "size_h": filesizeformat(size),
                "limit_h": filesizeformat(limit),
            },
            code="too_big",
        )
    if size == 0:
        raise ImportFileError(_("The file is empty."), code="empty")
    return size


def is_xlsx(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4)
    return head == b"PK\x03\x04"


def detect_encoding(path: Path, encoding: str | None = None) -> str:
    """The encoding the user named (checked), else the detected one (``encodings.detect``)."""
    try:
        if encoding:
            return encodings.check_name(encoding)
        with open(path, "rb") as fh:
            return encodings.detect(fh.read(SAMPLE_BYTES))
    except encodings.EncodingError as exc:
        raise ImportFileError(str(exc), code="encoding") from exc


def detect_delimiter(first_line: str) -> str:
    """The separator that splits the header line into the most columns (``,`` on a tie)."""
    counts = {sep: len(next(csv.reader([first_line], delimiter=sep))) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > 1 else ","


@dataclass
class Table:
    """An open import file: its header and an iterator of (line number, cells)."""

    header: list[str]
    rows: Iterator[tuple[int, list]]
    encoding: str | None = None
    delimiter: str | None = None
    kind: str = "csv"


def _undecodable(exc: UnicodeDecodeError, encoding: str, line: int) -> ImportFileError:
    return ImportFileError(
        _("The file is not valid %(encoding)s near line %(line)s. Save it as CSV in UTF-8.")
        % {"encoding": encoding, "line": line},
        code="encoding",
    )


class UnreadableRow(list):
    """A CSV record the parser refused (a field over its size limit): no cells, a reason.

    The importer reports it as a row error with its line number and reads on.
    """

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def max_field_chars() -> int:
    """The longest value a cell may hold: the CSV parser's limit, for XLSX files too."""
    return csv.field_size_limit()


def field_too_long() -> str:
    return _("a value is longer than %(limit)d KiB") % {"limit": max_field_chars() // 1024}


def oversized(cells: list) -> str | None:
    """The row error of a row with a cell over :func:`max_field_chars`, else None."""
    limit = max_field_chars()
    if any(isinstance(c, str) and len(c) > limit for c in cells):
        return field_too_long()
    return None


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list]]:
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            next(reader, None)
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    reason = (
                        field_too_long()
                        if "field limit" in str(exc)
                        else _("cannot read this CSV line: %s") % exc
                    )
                    yield reader.line_num, UnreadableRow(reason)
                    continue
                if not any(cell.strip() for cell in row):
                    continue
                yield reader.line_num, row
        except UnicodeDecodeError as exc:
            raise _undecodable(exc, encoding, reader.line_num + 1) from exc


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list]]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except Exception as exc:  # calamine raises its own error types
        raise ImportFileError(_("Cannot read the spreadsheet: %s") % exc, code="format") from exc
    header = None
    line = 0
    for row in rows:
        line += 1
        if any(cell not in ("", None) for cell in row):
            header = [str(c).strip() if c is not None else "" for c in row]
            break
    if header is None:
        raise ImportFileError(_("The file is empty."), code="empty")

    def gen():
        n = line
        for row in rows:
            n += 1
            if not any(cell not in ("", None) for cell in row):
                continue
            yield n, list(row)

    return header, gen()


def open_table(path: Path, encoding: str | None = None) -> Table:
    """Open a CSV or XLSX file for reading; raises :class:`ImportFileError` on a bad file.

    ``encoding`` names the text encoding of a CSV file (default: detected).
    """
    path = Path(path)
    check_size(path)
    if is_xlsx(path):
        header, rows = _xlsx_rows(path)
        return Table(header=header, rows=rows, kind="xlsx")
    encoding = detect_encoding(path, encoding)
    try:
        with open(path, encoding=encoding, newline="") as fh:
            first = ""
            for first in fh:
                if first.strip():
                    break
    except UnicodeDecodeError as exc:
        raise _undecodable(exc, encoding, 1) from exc
    if not first.strip():
        raise ImportFileError(_("The file is empty."), code="empty")
    delimiter = detect_delimiter(first.rstrip("\r\n"))
    with open(path, encoding=encoding, newline="") as fh:
        header = next(csv.reader(fh, delimiter=delimiter))
    header = [h.strip() for h in header]
    return Table(
        header=header,
        rows=_csv_rows(path, encoding, delimiter),
        encoding=encoding,
        delimiter=delimiter,
    )


# --- header names --------------------------------------------------------------------------


def norm_header(name: str) -> str:
    name = str(name).replace("\ufeff", "").strip().strip('"').lower().replace("ё", "е")
    return re.sub(r"[\s\-./]+", "_", name).strip("_")


def load_mapping(path: Path | str | None) -> dict[str, Any]:
    """Read a mapping file: JSON (flat ``{"file column": "field"}`` or the full form of
    ``kam.dataio.mapping``) or a two-column CSV (file column, field)."""
    if path is None:
        return {}
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(_("Cannot read the mapping file: %s") % exc) from exc
    mapping: dict[str, Any] = {}
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFileError(_("The mapping file is not valid JSON: %s") % exc) from exc
        if not isinstance(data, dict):
            raise ImportFileError(_("The mapping JSON must be an object: file column → field."))
        return {str(k): v for k, v in data.items()}
    lines = [ln for ln in text.splitlines() if ln.strip()]
    delimiter = detect_delimiter(lines[0]) if lines else ","
    for row in csv.reader(lines, delimiter=delimiter):
        if len(row) < 2:
            continue
        mapping[row[0].strip()] = row[1].strip()
    # a header row such as "column,field" maps nothing real; drop it
    for header_key in ("column", "file_column", "колонка", "столбец"):
        mapping = {k: v for k, v in mapping.items() if norm_header(k) != header_key}
    return mapping


# --- cell values ---------------------------------------------------------------------------


def cell_text(value) -> str:
    """A cell (CSV string or XLSX value) as text; integral floats lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_text(value: str) -> str:
    """Strip our export's quote; reject a formula."""
    unquoted = unneutralise(value)
    if unquoted != value:
        return unquoted
    if value.startswith(REJECTED_START):
        raise ValueError(
            _("looks like a spreadsheet formula; write it with a leading ' to import it as text")
        )
    return value


_SPACES = re.compile(r"[\s\u00a0\u202f']")
_THOUSANDS_COMMA = re.compile(r"^[-+]?\d{1,3}(,\d{3})+\.\d+$")
_THOUSANDS_DOT = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+,\d+$")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")


def normalise_number(text: str) -> str | None:
    """``1 234,56`` / ``1,234.56`` / ``1.234,56`` / ``12.5`` → ``1234.56`` style; None if bad.

    A lone comma is a decimal comma (Russian and most European exports).
    """
    s = _SPACES.sub("", text)
    if _THOUSANDS_COMMA.match(s):
        s = s.replace(",", "")
    elif _THOUSANDS_DOT.match(s):
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", ".")
    return s if _NUMBER.match(s) else None


DATE_ORDERS = ("auto", "dmy", "mdy")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's 1900 date system (its 1900-02-29 included)
_SERIAL = re.compile(r"^\d{1,5}(\.0+)?$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class ParseOptions:
    """How ambiguous cells are read; chosen by the user (command options, the upload form).

    ``date_order``: how ``03/04/2024`` reads — ``dmy`` (3 April), ``mdy`` (March 4), or
    ``auto``: decided per file by a value that only fits one order (``25/04/2024``), else
    ``dmy`` with a warning in the report. ``round_amounts``: amounts with more decimals than
    the column keeps are rounded half-up instead of refused.
    """

    date_order: str = "auto"
    round_amounts: bool = False


DEFAULT_OPTIONS = ParseOptions()


def decimals_error(places: int) -> str:
    return _(
        "has more than %(places)s decimals; round it in the file or choose the option to round "
        "amounts"
    ) % {"places": places}


def parse_decimal(value, *, places: int, max_digits: int, round_amounts: bool = False) -> Decimal:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = cell_text(value)
    else:
        text = str(value)
    s = normalise_number(text)
    if s is None:
        raise ValueError(_("not a number"))
    try:
        exact = Decimal(s)
        number = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    except InvalidOperation as exc:
        raise ValueError(_("not a number")) from exc
    if number != exact and not round_amounts:
        raise ValueError(decimals_error(places))
    if len(number.as_tuple().digits) > max_digits:
        raise ValueError(_("number too large"))
    return number


def parse_int(value) -> int:
    s = normalise_number(cell_text(value) if not isinstance(value, str) else value)
    if s is None:
        raise ValueError(_("not a number"))
    try:
        number = Decimal(s)
    except InvalidOperation as exc:
        raise ValueError(_("not a number")) from exc
    if number != number.to_integral_value():
        raise ValueError(_("not a whole number"))
    if len(number.to_integral_value().as_tuple().digits) > 18:
        raise ValueError(_("number too large"))
    return int(number)


_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def excel_date(serial: float) -> dt.date:
    """The date of an Excel serial day number (1900 date system)."""
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def detect_date_order(values: Iterable[Any]) -> str | None:
    """``dmy`` or ``mdy`` when a slashed date of the values fits only one order, else None."""
    day_first = month_first = False
    for value in values:
        if not isinstance(value, str):
            continue
        m = _SLASHED.match(value.strip()[:10])
        if not m:
            continue
        first, second = int(m[1]), int(m[2])
        day_first |= first > 12 >= second
        month_first |= second > 12 >= first
        if day_first and month_first:
            return None  # mixed: read day first, the month-first rows fail as dates
    if day_first:
        return "dmy"
    if month_first:
        return "mdy"
    return None


def parse_date(value, order: str = "dmy") -> dt.date:
    """ISO, dd.mm.yyyy, dd/mm/yyyy (or mm/dd/yyyy for ``order="mdy"``), an Excel serial."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = cell_text(value)
    text = str(value).strip()
    if "T" in text or " " in text:
        text = re.split(r"[T ]", text, maxsplit=1)[0]
    try:
        if m := _ISO.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.match(text):
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        if m := _SLASHED.match(text):
            if order == "mdy":
                return dt.date(int(m[3]), int(m[1]), int(m[2]))
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        if _SERIAL.match(text) and int(float(text)) > 0:
            return excel_date(float(text))
    except (ValueError, OverflowError) as exc:
        raise ValueError(_("not a valid date")) from exc
    raise ValueError(_("not a date (use YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY)"))


def parse_datetime(value, order: str = "dmy") -> dt.datetime:
    if isinstance(value, dt.datetime):
        result = value
    elif isinstance(value, dt.date):
        result = dt.datetime.combine(value, dt.time())
    elif (text := str(value).strip()) and (_SLASHED.match(text) or _SERIAL.match(text)):
        result = dt.datetime.combine(parse_date(text, order), dt.time())
    else:
        m = re.match(
            r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$", text
        )
        try:
            if m:
                result = dt.datetime(
                    int(m[3]),
                    int(m[2]),
                    int(m[1]),
                    int(m[4] or 0),
                    int(m[5] or 0),
                    int(m[6] or 0),
                )
            else:
                result = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(
                _("not a date and time (use YYYY-MM-DD HH:MM or DD.MM.YYYY HH:MM)")
            ) from exc
    # out-of-range days are refused before a time-zone sum could overflow (year 1, 9999)
    message = date_error(result)
    if message:
        raise ValueError(message)
    if timezone.is_naive(result):
        result = timezone.make_aware(result)
    return result


_TRUE = {"1", "true", "yes", "y", "да", "д", "x", "+"}
_FALSE = {"0", "false", "no", "n", "нет", "н", ""}


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(_("not yes/no"))
