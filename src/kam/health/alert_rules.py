"""The health app's alert rule (DOMAIN §6): an account's health fell a grade.

The current grade (kept by the health refresh) is compared with the grade of the previous
month's history row; a fall of one grade or more is an alert. Health is a key-account figure
(Table 6.1), so this is an intensity rule: transactional accounts are not asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from kam.alerts.rules import AlertRule, Finding, register_rule
from kam.core.periods import add_months

from .models import GRADE_RANK, AccountHealth, Grade, HealthMonth


def health_fell(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    ids = sorted(set(account_ids))
    if not ids:
        return []
    month_before = add_months(as_of.replace(day=1), -1)
    now = dict(AccountHealth.objects.filter(account_id__in=ids).values_list("account_id", "grade"))
    before = dict(
        HealthMonth.objects.filter(account_id__in=ids, month=month_before).values_list(
            "account_id", "grade"
        )
    )
    out = []
    for acc, grade in sorted(now.items()):
        was = before.get(acc)
        if was is None or GRADE_RANK[grade] >= GRADE_RANK[was]:
            continue
        out.append(
            Finding(
                account_id=acc,
                reason=gettext_noop("Health fell from %(was)s to %(now)s since %(month)s"),
                params={"was": was, "now": grade, "month": month_before.strftime("%Y-%m")},
                evidence={"grade": grade, "grade_before": was, "month_before": month_before},
                link=reverse("health:account", args=[acc]),
                subject=f"{was}>{grade}",
            )
        )
    return out


def register_alert_rules() -> None:
    register_rule(
        AlertRule(
            kind="health.grade_fell",
            label=_("Health fell a grade"),
            intensity=True,
            evaluate=health_fell,
            param_labels={"was": dict(Grade.choices), "now": dict(Grade.choices)},
        )
    )
