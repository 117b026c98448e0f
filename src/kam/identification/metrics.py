"""Account metrics that need identification's data, registered in the metric registry.

Share of wallet reads the same wallet as scoring and the portfolio matrix: the account's manual
wallet estimate (``AccountAssessment.wallet_estimate``) when there is one, else the peer
estimate of the latest scoring run; revenue is ``sales.revenue_12m`` on the same day. The key
keeps the name ``sales.share_of_wallet`` that plans and My accounts use (decision 40): the
figure is a sales figure whose denominator lives here, and sales sits below identification.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from kam.core.metrics import Metric, MetricUnit, MetricValue, memoized, register
from kam.sales.metrics import revenue_12m_values

from .models import AccountAssessment, AccountScore
from .selectors import QUADRANTS, portfolio_matrix, scoring_run_latest

# The quadrants in the order of a level metric: the lowest first.
QUADRANT_ORDER = ("streamline", "status", "star", "strategic")


def wallets(account_ids: Sequence[int]) -> dict[int, Decimal]:
    """The wallet of each account that has one: manual estimate, else latest run's (≤ 3 queries;
    remembered while a page reads: the account page's stage rules and wallet panel both ask)."""
    return _wallets(account_ids, None)


@memoized
def _wallets(account_ids: Sequence[int], _as_of: dt.date | None) -> dict[int, Decimal]:
    out: dict[int, Decimal | None] = {}
    run = scoring_run_latest()
    if run is not None:
        out.update(
            AccountScore.objects.filter(
                run=run, account_id__in=account_ids, wallet__isnull=False
            ).values_list("account_id", "wallet")
        )
    out.update(
        AccountAssessment.objects.filter(
            account_id__in=account_ids, wallet_estimate__isnull=False
        ).values_list("account_id", "wallet_estimate")
    )
    return {pk: w for pk, w in out.items() if w is not None}


def share_of_wallet_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    """Revenue of the last 12 full months ÷ wallet, in per cent (at most 100)."""
    wallet = {pk: w for pk, w in wallets(account_ids).items() if w > 0}
    if not wallet:
        return {}
    revenue = revenue_12m_values(list(wallet), as_of)
    return {pk: wallet_share(revenue.get(pk), w) for pk, w in wallet.items()}


def wallet_share(revenue: MetricValue, wallet: Decimal) -> Decimal:
    """Revenue ÷ a positive wallet in per cent, at most 100 (the metric's figure)."""
    r = Decimal(str(revenue or 0))
    return min(r / wallet * 100, Decimal(100)).quantize(Decimal("0.01"))


def quadrant_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    """The portfolio quadrant of each scored account by the latest run (the matrix's rule).

    ``as_of`` is not used: the matrix is that of the latest scoring run.
    """
    return {p["account_id"]: p["quadrant"] for p in portfolio_matrix(account_ids=account_ids)}


def register_metrics() -> None:
    register(
        Metric(
            key="identification.quadrant",
            label=_("Portfolio quadrant"),
            unit=MetricUnit.LEVEL,
            compute=quadrant_values,
            levels=tuple((q, QUADRANTS[q][0]) for q in QUADRANT_ORDER),
            description=_("The account's quadrant in the portfolio matrix of the latest run."),
        )
    )
    register(
        Metric(
            key="sales.share_of_wallet",
            label=_("Share of wallet"),
            unit=MetricUnit.PERCENT,
            compute=share_of_wallet_values,
            description=_(
                "Revenue of the last 12 full months as a share of the customer's wallet "
                "(manual estimate, else the peer estimate of the latest scoring run)."
            ),
        )
    )
