"""Writes that change the executive dashboard's inputs mark the kept dashboard stale, in the
writer's own transaction (decision 92), like the scoring facts and health.

Model signals cover the saves and deletes of tiers (units), nominations, plans and their
events and objectives, alerts, relationship stages, team memberships, scoring runs, the
backtests and campaign answers; the bulk writers that bypass model signals send their own:
``customers.signals.accounts_changed`` (roll-ups, imports), ``health.services.health_written``
(the health refresh) and ``alerts.signals.alerts_written`` (the alert engine). A mark is one
INSERT of one row (decision 95), so writers never wait for each other.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from kam.alerts.models import Alert
from kam.alerts.signals import alerts_written
from kam.customers.models import Unit
from kam.customers.signals import accounts_changed
from kam.health.models import BacktestResult
from kam.health.services import health_written
from kam.identification.models import Nomination, RunStatus, ScoringRun, SelectionBacktest
from kam.planning.models import AccountPlan, Objective, ObjectiveUpdate, PlanEvent
from kam.relationships.models import StageAssessment
from kam.sales.models import MonthlyRollup
from kam.teams.models import TeamMember

from .models import Campaign, Response, Statement
from .services import dashboard_mark_stale

# Unit fields the dashboard reads: the tier, the name, the tree (which units are accounts).
UNIT_FIELDS = {"tier", "name", "path", "depth"}
WATCHED = (
    Nomination,
    SelectionBacktest,
    BacktestResult,
    AccountPlan,
    PlanEvent,
    Objective,
    ObjectiveUpdate,
    Alert,
    StageAssessment,
    TeamMember,
    MonthlyRollup,
    Campaign,
    Response,
    Statement,
)


def _written(sender: Any, **kwargs: Any) -> None:
    dashboard_mark_stale()


def _unit_saved(sender: Any, instance: Unit, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and not set(update_fields) & UNIT_FIELDS:
        return
    dashboard_mark_stale()


def _run_saved(sender: Any, instance: ScoringRun, **kwargs: Any) -> None:
    """A scoring run changes the dashboard when it is done (its heartbeats and steps do not)."""
    if instance.status == RunStatus.DONE:
        dashboard_mark_stale()


def _bulk(sender: Any, **kwargs: Any) -> None:
    dashboard_mark_stale()


def _m2m(sender: Any, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        dashboard_mark_stale()


def connect() -> None:
    """Connect the receivers (``ProgrammeConfig.ready``)."""
    for model in WATCHED:
        uid = f"dashboard_{model._meta.label_lower}"
        post_save.connect(_written, sender=model, dispatch_uid=f"{uid}_saved")
        post_delete.connect(_written, sender=model, dispatch_uid=f"{uid}_deleted")
    post_save.connect(_unit_saved, sender=Unit, dispatch_uid="dashboard_unit_saved")
    post_save.connect(_run_saved, sender=ScoringRun, dispatch_uid="dashboard_run_saved")
    post_delete.connect(_written, sender=ScoringRun, dispatch_uid="dashboard_run_deleted")
    post_delete.connect(_written, sender=Unit, dispatch_uid="dashboard_unit_deleted")
    m2m_changed.connect(
        _m2m, sender=Campaign.statements.through, dispatch_uid="dashboard_campaign_statements"
    )
    accounts_changed.connect(_bulk, dispatch_uid="dashboard_accounts_changed")
    health_written.connect(_bulk, dispatch_uid="dashboard_health_written")
    alerts_written.connect(_bulk, dispatch_uid="dashboard_alerts_written")
