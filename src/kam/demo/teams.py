"""Demo account teams: every key account gets a KAM lead, most an executive sponsor, field reps
of its countries and a few specialists, with allocations that leave one specialist over-booked
and a few accounts without a sponsor, so the workload view has something to say."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.utils import timezone

from kam.core.bulk import create_with_history
from kam.customers.models import Tier, Unit, account_path
from kam.people.models import Function, Role, User
from kam.teams.models import (
    FeedNote,
    FunctionHead,
    RequestEvent,
    ResourceRequest,
    TeamMember,
    TeamRole,
)
from kam.teams.services import feed_note_add, request_create, request_step

KEY_TIERS = (Tier.KEY, Tier.NATIONAL, Tier.GLOBAL)
SPECIALIST_ROLE: dict[str, str] = {
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
    # every site's country, by the path of its account (one pass; testing each site's path
    # against each account took minutes at the large scale)
    site_countries_of: dict[str, set[str]] = defaultdict(set)
    for path, country in Unit.objects.filter(depth__gt=1).values_list("path", "country"):
        site_countries_of[account_path(path)].add(country)
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
        site_countries = set(site_countries_of.get(account.path, ()))
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
    create_with_history(TeamMember, rows, batch_size=1000)
    build_coordination(rng=rng, today=today, accounts=accounts, specialists=specialists)
    return len(rows)


WHAT = [
    "Commission the new filling line at the plant",
    "Review the annual rebate terms before the negotiation",
    "Run a logistics audit of the central warehouse",
    "Prepare a co-marketing plan for the spring launch",
    "Train the customer's maintenance team",
    "Check the credit limit before the framework renewal",
]
NOTES = [
    "@{user} could you join the quarterly business review next week?",
    "The buyer asked for a joint visit to the new site; @{user}, are you free?",
    "Minutes of the steering meeting are in the account folder. "
    "@{user} please add the service part.",
]


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def build_coordination(
    *, rng: random.Random, today: dt.date, accounts: list[Unit], specialists: list[User]
) -> int:
    """Function heads, resource requests in every state (some overdue), feed notes that mention
    a teammate; returns the number of requests."""
    by_function: dict[str, list[User]] = defaultdict(list)
    for u in specialists:
        by_function[u.function].append(u)
    heads: dict[str, User] = {}
    for function, people in sorted(by_function.items()):
        heads[function] = people[0]
        FunctionHead.objects.update_or_create(function=function, defaults={"user": people[0]})
    functions = sorted(f for f in heads if len(by_function[f]) > 1) or sorted(heads)
    if not functions:
        return 0
    made = 0
    managed = [a for a in accounts if a.account_manager_id][:60]
    managers = User.objects.in_bulk([a.account_manager_id for a in managed])
    if not managed:
        return 0
    # at least two requests in each state, even in a small demo
    for k in range(max(12, len(managed))):
        account = managed[k % len(managed)]
        kam = managers.get(account.account_manager_id or 0)
        if kam is None:
            continue
        function = functions[k % len(functions)]
        head = heads[function]
        assignee = rng.choice(by_function[function][1:] or by_function[function])
        opened = today - dt.timedelta(days=rng.randint(5, 70))
        state = k % 6
        needed = opened + dt.timedelta(days=rng.randint(10, 30))
        if state == 1:  # open and overdue
            needed = today - dt.timedelta(days=rng.randint(1, 4))
        req = request_create(
            account=account,
            requester=kam,
            function=function,
            what=WHAT[k % len(WHAT)],
            needed_by=needed,
        )
        accepted = opened + dt.timedelta(days=rng.randint(0, 6))
        done = accepted + dt.timedelta(days=rng.randint(2, 25))
        if state in (2, 3, 4):
            request_step(request=req, step="accept", actor=head, assignee=assignee)
        if state in (3, 4):
            request_step(request=req, step="done", actor=assignee)
        if state == 5:
            if k % 12 == 5:
                request_step(request=req, step="withdraw", actor=kam)
            else:
                request_step(
                    request=req,
                    step="decline",
                    actor=head,
                    reason="No one free before the deadline",
                )
        # the demo's history: move the timestamps back to plausible days
        stamps = {"opened_at": _at(opened)}
        if state in (2, 3, 4):
            stamps["accepted_at"] = _at(min(accepted, today), 14)
        if state in (3, 4):
            stamps["done_at"] = _at(min(done, today), 16)
        if state == 5:
            stamps["closed_at"] = _at(min(accepted, today), 11)
        ResourceRequest.objects.filter(pk=req.pk).update(**stamps)
        when = {
            "opened": stamps["opened_at"],
            "accepted": stamps.get("accepted_at"),
            "done": stamps.get("done_at"),
            "declined": stamps.get("closed_at"),
            "withdrawn": stamps.get("closed_at"),
        }
        for event in RequestEvent.objects.filter(request=req):
            if when.get(event.kind):
                RequestEvent.objects.filter(pk=event.pk).update(at=when[event.kind])
        if k < 12:
            note = feed_note_add(
                account=account,
                author=kam,
                text=NOTES[k % len(NOTES)].format(user=assignee.username),
            )
            FeedNote.objects.filter(pk=note.pk).update(at=_at(today - dt.timedelta(days=k), 10))
        made += 1
    return made
