"""Every write of field coordination: assignments, cadence, visits, check-in, logging from the
field and the calendar feed token."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.core.permissions import FIELD_REP, can_change_account
from kam.core.validation import check_date
from kam.customers.models import Contact, Tier, Unit, UnitKind
from kam.interactions.models import Interaction, InteractionType
from kam.interactions.services import interaction_create, interaction_update
from kam.people.models import User
from kam.planning.models import Action
from kam.planning.services import action_log_interaction
from kam.teams.models import TeamMember, TeamRole
from kam.teams.services import team_member_add

from .models import FeedToken, FieldAssignment, Visit, VisitCadence, VisitStatus, new_token
from .selectors import with_account_tier

CHANGE = "kam.change_account"
UPDATE_ACTION = "kam.update_action"


# --- assignments -------------------------------------------------------------------------------


def _check_rep(rep: User) -> None:
    if not rep.is_active or rep.role != FIELD_REP:
        raise DomainError(_("Choose an active field sales rep."), field="rep")


def _ensure_team_membership(unit: Unit, rep: User, actor: User | None) -> None:
    """A rep of a unit is on its account's team as field rep (decision 69): the team page,
    the coordination feed and restricted visibility then know them without a second list."""
    account = unit.account
    running = TeamMember.objects.active().filter(account=account, user=rep, role=TeamRole.FIELD_REP)
    if not running.exists():
        team_member_add(
            account=account,
            user=rep,
            role=TeamRole.FIELD_REP,
            unit=None if unit.is_account else unit,
            region=unit.region,
            actor=actor,
        )


@transaction.atomic
def assignment_set(
    *,
    units: Sequence[Unit],
    rep: User | None,
    actor: User | None,
    on: dt.date | None = None,
) -> int:
    """Make ``rep`` the responsible field rep of each of ``units`` (None: no rep any more).

    The current assignment of a unit ends on ``on`` (today); the same rep again changes nothing.
    Every unit must be changeable by ``actor``: one refused unit refuses the whole change.
    Returns how many units changed."""
    day = on or timezone.localdate()
    check_date(day, "start")
    if rep is not None:
        _check_rep(rep)
    if actor is not None:
        for unit in units:
            if not can_change_account(actor, unit):
                raise PermissionDenied
    current = {
        a.unit_id: a
        for a in FieldAssignment.objects.filter(
            unit__in=[u.pk for u in units], end__isnull=True
        ).select_for_update()
    }
    changed = 0
    for unit in units:
        existing = current.get(unit.pk)
        if existing is not None and rep is not None and existing.rep_id == rep.pk:
            continue
        if existing is None and rep is None:
            continue
        if existing is not None:
            existing.end = max(day, existing.start)
            if actor is not None:
                existing._history_user = actor  # type: ignore[attr-defined]
            existing.save(update_fields=["end", "updated_at"])
        if rep is not None:
            assignment = FieldAssignment(unit=unit, rep=rep, start=day, assigned_by=actor)
            if actor is not None:
                assignment._history_user = actor  # type: ignore[attr-defined]
            assignment.save()
            _ensure_team_membership(unit, rep, actor)
        changed += 1
    return changed


@transaction.atomic
def suggestions_accept(
    *, suggestions: dict[int, User], units: Iterable[Unit], actor: User | None
) -> int:
    """Assign the suggested rep to each of ``units`` that has a suggestion."""
    changed = 0
    for unit in units:
        rep = suggestions.get(unit.pk)
        if rep is not None:
            changed += assignment_set(units=[unit], rep=rep, actor=actor)
    return changed


# --- cadence -----------------------------------------------------------------------------------


@transaction.atomic
def cadence_set(*, tier: str, kind: str, interval_days: int | None, actor: User | None) -> None:
    """Set how often units of ``kind`` at accounts of ``tier`` are visited (None: never)."""
    if tier not in Tier.values:
        raise DomainError(_("Unknown tier."), field="tier")
    if kind not in UnitKind.values:
        raise DomainError(_("Unknown unit kind."), field="kind")
    if interval_days is None:
        VisitCadence.objects.filter(tier=tier, kind=kind).delete()
        return
    if not 1 <= interval_days <= 365:
        raise DomainError(_("A visit interval is 1 to 365 days."), field="interval_days")
    row = VisitCadence.objects.filter(tier=tier, kind=kind).first()
    if row is None:
        row = VisitCadence(tier=tier, kind=kind, interval_days=interval_days)
    elif row.interval_days == interval_days:
        return
    row.interval_days = interval_days
    if actor is not None:
        row._history_user = actor  # type: ignore[attr-defined]
    row.save()


# --- visits ------------------------------------------------------------------------------------


def _weekday(day: dt.date) -> dt.date:
    """A visit falls on a working day: Saturday and Sunday move to the Monday after."""
    return day + dt.timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


@transaction.atomic
def visit_plan(
    *,
    unit: Unit,
    rep: User,
    planned_on: dt.date,
    actor: User | None,
    action: Action | None = None,
    note: str = "",
) -> Visit:
    """Plan one visit. Whoever may change the account plans any rep's visit; a rep their own
    visits to their own units."""
    _check_rep(rep)
    check_date(planned_on, "planned_on")
    if actor is not None and not can_change_account(actor, unit):
        own = (
            actor.pk == rep.pk
            and FieldAssignment.objects.filter(unit=unit, rep=rep, end__isnull=True).exists()
        )
        if not own:
            raise PermissionDenied
    if action is not None and action.plan.account_id != unit.account.pk:
        raise DomainError(_("The action belongs to another account."), field="action")
    visit = Visit(unit=unit, rep=rep, planned_on=planned_on, action=action, note=note[:300])
    if actor is not None:
        visit._history_user = actor  # type: ignore[attr-defined]
    visit.save()
    return visit


def visits_mark_missed(*, as_of: dt.date | None = None) -> int:
    """Planned visits whose day has passed without a check-in become missed (kept figure)."""
    day = as_of or timezone.localdate()
    return Visit.objects.filter(status=VisitStatus.PLANNED, planned_on__lt=day).update(
        status=VisitStatus.MISSED, updated_at=timezone.now()
    )


@transaction.atomic
def visits_generate(
    *,
    reps: Sequence[User] | None = None,
    units: Sequence[Unit] | None = None,
    weeks: int = 4,
    start: dt.date | None = None,
) -> list[Visit]:
    """Planned visits for the next ``weeks`` weeks from the cadence, for the current
    assignments of ``reps`` (all reps when None), or of ``units``.

    A unit's next visit is its interval after its last planned or done visit (or ``start``
    when it never had one or is already due); weekends move to Monday. A rep gets at most
    ``KAM_FIELD_VISITS_PER_DAY`` visits a day, planned ones included: the units waiting longest
    come first, the others move to the next working days, and a unit with no room before the
    horizon stays due (decision 118). Runs in a bounded number of queries (five, plus one bulk
    insert) whatever the number of units."""
    if not 1 <= weeks <= 26:
        raise DomainError(_("Plan 1 to 26 weeks ahead."), field="weeks")
    first = start or timezone.localdate()
    last = first + dt.timedelta(weeks=weeks)
    assignments = FieldAssignment.objects.filter(end__isnull=True).select_related("unit")
    if reps is not None:
        assignments = assignments.filter(rep__in=[r.pk for r in reps])
    if units is not None:
        assignments = assignments.filter(unit__in=[u.pk for u in units])
    rows = list(assignments)
    if not rows:
        return []
    unit_ids = [a.unit_id for a in rows]
    tiered: Any = with_account_tier(Unit.objects.filter(pk__in=unit_ids))
    tiers: dict[int, str] = dict(tiered.values_list("pk", "account_tier"))
    cadence = {(c.tier, c.kind): c.interval_days for c in VisitCadence.objects.all()}
    latest = dict(
        Visit.objects.filter(unit__in=unit_ids, status__in=[VisitStatus.PLANNED, VisitStatus.DONE])
        .values("unit")
        .annotate(last=Max("planned_on"))
        .values_list("unit", "last")
    )
    per_day = max(1, int(settings.KAM_FIELD_VISITS_PER_DAY))
    booked = Counter(
        Visit.objects.filter(
            rep__in={a.rep_id for a in rows},
            status=VisitStatus.PLANNED,
            planned_on__gte=first,
            planned_on__lt=last,
        ).values_list("rep_id", "planned_on")
    )
    # the longest wait first: never visited, then by the last visit's day
    rows.sort(key=lambda a: (a.unit_id in latest, latest.get(a.unit_id) or first, a.unit_id))
    new: list[Visit] = []
    for assignment in rows:
        interval = cadence.get((tiers.get(assignment.unit_id, ""), assignment.unit.kind))
        if not interval:
            continue
        previous = latest.get(assignment.unit_id)
        day = first if previous is None else max(first, previous + dt.timedelta(days=interval))
        while day < last:
            visit_day = _weekday(day)
            while visit_day < last and booked[(assignment.rep_id, visit_day)] >= per_day:
                visit_day = _weekday(visit_day + dt.timedelta(days=1))
            if visit_day >= last:
                break
            booked[(assignment.rep_id, visit_day)] += 1
            new.append(
                Visit(
                    unit_id=assignment.unit_id,
                    rep_id=assignment.rep_id,
                    planned_on=visit_day,
                    generated=True,
                )
            )
            day = visit_day + dt.timedelta(days=interval)
    Visit.objects.bulk_create(new, batch_size=500)
    return new


def _own_visit(visit: Visit, user: User) -> None:
    if visit.rep_id != user.pk:
        raise PermissionDenied(_("Only the visit's rep checks in at it."))


@transaction.atomic
def visit_check_in(*, visit: Visit, user: User, at: dt.datetime | None = None) -> Visit:
    """The visit's rep arrives: the visit is done, at ``at`` (now)."""
    _own_visit(visit, user)
    if visit.status == VisitStatus.CANCELLED:
        raise DomainError(_("This visit was cancelled."), field="status", code="conflict")
    if visit.checked_in_at is None:
        visit.checked_in_at = at or timezone.now()
    visit.status = VisitStatus.DONE
    visit._history_user = user  # type: ignore[attr-defined]
    visit.save(update_fields=["checked_in_at", "status", "updated_at"])
    return visit


@transaction.atomic
def visit_cancel(*, visit: Visit, user: User) -> Visit:
    if visit.rep_id != user.pk and not can_change_account(user, visit.unit):
        raise PermissionDenied
    if visit.status == VisitStatus.DONE:
        raise DomainError(_("A visit that took place cannot be cancelled."), code="conflict")
    visit.status = VisitStatus.CANCELLED
    visit._history_user = user  # type: ignore[attr-defined]
    visit.save(update_fields=["status", "updated_at"])
    return visit


# --- logging from the field --------------------------------------------------------------------


def may_log_at(user: User, unit: Unit) -> bool:
    """A field rep logs at their own units (and the sub-units of them); everyone else with a
    role logs anywhere (``kam.log_interaction``)."""
    if user.role != FIELD_REP or user.is_superuser:
        return bool(user.has_perm("kam.log_interaction"))
    mine = Unit.objects.filter(
        pk__in=FieldAssignment.objects.filter(rep=user, end__isnull=True).values("unit")
    )
    return any(unit.path.startswith(p) for p in mine.values_list("path", flat=True))


@transaction.atomic
def field_interaction_log(
    *,
    user: User,
    unit: Unit,
    type: str = InteractionType.VISIT,
    summary: str,
    outcome: str = "",
    next_step: str = "",
    contacts: Iterable[Contact] = (),
    participants: Iterable[User] = (),
    action: Action | None = None,
    visit: Visit | None = None,
    occurred_at: dt.datetime | None = None,
) -> Interaction:
    """Log what happened in the field in one step: the interaction with both sides' people;
    against a plan action (planning completes the action by it); at a visit (checks in and
    links the interaction to it). Either all of it is written or nothing."""
    if visit is not None:
        _own_visit(visit, user)
        if visit.unit_id != unit.pk:
            raise DomainError(_("The visit is at another unit."), field="unit")
    elif not may_log_at(user, unit):
        raise PermissionDenied(_("You log interactions only at your own units."))
    if not (summary or "").strip():
        raise DomainError(_("An interaction needs a summary."), field="summary")
    people = {user.pk: user, **{p.pk: p for p in participants}}
    when = occurred_at or timezone.now()
    if action is not None:
        if action.plan.account_id != unit.account.pk:
            raise DomainError(_("The action belongs to another account."), field="action")
        if not user.has_perm(UPDATE_ACTION, action):
            raise PermissionDenied
        action = action_log_interaction(
            action=action, user=user, occurred_at=when, type=type, summary=summary, outcome=outcome
        )
        interaction = action.interaction
        assert interaction is not None
        interaction = interaction_update(
            interaction=interaction,
            unit=unit,
            next_step=next_step,
            participants=list(people.values()),
            contacts=list(contacts),
        )
    else:
        interaction = interaction_create(
            created_by=user,
            participants=list(people.values()),
            contacts=list(contacts),
            type=type,
            occurred_at=when,
            unit=unit,
            summary=summary.strip()[:300],
            outcome=outcome,
            next_step=next_step[:300],
        )
    if visit is not None:
        visit_check_in(visit=visit, user=user, at=when if visit.checked_in_at is None else None)
        visit.interaction = interaction
        if action is not None and visit.action_id is None:
            visit.action = action
        visit.save(update_fields=["interaction", "action", "updated_at"])
    return interaction


# --- the calendar feed -------------------------------------------------------------------------


@transaction.atomic
def feed_token_get(*, user: User) -> FeedToken:
    token, _created = FeedToken.objects.get_or_create(user=user)
    return token


@transaction.atomic
def feed_token_revoke(*, user: User) -> FeedToken:
    """A new secret: the old feed URL answers 404 from now on."""
    token, created = FeedToken.objects.get_or_create(user=user)
    if not created:
        token.token = new_token()
        token.save(update_fields=["token", "updated_at"])
    return token
