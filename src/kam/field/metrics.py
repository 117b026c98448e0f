"""Coordination indicators (DOMAIN §9, Hise & Reid condition 5), registered in the metric
registry under ``field.*`` (the programme app reads these keys), and their roll-up per sales
manager for the coordination page. Each figure costs one or two queries for any number of
accounts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.core.metrics import Metric, MetricUnit, MetricValue, register
from kam.core.permissions import FIELD_REP
from kam.customers.models import Unit, account_path_of
from kam.interactions.models import Interaction
from kam.planning.models import OPEN_ACTION_STATUSES, Action

from .models import FieldAssignment, Visit, VisitStatus
from .selectors import field_units

SILENT_DAYS = 90
MISSED_DAYS = 90
LINKED_DAYS = 365


def _paths(account_ids: Sequence[int]) -> dict[str, int]:
    return dict(Unit.objects.filter(pk__in=account_ids).values_list("path", "pk"))


def _units(paths: Mapping[str, int]) -> QuerySet[Unit, dict[str, Any]]:
    """The ids of the units of these accounts, as a subquery: the tables of visits and
    interactions are then searched by their unit index, not scanned by date (decision 113)."""
    units: QuerySet[Unit, dict[str, Any]] = Unit.objects.of_account_paths(paths).values("pk")
    return units


def without_rep_counts(paths: Mapping[str, int], as_of: dt.date) -> dict[int, int]:
    units = Unit.objects.of_account_paths(paths)
    rows = (
        field_units(units)
        .filter(**{"current_rep_id__isnull": True})
        .annotate(ap=account_path_of("path"))
        .values("ap")
        .annotate(n=Count("pk"))
        .values_list("ap", "n")
    )
    out = dict.fromkeys(paths.values(), 0)
    for ap, n in rows:
        out[paths[ap]] = n
    return out


def linked_counts(paths: Mapping[str, int], as_of: dt.date) -> dict[int, tuple[int, int]]:
    """(linked, all) field interactions of the last year: by a field rep, linked when a plan
    action (and through it, maybe an objective) was completed by it."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    rows = (
        Interaction.objects.filter(
            unit__in=_units(paths),
            created_by__role=FIELD_REP,
            occurred_at__lt=end,
            occurred_at__gte=end - dt.timedelta(days=LINKED_DAYS),
        )
        .annotate(ap=account_path_of("unit__path"))
        .values("ap")
        .annotate(
            total=Count("pk", distinct=True),
            linked=Count("pk", distinct=True, filter=Q(plan_actions__isnull=False)),
        )
        .values_list("ap", "linked", "total")
    )
    return {paths[ap]: (linked, total) for ap, linked, total in rows}


def linked_share(paths: Mapping[str, int], as_of: dt.date) -> dict[int, MetricValue]:
    out: dict[int, MetricValue] = {}
    for account, (linked, total) in linked_counts(paths, as_of).items():
        if total:
            out[account] = (Decimal(100) * linked / total).quantize(Decimal("0.1"))
    return out


def overdue_action_counts(paths: Mapping[str, int], as_of: dt.date) -> dict[int, int]:
    rows = (
        Action.objects.filter(
            plan__account__path__in=list(paths),
            owner__role=FIELD_REP,
            status__in=OPEN_ACTION_STATUSES,
            due_date__lt=as_of,
        )
        .annotate(ap=account_path_of("plan__account__path"))
        .values("ap")
        .annotate(n=Count("pk"))
        .values_list("ap", "n")
    )
    out = dict.fromkeys(paths.values(), 0)
    for ap, n in rows:
        out[paths[ap]] = n
    return out


def missed_visit_counts(paths: Mapping[str, int], as_of: dt.date) -> dict[int, int]:
    """Visits of the last 90 days that were missed (marked, or planned and never checked in)."""
    missed = Q(status=VisitStatus.MISSED) | Q(status=VisitStatus.PLANNED, planned_on__lt=as_of)
    rows = (
        Visit.objects.filter(
            missed,
            unit__in=_units(paths),
            planned_on__gte=as_of - dt.timedelta(days=MISSED_DAYS),
            planned_on__lte=as_of,
        )
        .annotate(ap=account_path_of("unit__path"))
        .values("ap")
        .annotate(n=Count("pk"))
        .values_list("ap", "n")
    )
    out = dict.fromkeys(paths.values(), 0)
    for ap, n in rows:
        out[paths[ap]] = n
    return out


def silent_rep_counts(paths: Mapping[str, int], as_of: dt.date) -> dict[int, int]:
    """Reps responsible for a unit of the account with no interaction logged with the account
    (as author or participant) in the 90 days up to ``as_of``."""
    reps = set(
        FieldAssignment.objects.filter(unit__in=_units(paths), end__isnull=True)
        .annotate(ap=account_path_of("unit__path"))
        .values_list("ap", "rep")
    )
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    recent = Interaction.objects.filter(
        unit__in=_units(paths),
        occurred_at__lt=end,
        occurred_at__gte=end - dt.timedelta(days=SILENT_DAYS),
    ).order_by()  # pairs into a set: the newest-first default order would only sort them
    rep_ids = {rep for _ap, rep in reps}
    spoken = set(
        recent.filter(created_by__in=rep_ids)
        .annotate(ap=account_path_of("unit__path"))
        .values_list("ap", "created_by")
    ) | set(
        recent.filter(participants__in=rep_ids)
        .annotate(ap=account_path_of("unit__path"))
        .values_list("ap", "participants")
    )
    out = dict.fromkeys(paths.values(), 0)
    for pair in reps - spoken:
        out[paths[pair[0]]] += 1
    return out


def _metric(fn):  # type: ignore[no-untyped-def]
    def compute(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
        return fn(_paths(account_ids), as_of)  # type: ignore[no-any-return]

    compute.__name__ = fn.__name__
    return compute


units_without_rep_values = _metric(without_rep_counts)
linked_share_values = _metric(linked_share)
overdue_actions_values = _metric(overdue_action_counts)
missed_visits_values = _metric(missed_visit_counts)
silent_reps_values = _metric(silent_rep_counts)


def register_all() -> None:
    register(
        Metric(
            key="field.units_without_rep",
            label=_("Units without a field rep"),
            unit=MetricUnit.COUNT,
            compute=units_without_rep_values,
            description=_("Units to be visited by the cadence that have no responsible rep."),
            higher_is_better=False,
        )
    )
    register(
        Metric(
            key="field.linked_share",
            label=_("Field interactions linked to the plan"),
            unit=MetricUnit.PERCENT,
            compute=linked_share_values,
            description=_(
                "Share of the field reps' interactions of the last year that completed a plan "
                "action."
            ),
        )
    )
    register(
        Metric(
            key="field.overdue_actions",
            label=_("Overdue field actions"),
            unit=MetricUnit.COUNT,
            compute=overdue_actions_values,
            description=_("Open plan actions of field reps past their due date."),
            higher_is_better=False,
        )
    )
    register(
        Metric(
            key="field.missed_visits",
            label=_("Missed visits (90 days)"),
            unit=MetricUnit.COUNT,
            compute=missed_visits_values,
            description=_("Planned visits of the last 90 days without a check-in."),
            higher_is_better=False,
        )
    )
    register(
        Metric(
            key="field.silent_reps",
            label=_("Reps with no contact in 90 days"),
            unit=MetricUnit.COUNT,
            compute=silent_reps_values,
            description=_(
                "Responsible reps of the account's units who logged no interaction with it in "
                "90 days."
            ),
            higher_is_better=False,
        )
    )


@dataclass
class Indicators:
    units_without_rep: int = 0
    linked: int = 0
    field_interactions: int = 0
    overdue_actions: int = 0
    missed_visits: int = 0
    silent_reps: int = 0
    accounts: int = 0

    @property
    def linked_share(self) -> Decimal | None:
        if not self.field_interactions:
            return None
        return (Decimal(100) * self.linked / self.field_interactions).quantize(Decimal("0.1"))


@dataclass
class IndicatorTable:
    accounts: list[tuple[Unit, Indicators]] = field(default_factory=list)
    managers: list[tuple[str, Indicators]] = field(default_factory=list)
    total: Indicators = field(default_factory=Indicators)


def indicator_table(accounts: Sequence[Unit], as_of: dt.date) -> IndicatorTable:
    """The five indicators per account, rolled up per sales manager (the account manager's
    manager; the account manager when they have none) and in total. Six queries."""
    paths = {a.path: a.pk for a in accounts}
    without = without_rep_counts(paths, as_of)
    linked = linked_counts(paths, as_of)
    overdue = overdue_action_counts(paths, as_of)
    missed = missed_visit_counts(paths, as_of)
    silent = silent_rep_counts(paths, as_of)
    table = IndicatorTable()
    by_manager: dict[str, Indicators] = defaultdict(Indicators)
    for account in accounts:
        pk = account.pk
        row = Indicators(
            units_without_rep=without.get(pk, 0),
            linked=linked.get(pk, (0, 0))[0],
            field_interactions=linked.get(pk, (0, 0))[1],
            overdue_actions=overdue.get(pk, 0),
            missed_visits=missed.get(pk, 0),
            silent_reps=silent.get(pk, 0),
            accounts=1,
        )
        table.accounts.append((account, row))
        kam = account.account_manager
        lead = kam.manager if kam is not None and kam.manager is not None else kam
        for bucket in (by_manager[str(lead) if lead else "—"], table.total):
            bucket.units_without_rep += row.units_without_rep
            bucket.linked += row.linked
            bucket.field_interactions += row.field_interactions
            bucket.overdue_actions += row.overdue_actions
            bucket.missed_visits += row.missed_visits
            bucket.silent_reps += row.silent_reps
            bucket.accounts += 1
    table.managers = sorted(by_manager.items())
    return table
