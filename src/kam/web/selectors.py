"""Reads of the pages that gather several apps: My accounts.

``web`` sits above every app, so it is where "the accounts a person works on" can be answered
from every source at once: today the accounts they manage (and, for a sales manager, those
their reports manage); the teams app adds "accounts I am on" in :func:`my_account_ids`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from kam.core.metrics import Metric, MetricValue, registry
from kam.core.permissions import (
    FIELD_REP,
    SALES_MANAGER,
    SPECIALIST,
    account_relations_q,
    is_internal,
    visible,
)
from kam.customers.models import Tier, Unit
from kam.identification.models import AccountScore, ModelStatus, RunStatus
from kam.people.models import User
from kam.teams.selectors import member_accounts

# The figures of a My accounts row, read from the metric registry by key (decision 37): the
# apps that compute them (sales, planning) register them; a key nobody registered shows "—".
REVENUE = "sales.revenue_12m"
GROWTH = "sales.revenue_growth"
PLAN_STATUS = "planning.plan_status"
ON_TRACK = "planning.objectives_on_track"
OBJECTIVES = "planning.objectives_total"
DUE_WEEK = "planning.actions_due_week"
OVERDUE = "planning.actions_overdue"
MY_ACCOUNT_METRICS = (REVENUE, GROWTH, PLAN_STATUS, ON_TRACK, OBJECTIVES, DUE_WEEK, OVERDUE)


def my_accounts_q(user: User) -> Q:
    """Accounts (a ``Q`` over top-level units) that ``user`` works on.

    The one place that says it: a KAM (and anyone else) the accounts they manage; a sales
    manager also those managed by their reports (the ``manager`` line); a field rep or a
    specialist the accounts they are related to (:func:`kam.core.permissions.account_relations_q`:
    named on an interaction with one of its units); and everyone the accounts whose team they are
    on (a running membership).
    """
    q = Q(account_manager=user) | Q(pk__in=member_accounts(user=user))
    if user.role == SALES_MANAGER:
        q |= Q(account_manager__manager=user)
    if user.role in (FIELD_REP, SPECIALIST):
        related = Unit.objects.filter(account_relations_q(user)).accounts_of()
        q |= Q(pk__in=related.values("pk"))
    return q


def my_accounts(user: User) -> QuerySet[Unit]:
    """The key accounts ``user`` works on (see :func:`my_accounts_q`), by name."""
    if not is_internal(user):
        none: QuerySet[Unit] = Unit.objects.none()
        return none
    qs = (
        Unit.objects.accounts()
        .exclude(tier=Tier.TRANSACTIONAL)
        .filter(my_accounts_q(user))
        .distinct()
    )
    shown: QuerySet[Unit] = visible(user, qs)
    return shown.order_by("name", "pk")


def my_account_ids(user: User) -> list[int]:
    """Ids of the key accounts ``user`` works on: one query."""
    return list(my_accounts(user).values_list("pk", flat=True))


@dataclass
class MetricColumn:
    key: str
    metric: Metric | None
    values: dict[int, MetricValue] = field(default_factory=dict)

    def get(self, account_id: int) -> MetricValue:
        return self.values.get(account_id)

    def label_of(self, value: MetricValue) -> Any:
        """The label of a level value (plan status); the value itself otherwise."""
        if self.metric is not None:
            for code, label in self.metric.levels:
                if code == value:
                    return label
        return value


def metric_columns(
    account_ids: list[int], as_of: dt.date, keys: tuple[str, ...] = MY_ACCOUNT_METRICS
) -> dict[str, MetricColumn]:
    """One registry call per column for all ``account_ids`` (bounded by the metrics' own
    queries, whatever the number of accounts)."""
    columns = {}
    for key in keys:
        metric = registry.get(key) if key in registry else None
        values = metric.values(account_ids, as_of) if metric is not None and account_ids else {}
        columns[key] = MetricColumn(key=key, metric=metric, values=values)
    return columns


def _latest_scope() -> Subquery:
    return Subquery(
        AccountScore.objects.filter(
            account_id=OuterRef("pk"),
            run__status=RunStatus.DONE,
            run__model__status=ModelStatus.ACTIVE,
        )
        .order_by("-run__as_of", "-run_id")
        .values("scope")[:1]
    )


def my_account_rows(*, accounts: list[Unit], as_of: dt.date) -> list[dict[str, Any]]:
    """The rows of My accounts for a page of ``accounts``: tier, scope and the registry's
    figures (revenue with its trend, plan status, objectives on track, actions due/overdue)."""
    ids = [a.pk for a in accounts]
    columns = metric_columns(ids, as_of)
    rows = []
    for account in accounts:
        growth = columns[GROWTH].get(account.pk)
        rows.append(
            {
                "account": account,
                "scope": getattr(account, "scope", None),
                "revenue": columns[REVENUE].get(account.pk),
                "growth": None if growth is None else float(growth),
                "plan_status": columns[PLAN_STATUS].get(account.pk),
                "plan_label": columns[PLAN_STATUS].label_of(columns[PLAN_STATUS].get(account.pk)),
                "on_track": columns[ON_TRACK].get(account.pk),
                "objectives": columns[OBJECTIVES].get(account.pk),
                "due_week": columns[DUE_WEEK].get(account.pk),
                "overdue": columns[OVERDUE].get(account.pk),
            }
        )
    return rows


def my_accounts_page_queryset(user: User) -> QuerySet[Unit]:
    """My accounts with what each row shows from the account itself (manager, latest scope)."""
    return my_accounts(user).select_related("account_manager").annotate(scope=_latest_scope())
