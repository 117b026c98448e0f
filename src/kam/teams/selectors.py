"""Reads of account teams: the team, suggested members, workload, accounts without a sponsor."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum, TextChoices
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.feed import feed_source
from kam.core.filters import FilterError
from kam.core.permissions import visibility_restricted, visible
from kam.customers.models import Tier, Unit, account_q, subtree_q
from kam.interactions.models import Interaction
from kam.people.models import Function, Role, User
from kam.planning.models import OPEN_ACTION_STATUSES, Action, Objective

from .filters import RequestFilter
from .models import (
    SPECIALIST_ROLES,
    FeedNote,
    FunctionHead,
    RequestEvent,
    RequestStatus,
    ResourceRequest,
    TeamMember,
    TeamRole,
)

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
class Membership:
    """One running membership as the workload lists it."""

    account_id: int
    name: str
    role: str
    allocation: int


@dataclass
class Load:
    """One person's load across accounts."""

    user: User
    allocation: int = 0
    memberships: list[Membership] = field(default_factory=list)
    key_accounts_managed: int = 0

    @property
    def over_allocated(self) -> bool:
        return self.allocation > OVER_ALLOCATED

    @property
    def over_capacity(self) -> bool:
        return self.user.role == Role.KAM and self.key_accounts_managed > self.user.capacity


def workload(
    *, users: QuerySet[User], on: dt.date | None = None, viewer: User | None = None
) -> list[Load]:
    """Per person of ``users``: total allocation of running memberships, the memberships, and for
    KAMs the key accounts they manage against their capacity (three queries, four with a
    ``viewer``). The allocation counts every membership; the memberships listed (account names,
    the largest allocation first) are only those of accounts ``viewer`` may see
    (``KAM_RESTRICTED_VISIBILITY``)."""
    people = list(users.filter(is_active=True).exclude(role="").order_by("last_name", "username"))
    loads = {u.pk: Load(user=u) for u in people}
    # plain rows, not model instances: an executive's page lists thousands of memberships
    members = list(
        TeamMember.objects.active(on)
        .filter(user_id__in=list(loads))
        .order_by("-allocation", "account__name", "pk")
        .values_list("user_id", "account_id", "account__name", "role", "allocation")
    )
    shown: set[int] | None = None
    if viewer is not None and visibility_restricted(viewer):
        ids = {m[1] for m in members}
        shown = set(visible(viewer, Unit.objects.filter(pk__in=ids)).values_list("pk", flat=True))
    for user_id, account_id, name, role, allocation in members:
        load = loads[user_id]
        load.allocation += allocation
        if shown is None or account_id in shown:
            load.memberships.append(Membership(account_id, name, role, allocation))
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


def feed_account_ids(*, user: User) -> list[int]:
    """The accounts of My feed: those whose team ``user`` is on and those they manage (a KAM
    not listed on their own account's team still follows it)."""
    managed = Unit.objects.accounts().filter(account_manager=user).values_list("pk", flat=True)
    return sorted(set(member_account_ids(user=user)) | set(managed))


def member_accounts(*, user: User, on: dt.date | None = None) -> QuerySet[TeamMember, Any]:
    """The accounts whose team ``user`` is on, as a sub-query (``values("account_id")``)."""
    return TeamMember.objects.active(on).filter(user=user).values("account_id")


# --- Resource requests, the coordination feed, indicators (issue 14) ---------------------------


def request_list(
    *, user: User, filters: Mapping[str, Any] | None = None
) -> QuerySet[ResourceRequest]:
    """Resource requests matching the list filters (:class:`RequestFilter`), newest first; the
    page and ``GET /requests`` both read this (bounded by their pagination)."""
    qs = ResourceRequest.objects.select_related("account", "unit", "requester", "assignee")
    filterset = RequestFilter(filters or None, queryset=qs, request=SimpleNamespace(user=user))
    if filterset.is_bound and not filterset.form.is_valid():
        raise FilterError(filterset.form)
    result: QuerySet[ResourceRequest] = filterset.qs.order_by("-opened_at", "-pk")
    return result


def request_detail(*, request: ResourceRequest) -> dict[str, Any]:
    """The request's events and comments (two queries)."""
    return {
        "events": list(request.events.select_related("actor").order_by("at", "pk")),
        "comments": list(request.comments.select_related("author").order_by("at", "pk")),
    }


def function_heads() -> list[FunctionHead]:
    return list(FunctionHead.objects.select_related("user").order_by("function"))


PLAN_CHOICES_MAX = 200


def plan_target_choices(*, account: Unit) -> list[tuple[str, str]]:
    """The account's open plan actions and its objectives, as ``("action:12", label)`` choices
    for a resource request (two queries, at most ``PLAN_CHOICES_MAX`` of each)."""
    actions = (
        Action.objects.filter(plan__account=account, status__in=OPEN_ACTION_STATUSES)
        .order_by("due_date", "pk")
        .values_list("pk", "title", "due_date")[:PLAN_CHOICES_MAX]
    )
    objectives = (
        Objective.objects.filter(plan__account=account)
        .order_by("deadline", "pk")
        .values_list("pk", "title")[:PLAN_CHOICES_MAX]
    )
    return [
        *((f"action:{pk}", _("Action: %(title)s (due %(due)s)") % {"title": t, "due": d})
          for pk, t, d in actions),
        *((f"objective:{pk}", _("Objective: %(title)s") % {"title": t}) for pk, t in objectives),
    ]  # fmt: skip


def assignee_choices(*, function: str) -> QuerySet[User]:
    """Who a head may assign: active people with a role, those of the function first."""
    return (
        User.objects.filter(is_active=True)
        .exclude(role="")
        .annotate(same=Count("pk", filter=Q(function=function)))
        .order_by("-same", "last_name", "username")
    )


class FeedKind(TextChoices):
    INTERACTION = "interaction", gettext_lazy("Interactions")
    TEAM = "team", gettext_lazy("Team changes")
    REQUEST = "request", gettext_lazy("Resource requests")
    NOTE = "note", gettext_lazy("Notes")
    # events of other apps, read through the core feed registry (decision 103)
    ACTION = "actions", gettext_lazy("Plan actions")


@dataclass
class FeedItem:
    kind: str
    at: dt.datetime
    account_id: int
    unit_id: int | None
    actor: User | None
    text: str
    link: str = ""
    obj: Any = None
    account: Unit | None = None


FEED_PAGE = 25
FEED_MAX_PAGE = 40


def _as_datetime(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return timezone.make_aware(dt.datetime.combine(value, dt.time.min))


def feed(
    *,
    account_ids: list[int],
    kinds: list[str] | None = None,
    unit: Unit | None = None,
    page: int = 1,
    per_page: int = FEED_PAGE,
) -> tuple[list[FeedItem], bool]:
    """The coordination feed of the accounts ``account_ids``, newest first: interactions, team
    changes, request events, notes and the registered sources' events (plan actions). One
    query per source kind, each limited to the rows the page needs, merged by date in Python.
    Returns the page and whether more rows follow."""
    page = max(1, min(page, FEED_MAX_PAGE))
    limit = page * per_page + 1
    wanted = set(kinds or FeedKind.values)
    items: list[FeedItem] = []
    accounts = Unit.objects.filter(pk__in=account_ids)
    by_path = {a.path: a for a in accounts.only("pk", "path", "name")}
    if FeedKind.INTERACTION in wanted:
        units = Unit.objects.in_accounts_of(accounts)
        if unit is not None:
            units = units.filter(subtree_q(unit))
        interactions = (
            Interaction.objects.filter(unit__in=units.values("pk"))
            .select_related("unit", "created_by")
            .order_by("-occurred_at", "-pk")[:limit]
        )
        for i in interactions:
            items.append(
                FeedItem(
                    kind=FeedKind.INTERACTION,
                    at=i.occurred_at,
                    account_id=by_path[i.unit.account_path].pk,
                    unit_id=i.unit_id,
                    actor=i.created_by,
                    text=f"{i.get_type_display()}: {i.summary}",
                    obj=i,
                )
            )
    if FeedKind.TEAM in wanted:
        rows = TeamMember.history.filter(account_id__in=account_ids)
        if unit is not None:
            rows = rows.filter(unit_id=unit.pk)
        for h in rows.select_related("user", "history_user").order_by("-history_date")[:limit]:
            verb = {"+": _("joined the team"), "~": _("membership changed"), "-": _("removed")}
            role = TeamRole(h.role).label if h.role in TeamRole.values else h.role
            text = f"{h.user} — {role}: {verb.get(h.history_type, '')}"
            if h.history_type == "~" and h.end is not None:
                text = f"{h.user} — {role}: {_('leaves on %(day)s') % {'day': h.end}}"
            items.append(
                FeedItem(
                    kind=FeedKind.TEAM,
                    at=h.history_date,
                    account_id=h.account_id,
                    unit_id=h.unit_id,
                    actor=h.history_user,
                    text=text,
                )
            )
    if FeedKind.REQUEST in wanted:
        events = RequestEvent.objects.filter(request__account_id__in=account_ids)
        if unit is not None:
            events = events.filter(request__unit=unit)
        for e in events.select_related("request", "actor").order_by("-at", "-pk")[:limit]:
            items.append(
                FeedItem(
                    kind=FeedKind.REQUEST,
                    at=e.at,
                    account_id=e.request.account_id,
                    unit_id=e.request.unit_id,
                    actor=e.actor,
                    text=f"{e.get_kind_display()} — {e.request.get_function_display()}: "
                    f"{e.request.what[:120]}",
                    link=reverse("teams:request", args=[e.request_id]),
                    obj=e,
                )
            )
    if FeedKind.NOTE in wanted:
        notes = FeedNote.objects.filter(account_id__in=account_ids)
        if unit is not None:
            notes = notes.filter(unit=unit)
        for n in notes.select_related("author", "unit").order_by("-at", "-pk")[:limit]:
            items.append(
                FeedItem(
                    kind=FeedKind.NOTE,
                    at=n.at,
                    account_id=n.account_id,
                    unit_id=n.unit_id,
                    actor=n.author,
                    text=n.text,
                    obj=n,
                )
            )
    for kind in sorted(wanted):
        source = feed_source(kind)
        if source is None:
            continue
        for event in source(account_ids, unit, limit):
            items.append(
                FeedItem(
                    kind=kind,
                    at=event.at,
                    account_id=event.account_id,
                    unit_id=event.unit_id,
                    actor=event.actor,
                    text=event.text,
                    link=event.link,
                    obj=event.obj,
                )
            )
    items.sort(key=lambda x: _as_datetime(x.at), reverse=True)
    by_pk = {a.pk: a for a in by_path.values()}
    for item in items:
        item.account = by_pk.get(item.account_id)
    start = (page - 1) * per_page
    return items[start : start + per_page], len(items) > start + per_page


# --- Indicators (DOMAIN §9, §10 condition 3) ----------------------------------------------------


@dataclass
class RequestIndicators:
    requests: int = 0
    open: int = 0
    overdue: int = 0
    done: int = 0
    done_on_time: int = 0
    mobilise_days: list[float] = field(default_factory=list)

    @property
    def on_time_share(self) -> float | None:
        """Share of the done requests done by their needed-by day (0–1; None: none done)."""
        return self.done_on_time / self.done if self.done else None

    @property
    def median_days_to_mobilise(self) -> float | None:
        return round(statistics.median(self.mobilise_days), 1) if self.mobilise_days else None


def request_indicators(
    *, account_ids: list[int] | None = None, by: str = "account"
) -> dict[Any, RequestIndicators]:
    """Per account (``by="account"``), per function (``by="function"``) or for the programme
    (``by="all"``, key ``None``): requests done on time and median days to mobilise (one query,
    a column list only)."""
    qs = ResourceRequest.objects.all()
    if account_ids is not None:
        qs = qs.filter(account_id__in=account_ids)
    today = timezone.localdate()
    out: dict[Any, RequestIndicators] = defaultdict(RequestIndicators)
    for account_id, function, status, opened, accepted, done, needed in qs.order_by().values_list(
        "account_id", "function", "status", "opened_at", "accepted_at", "done_at", "needed_by"
    ):
        key = account_id if by == "account" else function if by == "function" else None
        ind = out[key]
        ind.requests += 1
        if status in (RequestStatus.OPEN, RequestStatus.ACCEPTED):
            ind.open += 1
            if needed < today:
                ind.overdue += 1
        if accepted is not None:
            ind.mobilise_days.append((accepted - opened).total_seconds() / 86400)
        if status == RequestStatus.DONE and done is not None:
            ind.done += 1
            if timezone.localdate(done) <= needed:
                ind.done_on_time += 1
    return dict(out)


def programme_indicators() -> dict[str, Any]:
    """The programme's figures: requests, specialists per key account team, accounts without an
    executive sponsor (four queries)."""
    requests = request_indicators(by="all").get(None, RequestIndicators())
    key_ids = list(Unit.objects.accounts().filter(tier__in=KEY_TIERS).values_list("pk", flat=True))
    counts = team_counts(account_ids=key_ids)
    specialists = [counts.get(pk, {}).get("specialists", 0) for pk in key_ids]
    return {
        "requests": requests,
        "by_function": request_indicators(by="function"),
        "specialists_per_team": (
            round(sum(specialists) / len(specialists), 1) if specialists else None
        ),
        "without_sponsor": accounts_without_sponsor().count(),
    }
