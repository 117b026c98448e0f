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

import numpy as np
from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.validation import amount_limit
from kam.customers.models import Unit
from kam.relationships.selectors import dmu_sizes

from . import predict
from .engine import AccountInputs, CriterionSpec, ModelSpec, data_end
from .facts import SERIES_DTYPE, Skipped, facts_as_of, facts_refresh, month_index
from .models import AccountAssessment, AccountSeries, BuyingCriterion, ScoringModel

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
        constant_share=model.constant_share,
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


IN_LIST_MAX = 2_000  # accounts asked for by id; more are read with the rest of the portfolio


def collect_history(
    *, as_of: dt.date, account_ids: list[int], months: int = predict.HISTORY_MONTHS
) -> predict.History:
    """The monthly history of the accounts up to the cut-off: revenue, product lines and units
    buying per month, from the series kept with their facts (decision 120; the caller brought
    the facts up to date, as :func:`collect_inputs` does). One row per account, its arrays
    placed in the matrices all at once."""
    end = month_index(data_end(as_of))  # the first month after the history
    start = end - months
    history = predict.History.empty(account_ids, months)
    row_of = {pk: k for k, pk in enumerate(account_ids)}
    table = connection.ops.quote_name(AccountSeries._meta.db_table)
    sql = f"SELECT account_id, CAST(first_month AS TEXT), revenue_cents, lines, units FROM {table}"
    params: list[int] = []
    if len(account_ids) <= IN_LIST_MAX:  # else most of the portfolio: read every row
        sql += f" WHERE account_id IN ({', '.join(['%s'] * len(account_ids))})"
        params = account_ids
    rows: list[int] = []
    firsts: list[int] = []
    blobs: tuple[list[bytes], list[bytes], list[bytes]] = ([], [], [])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for account_id, first_month, *kept in cursor.fetchall():
            r = row_of.get(account_id)
            if r is None:
                continue
            rows.append(r)
            firsts.append(month_index(first_month))
            for column_blobs, value in zip(blobs, kept, strict=True):
                column_blobs.append(bytes(value))
    if not rows:
        return history
    size = np.dtype(SERIES_DTYPE).itemsize
    lengths = np.fromiter((len(b) // size for b in blobs[0]), dtype=np.int64, count=len(rows))
    at = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    row = np.repeat(np.asarray(rows), lengths)
    column = np.repeat(np.asarray(firsts) - start, lengths) + at
    inside = (column >= 0) & (column < months)
    for matrix, column_blobs in zip(
        (history.revenue, history.lines, history.units), blobs, strict=True
    ):
        flat = np.frombuffer(b"".join(column_blobs), dtype=SERIES_DTYPE)
        matrix[row[inside], column[inside]] = flat[inside]
    history.revenue /= 100  # kept in cents
    return history


def attach_forecast(
    inputs: list[AccountInputs], *, as_of: dt.date, accuracy: bool = True
) -> dict[str, Any]:
    """Predict every account's expected revenue of the next 12 months from its history up to
    ``as_of`` (``predict.py``) and put it on the inputs; returns how it was made (basis,
    training rows, accuracy on the last held-back period)."""
    if not inputs:
        return {}
    history = collect_history(as_of=as_of, account_ids=[a.id for a in inputs])
    result = predict.forecast(history, accuracy=accuracy)
    for acc, value, drivers in zip(inputs, result.values, result.drivers, strict=True):
        acc.expected_12m = value
        acc.expected_basis = result.basis
        acc.expected_drivers = drivers
    return result.accuracy


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
