"""Warm paths: chains of introduction from our people to a contact of the customer.

The graph has our people and the account's people as nodes. Edges: one of ours — one of theirs
where we have a link (activity strength > 0 or judged level ≥ 1), weighted by the link's
normalised strength (:meth:`Network.weight`); one of theirs — their manager (reports-to, both
ways), weight :data:`ORG_WEIGHT`. Paths are ranked shortest first, then strongest, where a path's
strength is the product of its hops' weights (decision 53). The search is a best-first search
from the target over that lexicographic cost, each node settled at most ``k`` times, so the top
``k`` simple paths come out in order without enumerating all of them.

A request does not load the account's whole network (decision 106): the search goes hop by hop,
and before it expands the first node of a hop, :class:`PathGraph` reads from the kept tables the
neighbours of every node of that hop only (their positions and reports-to, their kept link
strengths and judged levels: three queries per hop, at most :data:`MAX_HOPS` hops), building
their adjacency exactly as :func:`build_adjacency` orders it, so the paths are the same.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.customers.models import Unit

from .heatmap import user_names
from .models import AccountFigures, LinkStrength, OurLink, StaleFigures
from .network import (
    SENIORITY_RANK,
    Network,
    Person,
    _half_life,
    current_positions,
    decay,
)

ORG_WEIGHT = 0.5
MAX_HOPS = 6
DEFAULT_K = 5

Node = str  # "u<user id>" or "c<contact id>"


@dataclass(frozen=True)
class Hop:
    source: Node
    target: Node
    kind: str  # "knows", "manages", "reports_to"
    weight: float
    text: str


@dataclass(frozen=True)
class WarmPath:
    nodes: tuple[Node, ...]
    hops: tuple[Hop, ...]
    strength: float

    @property
    def length(self) -> int:
        return len(self.hops)

    def as_dict(self) -> dict[str, Any]:
        return {
            "length": self.length,
            "strength": round(self.strength, 4),
            "nodes": list(self.nodes),
            "hops": [
                {
                    "from": h.source,
                    "to": h.target,
                    "kind": h.kind,
                    "weight": round(h.weight, 4),
                    "text": h.text,
                }
                for h in self.hops
            ],
            "text": "; ".join(h.text for h in self.hops),
        }


Adjacency = dict[Node, list[tuple[Node, str, float]]]


def build_adjacency(network: Network) -> Adjacency:
    """The undirected weighted graph of the network; each edge kept in both directions with the
    kind of relation as seen from its source."""
    adj: Adjacency = defaultdict(list)
    for person in network.people.values():
        boss = person.manager_id
        if boss is not None and boss in network.people:
            a, b = f"c{boss}", f"c{person.contact_id}"
            adj[a].append((b, "manages", ORG_WEIGHT))
            adj[b].append((a, "reports_to", ORG_WEIGHT))
    for link in network.links:
        if link.contact_id not in network.people:
            continue
        if link.strength <= 0 and (link.level or 0) < 1:
            continue
        w = network.weight(link)
        u, c = f"u{link.user_id}", f"c{link.contact_id}"
        adj[u].append((c, "knows", w))
        adj[c].append((u, "known_by", w))
    return adj


def search(
    adj: Adjacency,
    target: Node,
    *,
    k: int = DEFAULT_K,
    max_hops: int = MAX_HOPS,
    load: Callable[[list[Node]], None] | None = None,
) -> list[tuple[tuple[Node, ...], tuple[float, ...]]]:
    """The ``k`` best simple paths from any of our people (``u…``) to ``target``, as
    (nodes from our person to the target, hop weights), shortest first, then strongest.

    ``load``, when given, fills ``adj`` on demand: it is called with the nodes of a hop before
    the first of them is expanded (all of that hop's nodes are in the heap by then)."""
    loaded_hops = -1
    found: list[tuple[tuple[Node, ...], tuple[float, ...]]] = []
    settled: dict[Node, int] = defaultdict(int)
    counter = 0
    # (hops, -log strength, tie-breaker, node, path back to the target, weights)
    heap: list[tuple[int, float, int, Node, tuple[Node, ...], tuple[float, ...]]] = [
        (0, 0.0, 0, target, (target,), ())
    ]
    while heap and len(found) < k:
        hops, cost, _tie, node, path, weights = heapq.heappop(heap)
        if settled[node] >= k:
            continue
        settled[node] += 1
        if node.startswith("u"):
            found.append((tuple(reversed(path)), tuple(reversed(weights))))
            continue  # a path ends at the first of our people met
        if hops >= max_hops:
            continue
        if load is not None and hops > loaded_hops:
            load([node, *(entry[3] for entry in heap if entry[0] == hops)])
            loaded_hops = hops
        for nxt, _kind, w in adj.get(node, ()):
            if nxt in path or settled[nxt] >= k:
                continue
            counter += 1
            heapq.heappush(
                heap, (hops + 1, cost - math.log(w), counter, nxt, (*path, nxt), (*weights, w))
            )
    return found


def _explain(
    users: Mapping[int, str],
    people: Mapping[int, Person],
    adj: Adjacency,
    nodes: tuple[Node, ...],
    weights: tuple[float, ...],
) -> WarmPath:
    def name(node: Node) -> str:
        if node.startswith("u"):
            return users.get(int(node[1:]), node)
        return people[int(node[1:])].name

    def title(node: Node) -> str:
        person = people[int(node[1:])]
        return f"{person.name} ({person.title})" if person.title else person.name

    hops = []
    for a, b, w in zip(nodes[:-1], nodes[1:], weights, strict=True):
        # our people's edges are all "knows" (a path starts at one and never passes one)
        kind = "knows" if a.startswith("u") else next(k for n, k, _w in adj[a] if n == b)
        if kind == "knows":
            text = _("%(ours)s knows %(theirs)s") % {"ours": name(a), "theirs": title(b)}
        elif kind == "manages":
            text = _("%(boss)s manages %(report)s") % {"boss": name(a), "report": title(b)}
        else:
            text = _("%(report)s reports to %(boss)s") % {"report": name(a), "boss": title(b)}
        hops.append(Hop(a, b, kind, w, text))
    return WarmPath(nodes=nodes, hops=tuple(hops), strength=math.prod(weights))


def warm_paths_in(
    network: Network, contact_id: int, *, k: int = DEFAULT_K, max_hops: int = MAX_HOPS
) -> list[WarmPath]:
    """The top ``k`` warm paths to the contact within an already loaded network."""
    if contact_id not in network.people:
        raise DomainError(
            _("This contact has no current position at the account."), field="contact"
        )
    adj = build_adjacency(network)
    return [
        _explain(network.users, network.people, adj, nodes, weights)
        for nodes, weights in search(adj, f"c{contact_id}", k=k, max_hops=max_hops)
    ]


class PathGraph:
    """The account's graph of warm paths, read from the kept tables hop by hop (see the
    module doc): ``people`` and ``adj`` grow as :meth:`load` reads the nodes of a hop."""

    def __init__(self, account: Unit, today: dt.date | None = None) -> None:
        self.account = account
        self.today = today or timezone.localdate()
        self.half_life = _half_life()
        self.factors: dict[dt.date, float] = {}
        self.top = self._top()
        self.people: dict[int, Person] = {}
        self.adj: Adjacency = {}
        self.links: dict[int, list[tuple[int, float, int | None]]] = {}

    def _factor(self, day: dt.date) -> float:
        known = self.factors.get(day)
        if known is None:
            known = self.factors[day] = decay((self.today - day).days, self.half_life)
        return known

    def _top(self) -> float:
        """The strongest link of the account today (:attr:`Network.max_strength`): from the
        account's kept figures when they are fresh (decision 106), else from the strongest
        kept strength per computing day (one query, two when the figures are not fresh)."""
        kept = (
            AccountFigures.objects.filter(account=self.account, as_of=self.today)
            .exclude(Exists(StaleFigures.objects.filter(root_path=self.account.path)))
            .values_list("payload__figures__max_strength", flat=True)
            .first()
        )
        if kept is not None:
            return float(kept)
        contacts = current_positions(self.account).order_by().values("contact_id")
        rows = (
            LinkStrength.objects.filter(contact_id__in=contacts)
            .values("as_of")
            .annotate(top=Max("strength"))
            .order_by()
            .values_list("as_of", "top")
        )
        return max((round(top * self._factor(day), 3) for day, top in rows), default=0.0)

    def load(self, nodes: list[Node]) -> None:
        """Read the adjacency of these contact nodes (three queries)."""
        ids = sorted({int(n[1:]) for n in nodes if n.startswith("c") and n not in self.adj})
        if not ids:
            return
        positions = current_positions(self.account)
        reports = positions.filter(reports_to__contact_id__in=ids).values("contact_id")
        here = current_positions(self.account).filter(contact_id=OuterRef("reports_to__contact_id"))
        rows = (
            positions.filter(Q(contact_id__in=ids) | Q(contact_id__in=reports))
            .annotate(boss_here=Exists(here))
            .order_by("contact_id", "-seniority", "pk")
            .values_list(
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
                "boss_here",
            )
        )
        # the position that counts per person, as ``network._people`` chooses it
        chosen: dict[int, tuple[Person, bool]] = {}
        for pk, cid, first, last, title, unit_id, unit_name, function, seniority, boss, ok in rows:
            current = chosen.get(cid)
            if current and SENIORITY_RANK.get(current[0].seniority, 0) >= SENIORITY_RANK.get(
                seniority, 0
            ):
                continue
            person = Person(
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
            chosen[cid] = (person, bool(ok))
        for cid, (person, _ok) in chosen.items():
            self.people.setdefault(cid, person)
        wanted = set(ids)
        org: dict[int, list[tuple[int, Node, str]]] = {cid: [] for cid in ids}
        for cid, (person, boss_here) in chosen.items():
            manager = person.manager_id
            if manager is None or not boss_here:
                continue
            if cid in wanted:  # ordered by the person's own id, as build_adjacency goes
                org[cid].append((cid, f"c{manager}", "reports_to"))
            if manager in wanted:
                org[manager].append((cid, f"c{cid}", "manages"))
        pairs: dict[tuple[int, int], list[Any]] = {}
        for user_id, contact_id, strength, as_of in LinkStrength.objects.filter(
            contact_id__in=ids
        ).values_list("user_id", "contact_id", "strength", "as_of"):
            pairs[(user_id, contact_id)] = [round(strength * self._factor(as_of), 3), None]
        for user_id, contact_id, level in OurLink.objects.filter(contact_id__in=ids).values_list(
            "user_id", "contact_id", "level"
        ):
            pairs.setdefault((user_id, contact_id), [0.0, None])[1] = level
        known: dict[int, list[tuple[int, float, int | None]]] = defaultdict(list)
        for (user_id, contact_id), (strength, level) in sorted(pairs.items()):
            if strength > 0 or (level or 0) > 0:
                known[contact_id].append((user_id, strength, level))
        top = self.top
        for cid in ids:
            if cid not in self.people:
                self.adj[f"c{cid}"] = []
                continue
            edges = [(node, kind, ORG_WEIGHT) for _key, node, kind in sorted(org[cid])]
            self.links[cid] = known.get(cid, [])
            for user_id, value, judged in self.links[cid]:
                activity = value / top if top > 0 else 0.0
                weight = max(activity, (judged or 0) / 4, 0.01)
                edges.append((f"u{user_id}", "known_by", weight))
            self.adj[f"c{cid}"] = edges


def warm_paths(*, account: Unit, contact_id: int, k: int = DEFAULT_K) -> dict[str, Any]:
    """Warm paths to a contact of the account, searched hop by hop over the kept tables
    (:class:`PathGraph`: a number of queries bounded by the hops, not by the contacts)."""
    if not 1 <= k <= 20:
        raise DomainError(_("Ask for between 1 and 20 paths."), field="k")
    graph = PathGraph(account)
    target = f"c{contact_id}"
    graph.load([target])
    person = graph.people.get(contact_id)
    if person is None:
        raise DomainError(
            _("This contact has no current position at the account."), field="contact"
        )
    found = search(graph.adj, target, k=k, load=graph.load)
    known = graph.links.get(contact_id, [])
    names = user_names({int(nodes[0][1:]) for nodes, _w in found} | {u for u, _s, _l in known})
    paths = [_explain(names, graph.people, graph.adj, nodes, weights) for nodes, weights in found]
    return {
        "contact": {
            "id": contact_id,
            "name": person.name,
            "title": person.title,
            "unit": person.unit_name,
        },
        "known_by": sorted(names.get(u, str(u)) for u, _s, _l in known),
        "paths": [p.as_dict() for p in paths],
    }
