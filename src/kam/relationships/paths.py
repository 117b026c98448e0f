"""Warm paths: chains of introduction from our people to a contact of the customer.

The graph has our people and the account's people as nodes. Edges: one of ours — one of theirs
where we have a link (activity strength > 0 or judged level ≥ 1), weighted by the link's
normalised strength (:meth:`Network.weight`); one of theirs — their manager (reports-to, both
ways), weight :data:`ORG_WEIGHT`. Paths are ranked shortest first, then strongest, where a path's
strength is the product of its hops' weights (decision 53). The search is a best-first search
from the target over that lexicographic cost, each node settled at most ``k`` times, so the top
``k`` simple paths come out in order without enumerating all of them; it runs in memory over the
network loaded in a fixed number of queries.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.customers.models import Unit

from .network import Network, account_network

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
    adj: Adjacency, target: Node, *, k: int = DEFAULT_K, max_hops: int = MAX_HOPS
) -> list[tuple[tuple[Node, ...], tuple[float, ...]]]:
    """The ``k`` best simple paths from any of our people (``u…``) to ``target``, as
    (nodes from our person to the target, hop weights), shortest first, then strongest."""
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
        for nxt, _kind, w in adj.get(node, ()):
            if nxt in path or settled[nxt] >= k:
                continue
            counter += 1
            heapq.heappush(
                heap, (hops + 1, cost - math.log(w), counter, nxt, (*path, nxt), (*weights, w))
            )
    return found


def _explain(
    network: Network, adj: Adjacency, nodes: tuple[Node, ...], weights: tuple[float, ...]
) -> WarmPath:
    def name(node: Node) -> str:
        if node.startswith("u"):
            return network.users.get(int(node[1:]), node)
        return network.people[int(node[1:])].name

    def title(node: Node) -> str:
        person = network.people[int(node[1:])]
        return f"{person.name} ({person.title})" if person.title else person.name

    hops = []
    for a, b, w in zip(nodes[:-1], nodes[1:], weights, strict=True):
        kind = next(kind for nxt, kind, _w in adj[a] if nxt == b)
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
        _explain(network, adj, nodes, weights)
        for nodes, weights in search(adj, f"c{contact_id}", k=k, max_hops=max_hops)
    ]


def warm_paths(*, account: Unit, contact_id: int, k: int = DEFAULT_K) -> dict[str, Any]:
    """Warm paths to a contact of the account (loads the network in a fixed number of queries)."""
    if not 1 <= k <= 20:
        raise DomainError(_("Ask for between 1 and 20 paths."), field="k")
    network = account_network(account=account)
    paths = warm_paths_in(network, contact_id, k=k)
    person = network.people[contact_id]
    known_by = sorted(
        network.users.get(link.user_id, str(link.user_id))
        for link in network.links
        if link.contact_id == contact_id and (link.strength > 0 or (link.level or 0) >= 1)
    )
    return {
        "contact": {
            "id": contact_id,
            "name": person.name,
            "title": person.title,
            "unit": person.unit_name,
        },
        "known_by": known_by,
        "paths": [p.as_dict() for p in paths],
    }
