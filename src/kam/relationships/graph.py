"""The relationship map of an account as graph JSON for ECharts (PRODUCT §5, issue 13).

Nodes are the customer's people (grouped by unit and function, org-chart edges from
reports-to) and our people; our links are edges whose width is the activity strength and whose
colour is the contact's attitude. Above :data:`CLUSTER_THRESHOLD` visible people the graph shows
unit × function clusters with their counts instead; ``cluster=<unit>:<function>`` fetches one
cluster's people. Everything comes from :func:`~kam.relationships.network.account_network`, so
the query count does not depend on the number of contacts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.errors import DomainError
from kam.core.filters import IntegerFilter, filter_queryset
from kam.customers.models import CustomerFunction, Employment, Seniority, Unit, subtree_q

from .models import Attitude, BuyingRoleKind
from .network import Network, Person, account_network, current_positions

CLUSTER_THRESHOLD = 300
ATTITUDES = tuple(str(a) for a in Attitude.values)
ATTITUDE_COLOURS = {
    "champion": "#198754",
    "supporter": "#20c997",
    "neutral": "#6c757d",
    "critic": "#fd7e14",
    "opponent": "#dc3545",
    "": "#adb5bd",
}
SYMBOL_SIZE = {"operational": 10, "middle": 14, "senior": 18, "board": 24}


def attitude_labels() -> dict[str, str]:
    labels = {str(k): str(v) for k, v in Attitude.choices}
    labels[""] = _("Attitude unknown")
    return labels


def role_choices() -> list[tuple[str, str]]:
    """The buying-centre roles."""
    return [(str(k), str(v)) for k, v in BuyingRoleKind.choices]


class MapFilter(django_filters.FilterSet):
    """The map's filter: ``unit`` (that unit and its sub-units), ``function``, ``seniority``,
    ``role`` and ``attitude`` (the buying-centre tables). The page and the API share it."""

    unit = IntegerFilter(method="in_unit", label=gettext_lazy("Unit"), min_value=1)
    function = django_filters.ChoiceFilter(
        field_name="function", choices=CustomerFunction.choices, label=gettext_lazy("Function")
    )
    seniority = django_filters.ChoiceFilter(
        field_name="seniority", choices=Seniority.choices, label=gettext_lazy("Seniority")
    )

    class Meta:
        model = Employment
        fields = ["unit", "function", "seniority"]

    def in_unit(
        self, queryset: QuerySet[Employment], name: str, value: int
    ) -> QuerySet[Employment]:
        unit = Unit.objects.filter(pk=value).first()
        if unit is None:
            return queryset.none()
        return queryset.filter(subtree_q(unit, "unit__"))


def cluster_key(person: Person) -> str:
    return f"{person.unit_id}:{person.function}"


def parse_cluster(value: str) -> tuple[int, str]:
    unit, _sep, function = value.partition(":")
    if not unit.isdigit() or function not in CustomerFunction.values:
        raise DomainError(
            _("Unknown cluster “%(value)s”.") % {"value": value[:50]}, field="cluster"
        )
    return int(unit), function


def map_network(
    *, account: Unit, filters: dict[str, Any] | None = None, cluster: str | None = None
) -> Network:
    positions = filter_queryset(MapFilter, filters, current_positions(account))
    if cluster:
        unit_id, function = parse_cluster(cluster)
        positions = positions.filter(unit_id=unit_id, function=function)
    return account_network(account=account, positions=positions)


def _people_filtered(network: Network, filters: dict[str, Any] | None) -> list[Person]:
    filters = filters or {}
    role, attitude = filters.get("role") or "", filters.get("attitude") or ""
    people = list(network.people.values())
    if role:
        people = [p for p in people if role in p.roles]
    if attitude:
        people = [p for p in people if p.attitude == (attitude if attitude != "unknown" else "")]
    return people


def _functions() -> dict[str, str]:
    return {str(k): str(v) for k, v in CustomerFunction.choices}


def _categories() -> list[dict[str, str]]:
    labels = attitude_labels()
    categories = [{"name": labels[a]} for a in (*ATTITUDES, "")]
    return categories + [{"name": _("Our people")}, {"name": _("Group of people")}]


def _width(strength: float, top: float) -> float:
    return round(1 + 7 * (strength / top if top > 0 else 0), 2)


def overview_facts(network: Network, people: list[Person]) -> dict[str, Any]:
    """The clustered overview of ``people`` without names or labels (kept per account and day,
    decision 106): groups ``[key, unit id, function, count]``, the edges as the graph JSON has
    them (they carry neither), and our people's ids."""
    shown = {p.contact_id: p for p in people}
    links = [link for link in network.links if link.contact_id in shown]
    top = network.max_strength
    groups: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        groups[cluster_key(person)].append(person)
    between: Counter[tuple[str, str]] = Counter()
    for person in people:
        boss = shown.get(person.manager_id) if person.manager_id else None
        if boss and cluster_key(boss) != cluster_key(person):
            between[(cluster_key(boss), cluster_key(person))] += 1
    edges: list[dict[str, Any]] = [
        {"source": f"g{a}", "target": f"g{b}", "kind": "org", "count": n}
        for (a, b), n in sorted(between.items())
    ]
    strength: dict[tuple[int, str], float] = defaultdict(float)
    for link in links:
        strength[(link.user_id, cluster_key(shown[link.contact_id]))] += link.strength
    for (user_id, key), total in sorted(strength.items()):
        edges.append(
            {
                "source": f"u{user_id}",
                "target": f"g{key}",
                "kind": "link",
                "strength": round(total, 3),
                "lineStyle": {"width": _width(min(total, top), top), "color": "#0d6efd"},
            }
        )
    return {
        "people": len(people),
        "groups": [
            [key, members[0].unit_id, members[0].function, len(members)]
            for key, members in sorted(groups.items())
        ],
        "edges": edges,
        "users": sorted({u for u, _k in strength}),
    }


def overview_unit_names(facts: dict[str, Any]) -> dict[int, str]:
    """The names of the overview's units (one query)."""
    ids = {unit_id for _key, unit_id, _function, _n in facts["groups"]}
    return dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def present_overview(
    facts: dict[str, Any],
    *,
    account: Unit,
    units: dict[int, str],
    users: dict[int, str],
    threshold: int = CLUSTER_THRESHOLD,
) -> dict[str, Any]:
    """The graph JSON of the clustered overview from its facts, with today's names."""
    functions = _functions()
    cluster_cat = len(ATTITUDES) + 2
    nodes: list[dict[str, Any]] = []
    for key, unit_id, function, count in facts["groups"]:
        nodes.append(
            {
                "id": f"g{key}",
                "kind": "cluster",
                "cluster": key,
                "name": f"{units.get(unit_id, '')} · {functions.get(function, function)}",
                "count": count,
                "value": count,
                "symbolSize": min(12 + 4 * count**0.5, 70),
                "category": cluster_cat,
            }
        )
    nodes += [_user_node(user_id, users) for user_id in facts["users"]]
    return {
        "account": {"id": account.pk, "name": account.name},
        "mode": "clusters",
        "cluster": None,
        "people": facts["people"],
        "threshold": threshold,
        "categories": _categories(),
        "nodes": nodes,
        "edges": facts["edges"],
    }


def _user_node(user_id: int, users: dict[int, str]) -> dict[str, Any]:
    return {
        "id": f"u{user_id}",
        "kind": "user",
        "user": user_id,
        "name": users.get(user_id, str(user_id)),
        "symbolSize": 20,
        "symbol": "diamond",
        "category": len(ATTITUDES) + 1,
    }


def check_filters(filters: dict[str, Any]) -> None:
    attitude = filters.get("attitude") or ""
    if attitude and attitude not in (*ATTITUDES, "unknown"):
        raise DomainError(
            _("Unknown attitude “%(value)s”.") % {"value": attitude[:30]}, field="attitude"
        )
    role = filters.get("role") or ""
    if role and role not in BuyingRoleKind.values:
        raise DomainError(_("Unknown role “%(value)s”.") % {"value": role[:30]}, field="role")


def map_graph(
    *,
    account: Unit,
    filters: dict[str, Any] | None = None,
    cluster: str | None = None,
    threshold: int = CLUSTER_THRESHOLD,
) -> dict[str, Any]:
    """The graph JSON of the account's map (see the module doc), computed directly; the
    unfiltered overview of a big account is read kept (``services.map_graph_current``)."""
    filters = filters or {}
    check_filters(filters)
    network = map_network(account=account, filters=filters, cluster=cluster)
    people = _people_filtered(network, filters)
    clustered = not cluster and len(people) > threshold
    if clustered:
        units = {p.unit_id: p.unit_name for p in people}
        return present_overview(
            overview_facts(network, people),
            account=account,
            units=units,
            users=network.users,
            threshold=threshold,
        )
    cat_of = {a: i for i, a in enumerate((*ATTITUDES, ""))}
    top = network.max_strength
    functions = _functions()
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    shown = {p.contact_id: p for p in people}
    links = [link for link in network.links if link.contact_id in shown]
    for person in people:
        nodes.append(
            {
                "id": f"c{person.contact_id}",
                "kind": "contact",
                "contact": person.contact_id,
                "name": person.name,
                "title": person.title,
                "unit": person.unit_name,
                "function": functions.get(person.function, person.function),
                "seniority": person.seniority,
                "roles": person.roles,
                "attitude": person.attitude,
                "influence": person.influence,
                "cluster": cluster_key(person),
                "symbolSize": SYMBOL_SIZE.get(person.seniority, 12),
                "category": cat_of.get(person.attitude, cat_of[""]),
            }
        )
        if person.manager_id in shown:
            edges.append(
                {
                    "source": f"c{person.manager_id}",
                    "target": f"c{person.contact_id}",
                    "kind": "org",
                }
            )
    for link in links:
        colour = ATTITUDE_COLOURS.get(shown[link.contact_id].attitude, ATTITUDE_COLOURS[""])
        edges.append(
            {
                "source": f"u{link.user_id}",
                "target": f"c{link.contact_id}",
                "kind": "link",
                "strength": link.strength,
                "level": link.level,
                "lineStyle": {"width": _width(link.strength, top), "color": colour},
            }
        )
    nodes += [_user_node(u, network.users) for u in sorted({link.user_id for link in links})]
    return {
        "account": {"id": account.pk, "name": account.name},
        "mode": "people",
        "cluster": cluster or None,
        "people": len(people),
        "threshold": threshold,
        "categories": _categories(),
        "nodes": nodes,
        "edges": edges,
    }
