"""The fast path for big transaction files: Polars batches, vectorised checks, bulk writes.

Two passes over the file, each holding one batch in memory:

1. validate: types, required values, unknown unit/product external ids (joins against id maps
   loaded once), duplicate external ids (a 64-bit hash and the line per row: 16 bytes a row);
2. write (only when the file is clean, or bad rows are to be skipped), in one database
   transaction: new rows by ``COPY`` on PostgreSQL or ``bulk_create`` elsewhere, changed rows by
   ``bulk_update``; the monthly roll-ups get the difference (old line out, new line in) per batch
   through :func:`kam.sales.services.rollups_apply` — they are never rescanned.

Line numbers count physical lines; a quoted value spanning lines shifts the numbers after it.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from kam.customers.models import Unit
from kam.sales.models import Product, Transaction
from kam.sales.services import RollupDelta, rollups_apply

from . import formats
from .formats import ImportFileError
from .importers import IN_CHUNK, TRANSACTION_ENTITY, Progress, chunks
from .report import ImportReport

BATCH_SIZE = 5000
LINE = "_line"
AMOUNT = pl.Decimal(16, 2)
QUANTITY = pl.Decimal(14, 3)
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
]


class Source:
    """Batches of a CSV or XLSX file as string DataFrames with the canonical column names."""

    def __init__(self, path: Path, mapping: dict[str, str]):
        from .services import resolve_columns

        self.path = Path(path)
        self._tmp: str | None = None
        formats.check_size(self.path)  # before a byte of the file is read
        self.xlsx = formats.is_xlsx(self.path)
        table = formats.open_table(self.path)  # size, encoding, delimiter and header checks
        self.columns, self.by_index = resolve_columns(TRANSACTION_ENTITY, table.header, mapping)
        self.delimiter = table.delimiter
        self.csv_path = self.path
        if not self.xlsx and table.encoding not in ("utf-8", "utf-8-sig"):
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
        if self.xlsx:
            yield from self._xlsx_batches()
            return
        select = [pl.nth(i + 1).alias(name) for i, name in self.by_index.items()]
        lf = pl.scan_csv(
            self.csv_path,
            separator=self.delimiter or ",",
            infer_schema=False,
            has_header=True,
            encoding="utf8",
        ).with_row_index(LINE, offset=2)
        lf = lf.select(pl.col(LINE), *select)
        try:
            for df in lf.collect_batches(chunk_size=BATCH_SIZE):
                if df.height:
                    yield df
        except pl.exceptions.PolarsError as exc:
            message = str(exc).splitlines()[0]
            code = "encoding" if "utf" in message.lower() else "format"
            raise ImportFileError(_("Cannot read the CSV file: %s") % message, code=code) from exc

    def _xlsx_batches(self) -> Iterator[pl.DataFrame]:
        table = formats.open_table(self.path)
        names = list(self.by_index.values())
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
                        for i in self.by_index
                    ),
                ]
            )
            if len(buffer) >= BATCH_SIZE:
                yield frame()
                buffer = []
        if buffer:
            yield frame()


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


class Validator:
    def __init__(self, report: ImportReport, columns: dict[str, str]):
        self.report = report
        self.columns = columns
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
        self.default_currency = getattr(settings, "KAM_CURRENCY", "EUR")

    def _errors(
        self, df: pl.DataFrame, mask: pl.Expr, name: str, reason: str, collect: bool
    ) -> pl.Expr:
        if collect:
            bad = df.filter(mask).select(LINE, pl.col(name).fill_null(""))
            column = self.columns.get(name, name)
            for line, value in bad.iter_rows():
                self.report.add_error(line, column, value, reason)
        return mask

    def check(self, df: pl.DataFrame, *, collect: bool = True) -> pl.DataFrame:
        """Typed clean rows of a batch; problems go to the report when ``collect``."""
        df = df.with_columns(pl.col(pl.String).str.strip_chars())
        df = df.with_columns([pl.col(c).replace("", None) for c in df.columns if c != LINE])
        bad = pl.lit(False)
        for f in TRANSACTION_ENTITY.fields:
            if f.required and f.name in df.columns:
                bad = bad | self._errors(
                    df, pl.col(f.name).is_null(), f.name, _("a value is required"), collect
                )
        # text: our export's quote comes off; formulas are refused; lengths
        for name in ("external_id", "currency"):
            if name not in df.columns:
                continue
            col = pl.col(name)
            df = df.with_columns(
                pl.when(col.str.contains(r"^'[=+\-@]"))
                .then(col.str.slice(1))
                .otherwise(col)
                .alias(name)
            )
            bad = bad | self._errors(
                df,
                col.str.contains(r"^[=@]"),
                name,
                _(
                    "looks like a spreadsheet formula; write it with a leading ' to import it "
                    "as text"
                ),
                collect,
            )
            limit = TRANSACTION_ENTITY.field(name).max_length
            bad = bad | self._errors(
                df,
                col.str.len_chars() > limit,
                name,
                _("longer than %s characters") % limit,
                collect,
            )
        raw_date = pl.col("date")
        parsed = pl.coalesce(
            raw_date.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
            raw_date.str.strptime(pl.Date, "%d.%m.%Y", strict=False),
            raw_date.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        )
        df = df.with_columns(parsed.alias("_date"))
        bad = bad | self._errors(
            df,
            raw_date.is_not_null() & pl.col("_date").is_null(),
            "date",
            _("not a date (use YYYY-MM-DD or DD.MM.YYYY)"),
            collect,
        )
        for name, dtype in (("net_amount", AMOUNT), ("quantity", QUANTITY), ("cost", AMOUNT)):
            if name not in df.columns:
                df = df.with_columns(pl.lit(None, dtype=pl.String).alias(name))
            number = _number_expr(name)
            df = df.with_columns(
                number.alias(f"_{name}_text"),
                number.cast(dtype, strict=False).alias(f"_{name}"),
            )
            text = pl.col(f"_{name}_text")
            not_number = pl.col(name).is_not_null() & ~text.str.contains(r"^-?(\d+(\.\d*)?|\.\d+)$")
            too_big = pl.col(name).is_not_null() & ~not_number & pl.col(f"_{name}").is_null()
            bad = bad | self._errors(df, not_number, name, _("not a number"), collect)
            bad = bad | self._errors(df, too_big, name, _("number too large"), collect)
        df = df.join(self.units, on="unit", how="left", maintain_order="left")
        bad = bad | self._errors(
            df,
            pl.col("unit").is_not_null() & pl.col("unit_id").is_null(),
            "unit",
            _("unknown unit"),
            collect,
        )
        df = df.join(self.products, on="product", how="left", maintain_order="left")
        bad = bad | self._errors(
            df,
            pl.col("product").is_not_null() & pl.col("product_id").is_null(),
            "product",
            _("unknown product"),
            collect,
        )
        if "currency" not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias("currency"))
        return df.filter(~bad).select(
            pl.col(LINE),
            pl.col("external_id"),
            pl.col("_date").alias("date"),
            pl.col("unit_id"),
            pl.col("product_id"),
            pl.col("product_line_id"),
            pl.col("_quantity").fill_null(Decimal(0)).cast(QUANTITY).alias("quantity"),
            pl.col("_net_amount").alias("net_amount"),
            pl.col("currency").fill_null(self.default_currency).str.to_uppercase(),
            pl.col("_cost").alias("cost"),
        )


def _deltas_of(df: pl.DataFrame, sign: int, deltas: dict) -> None:
    """Add the roll-up deltas of the rows of ``df`` (vectorised group-by)."""
    if not df.height:
        return
    grouped = (
        df.with_columns(pl.col("date").dt.truncate("1mo").alias("month"))
        .group_by("unit_id", "product_line_id", "month")
        .agg(
            pl.col("net_amount").sum().alias("net"),
            pl.col("quantity").sum().alias("qty"),
            pl.col("cost").sum().alias("cost_sum"),
            pl.col("net_amount").filter(pl.col("cost").is_not_null()).sum().alias("costed"),
            pl.len().alias("lines"),
        )
    )
    for unit_id, line_id, month, net, qty, cost, costed, lines in grouped.iter_rows():
        d = deltas[(unit_id, line_id, month)]
        d.net_amount += sign * (net or 0)
        d.quantity += sign * (qty or 0)
        d.cost += sign * (cost or 0)
        d.costed_amount += sign * (costed or 0)
        d.lines += sign * lines


def write_new_rows(df: pl.DataFrame) -> None:
    """Insert new transactions: COPY on PostgreSQL, bulk_create elsewhere."""
    if not df.height:
        return
    meta = Transaction._meta
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if hasattr(raw, "copy"):
                columns = ", ".join(meta.get_field(c).column for c in COLUMNS)
                data = df.select(COLUMNS).write_csv(include_header=False, null_value="")
                with raw.copy(
                    f"COPY {meta.db_table} ({columns}) FROM STDIN WITH (FORMAT csv)"
                ) as copy:
                    copy.write(data)
                return
    Transaction.objects.bulk_create(
        [Transaction(**row) for row in df.select(COLUMNS).iter_rows(named=True)],
        batch_size=1000,
    )


class Writer:
    def __init__(self, report: ImportReport):
        self.report = report

    def existing(self, ids: list[str]) -> pl.DataFrame:
        rows = []
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
        ]
        size = IN_CHUNK if connection.vendor == "sqlite" else BATCH_SIZE
        for part in chunks(ids, size):
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
            },
            orient="row",
        )

    def write(self, df: pl.DataFrame) -> None:
        old = self.existing(df["external_id"].to_list())
        joined = df.join(old, on="external_id", how="left", maintain_order="left")
        new = joined.filter(pl.col("id").is_null())
        matched = joined.filter(pl.col("id").is_not_null())
        differs = pl.lit(False)
        for name in ("date", "unit_id", "product_id", "quantity", "net_amount", "currency", "cost"):
            differs = differs | pl.col(name).ne_missing(pl.col(f"{name}_old"))
        changed = matched.filter(differs)
        self.report.created += new.height
        self.report.updated += changed.height
        self.report.unchanged += matched.height - changed.height
        deltas: dict = defaultdict(RollupDelta)
        write_new_rows(new)
        _deltas_of(new, +1, deltas)
        if changed.height:
            olds = changed.select(
                pl.col("date_old").alias("date"),
                pl.col("unit_id_old").alias("unit_id"),
                pl.col("product_line_id_old").alias("product_line_id"),
                pl.col("quantity_old").alias("quantity"),
                pl.col("net_amount_old").alias("net_amount"),
                pl.col("cost_old").alias("cost"),
            )
            _deltas_of(olds, -1, deltas)
            _deltas_of(changed, +1, deltas)
            objs = [
                Transaction(pk=row.pop("id"), **row)
                for row in changed.select("id", *COLUMNS).iter_rows(named=True)
            ]
            Transaction.objects.bulk_update(
                objs, [c for c in COLUMNS if c != "external_id"], batch_size=1000
            )
        rollups_apply(deltas)


def import_transactions(
    *,
    path: Path,
    mapping: dict[str, str],
    report: ImportReport,
    dry_run: bool,
    skip_bad_rows: bool,
    progress: Progress | None,
) -> ImportReport:
    from django.db import transaction

    source = Source(path, mapping)
    try:
        validator = Validator(report, source.columns)
        # pass 1: validate, remember (hash, line) of every external id for duplicates
        seen: list[pl.DataFrame] = []
        for df in source.batches():
            report.rows += df.height
            validator.check(df)
            ext = pl.col("external_id").str.strip_chars()
            seen.append(
                df.filter(ext.is_not_null() & (ext != "")).select(ext.hash().alias("h"), LINE)
            )
            if progress:
                progress(report.rows, None)
        if not report.rows:
            raise ImportFileError(_("The file has a header but no data rows."), code="empty")
        _check_duplicates(source, seen, report)
        if report.errors and not skip_bad_rows:
            return report
        report.skipped = report.bad_rows
        done = 0
        writer = Writer(report)
        try:
            with transaction.atomic():
                for df in source.batches():
                    clean = validator.check(df, collect=False)
                    if report.errors:
                        clean = clean.filter(~pl.col(LINE).is_in(sorted(report._bad_lines)))
                    writer.write(clean)
                    done += df.height
                    if progress:
                        progress(done, report.rows)
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


def _check_duplicates(source: Source, seen: list[pl.DataFrame], report: ImportReport) -> None:
    frame = pl.concat(seen) if seen else pl.DataFrame()
    if not frame.height:
        return
    dups = frame.filter(pl.col("h").is_duplicated()).sort(LINE)
    if not dups.height:
        return
    first: dict[int, int] = {}
    second: dict[int, int] = {}
    for h, line in dups.iter_rows():
        if h in first:
            second[line] = first[h]
        else:
            first[h] = line
    column = source.columns.get("external_id", "external_id")
    for df in source.batches():
        hit = df.filter(pl.col(LINE).is_in(list(second)))
        for line, value in hit.select(LINE, "external_id").iter_rows():
            report.add_error(
                line, column, value, _("duplicate of line %s in this file") % second[line]
            )
    report.errors.sort(key=lambda e: e.line)
