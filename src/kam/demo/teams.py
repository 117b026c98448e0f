"""Demo account teams: every key account gets a KAM lead, most an executive sponsor, field reps
of its countries and a few specialists, with allocations that leave one specialist over-booked
and a few accounts without a sponsor, so the workload view has something to say."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from simple_history.utils import bulk_create_with_history

from kam.customers.models import Tier, Unit
from kam.people.models import Function, Role, User
from kam.teams.models import TeamMember, TeamRole

KEY_TIERS = (Tier.KEY, Tier.NATIONAL, Tier.GLOBAL)
SPECIALIST_ROLE = {
    Function.SERVICE: TeamRole.SERVICE,
    Function.LOGISTICS: TeamRole.LOGISTICS,
    Function.TECHNICAL: TeamRole.TECHNICAL,
    Function.FINANCE: TeamRole.FINANCE,
    Function.MARKETING: TeamRole.MARKETING,
}


def build_teams(*, seed: int, today: dt.date) -> int:
    """Write the demo teams; returns the number of memberships."""
    rng = random.Random(f"openkam-demo:{seed}:teams")
    accounts = list(
        Unit.objects.accounts()
        .filter(tier__in=KEY_TIERS)
        .order_by("path")
        .only("pk", "path", "country", "account_manager_id")
    )
    if not accounts:
        return 0
    staff = list(
        User.objects.filter(is_active=True)
        .exclude(role="")
        .select_related("territory")
        .order_by("username")
    )
    executives = [u for u in staff if u.role == Role.EXECUTIVE]
    reps_by_country: dict[str, list[User]] = defaultdict(list)
    for u in staff:
        if u.role == Role.FIELD_REP and u.territory_id:
            reps_by_country[u.territory.country if u.territory else ""].append(u)
    specialists = [u for u in staff if u.role == Role.SPECIALIST and u.function in SPECIALIST_ROLE]
    countries = dict(
        Unit.objects.filter(depth__gt=1).values_list("path", "country")
    )  # every site's country, by path
    rows: list[TeamMember] = []
    started = today - dt.timedelta(days=540)
    for i, account in enumerate(accounts):
        start = started + dt.timedelta(days=rng.randint(0, 300))
        if account.account_manager_id:
            rows.append(
                TeamMember(
                    account=account,
                    user_id=account.account_manager_id,
                    role=TeamRole.KAM_LEAD,
                    allocation=rng.choice([25, 30, 40]),
                    start=start,
                )  # fmt: skip
            )
        # every fourth account has no sponsor: the workload view lists it for executives
        if executives and i % 4 != 3:
            rows.append(
                TeamMember(
                    account=account,
                    user=executives[i % len(executives)],
                    role=TeamRole.EXECUTIVE_SPONSOR,
                    allocation=5,
                    start=start,
                )  # fmt: skip
            )
        site_countries = {c for p, c in countries.items() if p.startswith(account.path)}
        site_countries.add(account.country)
        reps = [r for c in sorted(site_countries) for r in reps_by_country.get(c, [])]
        for rep in rng.sample(reps, min(len(reps), rng.randint(1, 3))):
            rows.append(
                TeamMember(
                    account=account,
                    user=rep,
                    role=TeamRole.FIELD_REP,
                    allocation=rng.choice([10, 15, 20]),
                    region=rep.territory.region if rep.territory else "",
                    start=start,
                )  # fmt: skip
            )
        for person in rng.sample(specialists, min(len(specialists), rng.randint(2, 4))):
            rows.append(
                TeamMember(
                    account=account,
                    user=person,
                    role=SPECIALIST_ROLE[Function(person.function)],
                    allocation=rng.choice([5, 10, 15, 20]),
                    start=start,
                )  # fmt: skip
            )
    # one specialist carries too much: the over-allocation warning has a case to show
    if specialists:
        busy = specialists[0]
        share = max(25, -(-130 // len(accounts[:6])))  # well past 100 % in total
        rows = [r for r in rows if r.user_id != busy.pk]
        for account in accounts[:6]:
            rows.append(
                TeamMember(
                    account=account,
                    user=busy,
                    role=SPECIALIST_ROLE[Function(busy.function)],
                    allocation=share,
                    start=started,
                )  # fmt: skip
            )
    # a field rep who moved on: the team's history keeps them
    ended = [r for r in rows if r.role == TeamRole.FIELD_REP][:3]
    for r in ended:
        rows.append(
            TeamMember(
                account_id=r.account_id,
                user_id=r.user_id,
                role=TeamRole.FIELD_REP,
                allocation=10,
                start=started - dt.timedelta(days=400),
                end=started - dt.timedelta(days=1),
            )  # fmt: skip
        )
    bulk_create_with_history(rows, TeamMember, batch_size=1000)
    return len(rows)
