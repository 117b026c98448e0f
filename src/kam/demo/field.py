"""Demo field work: coordinates for the sites of key accounts, a responsible rep for most units
to be visited (from the reps' territories, a few left without one), the default cadence, past
visits (most done with an interaction, some against a plan action, some missed) and the coming
weeks planned."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kam.core.bulk import create_with_history
from kam.customers.models import Tier, Unit
from kam.field.models import FieldAssignment, Visit, VisitStatus
from kam.field.selectors import field_units, rep_suggestions
from kam.field.services import visits_generate
from kam.interactions.models import Interaction, InteractionType
from kam.planning.models import OPEN_ACTION_STATUSES, Action, ActionStatus

KEY_TIERS = (Tier.KEY, Tier.NATIONAL, Tier.GLOBAL)
# rough centres of the demo's countries (latitude, longitude)
CENTRES: dict[str, tuple[float, float]] = {
    "RU": (55.7, 37.6),
    "DE": (51.0, 10.0),
    "FR": (46.6, 2.4),
    "IT": (42.8, 12.5),
    "PL": (52.0, 19.4),
    "KZ": (48.0, 68.0),
    "BY": (53.7, 27.9),
    "UA": (49.0, 31.4),
    "TR": (39.0, 35.2),
    "CN": (35.0, 104.0),
    "US": (39.8, -98.6),
    "GB": (54.0, -2.0),
    "NL": (52.2, 5.3),
    "ES": (40.4, -3.7),
    "SE": (60.1, 18.6),
    "FI": (64.0, 26.0),
    "CZ": (49.8, 15.5),
    "AT": (47.5, 14.6),
    "CH": (46.8, 8.2),
    "IN": (21.0, 78.0),
}
MAX_UNITS = 600  # the visited units of the demo (a bounded demo, whatever the scale)


def _coords(rng: random.Random, country: str) -> tuple[Decimal, Decimal] | None:
    centre = CENTRES.get(country)
    if centre is None:
        return None
    lat = centre[0] + rng.uniform(-1.5, 1.5)
    lon = centre[1] + rng.uniform(-2.0, 2.0)
    return Decimal(f"{lat:.5f}"), Decimal(f"{lon:.5f}")


def _served_accounts(accounts: Any, today: dt.date) -> set[int]:
    """Key accounts served by several of our people with a contact in the last half year: the
    ones whose field reps visit. The demo's neglected and single-threaded ("bow-tie") accounts
    are left as they are, so their pattern stays what the demo shows them for."""
    recent = today - dt.timedelta(days=183)
    people: dict[int, set[int]] = {}
    active: set[int] = set()
    for account in accounts:
        # the units as a list of ids: PostgreSQL plans the path subquery badly inside a join
        unit_ids = list(Unit.objects.in_account(account).values_list("pk", flat=True))
        in_account = Interaction.objects.filter(unit__in=unit_ids)
        people[account.pk] = set(
            Interaction.participants.through.objects.filter(
                interaction__unit__in=unit_ids
            ).values_list("user_id", flat=True)
        )
        if in_account.filter(occurred_at__date__gte=recent).exists():
            active.add(account.pk)
    return {pk for pk, who in people.items() if len(who) > 1 and pk in active}


def build_field(*, seed: int, today: dt.date) -> int:
    """Write the demo field work; returns the number of visits."""
    rng = random.Random(f"openkam-demo:{seed}:field")
    accounts = Unit.objects.accounts().filter(tier__in=KEY_TIERS)
    if not accounts.exists():
        return 0
    # by account path (one subquery): a condition per key account passed SQLite's expression
    # depth limit at the large scale (over a thousand key accounts)
    units = list(field_units(Unit.objects.in_accounts_of(accounts)).order_by("path")[:MAX_UNITS])
    for unit in units:
        place = _coords(rng, unit.country)
        if place is not None:
            unit.latitude, unit.longitude = place
    Unit.objects.bulk_update(units, ["latitude", "longitude"], batch_size=500)
    suggested = rep_suggestions(units)
    start = today - dt.timedelta(days=180)
    assignments = [
        FieldAssignment(unit=u, rep=suggested[u.pk], start=start)
        for u in units
        if u.pk in suggested and rng.random() > 0.08
    ]
    create_with_history(FieldAssignment, assignments, batch_size=500)
    actions = list(
        Action.objects.filter(
            plan__account__in=accounts, status__in=OPEN_ACTION_STATUSES
        ).select_related("plan")
    )
    by_account: dict[int, list[Action]] = {}
    for open_action in actions:
        by_account.setdefault(open_action.plan.account_id, []).append(open_action)
    account_of = Unit.objects.filter(pk__in=[a.unit_id for a in assignments]).account_ids()
    served = _served_accounts(accounts, today)
    visits: list[Visit] = []
    logged: list[tuple[Visit, Interaction, Action | None]] = []
    for a in assignments:
        if account_of[a.unit_id] not in served:
            continue  # a neglected or single-threaded account keeps its story: no rep visits
        day = today - dt.timedelta(days=rng.randint(20, 40))
        while day < today:
            if day.weekday() < 5:
                visit = Visit(unit=a.unit, rep=a.rep, planned_on=day, generated=True)
                if rng.random() < 0.2:
                    visit.status = VisitStatus.MISSED
                else:
                    at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
                    visit.status, visit.checked_in_at = VisitStatus.DONE, at
                    open_actions = by_account.get(account_of[a.unit_id], [])
                    action = open_actions.pop() if open_actions and rng.random() < 0.5 else None
                    interaction = Interaction(
                        type=InteractionType.VISIT,
                        occurred_at=at,
                        unit=a.unit,
                        summary=(action.title if action else f"Site visit: {a.unit.name}")[:300],
                        outcome=rng.choice(["", "Agreed on a trial order.", "Issues raised."]),
                        next_step=rng.choice(["", "Send the offer", "Call the buyer"]),
                        created_by=a.rep,
                    )
                    logged.append((visit, interaction, action))
                visits.append(visit)
            day += dt.timedelta(days=rng.choice([14, 21, 30]))
    create_with_history(Interaction, [i for _v, i, _a in logged], batch_size=500)
    through = Interaction.participants.through
    through.objects.bulk_create(
        [through(interaction_id=i.pk, user_id=v.rep_id) for v, i, _a in logged], batch_size=500
    )
    for visit, interaction, action in logged:
        visit.interaction = interaction
        if action is not None:
            visit.action = action
            action.status, action.interaction = ActionStatus.DONE, interaction
            action.done_at, action.done_by_id = interaction.occurred_at, visit.rep_id
    create_with_history(Visit, visits, batch_size=500)
    done = [a for _v, _i, a in logged if a is not None]
    Action.objects.bulk_update(
        done, ["status", "interaction", "done_at", "done_by"], batch_size=500
    )
    planned = visits_generate(weeks=4, start=today)
    return len(visits) + len(planned)
