"""The figures of the two modes of Table 6.1 (PRODUCT §10, DOMAIN §12): the lean sales view of
an account and the side-by-side comparison of the key and the transactional groups. The web pages
(:mod:`kam.web.modes`) and the API (:mod:`kam.health.api`) both read them from here.

Figures come from the monthly roll-ups (one query per group figure) and from the metric registry
(share of wallet, supplier position, stage, health when an app registers ``health.score``), so
this module reads no app's internals and shows "—" for a figure nobody computes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.metrics import MetricValue, registry
from kam.core.periods import add_months
from kam.core.permissions import visible
from kam.customers.models import Tier, Unit, account_path_of
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.sales.metrics import full_months_window
from kam.sales.models import (
    CostToServe,
    MonthlyRollup,
    Opportunity,
    OpportunityStage,
    Transaction,
)
from kam.sales.selectors import kept_sums_by_tier
from kam.sales.services import account_revenue_current

KEY, TRANSACTIONAL = "key", "transactional"
RECENT_DAYS = 92
HEALTH = "health.score"
WALLET = "sales.share_of_wallet"
POSITION = "sales.supplier_position"
STAGE = "relationships.stage"
HUNDRED = Decimal(100)
LIST_LIMIT = 20
_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)

DEFINITIONS: list[tuple[Any, Any]] = [
    (_("Accounts"), _("Top-level customers; key = tier key, national or global (KAM mode).")),
    (_("Revenue share"), _("The group's revenue of the last 12 full months / all revenue.")),
    (_("Growth"), _("Last 12 full months against the 12 before, the group's sums.")),
    (_("Margin"), _("(Revenue − cost) / revenue over the 12 months, lines with a known cost.")),
    (
        _("Cost to serve"),
        _(
            "Cost to serve (logistics, service, special terms) in per cent of revenue, over the "
            "group's accounts that have costs to serve entered for the 12 months."
        ),
    ),
    (_("Health"), _("Mean health score (0–100) of the group's accounts, where computed.")),
    (
        _("Win rate"),
        _("Won / (won + lost) opportunities with an expected close in the 12 months."),
    ),
]


def _pct(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole) * HUNDRED).quantize(Decimal("0.1"))


def _metric_mean(key: str, ids: list[int], as_of: dt.date) -> Decimal | None:
    if key not in registry or not ids:
        return None
    values = [v for v in registry.get(key).values(ids, as_of).values() if v is not None]
    nums = [Decimal(str(v)) for v in values if isinstance(v, int | float | Decimal)]
    if not nums:
        return None
    return (sum(nums, Decimal(0)) / len(nums)).quantize(Decimal("0.1"))


def _cost_to_serve_pct(
    user: User, accounts: Any, start: dt.date, end: dt.date, *, kept: bool
) -> dict[str, Decimal]:
    """Per group, cost to serve as a % of revenue over its accounts with cost rows in the window
    (two queries whatever the number of accounts; a group without cost rows is absent). With
    ``kept``, their revenue is read from the sums kept per account (decision 114)."""
    tier_of = Unit.objects.filter(path=OuterRef("acc")).values("tier")[:1]
    costs = (
        # the rows of the accounts ``user`` sees: all of them, unless visibility is restricted
        visible(user, CostToServe.objects.filter(month__gte=start, month__lt=end))
        .annotate(acc=account_path_of("unit__path"))
        .annotate(tier=Subquery(tier_of))
        .order_by()
        .values("tier")
        .annotate(total=Sum("amount"))
    )
    cost: dict[str, Decimal] = {}
    for r in costs:
        mode = _mode(r["tier"] or Tier.TRANSACTIONAL)
        cost[mode] = cost.get(mode, Decimal(0)) + (r["total"] or Decimal(0))
    if not cost:
        return {}
    # the accounts with costs in the window, as one set the database builds once (a semi-join)
    costed_units = CostToServe.objects.filter(month__gte=start, month__lt=end).values("unit_id")
    costed_paths = (
        Unit.objects.filter(pk__in=costed_units).annotate(acc=account_path_of("path")).values("acc")
    )
    costed_accounts = accounts.filter(path__in=costed_paths)
    rows = (
        kept_sums_by_tier(accounts=costed_accounts)
        if kept
        else MonthlyRollup.objects.filter(
            account__in=costed_accounts.values("pk"), month__gte=start, month__lt=end
        )
        .order_by()
        .values("account__tier")
        .annotate(revenue=Sum("net_amount"))
    )
    revenue: dict[str, Decimal] = {}
    for r in rows:
        mode = _mode(r["account__tier"])
        revenue[mode] = revenue.get(mode, Decimal(0)) + (r["revenue"] or Decimal(0))
    return {mode: pct for mode in cost if (pct := _pct(cost[mode], revenue.get(mode))) is not None}


def _mode(tier: str) -> str:
    return TRANSACTIONAL if tier == Tier.TRANSACTIONAL else KEY


def _sums_by_tier(
    accounts: Any, prior: dt.date, start: dt.date, end: dt.date, *, kept: bool
) -> Any:
    """Revenue, prior revenue, cost and costed revenue of the accounts by tier: from the sums
    kept per account (``kept``: every one is current for today's window), else from the
    roll-ups (decision 114: 4.9 s of roll-ups at 100k units)."""
    if kept:
        return kept_sums_by_tier(accounts=accounts)
    last = Q(month__gte=start, month__lt=end)
    return (
        MonthlyRollup.objects.filter(
            account__in=accounts.values("pk"), month__gte=prior, month__lt=end
        )
        .order_by()
        .values("account__tier")
        .annotate(
            revenue=Coalesce(Sum("net_amount", filter=last), Decimal(0), output_field=_MONEY),
            prior=Coalesce(
                Sum("net_amount", filter=Q(month__lt=start)), Decimal(0), output_field=_MONEY
            ),
            cost=Coalesce(Sum("cost", filter=last), Decimal(0), output_field=_MONEY),
            costed=Coalesce(Sum("costed_amount", filter=last), Decimal(0), output_field=_MONEY),
        )
    )


def modes_comparison(*, user: User, as_of: dt.date) -> dict[str, Any]:
    """The KPIs of the key and the transactional group side by side (six queries plus the
    registry's own for health)."""
    start, end = full_months_window(as_of)
    prior = add_months(start, -12)
    accounts = visible(user, Unit.objects.accounts())
    groups: dict[str, dict[str, Any]] = {
        g: {"accounts": 0, "ids": [], "revenue": Decimal(0), "prior": Decimal(0)}
        for g in (KEY, TRANSACTIONAL)
    }
    for pk, tier in accounts.values_list("pk", "tier"):
        groups[_mode(tier)]["accounts"] += 1
        groups[_mode(tier)]["ids"].append(pk)
    kept = as_of == timezone.localdate() and account_revenue_current(today=as_of)
    for r in _sums_by_tier(accounts, prior, start, end, kept=kept):
        g = groups[_mode(r["account__tier"])]
        for k in ("revenue", "prior", "cost", "costed"):
            g[k] = g.get(k, Decimal(0)) + r[k]
    tier_of = Unit.objects.filter(path=OuterRef("acc")).values("tier")[:1]
    wins = (
        visible(
            user,
            Opportunity.objects.filter(
                stage__in=[OpportunityStage.WON, OpportunityStage.LOST],
                expected_close__gte=start,
                expected_close__lt=end,
            ),
        )
        .annotate(acc=account_path_of("unit__path"))
        .annotate(tier=Subquery(tier_of))
        .order_by()
        .values("tier")
        .annotate(
            won=Count("pk", filter=Q(stage=OpportunityStage.WON)),
            lost=Count("pk", filter=Q(stage=OpportunityStage.LOST)),
        )
    )
    for r in wins:
        g = groups[_mode(r["tier"] or Tier.TRANSACTIONAL)]
        g["won"] = g.get("won", 0) + r["won"]
        g["lost"] = g.get("lost", 0) + r["lost"]
    total = sum((g["revenue"] for g in groups.values()), Decimal(0))
    cost_pct = _cost_to_serve_pct(user, accounts, start, end, kept=kept)
    out = {}
    for name, g in groups.items():
        costed = g.get("costed", Decimal(0))
        decided = g.get("won", 0) + g.get("lost", 0)
        out[name] = {
            "accounts": g["accounts"],
            "revenue": g["revenue"],
            "revenue_share": _pct(g["revenue"], total),
            "growth": _pct(g["revenue"] - g["prior"], g["prior"]) if g["prior"] else None,
            "margin": _pct(costed - g.get("cost", Decimal(0)), costed) if costed else None,
            "cost_to_serve": cost_pct.get(name),
            "health": _metric_mean(HEALTH, g["ids"], as_of) if name == KEY else None,
            "win_rate": _pct(g.get("won", 0), decided) if decided else None,
            "won": g.get("won", 0),
            "decided": decided,
        }
    return {"groups": out, "window": (start, end), "definitions": DEFINITIONS}


def _metric(key: str, account_id: int, as_of: dt.date) -> MetricValue:
    return registry.get(key).value(account_id, as_of) if key in registry else None


def lean_kpis(*, account: Unit, as_of: dt.date) -> dict[str, Any]:
    """The sales KPIs of an account (Table 6.1): revenue and growth of the last 12 full months,
    win rate, the one or two reps who work it, interactions of the year (four queries)."""
    units = Unit.objects.in_account(account).values("pk")
    start, end = full_months_window(as_of)
    prior = add_months(start, -12)
    sums = MonthlyRollup.objects.filter(account=account, month__gte=prior, month__lt=end).aggregate(
        revenue=Coalesce(
            Sum("net_amount", filter=Q(month__gte=start)), Decimal(0), output_field=_MONEY
        ),
        prior=Coalesce(
            Sum("net_amount", filter=Q(month__lt=start)), Decimal(0), output_field=_MONEY
        ),
    )
    decided = Opportunity.objects.filter(
        unit__in=units,
        stage__in=[OpportunityStage.WON, OpportunityStage.LOST],
        expected_close__gte=start,
        expected_close__lt=end,
    ).aggregate(
        won=Count("pk", filter=Q(stage=OpportunityStage.WON)),
        lost=Count("pk", filter=Q(stage=OpportunityStage.LOST)),
    )
    n = decided["won"] + decided["lost"]
    since = timezone.now() - dt.timedelta(days=365)
    reps = list(
        User.objects.filter(interactions__unit__in=units, interactions__occurred_at__gte=since)
        .annotate(n=Count("interactions"))
        .order_by("-n", "pk")[:2]
    )
    return {
        "revenue": sums["revenue"],
        "growth": _pct(sums["revenue"] - sums["prior"], sums["prior"]) if sums["prior"] else None,
        "win_rate": _pct(decided["won"], n) if n else None,
        "won": decided["won"],
        "decided": n,
        "reps": reps,
        "interactions_12m": Interaction.objects.filter(
            unit__in=units, occurred_at__gte=since
        ).count(),
    }


def lean_account(*, account: Unit, as_of: dt.date) -> dict[str, Any]:
    """The lean page of an account: its sales KPIs with the open pipeline and the latest orders
    (six queries)."""
    units = Unit.objects.in_account(account).values("pk")
    pipeline = list(
        Opportunity.objects.filter(unit__in=units)
        .exclude(stage__in=[OpportunityStage.WON, OpportunityStage.LOST])
        .select_related("unit")
        .order_by("expected_close", "pk")[:LIST_LIMIT]
    )
    return {
        **lean_kpis(account=account, as_of=as_of),
        "pipeline": pipeline,
        "pipeline_value": sum((o.amount or Decimal(0) for o in pipeline), Decimal(0)),
        "orders": _latest_orders(units, as_of),
    }


def _latest_orders(units: Any, as_of: dt.date) -> list[Transaction]:
    """The account's latest orders: those of the last ``RECENT_DAYS`` first (each unit's
    orders searched by its date index), all of them only when these are too few; sorting
    every order of a large account took 0.4 s (decision 117)."""
    rows = (
        Transaction.objects.filter(unit__in=units)
        .select_related("unit", "product")
        .order_by("-date", "-pk")
    )
    recent = list(rows.filter(date__gt=as_of - dt.timedelta(days=RECENT_DAYS))[:LIST_LIMIT])
    return recent if len(recent) == LIST_LIMIT else list(rows[:LIST_LIMIT])


def key_kpis(*, account: Unit, as_of: dt.date) -> list[tuple[Any, Any, str]]:
    """The relationship KPIs of a key account: supplier position, stage, share of wallet."""
    out: list[tuple[Any, Any, str]] = []
    for key in (POSITION, STAGE, WALLET, HEALTH):
        metric = registry.get(key) if key in registry else None
        value = _metric(key, account.pk, as_of)
        label: Any = metric.label if metric else key
        shown: Any = value
        if metric is not None and metric.levels:
            shown = next((lbl for code, lbl in metric.levels if code == value), value)
        out.append((label, shown, metric.unit if metric else ""))
    return out
