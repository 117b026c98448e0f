"""The permission matrix: role × action × relation to the object, in one table.

This is the statement of who may do what; ``kam.core.permissions`` implements it as ``rules``
predicates, ``docs/permissions.md`` is rendered from it (``kam permissions_doc``), and
``kam/web/tests/test_permission_matrix.py`` calls every URL and API operation as every persona
and checks the answer against it. Which action each URL and API operation performs is declared
in ``kam.web.endpoints`` (URL names belong to the top layer).

A *relation* is how a user stands to the object of a request (its account, or the object
itself). A role is allowed an action either whatever the relation (``ANY``) or only through
some relations; a user with no role and an anonymous visitor get nothing but public pages.

The labels are English on purpose: they are rendered into the (English) administrator's
documentation and are not shown in the interface.
"""

from __future__ import annotations

from dataclasses import dataclass

from .permissions import ADMIN, EXECUTIVE, FIELD_REP, KAM, SALES_MANAGER, SPECIALIST

# --- Roles, relations, actions ------------------------------------------------------------

ROLES: dict[str, str] = {
    ADMIN: "Administrator",
    EXECUTIVE: "Executive",
    KAM: "Key account manager",
    SALES_MANAGER: "Sales manager",
    FIELD_REP: "Field rep",
    SPECIALIST: "Specialist",
}
NO_ROLE, ANONYMOUS = "no_role", "anonymous"

ACCOUNT_MANAGER = "account_manager"
LINE_MANAGER = "line_manager"
TEAM_MEMBER = "team_member"
UNIT_FIELD_REP = "unit_field_rep"
AUTHOR = "author"
OWNER = "owner"
NOMINATOR = "nominator"
SUBMITTER = "submitter"
ACTION_OWNER = "action_owner"
FUNCTION_HEAD = "function_head"
ASSIGNEE = "assignee"
REQUESTER = "requester"
VISIT_REP = "visit_rep"
NONE = "none"

RELATIONS: dict[str, str] = {
    ACCOUNT_MANAGER: "manages the account (its key account manager)",
    LINE_MANAGER: "the account manager reports to them (manager in the reporting line)",
    TEAM_MEMBER: "on the account team (a membership that has not ended)",
    UNIT_FIELD_REP: "field rep of the unit or of a unit above it (field assignments)",
    AUTHOR: "wrote the interaction",
    OWNER: "the object is their own (API token, notification, language)",
    NOMINATOR: "nominated the account",
    SUBMITTER: "submitted the account plan for approval",
    ACTION_OWNER: "owns the plan action (anyone in the company can own one)",
    FUNCTION_HEAD: "manages the function a resource request asks (the function heads table)",
    ASSIGNEE: "the resource request is assigned to them",
    REQUESTER: "filed the resource request",
    VISIT_REP: "the planned visit is theirs (its field rep)",
    NONE: "none of these (e.g. another KAM)",
}
EVERY_RELATION = frozenset(RELATIONS)
# The relations through which a user may change an account.
MANAGING = frozenset({ACCOUNT_MANAGER, LINE_MANAGER})


@dataclass(frozen=True)
class Action:
    label: str
    # role -> the relations through which that role may act (EVERY_RELATION: whatever it is)
    roles: dict[str, frozenset[str]]
    # None: needs a role; "public": anyone, even anonymous; "signed_in": any login, even
    # one without a role; "staff": Django's is_staff (the Django admin); "nobody": no one
    audience: str | None = None
    # relations that refuse the action whatever the role (four-eyes: a nominator never decides)
    never: frozenset[str] = frozenset()
    note: str = ""


def _every_role(relations: frozenset[str] = EVERY_RELATION) -> dict[str, frozenset[str]]:
    return dict.fromkeys(ROLES, relations)


_CHANGE = {**_every_role(MANAGING), ADMIN: EVERY_RELATION, EXECUTIVE: EVERY_RELATION}

ACTIONS: dict[str, Action] = {
    "public": Action("Public pages: sign in and out, language, API description", {}, "public"),
    "signed_in": Action(
        "Start page (sends on to the portfolio) and one's own interface language", {}, "signed_in"
    ),
    "view_account": Action(
        "See account data: portfolio, account pages, contacts, deals, interactions, "
        "scores, matrix, nominations, exports of units and interactions",
        _every_role(),
        note="With KAM_RESTRICTED_VISIBILITY on, field reps and specialists only through "
        "“field rep of the unit” or “on the account team”; any other account is not found.",
    ),
    "change_account": Action(
        "Change an account: its units, contacts, positions, deals, transactions", _CHANGE
    ),
    "log_interaction": Action("Log an interaction with any account", _every_role()),
    "capture_interactions": Action(
        "Import one's own calendar and mail files into the interaction log",
        _every_role(frozenset({OWNER})),
        note="The upload is the user's own; interactions are written only on units the user "
        "may log on, the others are reported.",
    ),
    "change_interaction": Action(
        "Edit or delete an interaction",
        {**_every_role(MANAGING | {AUTHOR}), ADMIN: EVERY_RELATION, EXECUTIVE: EVERY_RELATION},
    ),
    "change_link": Action(
        "Set how well one of our people knows a customer's contact (judged level 0–4)",
        {
            **_every_role(MANAGING | {OWNER}),
            ADMIN: EVERY_RELATION,
            EXECUTIVE: EVERY_RELATION,
            FIELD_REP: frozenset({UNIT_FIELD_REP}),
        },
        note="Own links: every role; a field rep only for contacts of their units, "
        "own links included.",
    ),
    "nominate": Action(
        "Nominate an account as key account",
        {EXECUTIVE: EVERY_RELATION, KAM: EVERY_RELATION, SALES_MANAGER: EVERY_RELATION},
    ),
    "decide_nomination": Action(
        "Approve or reject a nomination (four eyes: never one's own)",
        {EXECUTIVE: EVERY_RELATION},
        never=frozenset({NOMINATOR}),
        note="Superuser status does not replace the executive role.",
    ),
    "decide_plan": Action(
        "Approve or reject an account plan (four eyes: never one's own submission)",
        {EXECUTIVE: EVERY_RELATION},
        never=frozenset({SUBMITTER}),
        note="Superuser status does not replace the executive role.",
    ),
    "update_action": Action(
        "Update a plan action: all of it where one may change the account; its owner, "
        "whatever their role, only its status and note (and logs the interaction that "
        "completes it)",
        {
            **_every_role(MANAGING | {ACTION_OWNER}),
            ADMIN: EVERY_RELATION,
            EXECUTIVE: EVERY_RELATION,
        },
    ),
    "coordinate": Action(
        "File resource requests and write notes in an account's coordination feed",
        {**_every_role(MANAGING | {TEAM_MEMBER}), ADMIN: EVERY_RELATION, EXECUTIVE: EVERY_RELATION},
    ),
    "decide_request": Action(
        "Accept and assign, or decline, a resource request",
        _every_role(frozenset({FUNCTION_HEAD})),
        note="Superuser status does not replace being the function's head.",
    ),
    "finish_request": Action(
        "Mark a resource request done", _every_role(frozenset({FUNCTION_HEAD, ASSIGNEE}))
    ),
    "withdraw_request": Action(
        "Withdraw an open resource request", _every_role(frozenset({REQUESTER}))
    ),
    "field_visit": Action(
        "Check in at a planned visit and log the interaction at it: only the visit's rep",
        _every_role(frozenset({VISIT_REP})),
        note="Another rep, the KAM included, does not find the visit (404).",
    ),
    "plan_visit": Action(
        "Plan a visit: whoever may change the account; a field rep at the units they are "
        "responsible for",
        {**_CHANGE, FIELD_REP: MANAGING | {UNIT_FIELD_REP}},
    ),
    "configure_field": Action(
        "Edit the visit cadence and plan visits from it",
        {ADMIN: EVERY_RELATION, EXECUTIVE: EVERY_RELATION},
    ),
    "view_scoring": Action("See scoring models and runs", _every_role()),
    "manage_scoring": Action(
        "Start scoring runs, edit and activate scoring models",
        {ADMIN: EVERY_RELATION, EXECUTIVE: EVERY_RELATION},
    ),
    "view_programme": Action(
        "See the KAM programme: condition indicators, overall condition scores, risks",
        _every_role(),
    ),
    "run_assessment": Action(
        "Open, remind and close assessment campaigns; edit their statements; see each respondent "
        "group's results",
        {EXECUTIVE: EVERY_RELATION},
        note="Superuser status does not replace the executive role.",
    ),
    "answer_assessment": Action(
        "Answer an assessment campaign (one's own answers only)",
        {
            EXECUTIVE: EVERY_RELATION,
            KAM: EVERY_RELATION,
            SALES_MANAGER: EVERY_RELATION,
            FIELD_REP: EVERY_RELATION,
        },
    ),
    "view_dashboard": Action(
        "See the executive dashboard and the accounts behind its figures",
        {ADMIN: EVERY_RELATION, EXECUTIVE: EVERY_RELATION},
    ),
    "manage_health": Action(
        "See and edit health profiles: weights, bands, assignment rules",
        {ADMIN: EVERY_RELATION, EXECUTIVE: EVERY_RELATION},
    ),
    "bulk_export": Action(
        "Bulk export of contacts, transactions and users (logged)",
        {ADMIN: EVERY_RELATION, EXECUTIVE: EVERY_RELATION},
    ),
    "administer": Action("Imports and their jobs", {ADMIN: EVERY_RELATION}),
    "view_rates": Action(
        "See the currency rates table", {ADMIN: EVERY_RELATION, EXECUTIVE: EVERY_RELATION}
    ),
    "change_rates": Action(
        "Add, change and delete currency rates (as their import)", {ADMIN: EVERY_RELATION}
    ),
    "view_prices": Action(
        "See the price list (list prices of the products)",
        {ADMIN: EVERY_RELATION, EXECUTIVE: EVERY_RELATION},
    ),
    "change_prices": Action(
        "Add, change and delete list prices (as their import)", {ADMIN: EVERY_RELATION}
    ),
    "own_settings": Action("Own API tokens and notifications", _every_role(frozenset({OWNER}))),
    "django_admin": Action(
        "The Django admin (each model page also needs that model's Django permission)",
        {},
        "staff",
    ),
    "nothing": Action("Addresses that only build links (the API root): not found", {}, "nobody"),
}


def allowed(
    action: str, *, role: str, relations: frozenset[str], authenticated: bool, staff: bool = False
) -> bool:
    """Whether a user with ``role`` (``""`` for none) standing in ``relations`` to the object
    may perform ``action`` according to the matrix."""
    spec = ACTIONS[action]
    if spec.audience == "public":
        return True
    if spec.audience == "nobody":
        return False
    if not authenticated:
        return False
    if spec.audience == "signed_in":
        return True
    if spec.audience == "staff":
        return staff
    if relations & spec.never:
        return False
    through = spec.roles.get(role, frozenset())
    if through == EVERY_RELATION:
        return True
    return bool(through & relations)


def render_matrix() -> str:
    """The role × action × relation table, as Markdown."""
    roles = list(ROLES)
    lines = [
        "| action | " + " | ".join(ROLES[r] for r in roles) + " | no role | anonymous |",
        "|---" * (len(roles) + 3) + "|",
    ]
    for name, spec in ACTIONS.items():
        cells = []
        for role in roles:
            through = spec.roles.get(role, frozenset())
            if spec.audience == "nobody":
                cells.append("—")
            elif spec.audience in ("public", "signed_in"):
                cells.append("✔")
            elif spec.audience == "staff":
                cells.append("staff")
            elif through == EVERY_RELATION:
                cells.append("✔")
            elif through:
                cells.append(", ".join(sorted(through)))
            else:
                cells.append("—")
        if spec.never:
            cells = [f"{c} (not {', '.join(sorted(spec.never))})" if c != "—" else c for c in cells]
        no_role = "✔" if spec.audience in ("public", "signed_in") else "—"
        anonymous = "✔" if spec.audience == "public" else "—"
        lines.append(
            f"| `{name}`: {spec.label} | " + " | ".join([*cells, no_role, anonymous]) + " |"
        )
    return "\n".join(lines)
