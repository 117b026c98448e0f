"""What the account profile shows besides the tree, revenue and contacts: one function that
reads each section with one bounded query (PRODUCT §4, "the key-account information system")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from kam.core.metrics import registry
from kam.customers.models import Tier, Unit
from kam.identification.metrics import wallet_share, wallets
from kam.identification.models import (
    AccountAssessment,
    BuyingCriterion,
    Nomination,
    NominationStatus,
)
from kam.identification.selectors import account_score_latest
from kam.identification.services import key_account_standing
from kam.identification.workflows import NOMINATION_WORKFLOW
from kam.planning.profile.models import GoalKind
from kam.planning.profile.selectors import buying_process, customer_goals
from kam.relationships.services import figures_keep_first
from kam.sales.models import CompetitorShare, OpportunityStage, SupplierPosition
from kam.sales.selectors import opportunity_list

STAGE_METRIC = "relationships.stage"
SHARE_METRIC, REVENUE_METRIC = "sales.share_of_wallet", "sales.revenue_12m"
OPPORTUNITY_LIMIT = 20
COMPETITOR_LIMIT = 100
POSITION_LIMIT = 20
CLOSED = (OpportunityStage.WON, OpportunityStage.LOST)


def account_profile(*, account: Unit, as_of: dt.date) -> dict[str, Any]:
    """The account's profile sections: wallet, goals, buying process and criteria,
    competitors, supplier position history, relationship stage, opportunities."""
    score = account_score_latest(account=account)
    assessment = AccountAssessment.objects.filter(account=account).first()
    goals = list(customer_goals(account=account))
    competitors = list(
        CompetitorShare.objects.filter(account=account)
        .select_related("product_line", "competitor")
        .order_by("product_line__name", "-share_pct", "competitor__name")[:COMPETITOR_LIMIT]
    )
    positions = list(
        SupplierPosition.objects.filter(account=account)
        .select_related("recorded_by")
        .order_by("-since", "-recorded_at")[:POSITION_LIMIT]
    )
    current_position = next((p for p in positions if p.since <= as_of), None)
    opportunities = opportunity_list(unit=account).select_related("unit", "product_line", "owner")
    open_opportunities = list(
        opportunities.exclude(stage__in=CLOSED).order_by("expected_close", "pk")[:OPPORTUNITY_LIMIT]
    )
    recent_opportunities = list(
        opportunities.filter(
            stage__in=CLOSED, updated_at__date__gte=as_of - dt.timedelta(days=365)
        ).order_by("-updated_at")[:OPPORTUNITY_LIMIT]
    )
    stage = None
    if STAGE_METRIC in registry:
        # The stage reads the coverage metrics kept with the account's figures (decision 106);
        # keep them on the first view, as the map does, so later views read them (decision 113).
        # Marked figures are the worker's to refresh: the stage then computes its metrics
        # without writing (decision 127), so the page after a logged call writes nothing.
        figures_keep_first(account=account, as_of=as_of)
        metric = registry.get(STAGE_METRIC)
        value = metric.value(account.pk, as_of)
        stage = {
            "value": value,
            "label": next((label for code, label in metric.levels if code == value), value),
        }
    return {
        "score": score,
        "wallet_estimate": assessment.wallet_estimate if assessment else None,
        "wallet": _wallet(account, as_of, manual=bool(assessment and assessment.wallet_estimate)),
        "goals": goals,
        "goals_by_kind": _by_kind(goals),
        "buying_process": buying_process(account=account),
        "criteria": list(
            BuyingCriterion.objects.filter(account=account).order_by("-importance", "name")
        ),
        "competitors": competitors,
        "supplier_positions": positions,
        "current_position": current_position,
        "stage": stage,
        "stage_registered": STAGE_METRIC in registry,
        "open_opportunities": open_opportunities,
        "recent_opportunities": recent_opportunities,
    }


def _wallet(account: Unit, as_of: dt.date, *, manual: bool) -> dict[str, Any]:
    """Wallet, share and headroom as the plan's share-of-wallet objective reads them: the
    registry's metric over ``identification.metrics.wallets`` (manual estimate first, else the
    latest scoring run), revenue of the last 12 full months on the same day (decision 101)."""
    wallet = wallets([account.pk]).get(account.pk)
    share = headroom = None
    if wallet is not None and REVENUE_METRIC in registry:
        # the share metric's own figure from the wallet and revenue read once (reading the
        # metric would read both again)
        raw = registry.get(REVENUE_METRIC).value(account.pk, as_of)
        revenue = Decimal(str(raw or 0))
        headroom = max(wallet - revenue, Decimal(0))
        if wallet > 0 and SHARE_METRIC in registry:
            share = wallet_share(raw, wallet)
    return {
        "value": wallet,
        "share": share,
        "headroom": headroom,
        "manual": manual and wallet is not None,
    }


def _by_kind(goals: list[Any]) -> list[dict[str, Any]]:
    return [
        {"kind": kind, "label": label, "goals": [g for g in goals if g.kind == kind]}
        for kind, label in GoalKind.choices
    ]


def key_account_status(*, account: Unit, user: Any) -> dict[str, Any] | None:
    """The key account's standing (its nomination in key / kept / under review, if any) and
    the steps ``user`` may take on it from the account page: also for a key account whose tier
    came from an import or from before nominations existed (decision 45)."""
    if not account.is_account or account.tier == Tier.TRANSACTIONAL:
        return None
    standing = key_account_standing(account=account)
    subject = standing or Nomination(account=account, status=NominationStatus.KEY)
    subject.account = account
    return {
        "standing": standing,
        "status_label": subject.get_status_display(),
        "steps": [t.name for t in NOMINATION_WORKFLOW.allowed(user, subject)],
    }
