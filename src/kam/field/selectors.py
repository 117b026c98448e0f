"""Every read of field coordination, each in a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any, cast

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from kam.core.filters import filter_queryset
from kam.core.permissions import FIELD_REP, visible
from kam.customers.models import Unit, account_path_of, path_subtree_q
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.planning.models import OPEN_ACTION_STATUSES, Action

from .filters import UnitRepFilter, VisitFilter
from .models import FeedToken, FieldAssignment, Visit, VisitCadence, VisitStatus


def with_account_tier(units: QuerySet[Unit]) -> QuerySet[Unit]:
    """``units`` annotated with ``account_tier``, the tier of each unit's account."""
    tier = Unit.objects.filter(path=account_path_of(OuterRef("path"))).values("tier")[:1]
    return units.annotate(account_tier=Subquery(tier))


def _current_rep() -> Subquery:
    return Subquery(
        FieldAssignment.objects.filter(unit=OuterRef("pk"), end__isnull=True).values("rep")[:1]
    )


def cadence_map() -> dict[tuple[str, str], int]:
    return {(c.tier, c.kind): c.interval_days for c in VisitCadence.objects.all()}


def field_units(units: QuerySet[Unit] | None = None) -> QuerySet[Unit]:
    """The units to be visited: a cadence exists for their kind at their account's tier
    (decision 70), annotated with ``account_tier`` and ``current_rep_id``."""
    base = with_account_tier(units if units is not None else Unit.objects.all()).annotate(
        current_rep_id=_current_rep()
    )
    kinds: dict[str, list[str]] = defaultdict(list)
    for tier, kind in cadence_map():
        kinds[tier].append(kind)
    if not kinds:
        return base.none()
    # filtered by the accounts of each tier (one uncorrelated subquery each), not by the
    # annotation: that runs a subquery per unit of the whole tree (0.9 s for a count at 100k
    # units); the annotation is computed for the rows shown only
    accounts = Unit.objects.accounts().order_by()
    pairs = [
        Q(kind__in=sorted(kinds[tier]), of_account__in=accounts.filter(tier=tier).values("path"))
        for tier in sorted(kinds)
    ]
    return base.alias(of_account=account_path_of("path")).filter(reduce(or_, pairs))


def unit_rep_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Unit]:
    qs = field_units(visible(user, Unit.objects.all()))
    return filter_queryset(UnitRepFilter, filters, qs).order_by("path")


def current_reps(unit_ids: Sequence[int]) -> dict[int, User]:
    return {
        a.unit_id: a.rep
        for a in FieldAssignment.objects.filter(unit__in=unit_ids, end__isnull=True).select_related(
            "rep"
        )
    }


def unit_alert_owners(unit_ids: Sequence[int]) -> dict[int, int]:
    """Who owns the alerts of a field unit (DOMAIN §6): the active manager of the unit's current
    rep — the sales manager who coordinates that rep (one query). A unit without a rep, or whose
    rep has no manager, is not answered: its alerts go to the account's KAM."""
    rows = FieldAssignment.objects.filter(
        unit__in=list(unit_ids),
        end__isnull=True,
        rep__manager__isnull=False,
        rep__manager__is_active=True,
    ).values_list("unit_id", "rep__manager_id")
    return {unit_id: manager_id for unit_id, manager_id in rows if manager_id is not None}


def field_reps() -> list[User]:
    return list(
        User.objects.filter(is_active=True, role=FIELD_REP)
        .select_related("territory")
        .order_by("last_name", "first_name", "username")
    )


def rep_suggestions(units: Sequence[Unit]) -> dict[int, User]:
    """The suggested rep of each unit, from the reps' territories: the country and region of
    the unit (its account's when the unit has none) against the rep's territory. A territory of
    the same country and region wins over one of the whole country; among equals, the rep with
    the fewest current units (decision 69). Three queries whatever the number of units."""
    reps = field_reps()
    loads = dict(
        FieldAssignment.objects.filter(end__isnull=True)
        .values("rep")
        .annotate(n=Count("pk"))
        .values_list("rep", "n")
    )
    account_places = {
        u.path: (u.country, u.region)
        for u in Unit.objects.accounts()
        .filter(path__in={u.account_path for u in units})
        .only("path", "country", "region")
    }
    out: dict[int, User] = {}
    for unit in units:
        country, region = unit.country, unit.region
        if not country:
            country, region = account_places.get(unit.account_path, ("", ""))
        if not country:
            continue
        best: tuple[int, int, str] | None = None
        chosen: User | None = None
        for rep in reps:
            territory = rep.territory
            if territory is None or territory.country != country:
                continue
            if territory.region and territory.region.casefold() != (region or "").casefold():
                continue
            key = (0 if territory.region else 1, loads.get(rep.pk, 0), rep.username)
            if best is None or key < best:
                best, chosen = key, rep
        if chosen is not None:
            out[unit.pk] = chosen
    return out


def rep_units(*, rep: User) -> QuerySet[Unit]:
    """The units a rep is responsible for now."""
    mine = FieldAssignment.objects.filter(rep=rep, end__isnull=True).values("unit")
    return cast(QuerySet[Unit], Unit.objects.filter(pk__in=mine).order_by("path"))


def visit_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Visit]:
    qs = visible(user, Visit.objects.select_related("unit", "rep", "action", "interaction"))
    return filter_queryset(VisitFilter, filters, qs).order_by("planned_on", "pk")


def rep_visits(*, rep: User, start: dt.date, end: dt.date) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(rep=rep, planned_on__gte=start, planned_on__lte=end)
        .select_related("unit", "action", "interaction")
        .order_by("planned_on", "pk")
    )


def my_visits(*, rep: User, today: dt.date | None = None, days: int = 14) -> dict[str, list[Visit]]:
    """Today's visits first, then the coming ones, then the missed ones of the last weeks."""
    day = today or timezone.localdate()
    rows = list(
        Visit.objects.filter(
            rep=rep,
            planned_on__gte=day - dt.timedelta(days=days),
            planned_on__lte=day + dt.timedelta(days=days),
        )
        .exclude(status=VisitStatus.CANCELLED)
        .select_related("unit", "action", "interaction")
        .order_by("planned_on", "pk")
    )
    return {
        "today": [v for v in rows if v.planned_on == day],
        "coming": [v for v in rows if v.planned_on > day],
        "missed": [v for v in rows if v.planned_on < day and v.is_missed(day)],
    }


def picker_units(*, rep: User, today: dt.date | None = None, limit: int = 50) -> list[Unit]:
    """Units for the log form: today's and the nearest planned visits' units first, then the
    rep's other units."""
    day = today or timezone.localdate()
    planned = list(
        Visit.objects.filter(rep=rep, status=VisitStatus.PLANNED, planned_on__gte=day)
        .order_by("planned_on", "pk")
        .values_list("unit", flat=True)[:limit]
    )
    order = list(dict.fromkeys(planned))
    units = {u.pk: u for u in Unit.objects.filter(pk__in=order)}
    rest = [u for u in rep_units(rep=rep)[:limit] if u.pk not in units]
    return [units[pk] for pk in order if pk in units] + rest


def contacts_search(*, user: User, unit: Unit | None, q: str, limit: int = 10) -> list[Any]:
    """Type-ahead over the customer's people: current staff of the unit's account first."""
    from kam.customers.models import Contact

    q = q.strip()
    if len(q) < 2:
        return []
    qs = visible(user, Contact.objects.all()).filter(
        Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q)
    )
    if unit is not None:
        here = Unit.objects.in_account(unit).values("pk")
        qs = qs.filter(employments__unit__in=here, employments__end_date__isnull=True)
    return list(qs.distinct().order_by("last_name", "first_name")[:limit])


def people_search(*, q: str, limit: int = 10) -> list[User]:
    """Type-ahead over our people (active, with a role)."""
    q = q.strip()
    if len(q) < 2:
        return []
    return list(
        User.objects.filter(is_active=True)
        .exclude(role="")
        .filter(Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(username__icontains=q))
        .order_by("last_name", "first_name", "username")[:limit]
    )


def my_actions(*, user: User) -> QuerySet[Action]:
    """The user's plan actions, open ones first by due date."""
    return (
        Action.objects.filter(owner=user)
        .select_related("plan__account", "unit", "objective")
        .order_by("status", "due_date", "pk")
    )


def account_actions(*, unit: Unit) -> list[Action]:
    """Open plan actions of the unit's account (for the log form)."""
    return list(
        Action.objects.filter(
            plan__account__path=unit.account_path, status__in=OPEN_ACTION_STATUSES
        )
        .select_related("plan")
        .order_by("due_date", "pk")[:50]
    )


def units_feed(*, units: QuerySet[Unit], limit: int = 30) -> list[Interaction]:
    """The latest interactions at the given units and below them (three queries)."""
    # The units themselves and, by path ranges (the path index), everything below those that
    # have units below them: a range per unit (mostly sites without units below) made a
    # condition of dozens of terms, and one condition with the units and the ranges made the
    # database read every unit (30 ms at 100k units). Ranges below a kept one are dropped.
    paths: list[str] = []
    for path in units.filter(numchild__gt=0).order_by("path").values_list("path", flat=True):
        if not paths or not path.startswith(paths[-1]):
            paths.append(path)
    ids = units.order_by().values_list("pk", flat=True)
    if paths:
        ranges = reduce(or_, (path_subtree_q(p) for p in paths[:200]))
        ids = ids.union(Unit.objects.filter(ranges).order_by().values_list("pk", flat=True))
    # (none: the query of ids again, which asks the database as an empty list would not, so
    # the page's queries are the same whatever the rep has)
    below = sorted(ids) or ids
    # The ids as a list, and the order by an expression no index gives: asked for the newest
    # few of a subquery's units in the date index's order, PostgreSQL expected enough of them
    # among the latest and walked every interaction by date until it had them (all 2M for a
    # rep whose units have a dozen old ones: 4 s, decision 142). Now each unit's are read by
    # the unit index and sorted. The newest ids first (the sort reads two columns), then their
    # rows with their units and authors: joined before the sort, every interaction of the
    # units was (15 ms a rep).
    newest = Coalesce("occurred_at", "created_at")  # occurred_at is never null
    latest = Interaction.objects.filter(unit_id__in=below).order_by(newest.desc(), "-pk")
    found = Interaction.objects.filter(pk__in=latest.values("pk")[:limit])
    return list(found.select_related("unit", "created_by").order_by("-occurred_at", "-pk"))


@dataclass
class AccountField:
    units: list[Unit]
    reps: dict[int, User]
    visits: list[Visit]
    interactions: list[Interaction]
    actions: list[Action]


def account_field_units(*, account: Unit) -> tuple[list[Unit], dict[int, User]]:
    """The account's field units, by path, and the current rep of each that has one (what
    planning a visit needs, without the field page's visits and interactions)."""
    units = list(field_units(Unit.objects.in_account(account)).order_by("path"))
    return units, current_reps([u.pk for u in units])


def account_field(*, account: Unit, today: dt.date | None = None) -> AccountField:
    """What the KAM sees of the field at one account: units and reps, visits around today,
    every field interaction (by field reps or at a visit) and the field reps' actions."""
    day = today or timezone.localdate()
    units, reps = account_field_units(account=account)
    # the account's units as a subquery: each table is searched by its unit index
    of_account = Unit.objects.in_account(account).values("pk")
    visits = list(
        Visit.objects.filter(
            unit__in=of_account,
            planned_on__gte=day - dt.timedelta(days=60),
            planned_on__lte=day + dt.timedelta(days=60),
        )
        .select_related("unit", "rep", "interaction", "action")
        .order_by("-planned_on", "-pk")[:100]
    )
    interactions = list(
        Interaction.objects.filter(unit__in=of_account)
        .filter(Q(created_by__role=FIELD_REP) | Q(field_visits__isnull=False))
        .distinct()
        .select_related("unit", "created_by")
        .prefetch_related("plan_actions")
        .order_by("-occurred_at", "-pk")[:100]
    )
    actions = list(
        Action.objects.filter(plan__account__path=account.account_path, owner__role=FIELD_REP)
        .select_related("owner", "unit", "interaction")
        .order_by("status", "due_date", "pk")[:100]
    )
    return AccountField(units, reps, visits, interactions, actions)


def overdue_units(*, rep: User | None = None, today: dt.date | None = None) -> list[Unit]:
    """Units due by their cadence (last done visit + interval passed, or never visited) with
    no visit planned from today on."""
    day = today or timezone.localdate()
    cadence = cadence_map()
    if rep is not None:
        return _rep_overdue_units(rep, day, cadence)
    qs = field_units(None).filter(**{"current_rep_id__isnull": False})
    qs = qs.annotate(
        last_done=Max("field_visits__planned_on", filter=Q(field_visits__status=VisitStatus.DONE)),
        next_planned=Count(
            "field_visits",
            filter=Q(field_visits__status=VisitStatus.PLANNED, field_visits__planned_on__gte=day),
        ),
    )
    return _due(qs.order_by("path")[:500], day, cadence)


def _rep_overdue_units(
    rep: User, day: dt.date, cadence: Mapping[tuple[str, str], int]
) -> list[Unit]:
    """A rep's overdue units (My visits, after every logged call): the rep's current units,
    each with its account's tier, its current rep, its last done visit and whether a visit is
    planned, as one query of subqueries over a few dozen rows. The cadence and the current rep
    are checked on those rows: the general query's filters and grouping took PostgreSQL longer
    to plan than to run (decision 134's measurements)."""
    mine = FieldAssignment.objects.filter(rep=rep, end__isnull=True).values("unit_id")
    visits = Visit.objects.filter(unit=OuterRef("pk"))
    rows = (
        with_account_tier(Unit.objects.filter(pk__in=mine))
        .annotate(
            current_rep_id=_current_rep(),
            last_done=Subquery(
                visits.filter(status=VisitStatus.DONE)
                .order_by("-planned_on")
                .values("planned_on")[:1]
            ),
            next_planned=Exists(visits.filter(status=VisitStatus.PLANNED, planned_on__gte=day)),
        )
        .order_by("path")[:500]
    )
    return _due([u for u in rows if cast(Any, u).current_rep_id == rep.pk], day, cadence)


def _due(units: Iterable[Unit], day: dt.date, cadence: Mapping[tuple[str, str], int]) -> list[Unit]:
    """The units among ``units`` (annotated with ``account_tier``, ``last_done`` and
    ``next_planned``) whose cadence is due on ``day`` and that have no visit planned."""
    out = []
    for unit in units:
        row: Any = unit
        interval = cadence.get((row.account_tier, unit.kind))
        if not interval or row.next_planned:
            continue
        last = row.last_done
        if last is None or last + dt.timedelta(days=interval) <= day:
            out.append(unit)
    return out


def feed_token_of(*, user: User) -> FeedToken | None:
    return FeedToken.objects.filter(user=user).first()


def feed_visits(*, token: str, horizon_days: int = 120) -> tuple[User, list[Visit]] | None:
    found = FeedToken.objects.select_related("user").filter(token=token).first()
    if found is None or not found.user.is_active:
        return None
    day = timezone.localdate()
    visits = list(
        Visit.objects.filter(
            rep=found.user,
            planned_on__gte=day - dt.timedelta(days=30),
            planned_on__lte=day + dt.timedelta(days=horizon_days),
        )
        .exclude(status=VisitStatus.CANCELLED)
        .select_related("unit")
        .order_by("planned_on", "pk")[:1000]
    )
    return found.user, visits
