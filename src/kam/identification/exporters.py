"""CSV and XLSX export of a list of account scores (what the scores page shows, unpaginated).

Rows stream from the database in chunks, so memory stays flat for large portfolios. Text cells a
spreadsheet would run as a formula get a leading ``'``, so they are shown as text; the files are
written by ``kam.core.tabular``, as every export is.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kam.core.tabular import neutralise
from kam.customers.models import Tier

from .models import AccountScore, Criterion, Recommendation, Scope

CHUNK = 2000


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
    bases = {
        "manual": _("manual estimate"),
        "peer": _("peer estimate"),
        "own": _("own trajectory"),
        "forecast": _("expected revenue"),
        "": "",
    }
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
