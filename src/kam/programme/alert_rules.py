"""The programme's alert rules (DOMAIN §11): the risks of KAM that raise alerts (decision 104).

- dependence: an account above the alert threshold of company revenue (default 20 %,
  ProgrammeSettings) is an alert on that account, owned by its KAM; the warn level (10 %) stays a
  figure of the programme's risk page;
- concentration: the top-5 share or the Herfindahl index above its stored alert threshold is one
  alert on the largest account, owned by an executive (a risk of the whole programme);
- margin erosion: a key account whose margin fell faster than the non-key average in two quarters
  running is an alert on it, owned by its KAM;
- capacity: a KAM with more key accounts than their capacity is one alert, owned by that KAM, on
  the first of their key accounts by name;
- service creep: a key account whose cost to serve grew faster than its revenue over the year,
  and buyer power: a key account with more discount from list prices and no more revenue, are
  alerts on that account, owned by its KAM (from entered costs and list prices, decision 107).

These are risks of both modes (margin erosion and capacity judge key accounts by definition),
so none is an intensity rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from kam.alerts.rules import AlertRule, Finding, register_rule
from kam.identification.selectors import capacity_warnings

from .models import ProgrammeSettings
from .selectors import (
    buyer_power,
    concentration,
    concentration_level,
    dependence,
    key_accounts,
    margin_erosion,
    risk_alert_owner,
    service_creep,
)


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


def revenue_concentrated(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """One finding for the whole company, on its largest account, when the concentration is above
    a stored alert threshold."""
    config = ProgrammeSettings.current()
    shares = dependence(as_of)
    if not shares or shares[0].account_id not in set(account_ids):
        return []
    conc = concentration(shares)
    if concentration_level(conc, config) != "alert":
        return []
    top5 = [s.account_id for s in shares[:5]]
    return [
        Finding(
            account_id=top5[0],
            reason=gettext_noop(
                "Revenue is concentrated: the top 5 accounts bring %(top5)s %% of it (alert above "
                "%(top5_limit)s %%), Herfindahl index %(hhi)s (alert above %(hhi_limit)s)"
            ),
            params={
                "top5": f"{conc['top5']:.1f}",
                "top5_limit": f"{config.concentration_top5_alert}",
                "hhi": conc["hhi"],
                "hhi_limit": config.concentration_hhi_alert,
            },
            evidence={
                "top5_pct": conc["top5"],
                "hhi": conc["hhi"],
                "top5_accounts": top5,
                "accounts": conc["accounts"],
                "top5_alert_pct": config.concentration_top5_alert,
                "hhi_alert": config.concentration_hhi_alert,
            },
            link=reverse("programme:risk", args=["concentration"]),
            owner_id=risk_alert_owner(config),
        )
    ]


def margin_eroding(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """Key accounts of ``account_ids`` whose margin erodes against the non-key average (the risk
    is judged over all key accounts: the split key/non-key needs them all)."""
    wanted = set(account_ids)
    risk = margin_erosion(as_of=as_of, key_ids=list(key_accounts().values_list("pk", flat=True)))
    trend = risk.figures.get("non_key_trend", [])
    return [
        Finding(
            account_id=pk,
            reason=gettext_noop(
                "The account's gross margin fell against the non-key accounts' in two quarters "
                "running"
            ),
            evidence={
                "non_key_trend_points": trend,
                "account_trend_points": risk.figures.get("trends", {}).get(pk, []),
            },
            link=reverse("programme:risk", args=["margin_erosion"]),
        )
        for pk in risk.accounts
        if pk in wanted
    ]


def service_creeping(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """Key accounts of ``account_ids`` whose cost to serve outgrew their revenue."""
    wanted = [pk for pk in key_accounts().values_list("pk", flat=True) if pk in set(account_ids)]
    risk = service_creep(as_of=as_of, key_ids=wanted)
    cost, revenue = (
        risk.figures.get("cost_growth_pct", {}),
        risk.figures.get("revenue_growth_pct", {}),
    )
    return [
        Finding(
            account_id=pk,
            reason=gettext_noop(
                "The cost to serve the account grew %(cost)s %% over the year, its revenue "
                "%(revenue)s %%"
            ),
            params={"cost": f"{cost[pk]:+.1f}", "revenue": f"{revenue[pk]:+.1f}"},
            evidence={"cost_growth_pct": cost[pk], "revenue_growth_pct": revenue[pk]},
            link=reverse("programme:risk", args=["service_creep"]),
        )
        for pk in risk.accounts
    ]


def buyer_pressing(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """Key accounts of ``account_ids`` that get more discount from list prices without buying
    more."""
    wanted = [pk for pk in key_accounts().values_list("pk", flat=True) if pk in set(account_ids)]
    risk = buyer_power(as_of=as_of, key_ids=wanted)
    f = risk.figures
    return [
        Finding(
            account_id=pk,
            reason=gettext_noop(
                "The account's discount from list prices rose from %(before)s %% to %(now)s %% "
                "while its revenue changed %(revenue)s %%"
            ),
            params={
                "before": f"{f['discount_before_pct'][pk]:.1f}",
                "now": f"{f['discount_now_pct'][pk]:.1f}",
                "revenue": f"{f['revenue_growth_pct'][pk]:+.1f}",
            },
            evidence={
                "discount_before_pct": f["discount_before_pct"][pk],
                "discount_now_pct": f["discount_now_pct"][pk],
                "revenue_growth_pct": f["revenue_growth_pct"][pk],
            },
            link=reverse("programme:risk", args=["buyer_power"]),
        )
        for pk in risk.accounts
    ]


def kam_over_capacity(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """One finding per KAM above their capacity, on the first of their key accounts by name."""
    over = capacity_warnings()["over_capacity"]
    if not over:
        return []
    by_manager: dict[int, list[tuple[int, str]]] = {}
    rows = (
        key_accounts()
        .filter(account_manager_id__in=[o["user"].pk for o in over])
        .order_by("name", "pk")
        .values_list("account_manager_id", "pk", "name")
    )
    for manager, pk, name in rows:
        by_manager.setdefault(manager, []).append((pk, name))
    wanted = set(account_ids)
    found = []
    for o in over:
        accounts = by_manager.get(o["user"].pk, [])
        if not accounts or accounts[0][0] not in wanted:
            continue
        found.append(
            Finding(
                account_id=accounts[0][0],
                reason=gettext_noop(
                    "%(user)s manages %(n)s key accounts; their capacity is %(capacity)s"
                ),
                params={
                    "user": str(o["user"]),
                    "n": o["key_accounts"],
                    "capacity": o["capacity"],
                },
                evidence={
                    "key_accounts": [pk for pk, _name in accounts],
                    "capacity": o["capacity"],
                },
                link=reverse("programme:risk", args=["capacity"]),
                subject=f"kam-{o['user'].pk}",
                owner_id=o["user"].pk,
            )
        )
    return found


def register_alert_rules() -> None:
    register_rule(
        AlertRule(
            kind="programme.dependence",
            label=_("The company depends on this account"),
            intensity=False,
            evaluate=depends_on_one_account,
            whole_company=True,
        )
    )
    register_rule(
        AlertRule(
            kind="programme.concentration",
            label=_("Revenue is concentrated in a few accounts"),
            intensity=False,
            evaluate=revenue_concentrated,
            whole_company=True,
        )
    )
    register_rule(
        AlertRule(
            kind="programme.margin_erosion",
            label=_("The account's margin is eroding"),
            intensity=False,
            evaluate=margin_eroding,
        )
    )
    register_rule(
        AlertRule(
            kind="programme.kam_capacity",
            label=_("Too many key accounts for the KAM"),
            intensity=False,
            evaluate=kam_over_capacity,
        )
    )
    register_rule(
        AlertRule(
            kind="programme.service_creep",
            label=_("Serving the account costs more, faster than it grows"),
            intensity=False,
            evaluate=service_creeping,
        )
    )
    register_rule(
        AlertRule(
            kind="programme.buyer_power",
            label=_("The account gets more discount without buying more"),
            intensity=False,
            evaluate=buyer_pressing,
        )
    )
