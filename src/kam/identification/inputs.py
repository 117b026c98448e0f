"""What the scoring engine reads from the database: every account's inputs and the model.

A fixed number of queries for the whole portfolio, whatever its size. The data-backed figures
come from the accounts' facts timelines (``facts.py``, computed from the monthly roll-ups,
positions and units, never from raw transactions): a run reads one row of it per account.

As of a date, only full months up to it count (``engine.data_end``). Contacts count when their
position was current on ``as_of``; judgement inputs are taken from their history as they were
then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.validation import amount_limit
from kam.customers.models import Unit
from kam.relationships.selectors import dmu_sizes

from .engine import AccountInputs, CriterionSpec, ModelSpec
from .facts import Skipped, facts_as_of, facts_refresh
from .models import AccountAssessment, BuyingCriterion, ScoringModel

MONEY_FACTS = ("revenue_12m_cents", "revenue_prior_12m_cents", "cost_12m_cents", "costed_12m_cents")
ASSESSED = (
    "account_id",
    "willingness",
    "agreement_horizon_months",
    "joint_initiatives",
    "buying_criteria_count",
    "wallet_estimate",
)


def model_spec(model: ScoringModel) -> ModelSpec:
    """The scoring model as plain data for the engine (reads its criteria: prefetch them)."""
    criteria = tuple(
        CriterionSpec(
            key=c.key,
            name=c.name,
            group=c.group,
            source=c.source,
            normalisation=c.normalisation,
            weight=float(c.weight),
            cap=c.cap,
        )
        for c in model.criteria.all()
    )
    return ModelSpec(
        id=model.pk,
        version=model.version,
        criteria=criteria,
        min_score=model.min_score,
        min_potential=model.min_potential,
        min_willingness=model.min_willingness,
        global_min_countries=model.global_min_countries,
        national_min_regions=model.national_min_regions,
        peer_quantile=model.peer_quantile,
        peer_min_count=model.peer_min_count,
    )


def collect_inputs(*, as_of: dt.date, skipped: Skipped | None = None) -> list[AccountInputs]:
    """Raw data of every account, in a fixed number of queries; by path.

    The data-backed figures come from the accounts' facts timelines (``facts.py``), brought up
    to date first for accounts whose data changed; judgement inputs from the assessments.
    An account whose stored data is out of range is left out and listed in ``skipped`` (account
    id → reason): one account's bad data never fails the whole portfolio.
    """
    bad: Skipped = {} if skipped is None else skipped
    facts_refresh(skipped=bad)
    accounts = {
        pk: AccountInputs(
            id=pk,
            path=path,
            name=name,
            industry=industry or "",
            employees=employees,
            tier=tier,
            account_manager_id=manager_id,
        )
        for pk, path, name, industry, employees, tier, manager_id in (
            Unit.objects.accounts().values_list(
                "pk", "path", "name", "industry", "employees", "tier", "account_manager_id"
            )
        )
    }
    if not accounts:
        return []
    limit = int(amount_limit(18, 2) * 100)  # the money columns of a score, in cents
    for pk, figures in facts_as_of(as_of).items():
        acc = accounts.get(pk)
        if acc is None:
            continue
        if any(abs(figures[name] or 0) > limit for name in MONEY_FACTS):
            bad[pk] = _("its sales figures are out of range")
            continue
        acc.revenue_12m_cents = figures["revenue_12m_cents"]
        acc.revenue_prior_12m_cents = figures["revenue_prior_12m_cents"]
        acc.cost_12m_cents = figures["cost_12m_cents"]
        acc.costed_12m_cents = figures["costed_12m_cents"]
        acc.purchase_months = figures["purchase_months"]
        acc.contacts = figures["contacts"]
        acc.functions = figures["functions"]
        acc.operating_units = figures["operating_units"]
        acc.countries = figures["countries"]
        acc.regions = figures["regions"]
        acc.region_total = figures["region_total"]

    for account_id, members in dmu_sizes(None, as_of).items():
        if account_id in accounts:
            accounts[account_id].dmu_members = members

    for account_id, willingness, horizon, initiatives, criteria, wallet in _assessments(as_of):
        acc = accounts.get(account_id)
        if acc is None:
            continue
        acc.willingness = _num(willingness)
        acc.agreement_horizon = _num(horizon)
        acc.joint_initiatives = _num(initiatives)
        acc.buying_criteria = _num(criteria)
        acc.manual_wallet = _num(wallet)
    for account_id, n in _criteria_listed(as_of).items():
        if account_id in accounts and n:
            accounts[account_id].buying_criteria = float(n)
    for pk in bad:
        accounts.pop(pk, None)
    return sorted(accounts.values(), key=lambda a: a.path)


def _assessments(as_of: dt.date) -> Iterable[tuple[Any, ...]]:
    """(account id, willingness, horizon, initiatives, criteria count, wallet) as on ``as_of``."""
    if as_of >= timezone.localdate():
        return AccountAssessment.objects.order_by("pk").values_list(*ASSESSED)
    # The newest historical row of each assessment up to the end of ``as_of`` (one query).
    moment = _end_of_day(as_of)
    history = AccountAssessment.history
    newest = (
        history.filter(id=OuterRef("id"), history_date__lt=moment)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return (
        history.filter(history_date__lt=moment, history_id=Subquery(newest))
        .exclude(history_type="-")
        .order_by("id")
        .values_list(*ASSESSED)
    )


def _criteria_listed(as_of: dt.date) -> dict[int, int]:
    """account id → buying criteria recorded by the end of ``as_of``."""
    return dict(
        BuyingCriterion.objects.filter(created_at__lt=_end_of_day(as_of))
        .values("account_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("account_id", "n")
    )


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def _num(value: Decimal | float | int | None) -> float | None:
    return None if value is None else float(value)
