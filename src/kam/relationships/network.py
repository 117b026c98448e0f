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
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from kam.customers.models import Employment, Unit, subtree_q

from .models import BuyingRole, ContactStance, LinkStrength, OurLink, RelationshipSettings

SENIORITY_RANK = {"operational": 1, "middle": 2, "senior": 3, "board": 4}
HALF_LIFE_DAYS = 90


@dataclass(slots=True)
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


class Link(NamedTuple):
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

    @cached_property
    def max_strength(self) -> float:
        """The strongest activity strength of the account (computed once per network)."""
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


def decay(age_days: float, half_life: float = HALF_LIFE_DAYS) -> float:
    """Time decay over ``age_days`` (half-life 90 days by default, DOMAIN §5)."""
    return float(math.pow(0.5, max(age_days, 0.0) / half_life))


def _half_life() -> float:
    value = RelationshipSettings.objects.values_list("half_life_days", flat=True).first()
    return float(value or HALF_LIFE_DAYS)


def _kept_links(contacts: QuerySet[Any], today: dt.date) -> list[Link]:
    """Our links to the contacts: the kept activity strength (decayed from the day it was
    computed to ``today``, decision 49) and the judged level, one row per pair (two queries,
    plus the settings row).

    A big account has tens of thousands of kept pairs, so the day is read as text (no date
    conversion per row) and the decay is computed once per distinct day: one refresh writes
    every pair with the same day.
    """
    half_life = _half_life()
    factors: dict[str, float] = {}

    def factor(as_of: str) -> float:
        known = factors.get(as_of)
        if known is None:
            day = dt.date.fromisoformat(as_of[:10])
            known = factors[as_of] = decay((today - day).days, half_life)
        return known

    pairs: dict[tuple[int, int], list[Any]] = {}
    for user_id, contact_id, strength, as_of, n in (
        LinkStrength.objects.filter(contact_id__in=contacts)
        .annotate(day=Cast("as_of", output_field=CharField()))
        .values_list("user_id", "contact_id", "strength", "day", "interactions")
    ):
        value = strength * factor(as_of) if as_of else strength
        pairs[(user_id, contact_id)] = [round(value, 3), None, n]
    for user_id, contact_id, level in OurLink.objects.filter(contact_id__in=contacts).values_list(
        "user_id", "contact_id", "level"
    ):
        pairs.setdefault((user_id, contact_id), [0.0, None, 0])[1] = level
    return [
        Link(user_id, contact_id, values[0], values[1], values[2])
        for (user_id, contact_id), values in sorted(pairs.items())
        if values[0] > 0 or (values[1] or 0) > 0
    ]


def _attach_roles(network: Network, contacts: QuerySet[Any]) -> None:
    """Buying-centre roles, attitude and influence of the people at this account."""
    people = network.people
    for contact_id, role in BuyingRole.objects.filter(
        account=network.account, contact_id__in=contacts
    ).values_list("contact_id", "role"):
        if contact_id in people:
            people[contact_id].roles.append(role)
    for contact_id, attitude, influence in ContactStance.objects.filter(
        account=network.account, contact_id__in=contacts
    ).values_list("contact_id", "attitude", "influence"):
        if contact_id in people:
            people[contact_id].attitude = attitude
            people[contact_id].influence = influence


def account_network(
    *, account: Unit, positions: QuerySet[Employment] | None = None, today: dt.date | None = None
) -> Network:
    """The account's people, our people and the links between them (seven queries)."""
    today = today or timezone.localdate()
    positions = positions if positions is not None else current_positions(account)
    people = _people(positions)
    contacts = positions.order_by().values("contact_id")
    links = [link for link in _kept_links(contacts, today) if link.contact_id in people]
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
    _attach_roles(network, contacts)
    return network
