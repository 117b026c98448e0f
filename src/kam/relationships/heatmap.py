"""The coverage matrix: the customer's buying centre × our team as a heatmap of link strength,
with the coverage figures beside it (DOMAIN §5), each with the numbers behind it.

Rows are the buying-centre roles (a contact with several roles counts in each) or the customer's
functions; columns are our people with a link on the account. A cell is the summed activity
strength of that person's links to the row's contacts, and the number of contacts reached.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.customers.models import CustomerFunction, Seniority, Unit

from .graph import attitude_labels, role_choices
from .network import Network, account_network
from .selectors import account_metrics


def coverage_figures(network: Network, metrics: dict[str, Any]) -> dict[str, Any]:
    """The account's DOMAIN §5 metrics (``selectors.account_metrics``, the figures the metric
    registry reports) made readable: labels and names instead of keys and ids."""
    roles = {**dict(role_choices()), "champion": attitude_labels()["champion"]}
    functions = {str(k): str(v) for k, v in CustomerFunction.choices}
    seniority = {str(k): str(v) for k, v in Seniority.choices}
    structures = {
        "bow_tie": _("Bow-tie"),
        "diamond": _("Diamond"),
        "transitional": _("Transitional"),
        None: _("Not known (no interactions)"),
    }
    role = metrics.get("role_coverage", {})
    function = metrics.get("function_coverage", {})
    level = metrics.get("level_coverage", {})
    spof = dict(metrics.get("single_point_of_failure", {}))
    structure = metrics.get("structure", {})
    if spof.get("our_person") is not None:
        spof["our_name"] = network.users.get(spof["our_person"]) or str(spof["our_person"])
        spof["our_percent"] = round(100 * spof["our_share"])
    if spof.get("their_person") is not None:
        person = network.people.get(spof["their_person"])
        spof["their_name"] = person.name if person else str(spof["their_person"])
        spof["their_percent"] = round(100 * spof["their_share"])
    return {
        "role_coverage": {
            **role,
            "filled_labels": [roles.get(r, r) for r in role.get("filled", [])],
            "missing_labels": [roles.get(r, r) for r in role.get("missing", [])],
        },
        "function_coverage": {
            **function,
            "reached_labels": [functions.get(f, f) for f in function.get("reached", [])],
        },
        "level_coverage": {
            **level,
            "highest_label": seniority.get(level.get("highest") or "", "—"),
        },
        "single_point_of_failure": spof,
        "structure": {
            **structure,
            "label": structures.get(structure.get("value"), structure.get("value")),
            "k_percent": None if structure.get("k") is None else round(100 * structure["k"]),
        },
        "contact_coverage": metrics.get("contact_coverage", {}),
        "contacts": len(network.people),
        "contacts_linked": len({link.contact_id for link in network.links}),
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
    figures = coverage_figures(network, account_metrics(account=account, as_of=today))
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
