"""Reads of account teams: the team, suggested members, workload, accounts without a sponsor."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from kam.customers.models import Tier, Unit, account_q
from kam.interactions.models import Interaction
from kam.people.models import Function, Role, User

from .models import SPECIALIST_ROLES, TeamMember, TeamRole

# Key-account tiers: the accounts a team is expected to serve.
KEY_TIERS = (Tier.KEY, Tier.NATIONAL, Tier.GLOBAL)
SUGGESTION_DAYS = 180
OVER_ALLOCATED = 100


def team_of(*, account: Unit, on: dt.date | None = None) -> list[TeamMember]:
    """The account's running memberships, by role then name (one query)."""
    return list(
        TeamMember.objects.active(on)
        .filter(account=account)
        .select_related("user", "unit")
        .order_by("role", "user__last_name", "user__username")
    )


def team_history(*, account: Unit) -> list[TeamMember]:
    """Every membership the account ever had, newest first (one query)."""
    return list(
        TeamMember.objects.filter(account=account)
        .select_related("user", "unit")
        .order_by("-start", "-pk")
    )


def role_for(user: User) -> str:
    """The team role a person would most likely take, from their job role and function."""
    if user.role == Role.EXECUTIVE:
        return TeamRole.EXECUTIVE_SPONSOR
    if user.role == Role.KAM:
        return TeamRole.KAM_LEAD
    if user.role in (Role.FIELD_REP, Role.SALES_MANAGER):
        return TeamRole.FIELD_REP
    by_function: dict[str, str] = {
        Function.SERVICE: TeamRole.SERVICE,
        Function.LOGISTICS: TeamRole.LOGISTICS,
        Function.TECHNICAL: TeamRole.TECHNICAL,
        Function.FINANCE: TeamRole.FINANCE,
        Function.MARKETING: TeamRole.MARKETING,
    }
    return by_function.get(user.function, TeamRole.SERVICE.value)


@dataclass
class Suggestion:
    user: User
    role: str
    interactions: int
    last: dt.datetime


def member_suggestions(
    *, account: Unit, today: dt.date | None = None, days: int = SUGGESTION_DAYS
) -> list[Suggestion]:
    """People of ours who took part in the account's interactions in the last ``days`` and are
    not on its team, most active first, each with the role they would likely take (two queries).
    """
    day = today or dt.date.today()
    since = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=days), dt.time.min))
    on_team = TeamMember.objects.active(day).filter(account=account).values("user_id")
    taking_part = Interaction.participants.through.objects
    rows = (
        taking_part.filter(
            account_q(account, "interaction__unit__"), interaction__occurred_at__gte=since
        )
        .filter(user__is_active=True)
        .exclude(user__role="")
        .exclude(user_id__in=on_team)
        .values("user_id")
        .annotate(n=Count("interaction_id", distinct=True), last=Max("interaction__occurred_at"))
        .order_by("-n", "-last")
    )
    found = {r["user_id"]: r for r in rows}
    users = User.objects.in_bulk(list(found))
    return [
        Suggestion(user=users[pk], role=role_for(users[pk]), interactions=r["n"], last=r["last"])
        for pk, r in found.items()
        if pk in users
    ]


@dataclass
class Load:
    """One person's load across accounts."""

    user: User
    allocation: int = 0
    memberships: list[TeamMember] = field(default_factory=list)
    key_accounts_managed: int = 0

    @property
    def over_allocated(self) -> bool:
        return self.allocation > OVER_ALLOCATED

    @property
    def over_capacity(self) -> bool:
        return self.user.role == Role.KAM and self.key_accounts_managed > self.user.capacity


def workload(*, users: QuerySet[User], on: dt.date | None = None) -> list[Load]:
    """Per person of ``users``: total allocation of running memberships, the memberships, and for
    KAMs the key accounts they manage against their capacity (three queries)."""
    people = list(users.filter(is_active=True).exclude(role="").order_by("last_name", "username"))
    loads = {u.pk: Load(user=u) for u in people}
    members = (
        TeamMember.objects.active(on)
        .filter(user_id__in=list(loads))
        .select_related("account")
        .order_by("account__name")
    )
    for m in members:
        load = loads[m.user_id]
        load.allocation += m.allocation
        load.memberships.append(m)
    managed = (
        Unit.objects.accounts()
        .filter(tier__in=KEY_TIERS, account_manager_id__in=list(loads))
        .order_by()
        .values("account_manager_id")
        .annotate(n=Count("pk"))
    )
    for row in managed:
        loads[row["account_manager_id"]].key_accounts_managed = row["n"]
    return list(loads.values())


def workload_users(*, viewer: User, function: str = "") -> QuerySet[User]:
    """Whose load ``viewer`` sees: a sales manager their reports (and themselves), everyone else
    the whole staff; optionally one function."""
    qs = User.objects.filter(is_active=True).exclude(role="")
    if viewer.role == Role.SALES_MANAGER:
        qs = qs.filter(Q(manager=viewer) | Q(pk=viewer.pk))
    if function:
        qs = qs.filter(function=function)
    return qs


@dataclass
class FunctionLoad:
    function: str
    label: str
    people: int
    allocation: int

    @property
    def average(self) -> int:
        return round(self.allocation / self.people) if self.people else 0


def function_load(*, loads: list[Load]) -> list[FunctionLoad]:
    """Per function of ours: headcount and the sum of their allocations (no query)."""
    by: dict[str, list[Load]] = defaultdict(list)
    for load in loads:
        by[load.user.function].append(load)
    return [
        FunctionLoad(
            function=code,
            label=str(label),
            people=len(by[code]),
            allocation=sum(x.allocation for x in by[code]),
        )
        for code, label in Function.choices
        if by.get(code)
    ]


def accounts_without_sponsor(*, on: dt.date | None = None) -> QuerySet[Unit]:
    """Key accounts with no running executive sponsor on their team (one query)."""
    sponsored = TeamMember.objects.active(on).filter(role=TeamRole.EXECUTIVE_SPONSOR)
    accounts: QuerySet[Unit] = (
        Unit.objects.accounts()
        .filter(tier__in=KEY_TIERS)
        .exclude(pk__in=sponsored.values("account_id"))
        .select_related("account_manager")
        .order_by("name")
    )
    return accounts


def team_counts(*, account_ids: list[int], on: dt.date | None = None) -> dict[int, dict[str, int]]:
    """Per account: team size, specialists, executive sponsors (one query)."""
    rows = (
        TeamMember.objects.active(on)
        .filter(account_id__in=account_ids)
        .order_by()
        .values("account_id")
        .annotate(
            size=Count("user", distinct=True),
            specialists=Count("user", distinct=True, filter=Q(role__in=SPECIALIST_ROLES)),
            sponsors=Count("pk", filter=Q(role=TeamRole.EXECUTIVE_SPONSOR)),
            allocation=Sum("allocation"),
        )
    )
    return {
        r["account_id"]: {
            "size": r["size"],
            "specialists": r["specialists"],
            "sponsors": r["sponsors"],
            "allocation": r["allocation"] or 0,
        }
        for r in rows
    }


def member_account_ids(*, user: User, on: dt.date | None = None) -> list[int]:
    """The accounts whose team ``user`` is on (for My accounts)."""
    return list(
        TeamMember.objects.active(on)
        .filter(user=user)
        .values_list("account_id", flat=True)
        .distinct()
    )


def member_accounts(*, user: User, on: dt.date | None = None) -> QuerySet[TeamMember, Any]:
    """The accounts whose team ``user`` is on, as a sub-query (``values("account_id")``)."""
    return TeamMember.objects.active(on).filter(user=user).values("account_id")
