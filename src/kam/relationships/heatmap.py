"""The coverage matrix: the customer's buying centre × our team as a heatmap of link strength,
with the coverage figures beside it (DOMAIN §5), each with the numbers behind it.

Rows are the buying-centre roles (a contact with several roles counts in each) or the customer's
functions; columns are our people with a link on the account. A cell is the summed activity
strength of that person's links to the row's contacts, and the number of contacts reached.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.customers.models import CustomerFunction, Seniority, Unit, subtree_q
from kam.interactions.models import Interaction

from .graph import attitude_labels, role_choices
from .models import RelationshipSettings
from .network import SENIORITY_RANK, Network, account_network

STRUCTURE_WINDOW_DAYS = 365


def _kam_share(account: Unit, today: dt.date) -> tuple[int, int]:
    """Interactions of the account in the last year, and how many of them involve the KAM."""
    since = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=STRUCTURE_WINDOW_DAYS), dt.time.min)
    )
    kam_id = account.account_manager_id
    counts = Interaction.objects.filter(
        subtree_q(account, "unit__"), occurred_at__gte=since
    ).aggregate(
        total=Count("pk", distinct=True),
        kam=Count("pk", distinct=True, filter=Q(participants=kam_id)) if kam_id else Count(None),
    )
    return int(counts["total"] or 0), int(counts["kam"] or 0)


def relationship_settings() -> RelationshipSettings:
    """The stored thresholds (the documented defaults when none are stored yet)."""
    return RelationshipSettings.objects.first() or RelationshipSettings()


def coverage_figures(
    network: Network, *, kam_total: tuple[int, int], config: RelationshipSettings
) -> dict[str, Any]:
    """Function, level and role coverage, single points of failure and contact structure."""
    spof_share = float(config.spof_share)
    people = network.people
    links = [link for link in network.links if link.contact_id in people]
    reached = {link.contact_id for link in links}
    functions_present = {p.function for p in people.values()}
    functions_reached = {people[c].function for c in reached}
    top_rank = max((SENIORITY_RANK.get(people[c].seniority, 0) for c in reached), default=0)
    seniority = {str(k): str(v) for k, v in Seniority.choices}
    highest = next((k for k, r in SENIORITY_RANK.items() if r == top_rank), "")
    ours: Counter[int] = Counter(link.user_id for link in links)
    theirs: Counter[int] = Counter(link.contact_id for link in links)
    ties = len(links)
    spof: list[dict[str, Any]] = []
    if ties:
        for user_id, n in ours.items():
            if n / ties >= spof_share:
                spof.append(
                    {
                        "side": "ours",
                        "name": network.users.get(user_id, str(user_id)),
                        "ties": n,
                        "share": round(100 * n / ties),
                    }
                )
        for contact_id, n in theirs.items():
            if n / ties >= spof_share:
                spof.append(
                    {
                        "side": "theirs",
                        "name": people[contact_id].name,
                        "ties": n,
                        "share": round(100 * n / ties),
                    }
                )
    total, with_kam = kam_total
    k = with_kam / total if total else 0.0
    n_functions = len(functions_reached)
    if total and k >= float(config.bowtie_min_k) and n_functions <= config.bowtie_max_functions:
        structure = "bow_tie"
    elif total and k <= float(config.diamond_max_k) and n_functions >= config.diamond_min_functions:
        structure = "diamond"
    else:
        structure = "transitional"
    structure_label = {
        "bow_tie": _("Bow-tie"),
        "diamond": _("Diamond"),
        "transitional": _("Transitional"),
    }[structure]
    required = [str(r) for r in config.required_roles]
    held = {r for p in people.values() for r in p.roles}
    held |= {p.attitude for p in people.values() if p.attitude == "champion"}
    missing = [r for r in required if r not in held]
    filled = len(required) - len(missing)
    role_labels = {**dict(role_choices()), "champion": attitude_labels()["champion"]}
    return {
        "role_coverage": {
            "filled": filled,
            "required": len(required),
            "percent": round(100 * filled / len(required)) if required else 100,
            "missing": [role_labels.get(r, r) for r in missing],
        },
        "function_coverage": {
            "reached": len(functions_reached),
            "present": len(functions_present),
            "percent": round(100 * len(functions_reached) / len(functions_present))
            if functions_present
            else 0,
        },
        "level_coverage": {
            "highest": highest,
            "highest_label": seniority.get(highest, "—"),
            "percent": round(100 * top_rank / 4),
        },
        "single_points_of_failure": {
            "ties": ties,
            "threshold": round(100 * spof_share),
            "people": spof,
        },
        "contact_structure": {
            "structure": structure,
            "label": structure_label,
            "kam_share": round(100 * k),
            "interactions": total,
            "with_kam": with_kam,
            "functions_reached": n_functions,
        },
        "contacts": len(people),
        "contacts_reached": len(reached),
    }


def coverage_matrix(
    *, account: Unit, by: str = "role", today: dt.date | None = None
) -> dict[str, Any]:
    """The heatmap data and the coverage figures of the account (a fixed number of queries)."""
    if by not in ("role", "function"):
        raise DomainError(_("Group the matrix by role or by function."), field="by")
    today = today or timezone.localdate()
    network = account_network(account=account, today=today)
    people = network.people
    if by == "role":
        rows = [(str(k), str(v)) for k, v in role_choices()]
    else:
        rows = [(str(k), str(v)) for k, v in CustomerFunction.choices]
    members: dict[str, set[int]] = defaultdict(set)
    for person in people.values():
        for key in person.roles if by == "role" else [person.function]:
            members[key].add(person.contact_id)
    rows = [(key, label) for key, label in rows if members.get(key)]
    links = [link for link in network.links if link.contact_id in people]
    columns = sorted(
        {link.user_id for link in links}, key=lambda u: network.users.get(u, "").lower()
    )
    col_index = {u: i for i, u in enumerate(columns)}
    cells: dict[tuple[int, int], list[float]] = {}
    for r, (key, _label) in enumerate(rows):
        for link in links:
            if link.contact_id in members[key]:
                cell = cells.setdefault((r, col_index[link.user_id]), [0.0, 0])
                cell[0] += link.strength
                cell[1] += 1
    data = [[c, r, round(v[0], 3), int(v[1])] for (r, c), v in sorted(cells.items())]
    figures = coverage_figures(
        network, kam_total=_kam_share(account, today), config=relationship_settings()
    )
    return {
        "account": {"id": account.pk, "name": account.name},
        "by": by,
        "rows": [
            {"key": key, "label": label, "contacts": len(members[key])} for key, label in rows
        ],
        "columns": [{"id": u, "name": network.users.get(u, str(u))} for u in columns],
        "cells": data,
        "max": max((d[2] for d in data), default=0),
        "figures": figures,
    }
