"""Every write of account plans: one service per use case, one transaction each.

Concurrency (decision 41): every write of a plan's content names the ``revision`` the user
started from; the service moves the plan's revision on by compare-and-set
(``UPDATE … WHERE revision = given``), so of two people who loaded revision 7 the first wins and
the second gets a :class:`PlanConflict` (409) that names who changed the plan and which of the
values they are writing now differ from the stored ones; nothing of theirs is written and the
form shows their input again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.errors import DomainError
from kam.core.metrics import MetricUnit, UnknownMetric, registry
from kam.core.periods import add_months
from kam.core.services import model_update
from kam.core.validation import check_amount, check_date
from kam.core.workflow import Transition
from kam.customers.models import Unit, account_q
from kam.interactions.services import interaction_create
from kam.people.models import User
from kam.people.services import notify

from .labels import shown
from .models import (
    VALUE_DIGITS,
    VALUE_PLACES,
    AccountPlan,
    Action,
    ActionStatus,
    CustomerObjective,
    Objective,
    ObjectiveUpdate,
    PlanEvent,
    PlanEventKind,
    PlanReview,
    PlanStatus,
    PlanTemplate,
    PlanVersion,
    ReviewOutcome,
    Risk,
    Strategy,
    SwotItem,
    TargetRule,
)
from .selectors import metric_or_none, plan_snapshot
from .whitespace import whitespace_prefill
from .workflows import EDITABLE, PLAN_WORKFLOW, REVIEWABLE, review_due_q

CHANGE = "kam.change_account"
UPDATE_ACTION = "kam.update_action"


class PlanConflict(DomainError):
    """The plan changed since the user loaded it (code ``conflict``: a 409)."""

    def __init__(self, message: str, *, current: Mapping[str, Any] | None = None):
        super().__init__(message, code="conflict")
        self.current = dict(current or {})


def _require(user: User | None, perm: str, obj: models.Model | None) -> None:
    if user is None or not user.has_perm(perm, obj):
        raise PermissionDenied(_("You are not allowed to do this."))


def _may_change(user: User | None, plan: AccountPlan) -> None:
    _require(user, CHANGE, plan.account)


def _last_change(plan: AccountPlan) -> tuple[str, dt.datetime | None]:
    """Who changed the plan (or one of its objectives or actions) last, and when."""
    rows: list[Any] = []
    for model, lookup in (
        (AccountPlan.history.model, {"id": plan.pk}),
        (Objective.history.model, {"plan_id": plan.pk}),
        (Action.history.model, {"plan_id": plan.pk}),
    ):
        row = (
            model.objects.filter(**lookup)
            .select_related("history_user")
            .order_by("-history_date")
            .first()
        )
        if row is not None:
            rows.append(row)
    if not rows:
        return "", None
    last = max(rows, key=lambda r: r.history_date)
    user = last.history_user
    return (str(user) if user else _("someone")), last.history_date


def _differences(instance: models.Model | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """The stored values of ``instance`` that differ from what the user is writing."""
    if instance is None:
        return {}
    fresh = type(instance)._default_manager.filter(pk=instance.pk).first()
    if fresh is None:
        return {"deleted": True}
    out = {}
    for name, value in data.items():
        try:
            f = fresh._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        stored = getattr(fresh, f.attname if isinstance(f, models.ForeignKey) else name)
        given = value.pk if isinstance(value, models.Model) else value
        if str(stored if stored is not None else "") != str(given if given is not None else ""):
            out[name] = stored
    return out


def _bump(
    plan: AccountPlan,
    revision: int | None,
    *,
    instance: models.Model | None = None,
    data: Mapping[str, Any] | None = None,
) -> None:
    """Move the plan's revision on from ``revision`` (compare-and-set), or refuse (409).

    ``revision`` None is for writes that are not edits of the content a user loaded (workflow
    steps, an interaction logged against an action): they move the revision on unconditionally.
    """
    qs = AccountPlan.objects.filter(pk=plan.pk)
    if revision is not None:
        qs = qs.filter(revision=revision)
    if qs.update(revision=F("revision") + 1, updated_at=timezone.now()) != 1:
        current = AccountPlan.objects.filter(pk=plan.pk).values_list("revision", flat=True).first()
        who, when = _last_change(plan)
        changed = _differences(instance, data or {})
        message = _(
            "Someone else changed this plan while you were editing: %(who)s, %(when)s "
            "(revision %(now)s; you started from %(yours)s). Nothing was saved; your input is "
            "shown again."
        ) % {
            "who": who or _("someone"),
            "when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else "",
            "now": current,
            "yours": revision,
        }
        if changed.get("deleted"):
            message += " " + _("The item you are editing was deleted.")
        elif changed:
            message += " " + _("Their values now: %(values)s.") % {
                "values": "; ".join(f"{k}: {v}" for k, v in changed.items())
            }
        raise PlanConflict(message, current=changed)
    plan.refresh_from_db(fields=["revision", "updated_at"])


def _editable(plan: AccountPlan) -> None:
    if plan.status not in EDITABLE:
        raise DomainError(
            _("A submitted plan cannot be changed until it is approved or rejected."),
            code="bad_state",
        )


def _content_editable(plan: AccountPlan) -> None:
    """Mission, sections and objectives change only in a draft (an approved plan is reopened
    first, so every change of them goes through approval again)."""
    if plan.status != PlanStatus.DRAFT:
        raise DomainError(
            _(
                "The plan is %(status)s: reopen it for changes first (it goes through "
                "approval again)."
            )
            % {"status": PlanStatus(plan.status).label},
            code="bad_state",
        )


def _event(
    plan: AccountPlan, kind: str, user: User | None, before: str = "", note: str = ""
) -> PlanEvent:
    return PlanEvent.objects.create(
        plan=plan,
        kind=kind,
        actor=user,
        from_status=before,
        to_status=plan.status if before else "",
        note=note,
    )


def _check_period(start: dt.date, end: dt.date) -> None:
    check_date(start, "period_start")
    check_date(end, "period_end")
    if end <= start:
        raise DomainError(_("The period must end after it starts."), field="period_end")


# --- plans ------------------------------------------------------------------------------------


def plan_white_space_prefill(*, plan: AccountPlan) -> None:
    """Hook: pre-fill the white space of a new plan from transactions (the white space part
    fills this in; called by :func:`plan_create` when the plan starts from a template).

    The white space is the account's, not the plan's: cells a person edited stay as they are."""
    whitespace_prefill(account=plan.account)


def _template_target(rule: str, amount: Decimal | None, current: Decimal | None) -> Decimal | None:
    base = current or Decimal(0)
    if rule == TargetRule.GROW_PERCENT:
        return (base * (1 + (amount or Decimal(0)) / 100)).quantize(Decimal("0.01"))
    if rule == TargetRule.ADD:
        return base + (amount or Decimal(0))
    if rule == TargetRule.AT_LEAST:
        return max(base, amount or Decimal(0))
    if rule == TargetRule.KEEP:
        return base
    return None


def plan_template_for(*, account: Unit, as_of: dt.date) -> PlanTemplate | None:
    """The template of the account's portfolio quadrant (from the registry's
    ``identification.quadrant``), None when the account is not in the matrix."""
    try:
        quadrant = registry.get("identification.quadrant").value(account.pk, as_of)
    except UnknownMetric:
        return None
    if not quadrant:
        return None
    return (
        PlanTemplate.objects.filter(quadrant=str(quadrant)).prefetch_related("objectives").first()
    )


def _apply_template(plan: AccountPlan, template: PlanTemplate, as_of: dt.date) -> None:
    plan.quadrant = template.quadrant
    plan.target_stage = template.target_stage
    plan.review_cadence_months = template.review_cadence_months
    if not plan.mission:
        plan.mission = shown(template.mission)
    plan.save()
    for position, t in enumerate(template.objectives.all()):
        metric = metric_or_none(t.metric_key)
        if metric is None:
            continue  # a template may name a metric of an app that is not installed
        current = metric.value(plan.account_id, as_of)
        deadline = min(
            add_months(plan.period_start, t.months) - dt.timedelta(days=1), plan.period_end
        )
        if metric.unit == MetricUnit.LEVEL:
            Objective.objects.create(
                plan=plan,
                title=shown(t.title),
                metric_key=t.metric_key,
                baseline_level=str(current or ""),
                target_level=t.level,
                deadline=deadline,
                position=position,
            )
        else:
            value = Decimal(str(current)) if current is not None else None
            Objective.objects.create(
                plan=plan,
                title=shown(t.title),
                metric_key=t.metric_key,
                baseline=value,
                target_value=_template_target(t.rule, t.amount, value),
                deadline=deadline,
                position=position,
            )


@transaction.atomic
def plan_create(
    *,
    account: Unit,
    user: User | None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    mission: str = "",
    from_template: bool = False,
) -> AccountPlan:
    """A draft plan for the account; from the template of its portfolio quadrant when asked
    (objectives with their targets computed from today's values, target stage, cadence)."""
    account = Unit.objects.get(pk=account.pk)
    if not account.is_account:
        raise DomainError(
            _("A plan belongs to an account (a unit without a parent), not to a sub-unit."),
            field="account",
        )
    if user is not None:
        _may_change(user, account_plan_stub(account))
    today = timezone.localdate()
    start = period_start or today.replace(day=1)
    end = period_end or add_months(start, 12) - dt.timedelta(days=1)
    _check_period(start, end)
    if AccountPlan.objects.filter(account=account, period_start=start).exists():
        raise DomainError(
            _("This account already has a plan starting on %(date)s.")
            % {"date": start.isoformat()},
            field="period_start",
        )
    plan = AccountPlan.objects.create(
        account=account,
        period_start=start,
        period_end=end,
        mission=(mission or "").strip(),
        created_by=user,
    )
    note = ""
    if from_template:
        template = plan_template_for(account=account, as_of=today)
        if template is not None:
            # seeded texts are message ids: copied in the creator's language (decision 56)
            language = (getattr(user, "language", "") or "") or translation.get_language()
            with translation.override(language):
                _apply_template(plan, template, today)
            note = _("From the template of the quadrant “%(q)s”.") % {
                "q": template.get_quadrant_display()
            }
        else:
            note = _("The account is not in the portfolio matrix: no template applied.")
        plan_white_space_prefill(plan=plan)
    _event(plan, PlanEventKind.CREATED, user, note=note)
    return plan


def account_plan_stub(account: Unit) -> AccountPlan:
    """An unsaved plan of ``account``, to ask permissions before a plan exists."""
    return AccountPlan(account=account)


PLAN_FIELDS = frozenset(AccountPlan.DETAIL_FIELDS)


@transaction.atomic
def plan_update(
    *, plan: AccountPlan, user: User | None, revision: int | None, **fields: Any
) -> AccountPlan:
    """Change the plan's own fields (mission, period, review cadence)."""
    _may_change(user, plan)
    _content_editable(plan)
    if "mission" in fields:
        fields["mission"] = (fields["mission"] or "").strip()
    _bump(plan, revision, instance=plan, data=fields)
    plan, _changed = model_update(instance=plan, fields=PLAN_FIELDS, data=fields)
    _check_period(plan.period_start, plan.period_end)
    if plan.review_cadence_months < 1 or plan.review_cadence_months > 24:
        raise DomainError(_("Review the plan every 1 to 24 months."), field="review_cadence_months")
    return plan


# --- sections: customer objectives, SWOT, strategies, risks -------------------------------------

SECTION_MODELS: dict[str, tuple[type[models.Model], frozenset[str]]] = {
    "customer_objectives": (
        CustomerObjective,
        frozenset({"text", "told_by", "contact", "confirmed"}),
    ),
    "swot": (SwotItem, frozenset({"kind", "text"})),
    "strategies": (Strategy, frozenset({"text"})),
    "risks": (Risk, frozenset({"text", "mitigation"})),
}


def _section(section: str) -> tuple[type[models.Model], frozenset[str]]:
    try:
        return SECTION_MODELS[section]
    except KeyError:
        raise DomainError(_("Unknown plan section."), field="section") from None


def _clean_section(item: models.Model) -> None:
    text = str(getattr(item, "text", "") or "").strip()
    if not text:
        raise DomainError(_("Write something."), field="text")
    item.text = text  # type: ignore[attr-defined]
    if isinstance(item, SwotItem) and item.kind not in {
        "strength",
        "weakness",
        "opportunity",
        "threat",
    }:
        raise DomainError(_("Unknown SWOT kind."), field="kind")
    contact = getattr(item, "contact", None)
    if isinstance(item, CustomerObjective) and contact is not None:
        account = item.plan.account
        if not contact.employments.filter(account_q(account, "unit__")).exists():
            raise DomainError(_("The contact does not work at this account."), field="contact")


@transaction.atomic
def section_item_add(
    *, plan: AccountPlan, user: User | None, revision: int | None, section: str, **fields: Any
) -> models.Model:
    model, allowed = _section(section)
    _may_change(user, plan)
    _content_editable(plan)
    _bump(plan, revision)
    last = (
        model._default_manager.filter(plan=plan)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    item = model(plan=plan, position=(last or 0) + 1)
    item, _changed = model_update(instance=item, fields=allowed, data=fields, save=False)
    _clean_section(item)
    item.save()
    return item


@transaction.atomic
def section_item_update(
    *, item: models.Model, user: User | None, revision: int | None, **fields: Any
) -> models.Model:
    plan: AccountPlan = item.plan  # type: ignore[attr-defined]
    section = next(k for k, (m, _f) in SECTION_MODELS.items() if isinstance(item, m))
    _model, allowed = SECTION_MODELS[section]
    _may_change(user, plan)
    _content_editable(plan)
    _bump(plan, revision, instance=item, data=fields)
    item, _changed = model_update(instance=item, fields=allowed, data=fields, save=False)
    _clean_section(item)
    item.save()
    return item


@transaction.atomic
def section_item_delete(*, item: models.Model, user: User | None, revision: int | None) -> None:
    plan: AccountPlan = item.plan  # type: ignore[attr-defined]
    _may_change(user, plan)
    _content_editable(plan)
    _bump(plan, revision)
    item.delete()


# --- objectives -------------------------------------------------------------------------------

OBJECTIVE_FIELDS = frozenset(
    {
        "title",
        "metric_key",
        "baseline",
        "baseline_level",
        "target_value",
        "target_level",
        "deadline",
    }
)


def _check_objective(objective: Objective) -> None:
    objective.title = (objective.title or "").strip()
    if not objective.title:
        raise DomainError(_("An objective needs a title."), field="title")
    check_date(objective.deadline, "deadline")
    for name in ("baseline", "target_value"):
        check_amount(getattr(objective, name), name, VALUE_DIGITS, VALUE_PLACES)
    if objective.metric_key:
        metric = metric_or_none(objective.metric_key)
        if metric is None:
            raise DomainError(_("Unknown metric."), field="metric_key")
        if metric.unit == MetricUnit.LEVEL:
            codes = {code for code, _label in metric.levels}
            if objective.target_level not in codes:
                raise DomainError(
                    _("Choose the level to reach: %(levels)s.")
                    % {"levels": ", ".join(str(label) for _c, label in metric.levels)},
                    field="target_level",
                )
            if objective.baseline_level and objective.baseline_level not in codes:
                raise DomainError(_("Unknown level."), field="baseline_level")
            objective.target_value = objective.baseline = None
            return
    objective.target_level = objective.baseline_level = ""
    if objective.target_value is None and objective.metric_key:
        raise DomainError(_("Give the target value."), field="target_value")


@transaction.atomic
def objective_create(
    *, plan: AccountPlan, user: User | None, revision: int | None, **fields: Any
) -> Objective:
    """Add one of our objectives: a metric of the registry (or none: updated by hand), a
    target and a deadline. A metric objective without a baseline starts from today's value."""
    _may_change(user, plan)
    _content_editable(plan)
    _bump(plan, revision)
    last = plan.objectives.order_by("-position").values_list("position", flat=True).first()
    objective = Objective(plan=plan, position=(last or 0) + 1)
    objective, _changed = model_update(
        instance=objective, fields=OBJECTIVE_FIELDS, data=fields, save=False
    )
    if objective.deadline is None:
        objective.deadline = plan.period_end
    _check_objective(objective)
    metric = metric_or_none(objective.metric_key)
    if metric is not None and "baseline" not in fields and "baseline_level" not in fields:
        current = metric.value(plan.account_id, timezone.localdate())
        if metric.unit == MetricUnit.LEVEL:
            objective.baseline_level = str(current or "")
        elif current is not None:
            objective.baseline = Decimal(str(current))
    objective.save()
    return objective


@transaction.atomic
def objective_update(
    *, objective: Objective, user: User | None, revision: int | None, **fields: Any
) -> Objective:
    plan = objective.plan
    _may_change(user, plan)
    _content_editable(plan)
    _bump(plan, revision, instance=objective, data=fields)
    objective, _changed = model_update(
        instance=objective, fields=OBJECTIVE_FIELDS, data=fields, save=False
    )
    _check_objective(objective)
    objective.save()
    return objective


@transaction.atomic
def objective_delete(*, objective: Objective, user: User | None, revision: int | None) -> None:
    plan = objective.plan
    _may_change(user, plan)
    _content_editable(plan)
    _bump(plan, revision)
    objective.delete()


@transaction.atomic
def objective_update_record(
    *,
    objective: Objective,
    user: User | None,
    revision: int | None,
    date: dt.date,
    value: Decimal,
    note: str = "",
) -> ObjectiveUpdate:
    """Record the value of a manual objective on a date; its current value is the newest."""
    plan = objective.plan
    _may_change(user, plan)
    _editable(plan)
    if objective.metric_key:
        raise DomainError(
            _("This objective is measured from the data; it is not updated by hand."),
            field="value",
        )
    check_date(date, "date")
    check_amount(value, "value", VALUE_DIGITS, VALUE_PLACES)
    _bump(plan, revision)
    update = ObjectiveUpdate.objects.create(
        objective=objective, date=date, value=value, note=(note or "").strip(), author=user
    )
    newest = objective.updates.order_by("-date", "-pk").first()
    objective.current_value = newest.value if newest else None
    objective.save(update_fields=["current_value"])
    return update


# --- actions ----------------------------------------------------------------------------------

ACTION_FIELDS = frozenset(Action.DETAIL_FIELDS)
OWNER_FIELDS = frozenset(Action.OWNER_FIELDS)


def _check_action(action: Action) -> None:
    action.title = (action.title or "").strip()
    if not action.title:
        raise DomainError(_("An action needs a title."), field="title")
    check_date(action.due_date, "due_date")
    if action.status not in ActionStatus.values:
        raise DomainError(_("Unknown status."), field="status")
    owner = action.owner
    if not owner.is_active or not owner.role:
        raise DomainError(_("The owner must be an active user with a role."), field="owner")
    plan = action.plan
    unit = action.unit if action.unit_id is not None else None
    if unit is not None and unit.account_path != plan.account.account_path:
        raise DomainError(_("The unit is not part of this account."), field="unit")
    objective = action.objective if action.objective_id is not None else None
    if objective is not None and objective.plan_id != plan.pk:
        raise DomainError(_("The objective belongs to another plan."), field="objective")


def _set_done(action: Action, user: User | None) -> None:
    if action.status == ActionStatus.DONE:
        if action.done_at is None:
            action.done_at, action.done_by = timezone.now(), user
    else:
        action.done_at, action.done_by = None, None


def _notify_owner(action: Action, user: User | None) -> None:
    if user is not None and action.owner_id != user.pk:
        notify(
            users=[action.owner],
            message=gettext_lazy("%(who)s gave you an action for %(account)s: %(title)s"),
            params={"who": str(user), "account": action.plan.account.name, "title": action.title},
            link=f"/plans/{action.plan_id}/",
        )


@transaction.atomic
def action_create(
    *, plan: AccountPlan, user: User | None, revision: int | None, **fields: Any
) -> Action:
    """An action for anyone in the company (field reps and specialists included)."""
    _may_change(user, plan)
    _editable(plan)
    _bump(plan, revision)
    action = Action(plan=plan)
    action, _changed = model_update(instance=action, fields=ACTION_FIELDS, data=fields, save=False)
    if action.owner_id is None:
        raise DomainError(_("Choose who does it."), field="owner")
    _check_action(action)
    _set_done(action, user)
    action.save()
    _notify_owner(action, user)
    return action


@transaction.atomic
def action_update(
    *, action: Action, user: User | None, revision: int | None, **fields: Any
) -> Action:
    """Change an action. Its owner, if they may not change the account, changes only its
    status and note (a field rep completes their own actions, not the plan)."""
    _require(user, UPDATE_ACTION, action)
    plan = action.plan
    if user is None or not user.has_perm(CHANGE, plan.account):
        extra = set(fields) - OWNER_FIELDS
        if extra:
            raise PermissionDenied(_("You may change only the status and the note of your action."))
    _editable(plan)
    _bump(plan, revision, instance=action, data=fields)
    before_owner = action.owner_id
    action, _changed = model_update(instance=action, fields=ACTION_FIELDS, data=fields, save=False)
    _check_action(action)
    _set_done(action, user)
    action.save()
    if action.owner_id != before_owner:
        _notify_owner(action, user)
    return action


@transaction.atomic
def action_delete(*, action: Action, user: User | None, revision: int | None) -> None:
    plan = action.plan
    _may_change(user, plan)
    _editable(plan)
    _bump(plan, revision)
    action.delete()


@transaction.atomic
def action_log_interaction(
    *,
    action: Action,
    user: User,
    occurred_at: dt.datetime | None = None,
    type: str = "visit",
    summary: str = "",
    outcome: str = "",
    complete: bool = True,
) -> Action:
    """Log an interaction against the action (through the interactions app) and, with
    ``complete``, mark the action done by it: both or neither."""
    _require(user, UPDATE_ACTION, action)
    plan = action.plan
    _editable(plan)
    interaction = interaction_create(
        created_by=user,
        participants=[user],
        type=type,
        occurred_at=occurred_at or timezone.now(),
        unit=action.unit or plan.account,
        summary=(summary or action.title)[:300],
        outcome=outcome,
    )
    _bump(plan, None)
    action.interaction = interaction
    if complete:
        action.status = ActionStatus.DONE
        _set_done(action, user)
    action.save()
    return action


# --- workflow ---------------------------------------------------------------------------------


def plan_allowed_steps(*, plan: AccountPlan, user: Any) -> list[Transition]:
    return PLAN_WORKFLOW.allowed(user, plan)


def _version_keep(plan: AccountPlan, user: User | None) -> PlanVersion:
    last = plan.versions.order_by("-number").values_list("number", flat=True).first()
    return PlanVersion.objects.create(
        plan=plan, number=(last or 0) + 1, approved_by=user, snapshot=plan_snapshot(plan=plan)
    )


def _review_due_from(day: dt.date, months: int) -> dt.date:
    """``months`` after ``day``, on the same day of the month (or that month's last day)."""
    first = add_months(day.replace(day=1), months)
    last_day = (add_months(first, 1) - dt.timedelta(days=1)).day
    return first.replace(day=min(day.day, last_day))


@transaction.atomic
def plan_step(
    *, plan: AccountPlan, step: str, user: User, note: str = "", revision: int | None = None
) -> AccountPlan:
    """Take a workflow step (submit, approve, reject, start_review, reopen).

    Approving keeps a :class:`PlanVersion` and sets the next review; rejecting needs a reason.
    """
    if step not in PLAN_WORKFLOW.transitions:
        raise DomainError(_("Unknown step."), field="step")
    plan = AccountPlan.objects.select_related("account").get(pk=plan.pk)
    transition = PLAN_WORKFLOW.check(step, plan, user)
    note = (note or "").strip()
    if step == "reject" and not note:
        raise DomainError(_("Give a reason for the rejection."), field="note")
    _bump(plan, revision)
    before = plan.status
    plan.status = transition.target
    today = timezone.localdate()
    if step == "submit":
        plan.submitted_by = user
    if step == "approve":
        plan.approved_by, plan.approved_at = user, timezone.now()
        plan.next_review_due = _review_due_from(today, plan.review_cadence_months)
    plan.save()
    if step == "approve":
        version = _version_keep(plan, user)
        note = " ".join(p for p in (note, _("Version %(n)s kept.") % {"n": version.number}) if p)
    _event(plan, transition.event, user, before, note)
    _notify_step(plan, step, user, note)
    return plan


def _notify_step(plan: AccountPlan, step: str, user: User, note: str) -> None:
    link = f"/plans/{plan.pk}/"
    if step == "submit":
        executives = User.objects.filter(role="executive", is_active=True).exclude(pk=user.pk)
        notify(
            users=list(executives),
            message=gettext_lazy("%(who)s submitted the plan of %(account)s for approval."),
            params={"who": str(user), "account": plan.account.name},
            link=link,
        )
    elif step in ("approve", "reject") and plan.submitted_by_id:
        message = (
            gettext_lazy("%(who)s approved the plan of %(account)s.")
            if step == "approve"
            else gettext_lazy("%(who)s rejected the plan of %(account)s: %(why)s")
        )
        submitter = User.objects.filter(pk=plan.submitted_by_id)
        notify(
            users=list(submitter),
            message=message,
            params={"who": str(user), "account": plan.account.name, "why": note},
            link=link,
        )


@transaction.atomic
def plan_review_record(
    *,
    plan: AccountPlan,
    user: User,
    outcome: str,
    note: str = "",
    date: dt.date | None = None,
) -> PlanReview:
    """Record a review of an approved plan: confirmed → approved with the next review set on
    the cadence; to be revised → back to draft (and through approval again)."""
    plan = AccountPlan.objects.select_related("account").get(pk=plan.pk)
    _may_change(user, plan)
    if plan.status not in REVIEWABLE:
        raise DomainError(_("Only an approved plan is reviewed."), code="bad_state")
    if outcome not in ReviewOutcome.values:
        raise DomainError(_("Choose the outcome of the review."), field="outcome")
    day = date or timezone.localdate()
    check_date(day, "date")
    review = PlanReview.objects.create(
        plan=plan, date=day, reviewer=user, note=(note or "").strip(), outcome=outcome
    )
    _bump(plan, None)
    before = plan.status
    if outcome == ReviewOutcome.CONFIRMED:
        plan.status = PlanStatus.APPROVED
        plan.next_review_due = _review_due_from(day, plan.review_cadence_months)
    else:
        plan.status = PlanStatus.DRAFT
    plan.save()
    _event(
        plan, PlanEventKind.REVIEWED, user, before, review.note or str(review.get_outcome_display())
    )
    return review


@transaction.atomic
def plans_mark_review_due(*, as_of: dt.date | None = None) -> int:
    """Approved plans whose review date has come move to "review due": the worker's schedule
    tick runs it; pages, filters and the API apply the same rule (``review_due_q``, decision 101)
    to plans not yet marked."""
    day = as_of or timezone.localdate()
    plans = list(
        AccountPlan.objects.select_for_update()
        .filter(review_due_q(day))
        .filter(status=PlanStatus.APPROVED)
    )
    for plan in plans:
        AccountPlan.objects.filter(pk=plan.pk).update(
            status=PlanStatus.REVIEW_DUE, revision=F("revision") + 1
        )
        PlanEvent.objects.create(
            plan=plan,
            kind=PlanEventKind.REVIEW_DUE,
            from_status=PlanStatus.APPROVED,
            to_status=PlanStatus.REVIEW_DUE,
        )
    return len(plans)
