"""The programme's alert rule (DOMAIN §11): the company depends on one account.

An account above the alert threshold of company revenue (default 20 %, ProgrammeSettings) is
an alert on that account; the warn level (10 %) stays a figure of the programme's risk page.
Dependence is a risk of both modes, so this is not an intensity rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from kam.alerts.rules import AlertRule, Finding, register_rule

from .models import ProgrammeSettings
from .selectors import dependence


def depends_on_one_account(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    wanted = set(account_ids)
    threshold = ProgrammeSettings.current().dependence_alert
    return [
        Finding(
            account_id=s.account_id,
            reason=gettext_noop(
                "The account brings %(share)s %% of company revenue (alert above %(threshold)s %%)"
            ),
            params={"share": f"{s.share:.1f}", "threshold": f"{threshold}"},
            evidence={"share_pct": s.share, "revenue_12m": s.revenue, "threshold_pct": threshold},
            link=reverse("programme:risk", args=["dependence"]),
        )
        for s in dependence(as_of)
        if s.level == "alert" and s.account_id in wanted
    ]


def register_alert_rules() -> None:
    register_rule(
        AlertRule(
            kind="programme.dependence",
            label=_("The company depends on this account"),
            intensity=False,
            evaluate=depends_on_one_account,
        )
    )
