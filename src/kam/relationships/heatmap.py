"""The coverage matrix: the customer's buying centre × our team as a heatmap of link strength,
with the coverage figures beside it (DOMAIN §5), each with the numbers behind it.

Rows are the buying-centre roles (a contact with several roles counts in each) or the customer's
functions; columns are our people with a link on the account. A cell is the summed activity
strength of that person's links to the row's contacts, and the number of contacts reached.

The figures are computed in two steps so that they can be kept (decision 106): the *facts*
(:func:`matrix_facts`, :func:`figures_facts`, plain JSON without names or labels) come from the
account's network and metrics, and :func:`present_matrix` turns them into the page's and the
API's answer with the names of today and the labels of the request's language.
:func:`coverage_matrix` is the direct computation; ``services.coverage_matrix_current`` reads
the facts kept per account and day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.customers.models import Contact, CustomerFunction, Seniority, Unit

from .graph import attitude_labels, overview_facts, role_choices
from .network import Network, account_network
from .selectors import account_metrics, single_link_members

GROUPINGS = ("role", "function")


def check_grouping(by: str) -> None:
    if by not in GROUPINGS:
        raise DomainError(_("Group the matrix by role or by function."), field="by")


def user_names(ids: Collection[int]) -> dict[int, str]:
    """Our people's names as the network shows them (one query, none for no ids)."""
    if not ids:
        return {}
    return {
        pk: f"{first} {last}".strip() or username
        for pk, username, first, last in get_user_model()
        .objects.filter(pk__in=list(ids))
        .values_list("pk", "username", "first_name", "last_name")
    }


def contact_names(ids: Collection[int]) -> dict[int, str]:
    """Their people's names as the network shows them (one query, none for no ids)."""
    if not ids:
        return {}
    return {
        pk: f"{first} {last}".strip()
        for pk, first, last in Contact.objects.filter(pk__in=list(ids)).values_list(
            "pk", "first_name", "last_name"
        )
    }


# --------------------------------------------------------------------------------------------
# Facts: what is kept


def figures_facts(network: Network, metrics: dict[str, Any]) -> dict[str, Any]:
    """The DOMAIN §5 metrics with what naming them needs: whether the single point of failure
    on either side is a person of the network (else the page shows their id)."""
    spof = metrics.get("single_point_of_failure", {})
    return {
        "metrics": metrics,
        "contacts": len(network.people),
        "contacts_linked": len({link.contact_id for link in network.links}),
        # the normalisation of warm paths' link weights, read by ``paths.PathGraph``
        "max_strength": network.max_strength,
        "our_named": spof.get("our_person") in network.users,
        "their_named": spof.get("their_person") in network.people,
    }


def matrix_facts(network: Network, by: str) -> dict[str, Any]:
    """One grouping of the matrix: rows ``[key, contacts]`` in the order of the choices, our
    people's ids, and cells ``[row index, user id, summed strength, contacts]``."""
    people = network.people
    keys = [k for k, _label in role_choices()] if by == "role" else CustomerFunction.values
    members: dict[str, set[int]] = defaultdict(set)
    for person in people.values():
        for key in person.roles if by == "role" else [person.function]:
            members[key].add(person.contact_id)
    rows = [str(key) for key in keys if members.get(key)]
    row_of: dict[int, list[int]] = defaultdict(list)
    for r, key in enumerate(rows):
        for contact_id in members[key]:
            row_of[contact_id].append(r)
    links = [link for link in network.links if link.contact_id in people]
    cells: dict[tuple[int, int], list[float]] = {}
    for link in links:  # in link order, as the sums always were
        for r in row_of.get(link.contact_id, ()):
            cell = cells.setdefault((r, link.user_id), [0.0, 0])
            cell[0] += link.strength
            cell[1] += 1
    return {
        "rows": [[key, len(members[key])] for key in rows],
        "users": sorted({link.user_id for link in links}),
        "cells": [[r, u, round(v[0], 3), int(v[1])] for (r, u), v in sorted(cells.items())],
    }


def account_figures(
    *, account: Unit, today: dt.date | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Everything kept of an account for a day (a fixed number of queries): the matrix in both
    groupings with the figures, and the map's clustered overview."""
    today = today or timezone.localdate()
    network = account_network(account=account, today=today)
    metrics = account_metrics(account=account, as_of=today)
    matrix = {
        "matrix": {by: matrix_facts(network, by) for by in GROUPINGS},
        "figures": figures_facts(network, metrics),
        # the gaps' members known by one person of ours (decision 141), as [contact, user]
        "single_link": sorted(
            [c, u] for c, u in single_link_members(account=account, as_of=today).items()
        ),
    }
    return matrix, overview_facts(network, list(network.people.values()))


# --------------------------------------------------------------------------------------------
# Presentation: names and labels of the request


def present_figures(
    facts: Mapping[str, Any], users: Mapping[int, str], contacts: Mapping[int, str]
) -> dict[str, Any]:
    """The figures made readable: labels and names instead of keys and ids."""
    metrics = facts["metrics"]
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
        ours = spof["our_person"]
        spof["our_name"] = (users.get(ours) if facts["our_named"] else None) or str(ours)
        spof["our_percent"] = round(100 * spof["our_share"])
    if spof.get("their_person") is not None:
        theirs = spof["their_person"]
        spof["their_name"] = contacts.get(theirs, "") if facts["their_named"] else str(theirs)
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
        "contacts": facts["contacts"],
        "contacts_linked": facts["contacts_linked"],
    }


def names_needed(payload: Mapping[str, Any], by: str) -> tuple[set[int], set[int]]:
    """The user and contact ids whose names the presentation of ``by`` shows."""
    figures = payload["figures"]
    spof = figures["metrics"].get("single_point_of_failure", {})
    users = set(payload["matrix"][by]["users"])
    contacts: set[int] = set()
    if figures["our_named"] and spof.get("our_person") is not None:
        users.add(spof["our_person"])
    if figures["their_named"] and spof.get("their_person") is not None:
        contacts.add(spof["their_person"])
    return users, contacts


def present_matrix(
    payload: Mapping[str, Any],
    by: str,
    account: Unit,
    users: Mapping[int, str],
    contacts: Mapping[int, str],
) -> dict[str, Any]:
    """The heatmap data and the coverage figures of the account, from the facts."""
    facts = payload["matrix"][by]
    if by == "role":
        labels = dict(role_choices())
    else:
        labels = {str(k): str(v) for k, v in CustomerFunction.choices}
    columns = sorted(facts["users"], key=lambda u: users.get(u, "").lower())
    col_index = {u: i for i, u in enumerate(columns)}
    data = sorted(
        [[col_index[u], r, v, n] for r, u, v, n in facts["cells"]], key=lambda d: (d[1], d[0])
    )
    return {
        "account": {"id": account.pk, "name": account.name},
        "by": by,
        "rows": [
            {"key": key, "label": labels.get(key, key), "contacts": n} for key, n in facts["rows"]
        ],
        "columns": [{"id": u, "name": users.get(u, str(u))} for u in columns],
        "cells": data,
        "max": max((d[2] for d in data), default=0),
        "figures": present_figures(payload["figures"], users, contacts),
    }


def present(payload: Mapping[str, Any], by: str, account: Unit) -> dict[str, Any]:
    """:func:`present_matrix` with the names read (at most two queries)."""
    users, contacts = names_needed(payload, by)
    return present_matrix(payload, by, account, user_names(users), contact_names(contacts))


def coverage_matrix(
    *, account: Unit, by: str = "role", today: dt.date | None = None
) -> dict[str, Any]:
    """The heatmap data and the coverage figures of the account, computed directly (a fixed
    number of queries; the pages read the kept ones, ``services.coverage_matrix_current``)."""
    check_grouping(by)
    today = today or timezone.localdate()
    network = account_network(account=account, today=today)
    metrics = account_metrics(account=account, as_of=today)
    payload = {
        "matrix": {by: matrix_facts(network, by)},
        "figures": figures_facts(network, metrics),
    }
    people = {cid: p.name for cid, p in network.people.items()}
    return present_matrix(payload, by, account, network.users, people)
