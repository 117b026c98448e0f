"""The fast path for big transaction files: Polars batches, vectorised checks, bulk writes.

Two passes over the file, each holding one batch in memory:

1. validate: types, required values, unknown unit/product external ids (joins against id maps
   loaded once), duplicate external ids (a 64-bit hash per row: 8 bytes a row, the only memory
   that grows with the file);
2. write (only when the file is clean, or bad rows are to be skipped), in one database
   transaction: new rows by ``COPY`` on PostgreSQL or one ``executemany`` on SQLite, changed
   rows by ``bulk_update``; the monthly roll-ups get the difference (old line out, new line in)
   per batch, summed in Polars and added in one ``INSERT … SELECT … ON CONFLICT`` by
   :func:`rollups_add` (the set-based twin of :func:`kam.sales.services.rollups_apply`) — they
   are never rescanned.

Batches are big (``BATCH_SIZE``) because a batch's rows are summed per unit × product line ×
month before they reach the roll-ups: bigger batches, fewer roll-up writes. The file is parsed
``READ_BLOCK`` bytes at a time, so memory is a block and a batch, whatever the file size, plus
the id hashes (``bench/import_transactions.py`` measures it).

Line numbers count physical lines; a quoted value spanning lines shifts the numbers after it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from kam.core.jobs import current_worker_id, worker_alive_here
from kam.core.tabular import FORMULA_START
from kam.core.validation import SAFE_DIGITS, amount_error, amount_limit, date_bounds, date_error
from kam.customers.models import Unit, account_path_sql
from kam.customers.signals import accounts_changed
from kam.sales.models import (
    CurrencyRate,
    MonthlyRollup,
    Product,
    Transaction,
    reporting_currency,
)

from . import formats
from .entities import plan_columns
from .formats import ImportFileError
from .importers import IN_CHUNK, SUGGEST_LIMIT, TRANSACTION_ENTITY, Progress, chunks
from .mapping import ColumnMapping, closest
from .models import PublishStep
from .report import ImportReport

log = logging.getLogger("kam.dataio")

BATCH_SIZE = 50_000
READ_BLOCK = 8 << 20  # bytes of CSV parsed at a time
LINE = "_line"
PLAIN_NUMBER = r"^-?(\d+(\.\d*)?|\.\d+)$"


def _one_of(chars: tuple[str, ...]) -> str:
    """A regex character class of ``chars``, as hex escapes (Python and Polars alike)."""
    return "[" + "".join(f"\\x{ord(c):02x}" for c in chars) + "]"


# The rules of formats.parse_text as column expressions: our export's quote comes off (in front
# of any character tabular.neutralise quotes), an unquoted formula is refused.
QUOTED_FORMULA = "^'" + _one_of(FORMULA_START)
FORMULA = "^" + _one_of(formats.REJECTED_START)
AMOUNT = pl.Decimal(16, 2)
QUANTITY = pl.Decimal(14, 3)
RATE = pl.Decimal(18, 8)
COLUMNS = [
    "date",
    "unit_id",
    "product_id",
    "product_line_id",
    "quantity",
    "net_amount",
    "currency",
    "cost",
    "external_id",
    "original_amount",
    "original_currency",
]


# columns SQLite gets as text, as Django sends them (ISO dates, decimal text)
DECIMAL_TEXT = ("date", "quantity", "net_amount", "cost", "original_amount")


class Source:
    """Batches of a CSV or XLSX file as string DataFrames with the canonical column names."""

    def __init__(
        self, path: Path, mapping: ColumnMapping | dict[str, Any], encoding: str | None = None
    ):
        self.path = Path(path)
        self._tmp: str | None = None
        formats.check_size(self.path)  # before a byte of the file is read
        self.xlsx = formats.is_xlsx(self.path)
        # size, encoding, delimiter and header checks
        table = formats.open_table(self.path, encoding)
        self.mapping = ColumnMapping.from_raw(mapping)
        self.plan = plan_columns(TRANSACTION_ENTITY, table.header, self.mapping)
        self.columns = self.plan.columns
        self.encoding = table.encoding
        self.delimiter = table.delimiter
        self.csv_path = self.path
        if not self.xlsx and table.encoding and table.encoding not in ("utf-8", "utf-8-sig"):
            self.csv_path = Path(self._transcode(table.encoding))

    def _transcode(self, encoding: str) -> str:
        fd, name = tempfile.mkstemp(suffix=".csv", prefix="kam-import-")
        self._tmp = name
        with (
            open(self.path, encoding=encoding, newline="") as src,
            os.fdopen(fd, "w", encoding="utf-8", newline="") as dst,
        ):
            try:
                while block := src.read(1 << 20):
                    dst.write(block)
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    _("The file is not valid %s. Save it as CSV in UTF-8.") % encoding,
                    code="encoding",
                ) from exc
        return name

    def close(self) -> None:
        if self._tmp:
            os.unlink(self._tmp)
            self._tmp = None

    def batches(self) -> Iterator[pl.DataFrame]:
        """Batches of ``BATCH_SIZE`` rows, with the line number of every row in ``LINE``.

        The file is parsed a block of ``READ_BLOCK`` bytes at a time, so memory stays bounded
        by the block and one batch even when the caller is slower than the parser (Polars'
        ``collect_batches`` reads ahead without limit when its consumer is slow).
        """
        if self.xlsx:
            yield from (self._shape(frame) for frame in self._xlsx_batches())
            return
        line = 2
        pending: pl.DataFrame | None = None
        try:
            for frame in self._csv_frames():
                frame = self._shape(
                    frame.select(pl.nth(i).alias(name) for i, name in self.plan.pairs)
                )
                if pending is not None and pending.height:
                    frame = pl.concat([pending, frame])
                while frame.height >= BATCH_SIZE:
                    yield frame.head(BATCH_SIZE).with_row_index(LINE, offset=line)
                    line += BATCH_SIZE
                    frame = frame.slice(BATCH_SIZE)
                pending = frame
            if pending is not None and pending.height:
                yield pending.with_row_index(LINE, offset=line)
        except pl.exceptions.PolarsError as exc:
            message = str(exc).splitlines()[0]
            code = "encoding" if "utf" in message.lower() else "format"
            raise ImportFileError(_("Cannot read the CSV file: %s") % message, code=code) from exc

    def _shape(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The mapping's constants and value maps, applied to a batch of canonical columns."""
        if self.plan.constants:
            frame = frame.with_columns(
                pl.lit(value, dtype=pl.String).alias(name)
                for name, value in self.plan.constants.items()
            )
        for name, table in self.mapping.values.items():
            if name in frame.columns and table:
                key = pl.col(name).str.strip_chars().str.to_lowercase().str.replace_all("ё", "е")
                frame = frame.with_columns(
                    key.replace_strict(
                        list(table),
                        list(table.values()),
                        default=pl.col(name),
                        return_dtype=pl.String,
                    ).alias(name)
                )
        return frame

    def _csv_frames(self) -> Iterator[pl.DataFrame]:
        """String frames of whole records, a block of the file at a time.

        Every block is parsed with the file's header line in front, so that it is read exactly
        as the whole file would be (same columns, same handling of short and blank lines).
        """
        header: bytes | None = None
        for block in _record_blocks(self.csv_path):
            if header is None:  # the first block starts with the header
                header = block[: _record_end(block, first=True)]
                data = block
            else:
                data = header + block
            frame = pl.read_csv(
                data,
                separator=self.delimiter or ",",
                infer_schema=False,
                has_header=True,
                encoding="utf8",
            )
            if frame.height:
                yield frame

    def _xlsx_batches(self) -> Iterator[pl.DataFrame]:
        table = formats.open_table(self.path)
        names = [name for _i, name in self.plan.pairs]
        buffer: list[list] = []

        def frame() -> pl.DataFrame:
            return pl.DataFrame(buffer, schema=[LINE, *names], orient="row").with_columns(
                pl.col(LINE).cast(pl.UInt32)
            )

        for line, cells in table.rows:
            buffer.append(
                [
                    line,
                    *(
                        formats.cell_text(cells[i]) if i < len(cells) else None
                        for i, _name in self.plan.pairs
                    ),
                ]
            )
            if len(buffer) >= BATCH_SIZE:
                yield frame()
                buffer = []
        if buffer:
            yield frame()


def _record_end(data: bytes, first: bool = False) -> int:
    """Where the last (or ``first``) whole record of ``data`` ends: after a newline with an even
    number of quote characters before it (a newline inside a quoted value does not end a record;
    an escaped quote is two quotes). 0 when no record ends in ``data``.
    """
    if first:
        pos = data.find(b"\n")
        while pos >= 0 and data.count(b'"', 0, pos) % 2:
            pos = data.find(b"\n", pos + 1)
        return pos + 1
    quotes = data.count(b'"')
    end = len(data)
    while (pos := data.rfind(b"\n", 0, end)) >= 0:
        quotes -= data.count(b'"', pos, end)
        if quotes % 2 == 0:
            return pos + 1
        end = pos
    return 0


def _record_blocks(path: Path) -> Iterator[bytes]:
    """The bytes of a CSV file in blocks of about ``READ_BLOCK`` that end between records."""
    with open(path, "rb") as fh:
        rest = fh.read(READ_BLOCK).removeprefix(b"\xef\xbb\xbf")
        while chunk := fh.read(READ_BLOCK):
            data = rest + chunk
            cut = _record_end(data)
            if cut:
                yield data[:cut]
            rest = data[cut:]  # no record ends in data when cut is 0 (a long quoted value)
        if rest:
            yield rest


def _number_expr(name: str) -> pl.Expr:
    s = pl.col(name).str.replace_all(r"[\s\u00a0\u202f']", "")
    return (
        pl.when(s.str.contains(r"^[-+]?\d{1,3}(,\d{3})+\.\d+$"))
        .then(s.str.replace_all(",", ""))
        .when(s.str.contains(r"^[-+]?\d{1,3}(\.\d{3})+,\d+$"))
        .then(s.str.replace_all(r"\.", "").str.replace(",", "."))
        .otherwise(s.str.replace(",", "."))
        .str.replace(r"^\+", "")
    )


def _all(df: pl.DataFrame, expr: pl.Expr) -> bool:
    return bool(df.select(expr.all()).item())


def _any(df: pl.DataFrame, expr: pl.Expr) -> bool:
    return bool(df.select(expr.fill_null(False).any()).item())


class Validator:
    def __init__(
        self,
        report: ImportReport,
        columns: dict[str, str],
        options: formats.ParseOptions = formats.DEFAULT_OPTIONS,
    ):
        self.report = report
        self.columns = columns
        self.options = options
        self.units = pl.DataFrame(
            list(Unit.objects.exclude(external_id__isnull=True).values_list("external_id", "pk")),
            schema={"unit": pl.String, "unit_id": pl.Int64},
            orient="row",
        )
        self.products = pl.DataFrame(
            list(Product.objects.values_list("sku", "pk", "line_id")),
            schema={"product": pl.String, "product_id": pl.Int64, "product_line_id": pl.Int64},
            orient="row",
        )
        self.default_currency = reporting_currency()
        self.rates = pl.DataFrame(
            list(CurrencyRate.objects.values_list("currency", "valid_from", "valid_to", "rate")),
            schema={"_rcur": pl.String, "_from": pl.Date, "_to": pl.Date, "_trate": RATE},
            orient="row",
        ).sort("_from")

    def date_order(self, df: pl.DataFrame) -> str:
        """``dmy`` or ``mdy``; with the ``auto`` option decided by the first batch whose slashed
        dates show it (see ``formats.detect_date_order``), day first when none does."""
        if self.options.date_order != "auto":
            return self.options.date_order
        decided = self.__dict__.get("_date_order")
        if decided:
            return str(decided)
        slashed = df.filter(pl.col("date").str.contains("/"))["date"]
        if not len(slashed):
            return "dmy"
        found = formats.detect_date_order(slashed.unique().to_list())
        if found is None:
            self.report.warnings.append(
                _(
                    "Dates such as %(example)s were read day first (DD/MM/YYYY). If the file "
                    "writes the month first, import it again with the date order MM/DD/YYYY."
                )
                % {"example": slashed[0]}
            )
        self.__dict__["_date_order"] = found or "dmy"
        return found or "dmy"

    def suggested(self, name: str, reason: str, value: str) -> str:
        """An unknown unit or product's reason, with the closest known one (a few hundred)."""
        known = {"unit": self.units, "product": self.products}.get(name)
        if known is None or reason not in (_("unknown unit"), _("unknown product")):
            return reason
        asked: dict[tuple[str, str], str | None] = self.__dict__.setdefault("_asked", {})
        if (name, value) not in asked:
            if len(asked) >= SUGGEST_LIMIT:
                return reason
            asked[(name, value)] = closest(value, known[name].to_list())
        close = asked[(name, value)]
        return f"{reason}; " + _("did you mean %s?") % close if close else reason

    def check(self, df: pl.DataFrame, *, collect: bool = True) -> pl.DataFrame:
        """Typed clean rows of a batch; problems go to the report when ``collect``.

        Every check is a boolean column; they are computed together and only the ones that
        hit anything are read back for the report. Clean number and ISO date columns (the usual
        case) skip the normalisation of thousand separators, decimal commas and other formats.
        """
        df = df.with_columns(pl.col(pl.String).str.strip_chars())
        df = df.with_columns([pl.col(c).replace("", None) for c in df.columns if c != LINE])
        checks: list[tuple[pl.Expr, str, str]] = []
        for f in TRANSACTION_ENTITY.fields:
            if f.required and f.name in df.columns:
                checks.append((pl.col(f.name).is_null(), f.name, _("a value is required")))
        # text: our export's quote comes off; formulas are refused; lengths
        for name in ("external_id", "currency", "original_currency"):
            if name not in df.columns:
                continue
            col = pl.col(name)
            # both from the cell as written: a quoted formula is text, not refused
            df = df.with_columns(
                col.str.contains(FORMULA).alias(f"_{name}_formula"),
                pl.when(col.str.contains(QUOTED_FORMULA))
                .then(col.str.slice(1))
                .otherwise(col)
                .alias(name),
            )
            checks.append(
                (
                    pl.col(f"_{name}_formula"),
                    name,
                    _(
                        "looks like a spreadsheet formula; write it with a leading ' to import "
                        "it as text"
                    ),
                )
            )
            limit = TRANSACTION_ENTITY.field(name).max_length
            checks.append(
                (col.str.len_chars() > limit, name, _("longer than %s characters") % limit)
            )
        # a value over the CSV parser's limit (Polars has none): a row error, as on the row path
        limit = formats.max_field_chars()
        for name in df.columns:
            if name != LINE and df.schema[name] == pl.String:
                checks.append(
                    (pl.col(name).str.len_chars() > limit, name, formats.field_too_long())
                )
        raw_date = pl.col("date")
        df = df.with_columns(
            raw_date.str.strptime(pl.Date, "%Y-%m-%d", strict=False).alias("_date")
        )
        if not _all(df, raw_date.is_null() | pl.col("_date").is_not_null()):
            slashed = "%m/%d/%Y" if self.date_order(df) == "mdy" else "%d/%m/%Y"
            serial = raw_date.str.contains(r"^\d{1,5}(\.0+)?$")
            df = df.with_columns(
                pl.coalesce(
                    pl.col("_date"),
                    raw_date.str.strptime(pl.Date, "%d.%m.%Y", strict=False),
                    raw_date.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False),
                    raw_date.str.strptime(pl.Date, slashed, strict=False),
                    pl.when(serial)
                    .then(
                        pl.lit(formats.EXCEL_EPOCH)
                        + pl.duration(
                            days=raw_date.str.replace(r"\..*$", "").cast(pl.Int64, strict=False)
                        )
                    )
                    .otherwise(None),
                ).alias("_date")
            )
        checks.append(
            (
                raw_date.is_not_null() & pl.col("_date").is_null(),
                "date",
                _("not a date (use YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY)"),
            )
        )
        first, last = date_bounds()
        checks.append(
            (
                (pl.col("_date") < first) | (pl.col("_date") > last),
                "date",
                date_error(dt.date.max) or "",
            )
        )
        numbers = (
            ("net_amount", AMOUNT),
            ("quantity", QUANTITY),
            ("cost", AMOUNT),
            ("rate", RATE),
            ("original_amount", AMOUNT),
        )
        for name, _dtype in numbers:
            if name not in df.columns:
                df = df.with_columns(pl.lit(None, dtype=pl.String).alias(name))
        plain = df.select(
            (pl.col(name).is_null() | pl.col(name).str.contains(PLAIN_NUMBER)).all().alias(name)
            for name, _dtype in numbers
        ).row(0, named=True)
        for name, dtype in numbers:
            # a plain number is its own normalised text; anything else is normalised first
            text = pl.col(name) if plain[name] else _number_expr(name)
            df = df.with_columns(
                text.alias(f"_{name}_text"), text.cast(dtype, strict=False).alias(f"_{name}")
            )
            if plain[name]:
                not_number = pl.lit(False)
            else:
                not_number = pl.col(name).is_not_null() & ~pl.col(f"_{name}_text").str.contains(
                    PLAIN_NUMBER
                )
            too_big = pl.col(name).is_not_null() & ~not_number & pl.col(f"_{name}").is_null()
            if not self.options.round_amounts:
                # more decimals than the column keeps (not only zeros): refused, never rounded
                extra = pl.col(f"_{name}_text").str.contains(rf"\.\d{{{dtype.scale}}}\d*[1-9]\d*$")
                checks.append((extra & ~not_number, name, formats.decimals_error(dtype.scale)))
            checks.append((not_number, name, _("not a number")))
            checks.append((too_big, name, _("number too large")))
            # within the column's safe range (kam.core.validation), vectorised
            precision = dtype.precision or SAFE_DIGITS
            largest = amount_limit(precision, dtype.scale)
            out_of_range = pl.col(f"_{name}").cast(pl.Float64).abs() > float(largest)
            message = amount_error(largest + 1, precision, dtype.scale) or ""
            checks.append((out_of_range, name, message))
        df = df.join(self.units, on="unit", how="left", maintain_order="left")
        checks.append(
            (
                pl.col("unit").is_not_null() & pl.col("unit_id").is_null(),
                "unit",
                _("unknown unit"),
            )
        )
        df = df.join(self.products, on="product", how="left", maintain_order="left")
        checks.append(
            (
                pl.col("product").is_not_null() & pl.col("product_id").is_null(),
                "product",
                _("unknown product"),
            )
        )
        df = self.convert(df, checks)
        # a check on an empty optional value is null: it does not make the row bad
        flags = df.select(
            mask.fill_null(False).alias(f"_check{i}") for i, (mask, _n, _r) in enumerate(checks)
        )
        hits = flags.select(pl.all().any()).row(0)
        if collect:
            for i, ((_mask, name, reason), hit) in enumerate(zip(checks, hits, strict=True)):
                if not hit:
                    continue
                column = self.columns.get(name, name)
                bad = df.filter(flags[f"_check{i}"]).select(LINE, pl.col(name).fill_null(""))
                for line, value in bad.iter_rows():
                    self.report.add_error(line, column, value, self.suggested(name, reason, value))
        if any(hits):
            df = df.filter(~flags.select(pl.any_horizontal(pl.all())).to_series())
        return df.select(
            pl.col(LINE),
            pl.col("external_id"),
            pl.col("_date").alias("date"),
            pl.col("unit_id"),
            pl.col("product_id"),
            pl.col("product_line_id"),
            pl.col("_quantity").fill_null(Decimal(0)).cast(QUANTITY).alias("quantity"),
            pl.col("_net_amount").alias("net_amount"),
            pl.lit(self.default_currency, dtype=pl.String).alias("currency"),
            pl.col("_cost").alias("cost"),
            pl.col("_original_amount_out").alias("original_amount"),
            pl.col("_original_currency_out").alias("original_currency"),
        )

    def convert(self, df: pl.DataFrame, checks: list[tuple[pl.Expr, str, str]]) -> pl.DataFrame:
        """Amounts in another currency into the reporting one (decision 59).

        The rate is the line's own (a ``rate`` column) or the one of the rates table valid on
        its date (latest start first); a foreign line without either is a row error. The line
        keeps its amount and currency as written in ``original_amount`` / ``original_currency``;
        a line in the reporting currency keeps the ones its file names (an export re-imports).
        """
        for name in ("currency", "original_currency"):
            if name not in df.columns:
                df = df.with_columns(pl.lit(None, dtype=pl.String).alias(name))
        reporting = self.default_currency
        df = df.with_columns(
            pl.col("currency").fill_null(reporting).str.to_uppercase().alias("_currency")
        )
        foreign = pl.col("_currency") != reporting
        if self.rates.height and _any(df, foreign):
            df = (
                df.sort("_date", nulls_last=True)
                .join_asof(
                    self.rates,
                    left_on="_date",
                    right_on="_from",
                    by_left="_currency",
                    by_right="_rcur",
                    strategy="backward",
                    check_sortedness=False,
                )
                .sort(LINE)
            )
            valid = pl.col("_to").is_null() | (pl.col("_date") <= pl.col("_to"))
            table_rate = pl.when(valid).then(pl.col("_trate")).otherwise(None)
        else:
            table_rate = pl.lit(None, dtype=RATE)
        rate = pl.coalesce(pl.col("_rate"), table_rate)
        checks.append(
            (
                foreign & pl.col("_date").is_not_null() & rate.is_null(),
                "currency",
                _(
                    "no exchange rate for this currency on the line's date: import its rates "
                    "(currency-rates) or give the line a rate column"
                ),
            )
        )
        checks.append((foreign & (pl.col("_rate") <= 0), "rate", _("a rate must be more than 0")))

        def converted(name: str) -> pl.Expr:
            value = (pl.col(name).cast(RATE) * rate).round(2).cast(AMOUNT, strict=False)
            # without a rate the row is refused above; its amount stays as read meanwhile
            convert = foreign & rate.is_not_null()
            return pl.when(convert).then(value).otherwise(pl.col(name)).alias(name)

        return df.with_columns(
            pl.when(foreign)
            .then(pl.col("_net_amount"))
            .otherwise(pl.coalesce(pl.col("_original_amount"), pl.col("_net_amount")))
            .alias("_original_amount_out"),
            pl.when(foreign)
            .then(pl.col("_currency"))
            .otherwise(
                pl.coalesce(pl.col("original_currency").str.to_uppercase(), pl.lit(reporting))
            )
            .alias("_original_currency_out"),
            converted("_net_amount"),
            converted("_cost"),
        )


DELTA_TABLE = "kam_rollup_delta"
DELTA_COLUMNS = [
    "unit_id",
    "product_line_id",
    "month",
    "net_amount",
    "quantity",
    "cost",
    "costed_amount",
    "lines",
]


def _deltas_of(df: pl.DataFrame, sign: int) -> pl.DataFrame:
    """The roll-up deltas of the rows of ``df`` (one row per unit × product line × month)."""
    net = pl.col("net_amount")
    return (
        df.with_columns(pl.col("date").dt.truncate("1mo").alias("month"))
        .group_by("unit_id", "product_line_id", "month")
        .agg(
            net.sum().alias("net_amount"),
            pl.col("quantity").sum().alias("quantity"),
            pl.col("cost").sum().alias("cost"),
            net.filter(pl.col("cost").is_not_null()).sum().alias("costed_amount"),
            pl.len().cast(pl.Int64).alias("lines"),
        )
        .with_columns((pl.col(c) if sign > 0 else -pl.col(c)) for c in DELTA_COLUMNS[3:])
        .select(DELTA_COLUMNS)
    )


def rollups_add(deltas: pl.DataFrame) -> None:
    """Add roll-up deltas in set-based statements; drop roll-ups left with no lines.

    The vectorised twin of :func:`kam.sales.services.rollups_apply` for big batches: the deltas
    go into a temporary table (``COPY`` on PostgreSQL, ``executemany`` on SQLite) and one
    ``INSERT … SELECT … ON CONFLICT`` adds them, with the account found by path.
    """
    values = DELTA_COLUMNS[3:]
    deltas = (
        deltas.group_by(DELTA_COLUMNS[:3])
        .agg(pl.col(c).sum() for c in values)
        .filter(pl.any_horizontal(pl.col(c) != 0 for c in values))
    )
    if not deltas.height:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy"):
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {DELTA_TABLE} (unit_id bigint, "
                "product_line_id bigint, month date, net_amount numeric, quantity numeric, "
                "cost numeric, costed_amount numeric, lines integer) ON COMMIT DROP"
            )
            cursor.execute(f"TRUNCATE {DELTA_TABLE}")
            data = deltas.write_csv(include_header=False, null_value="")
            with cursor.cursor.copy(f"COPY {DELTA_TABLE} FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(data)
        else:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {DELTA_TABLE} (unit_id integer, "
                "product_line_id integer, month date, net_amount numeric, quantity numeric, "
                "cost numeric, costed_amount numeric, lines integer)"
            )
            cursor.execute(f"DELETE FROM {DELTA_TABLE}")
            cursor.executemany(
                f"INSERT INTO {DELTA_TABLE} VALUES ({', '.join(['%s'] * len(DELTA_COLUMNS))})",
                deltas.select(
                    "unit_id",
                    "product_line_id",
                    pl.col("month").cast(pl.String),
                    *(pl.col(c).cast(pl.String) for c in values[:-1]),
                    "lines",
                ).rows(),
            )
        _apply_delta_table(cursor, drop_empty=cast(int, deltas["lines"].min()) < 0)


def _apply_delta_table(cursor: Any, *, drop_empty: bool) -> None:
    """Add the deltas of ``DELTA_TABLE`` to the roll-ups in one upsert; tell who changed.

    ``drop_empty``: some deltas remove lines, so roll-ups left with none are deleted.
    """
    values = DELTA_COLUMNS[3:]
    rollup, unit = MonthlyRollup._meta.db_table, Unit._meta.db_table
    updates = ",\n".join(f"{c} = {rollup}.{c} + excluded.{c}" for c in values)
    # WHERE true: SQLite needs it to tell the join's ON from the upsert's ON CONFLICT;
    # ORDER BY: concurrent imports lock the roll-up rows in the same order (no deadlock)
    cursor.execute(
        f"""
        INSERT INTO {rollup} (root_id, {", ".join(DELTA_COLUMNS)})
        SELECT a.id, {", ".join(f"d.{c}" for c in DELTA_COLUMNS)}
        FROM {DELTA_TABLE} d
        JOIN {unit} u ON u.id = d.unit_id
        JOIN {unit} a ON a.path = {account_path_sql("u.path")}
        WHERE true
        ORDER BY d.unit_id, d.product_line_id, d.month
        ON CONFLICT (unit_id, product_line_id, month) DO UPDATE SET {updates}
        """
    )
    if drop_empty:
        cursor.execute(
            f"DELETE FROM {rollup} WHERE lines <= 0 "
            f"AND unit_id IN (SELECT unit_id FROM {DELTA_TABLE})"
        )
    cursor.execute(
        f"SELECT DISTINCT {account_path_sql('u.path')} FROM {DELTA_TABLE} d "
        f"JOIN {unit} u ON u.id = d.unit_id"
    )
    account_paths = [row[0] for row in cursor.fetchall()]
    accounts_changed.send(sender=MonthlyRollup, paths=account_paths)


def write_new_rows(df: pl.DataFrame) -> None:
    """Insert new transactions: ``COPY`` on PostgreSQL, ``executemany`` on SQLite."""
    if not df.height:
        return
    meta = Transaction._meta
    columns = ", ".join(cast("Field[Any, Any]", meta.get_field(c)).column for c in COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy"):
            data = df.select(COLUMNS).write_csv(include_header=False, null_value="")
            with cursor.cursor.copy(
                f"COPY {meta.db_table} ({columns}) FROM STDIN WITH (FORMAT csv)"
            ) as copy:
                copy.write(data)
            return
        if connection.vendor == "sqlite":
            # what Django would send, without a model instance per row: ISO dates, decimal text
            rows = df.select(
                pl.col(c).cast(pl.String) if c in DECIMAL_TEXT else c for c in COLUMNS
            ).rows()
            cursor.executemany(
                f"INSERT INTO {meta.db_table} ({columns}) "
                f"VALUES ({', '.join(['%s'] * len(COLUMNS))})",
                rows,
            )
            return
    Transaction.objects.bulk_create(
        [Transaction(**row) for row in df.select(COLUMNS).iter_rows(named=True)],
        batch_size=1000,
    )


class Writer:
    def __init__(self, report: ImportReport):
        self.report = report

    def existing(self, ids: list[str]) -> pl.DataFrame:
        fields = [
            "external_id",
            "pk",
            "date",
            "unit_id",
            "product_id",
            "product_line_id",
            "quantity",
            "net_amount",
            "currency",
            "cost",
            "original_amount",
            "original_currency",
        ]
        # one query a batch: the ids go as one array / JSON parameter, not one parameter each
        if connection.vendor == "postgresql":
            wanted = [RawSQL("SELECT unnest(%s::varchar[])", (ids,))]
        elif connection.vendor == "sqlite":
            wanted = [RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),))]
        else:
            wanted = list(chunks(ids, IN_CHUNK))
        rows = []
        for part in wanted:
            rows += list(Transaction.objects.filter(external_id__in=part).values_list(*fields))
        return pl.DataFrame(
            rows,
            schema={
                "external_id": pl.String,
                "id": pl.Int64,
                "date_old": pl.Date,
                "unit_id_old": pl.Int64,
                "product_id_old": pl.Int64,
                "product_line_id_old": pl.Int64,
                "quantity_old": QUANTITY,
                "net_amount_old": AMOUNT,
                "currency_old": pl.String,
                "cost_old": AMOUNT,
                "original_amount_old": AMOUNT,
                "original_currency_old": pl.String,
            },
            orient="row",
        )

    def classify(self, df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The new rows and the changed rows (with their ``id`` and old values) of a batch.

        Counts created, updated and unchanged rows in the report.
        """
        old = self.existing(df["external_id"].to_list())
        joined = df.join(old, on="external_id", how="left", maintain_order="left")
        new = joined.filter(pl.col("id").is_null())
        matched = joined.filter(pl.col("id").is_not_null())
        differs = pl.lit(False)
        for name in [c for c in COLUMNS if c != "external_id"]:  # the id matched them
            differs = differs | pl.col(name).ne_missing(pl.col(f"{name}_old"))
        changed = matched.filter(differs)
        self.report.created += new.height
        self.report.updated += changed.height
        self.report.unchanged += matched.height - changed.height
        return new, changed

    def write(self, df: pl.DataFrame) -> None:
        new, changed = self.classify(df)
        write_new_rows(new)
        deltas = [_deltas_of(new, +1)]
        if changed.height:
            olds = changed.select(
                pl.col("date_old").alias("date"),
                pl.col("unit_id_old").alias("unit_id"),
                pl.col("product_line_id_old").alias("product_line_id"),
                pl.col("quantity_old").alias("quantity"),
                pl.col("net_amount_old").alias("net_amount"),
                pl.col("cost_old").alias("cost"),
            )
            deltas += [_deltas_of(olds, -1), _deltas_of(changed, +1)]
            objs = [
                Transaction(pk=row.pop("id"), **row)
                for row in changed.select("id", *COLUMNS).iter_rows(named=True)
            ]
            Transaction.objects.bulk_update(
                objs, [c for c in COLUMNS if c != "external_id"], batch_size=1000
            )
        rollups_add(pl.concat(deltas))


STAGE_PREFIX = "import-"
STAGE_SCHEMA = "kam_stage"
PUBLISH_CACHE_KIB = -256 * 1024  # page cache while publishing (negative: KiB), 256 MB
PUBLISH_CHUNK = 25_000  # rows a publish step writes in one transaction (a fraction of a second)
PUBLISH_PAUSE = 0.1  # seconds between two steps: a waiting writer's busy handler looks again
_PUBLISHING: set[str] = set()  # the publishes running in this process (their tokens)


def staging_usable() -> bool:
    """Whether this import stages its rows: on SQLite, when not inside a caller's transaction
    (a staging file can only be attached outside one; the caller's lock is held anyway).
    """
    return connection.vendor == "sqlite" and not connection.in_atomic_block


def staging_dir() -> Path:
    """Where staging files go: next to the SQLite database (same disk, same owner)."""
    connection.ensure_connection()
    name = str(connection.settings_dict["NAME"])
    if getattr(connection, "is_in_memory_db", lambda: True)():
        return Path(tempfile.gettempdir()) / "kam-import-staging"
    return Path(name).resolve().parent / "import-staging"


def staging_leftovers_remove(directory: Path) -> list[Path]:
    """Remove the staging files of imports whose process is gone (killed mid-import)."""
    removed = []
    for path in directory.glob(f"{STAGE_PREFIX}*"):
        try:
            pid = int(path.name.removeprefix(STAGE_PREFIX).split("-", 1)[0])
        except ValueError:
            continue
        if _alive(pid):  # this process (another thread's import) or another live one
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Stage:
    """The validated rows of an import, kept in a private SQLite file until published.

    Staging takes no lock on the database, so other writers go on while a big file is read,
    checked and compared with the stored rows. :meth:`publish` then moves the rows in steps of
    ``PUBLISH_CHUNK`` rows, each a short transaction that also adds its roll-up deltas and
    records what it did (:class:`~kam.dataio.models.PublishStep`); other writers get the
    database between two steps. The file stays all-or-nothing: the last step deletes the
    records, which is the import's commit; a failure before it undoes the steps already made,
    and the steps of a process killed half-way are undone by the next import or a worker's
    tick (:func:`publish_recover`). The staging file is removed on exit or, after a kill, by
    the next import.
    """

    def __init__(self) -> None:
        directory = staging_dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        staging_leftovers_remove(directory)
        publish_recover()
        fd, name = tempfile.mkstemp(
            prefix=f"{STAGE_PREFIX}{os.getpid()}-", suffix=".sqlite3", dir=directory
        )
        os.close(fd)
        self.path = Path(name)
        self.db: sqlite3.Connection | None = sqlite3.connect(name, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        columns = ", ".join(COLUMNS)
        self.db.execute(f"CREATE TABLE new ({columns})")
        self.db.execute(f"CREATE TABLE changed (id INTEGER PRIMARY KEY, {columns})")
        self.db.execute("BEGIN")
        self.new = 0
        self.changed = 0

    def __enter__(self) -> Stage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        self.path.unlink(missing_ok=True)

    def add(self, new: pl.DataFrame, changed: pl.DataFrame) -> None:
        """Stage a batch: its new rows and its changed rows (with their ids).

        The roll-up deltas are summed at publish, from the rows as they are then.
        """
        assert self.db is not None
        marks = ", ".join(["?"] * len(COLUMNS))
        if new.height:
            self.db.executemany(f"INSERT INTO new VALUES ({marks})", _db_rows(new, COLUMNS))
            self.new += new.height
        if changed.height:
            self.db.executemany(
                f"INSERT INTO changed VALUES (?, {marks})", _db_rows(changed, ["id", *COLUMNS])
            )
            self.changed += changed.height
        self.db.execute("COMMIT")  # a batch at a time to disk: memory stays one batch
        self.db.execute("BEGIN")

    def publish(self) -> None:
        """Write the staged rows and their roll-ups, a step of ``PUBLISH_CHUNK`` rows at a time.

        Raises :class:`ImportFileError` ("conflict") when a staged row was deleted meanwhile or
        a new external id was written meanwhile; the steps made are then undone.
        """
        assert self.db is not None
        # new rows in the order of the (unit, date) index and of the roll-ups, so each step
        # touches its own units' roll-ups; sorted here, outside the database's lock
        self.db.execute("CREATE TABLE ordered AS SELECT * FROM new ORDER BY unit_id, date")
        self.db.execute("COMMIT")
        self.db.close()
        self.db = None
        token = f"{current_worker_id()}:{uuid.uuid4().hex[:12]}"
        _PUBLISHING.add(token)
        started = time.monotonic()
        held = longest = 0.0
        steps = 0
        with connection.cursor() as cursor:
            cursor.execute(f"ATTACH DATABASE %s AS {STAGE_SCHEMA}", [str(self.path)])
            # the indexes of a big table are updated in memory, not paged through a small cache
            cursor.execute("PRAGMA main.cache_size")
            cache_size = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA main.cache_size = {PUBLISH_CACHE_KIB}")
        try:
            plan = [
                *((self._update_step, b) for b in self._id_ranges()),
                *((self._insert_step, b) for b in _ranges(self.new, PUBLISH_CHUNK)),
            ]
            for step, bounds in plan:
                if steps:
                    _pause()
                begun = time.monotonic()
                with transaction.atomic(), connection.cursor() as cursor:
                    step(cursor, token, *bounds)
                    if steps == len(plan) - 1:  # the last step commits the whole file
                        PublishStep.objects.filter(token=token).delete()
                longest = max(longest, time.monotonic() - begun)
                held += time.monotonic() - begun
                steps += 1
        except BaseException as exc:
            try:
                publish_undo(token)
            except Exception:  # e.g. the lock: left to the next import or worker tick
                log.exception("Undoing a failed publish stopped; it is taken up again later")
            if isinstance(exc, IntegrityError):
                raise ImportFileError(_CONFLICT(), code="conflict") from exc
            raise
        finally:
            _PUBLISHING.discard(token)
            with connection.cursor() as cursor:
                cursor.execute(f"DETACH DATABASE {STAGE_SCHEMA}")
                cursor.execute(f"PRAGMA main.cache_size = {int(cache_size)}")
        log.info(
            "Import published in %.1f s: %d step(s) held the database's write lock %.1f s in "
            "all, the longest %.2f s",
            time.monotonic() - started,
            steps,
            held,
            longest,
        )

    def _id_ranges(self) -> list[tuple[int, int]]:
        """The changed rows' ids in ranges of at most ``PUBLISH_CHUNK`` rows."""
        if not self.changed:
            return []
        with sqlite3.connect(self.path) as db:
            starts = [
                row[0]
                for row in db.execute(
                    "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n "
                    f"FROM changed) WHERE (n - 1) % {PUBLISH_CHUNK} = 0 ORDER BY id"
                )
            ]
            (last,) = db.execute("SELECT MAX(id) FROM changed").fetchone()
        ends = [s - 1 for s in starts[1:]] + [last]
        return list(zip(starts, ends, strict=True))

    def _update_step(self, cursor: Any, token: str, low: int, high: int) -> None:
        """Change one range of staged rows: keep their old values, then the roll-ups follow."""
        table = Transaction._meta.db_table
        staged = f"{STAGE_SCHEMA}.changed c WHERE c.id BETWEEN {int(low)} AND {int(high)}"
        cursor.execute(
            f"SELECT COUNT(*) FROM {staged} "
            f"AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = c.id)"
        )
        if cursor.fetchone()[0]:
            raise ImportFileError(_CONFLICT(), code="conflict")
        rows = f"SELECT t.* FROM {table} t JOIN {staged} AND t.id = c.id"
        record = PublishStep.objects.create(token=token)
        cursor.execute(
            f"UPDATE {PublishStep._meta.db_table} SET old_rows = "
            f"(SELECT json_group_array(json_array({', '.join(_UNDO_COLUMNS)})) FROM ({rows})) "
            "WHERE id = %s",
            [record.pk],
        )
        _deltas_start(cursor)
        _deltas_collect(cursor, rows, -1)
        names = _columns()
        cursor.execute(
            f"UPDATE {table} SET "
            + ", ".join(f"{n} = c.{c}" for n, c in zip(names, COLUMNS, strict=True))
            + f" FROM {STAGE_SCHEMA}.changed c WHERE {table}.id = c.id "
            f"AND c.id BETWEEN {int(low)} AND {int(high)}"
        )
        _deltas_collect(cursor, rows, +1)
        _deltas_apply(cursor, drop_empty=True)

    def _insert_step(self, cursor: Any, token: str, low: int, high: int) -> None:
        """Insert one range of the ordered new rows, note their ids, add their roll-ups."""
        table = Transaction._meta.db_table
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(_columns())}) "
            f"SELECT {', '.join(COLUMNS)} FROM {STAGE_SCHEMA}.ordered "
            f"WHERE rowid BETWEEN {int(low)} AND {int(high)} ORDER BY rowid"
        )
        # one statement under the write lock: its ids are consecutive (AUTOINCREMENT)
        cursor.execute("SELECT last_insert_rowid(), changes()")
        last, count = cursor.fetchone()
        first = last - count + 1
        PublishStep.objects.create(token=token, first_id=first, last_id=last)
        _deltas_start(cursor)
        _deltas_collect(cursor, f"SELECT * FROM {table} WHERE id BETWEEN {first} AND {last}", +1)
        _deltas_apply(cursor, drop_empty=False)


def _pause() -> None:
    """Between two publish steps: long enough for a waiting writer's busy handler to look again
    (SQLite's sleeps between its looks grow to 100 ms), so the import does not starve it.
    """
    time.sleep(PUBLISH_PAUSE)


def _ranges(count: int, size: int) -> list[tuple[int, int]]:
    """``1 … count`` in consecutive ranges of at most ``size``."""
    return [(low, min(low + size - 1, count)) for low in range(1, count + 1, size)]


def _columns() -> list[str]:
    meta = Transaction._meta
    return [cast("Field[Any, Any]", meta.get_field(c)).column for c in COLUMNS]


# the columns a publish step keeps of a row it changes (``id`` first), to undo it
_UNDO_COLUMNS = ["id", *COLUMNS]
RAW_DELTA_TABLE = "kam_rollup_delta_raw"


def _deltas_start(cursor: Any) -> None:
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {RAW_DELTA_TABLE} (unit_id integer, "
        "product_line_id integer, month date, net_amount numeric, quantity numeric, "
        "cost numeric, costed_amount numeric, lines integer)"
    )
    cursor.execute(f"DELETE FROM {RAW_DELTA_TABLE}")


def _deltas_collect(cursor: Any, rows: str, sign: int, params: list[Any] | None = None) -> None:
    """Add the roll-up deltas of the transaction rows ``rows`` (a SELECT), times ``sign``."""
    s = "-" if sign < 0 else ""
    cursor.execute(  # with a parameter list, so "%%" is read as "%"
        f"INSERT INTO {RAW_DELTA_TABLE} "
        f"SELECT r.unit_id, r.product_line_id, strftime('%%Y-%%m-01', r.date), "
        f"{s}SUM(r.net_amount), {s}SUM(r.quantity), {s}COALESCE(SUM(r.cost), 0), "
        f"{s}COALESCE(SUM(CASE WHEN r.cost IS NOT NULL THEN r.net_amount END), 0), "
        f"{s}COUNT(*) FROM ({rows}) r GROUP BY 1, 2, 3",
        params or [],
    )


def _deltas_apply(cursor: Any, *, drop_empty: bool) -> None:
    """Sum the collected deltas per unit, product line and month, and add them to the roll-ups."""
    values = DELTA_COLUMNS[3:]
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {DELTA_TABLE} (unit_id integer, "
        "product_line_id integer, month date, net_amount numeric, quantity numeric, "
        "cost numeric, costed_amount numeric, lines integer)"
    )
    cursor.execute(f"DELETE FROM {DELTA_TABLE}")
    cursor.execute(
        f"""
        INSERT INTO {DELTA_TABLE}
        SELECT unit_id, product_line_id, month, {", ".join(f"SUM({c})" for c in values)}
        FROM {RAW_DELTA_TABLE}
        GROUP BY unit_id, product_line_id, month
        HAVING {" OR ".join(f"SUM({c}) != 0" for c in values)}
        """
    )
    _apply_delta_table(cursor, drop_empty=drop_empty)


def publish_undo(token: str) -> int:
    """Undo the committed steps of the publish ``token``, the latest first; returns how many.

    Each step is undone in its own transaction with its record, so an undo stopped half-way is
    taken up again from where it stopped: inserted rows are deleted by their id range, changed
    rows get their old values back, and the roll-ups follow from the rows as they are then.
    """
    table = Transaction._meta.db_table
    names = _columns()
    undone = 0
    while True:
        with transaction.atomic():
            step = PublishStep.objects.filter(token=token).order_by("-pk").first()
            if step is None:
                return undone
            with connection.cursor() as cursor:
                _deltas_start(cursor)
                if step.first_id is not None:
                    rows = f"SELECT * FROM {table} WHERE id BETWEEN %s AND %s"
                    params = [step.first_id, step.last_id]
                    _deltas_collect(cursor, rows, -1, params)
                    cursor.execute(f"DELETE FROM {table} WHERE id BETWEEN %s AND %s", params)
                else:
                    old = (
                        "SELECT json_extract(j.value, '$[0]') AS id, "
                        + ", ".join(
                            f"json_extract(j.value, '$[{i + 1}]') AS {c}"
                            for i, c in enumerate(COLUMNS)
                        )
                        + f" FROM {PublishStep._meta.db_table} s, json_each(s.old_rows) j "
                        f"WHERE s.id = {int(step.pk)}"
                    )
                    rows = f"SELECT t.* FROM {table} t WHERE t.id IN (SELECT id FROM ({old}))"
                    _deltas_collect(cursor, rows, -1)
                    cursor.execute(
                        f"UPDATE {table} SET "
                        + ", ".join(f"{n} = o.{c}" for n, c in zip(names, COLUMNS, strict=True))
                        + f" FROM ({old}) o WHERE {table}.id = o.id"
                    )
                    _deltas_collect(cursor, rows, +1)
                _deltas_apply(cursor, drop_empty=True)
            step.delete()
            undone += 1


def publish_recover() -> int:
    """Undo the publishes of processes that died half-way (SQLite); returns the steps undone.

    A publish's token starts with its process's worker id: steps of another live process on
    this machine are its own business (it undoes them itself if it fails), and so are the
    publishes running in this process; a publish of this process that stopped without undoing
    its steps (the undo met the lock) is taken up. Called before each staged import and by every
    worker's tick; one query when there is nothing to do.
    """
    if connection.vendor != "sqlite":
        return 0
    tokens = set(PublishStep.objects.values_list("token", flat=True).distinct())
    undone = 0
    for token in sorted(tokens - _PUBLISHING):
        worker = token.partition(":")[0]
        if worker != current_worker_id() and worker_alive_here(worker):
            continue
        count = publish_undo(token)
        if count:
            log.warning("Undid %s step(s) of an import stopped while publishing", count)
        undone += count
    return undone


def _CONFLICT() -> str:  # noqa: N802
    return _(
        "Other changes were made to the same transactions, units or products while the file "
        "was being imported, so nothing was written. Import the file again."
    )


def _db_rows(df: pl.DataFrame, columns: list[str]) -> list[tuple]:
    """Rows as SQLite takes them: ISO dates and decimal text, as Django would send them."""
    return df.select(pl.col(c).cast(pl.String) if c in DECIMAL_TEXT else c for c in columns).rows()


def import_transactions(
    *,
    path: Path,
    mapping: ColumnMapping | dict[str, Any],
    report: ImportReport,
    dry_run: bool,
    skip_bad_rows: bool,
    progress: Progress | None,
    encoding: str | None = None,
    options: formats.ParseOptions = formats.DEFAULT_OPTIONS,
) -> ImportReport:
    source = Source(path, mapping, encoding)
    report.encoding = source.encoding
    report.warnings += source.plan.warnings
    report.unused_columns = source.plan.unused
    try:
        validator = Validator(report, source.columns, options)
        # pass 1: validate, remember the hash of every external id for duplicates
        seen: list[pl.Series] = []
        for df in source.batches():
            report.rows += df.height
            validator.check(df)
            seen.append(_id_hashes(df)["h"])
            if progress:
                progress(report.rows, None)
        if not report.rows:
            raise ImportFileError(_("The file has a header but no data rows."), code="empty")
        _check_duplicates(source, seen, report)
        if report.errors and not skip_bad_rows:
            return report
        report.skipped = report.bad_rows
        writer = Writer(report)

        def clean_batches() -> Iterator[pl.DataFrame]:
            done = 0
            for df in source.batches():
                clean = validator.check(df, collect=False)
                if report.errors:
                    clean = clean.filter(~pl.col(LINE).is_in(sorted(report._bad_lines)))
                yield clean
                done += df.height
                if progress:
                    progress(done, report.rows)

        if staging_usable():
            # SQLite: the heavy pass writes a private staging file with no lock on the
            # database; one short transaction then publishes it (other writers wait seconds)
            with Stage() as stage:
                for clean in clean_batches():
                    stage.add(*writer.classify(clean))
                if not dry_run:
                    stage.publish()
        else:
            try:
                with transaction.atomic():
                    for clean in clean_batches():
                        writer.write(clean)
                    if dry_run:
                        raise _DryRun
            except _DryRun:
                pass
        report.written = not dry_run
        return report
    finally:
        source.close()


class _DryRun(Exception):
    pass


def _id_hashes(df: pl.DataFrame) -> pl.DataFrame:
    """Line, value and 64-bit hash of the non-empty external ids of a batch."""
    ext = pl.col("external_id").str.strip_chars()
    return df.filter(ext.is_not_null() & (ext != "")).select(
        LINE, "external_id", ext.hash().alias("h")
    )


def _check_duplicates(source: Source, seen: list[pl.Series], report: ImportReport) -> None:
    """Report every repeat of an external id, naming the line of its first occurrence.

    ``seen`` holds the hash of every id (8 bytes a row; emptied here): sorted, equal neighbours
    are the repeated hashes; a second read of the file finds their lines and values.
    """
    hashes = pl.concat(seen) if seen else pl.Series("h", [], dtype=pl.UInt64)
    seen.clear()
    hashes = hashes.sort()
    repeated = hashes.filter(hashes == hashes.shift(1)).unique()
    del hashes
    if not len(repeated):
        return
    first: dict[int, int] = {}
    column = source.columns.get("external_id", "external_id")
    for df in source.batches():
        hit = _id_hashes(df).filter(pl.col("h").is_in(repeated.implode()))
        for line, value, h in hit.iter_rows():
            if h in first:
                report.add_error(
                    line, column, value, _("duplicate of line %s in this file") % first[h]
                )
            else:
                first[h] = line
    report.errors.sort(key=lambda e: e.line)
