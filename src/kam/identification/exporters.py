"""CSV and XLSX export of a list of account scores (what the scores page shows, unpaginated).

Rows stream from the database in chunks, so memory stays flat for large portfolios. Text cells a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) get a leading ``'``, so they are shown as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kam.customers.models import Tier

from .models import AccountScore, Criterion, Recommendation, Scope

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """Prefix a quote to text that looks like a formula; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def header() -> list[str]:
    return [
        _("Rank"),
        _("Account"),
        _("External id"),
        _("Country"),
        _("Industry"),
        _("Tier"),
        _("Score"),
        _("Purchasing potential"),
        _("Buying complexity"),
        _("Relational orientation"),
        _("Recommendation"),
        _("Scope"),
        _("Data completeness %"),
        _("Revenue, last 12 months"),
        _("Wallet"),
        _("Wallet basis"),
        _("Share of wallet %"),
        _("Headroom"),
        _("Data gaps"),
    ]


def _number(value) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def score_rows(scores: QuerySet[AccountScore]) -> Iterator[list[Any]]:
    """The header, then one list of values per score (text already neutralised)."""
    recommendations = dict(Recommendation.choices)
    scopes = dict(Scope.choices)
    tiers = dict(Tier.choices)
    bases = {"manual": _("manual estimate"), "peer": _("peer estimate"), "": ""}
    yield header()
    qs = scores.select_related("account", "run")
    criterion_names: dict[int, dict[str, str]] = {}  # per scoring model: key → name
    for s in qs.iterator(chunk_size=CHUNK):
        account = s.account
        model_id = s.run.model_id
        if model_id not in criterion_names:
            criterion_names[model_id] = dict(
                Criterion.objects.filter(model_id=model_id).values_list("key", "name")
            )
        names = [criterion_names[model_id].get(key, key) for key in s.gaps or []]
        row = [
            s.rank,
            account.name,
            account.external_id or "",
            account.country,
            account.industry,
            str(tiers.get(account.tier, account.tier)),
            round(s.total, 2),
            round(s.potential, 2),
            round(s.complexity, 2),
            round(s.relational, 2),
            str(recommendations.get(s.recommendation, s.recommendation)),
            str(scopes.get(s.scope, s.scope)),
            round(s.completeness, 2),
            _number(s.revenue_12m),
            _number(s.wallet),
            str(bases.get(s.wallet_basis, s.wallet_basis)),
            None if s.share_of_wallet is None else round(100 * s.share_of_wallet, 2),
            _number(s.headroom),
            ", ".join(str(n) for n in names),
        ]
        yield [neutralise(v) for v in row]


class _Echo:
    """A file-like object whose ``write`` returns what it is given (for streaming CSV)."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[list[Any]]) -> Iterator[str]:
    """CSV text, one line at a time, with a BOM first so spreadsheets read it as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(["" if v is None else v for v in row])


def xlsx_bytes(rows: Iterable[list[Any]], *, sheet: str = "Scores") -> bytes:
    """An XLSX workbook of the rows; text is always written as text (never as a formula)."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    worksheet = workbook.add_worksheet(sheet[:31])
    bold = workbook.add_format({"bold": True})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                worksheet.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                worksheet.write_number(r, c, value)
            else:
                worksheet.write_string(r, c, str(value), bold if r == 0 else None)
    worksheet.freeze_panes(1, 0)
    workbook.close()
    return out.getvalue()
