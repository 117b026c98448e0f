"""One account's relationship network, loaded in a fixed number of queries whatever its size.

The map, the coverage matrix and the warm paths all read the same picture of an account: the
customer's people (their current positions anywhere in the account's subtree, with unit,
function, seniority and reports-to), our people, and our links to theirs (activity strength and
judged level). :func:`account_network` loads it with one query per kind of row, never one per
person, so a 10,000-contact account costs the same number of queries as a 10-contact one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from django.contrib.auth import get_user_model
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from kam.customers.models import Employment, Unit, subtree_q
from kam.interactions.models import Interaction

SENIORITY_RANK = {"operational": 1, "middle": 2, "senior": 3, "board": 4}
# Look-back of the activity strength computed here when no kept strength exists (decision 52).
ACTIVITY_WINDOW_DAYS = 730
HALF_LIFE_DAYS = 90


@dataclass
class Person:
    """A contact in their current position at the account."""

    contact_id: int
    employment_id: int
    name: str
    title: str
    unit_id: int
    unit_name: str
    function: str
    seniority: str
    manager_id: int | None = None  # contact id of the person they report to
    roles: list[str] = field(default_factory=list)
    attitude: str = ""
    influence: int | None = None


@dataclass(frozen=True)
class Link:
    """One of our people and one of theirs: activity strength and judged level 0–4."""

    user_id: int
    contact_id: int
    strength: float
    level: int | None = None
    interactions: int = 0


@dataclass
class Network:
    account: Unit
    people: dict[int, Person]
    users: dict[int, str]
    links: list[Link]

    @property
    def max_strength(self) -> float:
        return max((link.strength for link in self.links), default=0.0)

    def weight(self, link: Link) -> float:
        """The link's normalised strength in (0, 1]: activity strength relative to the
        strongest link of the account, or the judged level / 4, whichever is higher."""
        top = self.max_strength
        activity = link.strength / top if top > 0 else 0.0
        judged = (link.level or 0) / 4
        return max(activity, judged, 0.01)


def current_positions(account: Unit) -> QuerySet[Employment]:
    """Current positions anywhere in the account's subtree (the map's base query set)."""
    return Employment.objects.filter(subtree_q(account, "unit__"), end_date__isnull=True)


def _people(positions: QuerySet[Employment]) -> dict[int, Person]:
    rows = positions.order_by("contact_id", "-seniority", "pk").values_list(
        "pk",
        "contact_id",
        "contact__first_name",
        "contact__last_name",
        "title",
        "unit_id",
        "unit__name",
        "function",
        "seniority",
        "reports_to__contact_id",
    )
    people: dict[int, Person] = {}
    for pk, cid, first, last, title, unit_id, unit_name, function, seniority, boss in rows:
        current = people.get(cid)
        # A person with two current positions at the account: the most senior one counts.
        if current and SENIORITY_RANK.get(current.seniority, 0) >= SENIORITY_RANK.get(seniority, 0):
            continue
        people[cid] = Person(
            contact_id=cid,
            employment_id=pk,
            name=f"{first} {last}".strip(),
            title=title,
            unit_id=unit_id,
            unit_name=unit_name,
            function=function,
            seniority=seniority,
            manager_id=boss if boss != cid else None,
        )
    return people


def decay(age_days: float) -> float:
    """Time decay of an interaction ``age_days`` old (half-life 90 days, DOMAIN §5)."""
    return float(math.pow(0.5, max(age_days, 0.0) / HALF_LIFE_DAYS))


def _activity_links(account: Unit, today: dt.date) -> list[Link]:
    """Activity links computed from shared interactions in one grouped query.

    The fallback when no kept link strength exists: per pair the number of shared interactions
    in the window, decayed from the latest one (decision 52)."""
    since = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=ACTIVITY_WINDOW_DAYS), dt.time.min)
    )
    rows = (
        Interaction.objects.filter(subtree_q(account, "unit__"), occurred_at__gte=since)
        .filter(participants__isnull=False, contacts__isnull=False)
        .values_list("participants", "contacts")
        .annotate(n=Count("pk"), last=Max("occurred_at"))
        .order_by()
    )
    links = []
    for user_id, contact_id, n, last in rows:
        age = (today - timezone.localtime(last).date()).days
        links.append(Link(user_id, contact_id, round(n * decay(age), 3), None, n))
    return links


def _kept_links(account: Unit, people: Iterable[int], today: dt.date) -> list[Link] | None:
    """Links from the relationships app's kept tables, or None when it keeps none yet."""
    return None


def _attach_roles(network: Network) -> None:
    """Buying-centre roles, attitude and influence of the people (relationships tables)."""
    return None


def account_network(*, account: Unit, positions: QuerySet[Employment] | None = None,
                    today: dt.date | None = None) -> Network:
    """The account's people, our people and the links between them (four queries)."""
    today = today or timezone.localdate()
    people = _people(positions if positions is not None else current_positions(account))
    links = _kept_links(account, people, today)
    if links is None:
        links = _activity_links(account, today)
    users: dict[int, str] = {}
    user_ids = {link.user_id for link in links}
    if user_ids:
        for pk, username, first, last in (
            get_user_model()
            .objects.filter(pk__in=user_ids)
            .values_list("pk", "username", "first_name", "last_name")
        ):
            users[pk] = f"{first} {last}".strip() or username
    network = Network(account=account, people=people, users=users, links=links)
    _attach_roles(network)
    return network
