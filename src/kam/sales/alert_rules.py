"""The sales app's alert rule (DOMAIN §6): revenue fell against the prior 12 months.

Revenue is a sales KPI of both modes (DOMAIN §12), so this is not an intensity rule: it is
asked about every account, transactional ones included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from kam.alerts.rules import AlertRule, Finding, register_rule
from kam.alerts.selectors import alert_settings

from .metrics import HUNDRED, full_months_window, rollup_sums


def revenue_fell(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """Revenue of the last 12 full months at least ``revenue_drop_pct`` below the 12 before
    (one query over the monthly roll-ups)."""
    threshold = Decimal(alert_settings().revenue_drop_pct)
    start, end = full_months_window(as_of)
    out = []
    for acc, s in rollup_sums(account_ids, as_of).items():
        prior, last = s["prior"], s["revenue"]
        if prior <= 0:
            continue
        change = (last - prior) / prior * HUNDRED
        if change > -threshold:
            continue
        out.append(
            Finding(
                account_id=acc,
                reason=gettext_noop(
                    "Revenue fell %(drop)s %% against the prior 12 months (%(last)s against "
                    "%(prior)s)"
                ),
                params={
                    "drop": f"{-change:.0f}",
                    "last": f"{last:,.0f}",
                    "prior": f"{prior:,.0f}",
                },
                evidence={
                    "revenue_12m": last,
                    "revenue_prior_12m": prior,
                    "change_pct": round(change, 1),
                    "window": [start, end],
                    "threshold_pct": threshold,
                },
                link=reverse("web:account_transactions", args=[acc]),
            )
        )
    return out


def register_alert_rules() -> None:
    register_rule(
        AlertRule(
            kind="sales.revenue_drop",
            label=_("Revenue fell against the prior 12 months"),
            intensity=False,
            evaluate=revenue_fell,
        )
    )
