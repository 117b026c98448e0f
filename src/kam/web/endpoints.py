"""Which action of the permission matrix each URL and API operation performs.

Keys: ``"METHOD url_name"`` for a page (namespaced URL name) and ``"METHOD /path"`` for an API
operation (under ``/api/v1``). A value is the action (``kam.core.permission_matrix.ACTIONS``)
or, for an operation whose action depends on an argument, ``{argument: action}``. The Django
admin is one entry (``ADMIN_ACTION``). ``test_permission_matrix`` fails for a URL or operation
that has no entry here and for an entry that no longer exists; ``kam permissions_doc`` renders
this with the matrix into ``docs/permissions.md``.
"""

from __future__ import annotations

from kam.core.permission_matrix import ACTIONS, RELATIONS, ROLES, render_matrix

ADMIN_PREFIX, ADMIN_ACTION = "admin:", "django_admin"
# Pages of the API's own URL namespace that are not operations of its routers.
API_PAGES = {"api:openapi-json", "api:openapi-view", "api:api-root"}

VIEW, CHANGE = "view_account", "change_account"

WEB: dict[str, str | dict[str, str]] = {
    "GET login": "public",
    "POST login": "public",
    "POST logout": "public",
    "GET set_language": "public",
    "POST set_language": "public",
    "GET api:openapi-json": "public",
    "GET api:openapi-view": "public",
    "GET api:api-root": "nothing",
    "GET web:home": "signed_in",
    "GET web:portfolio": VIEW,
    "GET web:account": VIEW,
    "GET web:account_history": VIEW,
    "GET web:account_edit": CHANGE,
    "POST web:account_edit": CHANGE,
    "GET web:account_transactions": VIEW,
    "GET web:transaction_edit": CHANGE,
    "POST web:transaction_edit": CHANGE,
    "GET web:transaction_delete": CHANGE,
    "POST web:transaction_delete": CHANGE,
    "POST web:set_language": "signed_in",
    "GET identification:scores": VIEW,
    "GET identification:scores_export": VIEW,
    "GET identification:account_score": VIEW,
    "GET identification:matrix": VIEW,
    "GET identification:nominations": VIEW,
    "GET identification:nomination": VIEW,
    "POST identification:nominate": "nominate",
    "POST identification:nomination_step": "decide_nomination",
    "POST identification:notifications_read": "own_settings",
    "GET identification:run_status": "view_scoring",
    "GET identification:model": "view_scoring",
    "GET identification:model_version": "view_scoring",
    "GET identification:model_what_if": "manage_scoring",
    "POST identification:run_start": "manage_scoring",
    "POST identification:run_rerun": "manage_scoring",
    "POST identification:model_version": "manage_scoring",
    "POST identification:model_draft": "manage_scoring",
    "POST identification:model_activate": "manage_scoring",
    "GET teams:account_team": VIEW,
    "POST teams:account_team": CHANGE,
    "POST teams:suggestion_accept": CHANGE,
    "GET teams:member_edit": CHANGE,
    "POST teams:member_edit": CHANGE,
    "POST teams:member_end": CHANGE,
    "GET teams:workload": VIEW,
    "GET teams:requests": VIEW,
    "GET teams:request": VIEW,
    "POST teams:request": VIEW,
    "POST teams:request_step": {
        "accept": "decide_request",
        "decline": "decide_request",
        "done": "finish_request",
        "withdraw": "withdraw_request",
    },
    "GET teams:request_new": "coordinate",
    "POST teams:request_new": "coordinate",
    "GET teams:feed": VIEW,
    "POST teams:feed": "coordinate",
    "GET teams:my_feed": VIEW,
    "GET dataio:jobs": "administer",
    "GET dataio:upload": "administer",
    "POST dataio:upload": "administer",
    "GET dataio:job": "administer",
    "GET dataio:mapping": "administer",
    "POST dataio:mapping": "administer",
    "POST dataio:job_rerun": "administer",
    "GET dataio:job_progress": "administer",
    "GET dataio:job_errors": "administer",
    "GET dataio:export": "bulk_export",
    "GET dataio:export_log": "bulk_export",
    "GET dataio:export_download": {
        "units": "bulk_export",
        "contacts": "bulk_export",
        "transactions": "bulk_export",
        "users": "bulk_export",
    },
    "GET tokens:list": "own_settings",
    "POST tokens:create": "own_settings",
    "POST tokens:revoke": "own_settings",
}

API: dict[str, str | dict[str, str]] = {
    "GET /docs/assets/{name}": "public",
    "GET /units": VIEW,
    "POST /units": CHANGE,
    "GET /units/{unit_id}": VIEW,
    "PATCH /units/{unit_id}": CHANGE,
    "DELETE /units/{unit_id}": CHANGE,
    "GET /accounts/{account_id}/team": VIEW,
    "POST /accounts/{account_id}/team": CHANGE,
    "GET /accounts/{account_id}/team/suggestions": CHANGE,
    "PATCH /team-members/{member_id}": CHANGE,
    "POST /team-members/{member_id}/end": CHANGE,
    "GET /workload": VIEW,
    "GET /requests": VIEW,
    "POST /requests": "coordinate",
    "GET /requests/{request_id}": VIEW,
    "POST /requests/{request_id}/accept": "decide_request",
    "POST /requests/{request_id}/decline": "decide_request",
    "POST /requests/{request_id}/done": "finish_request",
    "POST /requests/{request_id}/withdraw": "withdraw_request",
    "GET /requests/{request_id}/comments": VIEW,
    "POST /requests/{request_id}/comments": VIEW,
    "GET /accounts/{account_id}/feed": VIEW,
    "POST /accounts/{account_id}/feed": "coordinate",
    "GET /function-heads": VIEW,
    "GET /transactions": VIEW,
    "GET /transactions/{transaction_id}": VIEW,
    "PATCH /transactions/{transaction_id}": CHANGE,
    "DELETE /transactions/{transaction_id}": CHANGE,
    "GET /contacts": VIEW,
    "POST /contacts": CHANGE,
    "GET /contacts/{contact_id}": VIEW,
    "PATCH /contacts/{contact_id}": CHANGE,
    "DELETE /contacts/{contact_id}": CHANGE,
    "GET /employments": VIEW,
    "POST /employments": CHANGE,
    "GET /employments/{employment_id}": VIEW,
    "PATCH /employments/{employment_id}": CHANGE,
    "DELETE /employments/{employment_id}": CHANGE,
    "GET /opportunities": VIEW,
    "POST /opportunities": CHANGE,
    "GET /opportunities/{opportunity_id}": VIEW,
    "PATCH /opportunities/{opportunity_id}": CHANGE,
    "DELETE /opportunities/{opportunity_id}": CHANGE,
    "POST /transactions/bulk": CHANGE,
    "GET /interactions": VIEW,
    "POST /interactions": "log_interaction",
    "GET /interactions/{interaction_id}": VIEW,
    "PATCH /interactions/{interaction_id}": "change_interaction",
    "DELETE /interactions/{interaction_id}": "change_interaction",
    "GET /identification/models": "view_scoring",
    "GET /identification/models/{version}": "view_scoring",
    "GET /identification/scores": VIEW,
    "GET /identification/accounts/{account_id}/score": VIEW,
    "GET /identification/nominations": VIEW,
    "POST /identification/nominations": "nominate",
    "POST /identification/nominations/{nomination_id}/approve": "decide_nomination",
    "POST /identification/nominations/{nomination_id}/reject": "decide_nomination",
    "POST /identification/runs": "manage_scoring",
    "POST /identification/runs/{run_id}/rerun": "manage_scoring",
    "GET /identification/runs/{run_id}": "view_scoring",
    "GET /export/{entity}": {
        "units": VIEW,
        "interactions": VIEW,
        "contacts": "bulk_export",
        "transactions": "bulk_export",
        "users": "bulk_export",
    },
}


def action_of(key: str, variant: str = "") -> str:
    """The action of a page/operation key (and of one argument, for the split ones)."""
    if key.split(" ", 1)[1].startswith(ADMIN_PREFIX):
        return ADMIN_ACTION
    entry = {**WEB, **API}[key]
    return entry[variant] if isinstance(entry, dict) else entry


def _endpoints_by_action() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {name: [] for name in ACTIONS}
    for table, prefix in ((WEB, ""), (API, "/api/v1")):
        for key, entry in table.items():
            method, target = key.split(" ", 1)
            shown = f"`{method} {prefix}{target}`" if prefix else f"`{method}` page `{target}`"
            variants = entry.items() if isinstance(entry, dict) else [("", entry)]
            for variant, action in variants:
                found[action].append(f"{shown} ({variant})" if variant else shown)
    found[ADMIN_ACTION].append("every page of the Django admin (`/admin/`)")
    return found


def render_permissions_doc() -> str:
    """The text of ``docs/permissions.md``."""
    parts = [
        "# Permissions",
        "",
        "<!-- Generated by `kam permissions_doc` from kam/core/permission_matrix.py and "
        "kam/web/endpoints.py; do not edit by hand. -->",
        "",
        "Who may do what: each role, each action, and the relation to the object through which "
        "the role may act. `✔` means whatever the relation; a list of relations means only "
        "through those; `—` means never. A user with no role and an anonymous visitor see only "
        "public pages. A refused page or API call answers 403 (or the sign-in page / 401 when "
        "not signed in); an object the user may not see at all answers 404. "
        "`kam/web/tests/test_permission_matrix.py` calls every page and API operation as every "
        "kind of user and checks the answer against this table.",
        "",
        "## Roles",
        "",
        *[f"- `{key}`: {label}" for key, label in ROLES.items()],
        "",
        "## Relations to the object",
        "",
        *[f"- `{key}`: {label}" for key, label in RELATIONS.items()],
        "",
        "## The matrix",
        "",
        render_matrix(),
        "",
        "Notes:",
        "",
        *[f"- `{name}`: {spec.note}" for name, spec in ACTIONS.items() if spec.note],
        "",
        "## Restricted visibility",
        "",
        "With `KAM_RESTRICTED_VISIBILITY` on (see [configuration](configuration.md)), field reps "
        "and specialists see only the accounts they are related to (today: named on an "
        "interaction with any unit of the account, as participant or author; later also on the "
        "account team or assigned to a unit). Every other account, and everything of it, is "
        "not found (404) on pages, in lists, in the API, in exports and in search.",
        "",
        "## Pages and API operations by action",
        "",
    ]
    for name, endpoints in _endpoints_by_action().items():
        parts.append(f"### `{name}`: {ACTIONS[name].label}")
        parts.append("")
        parts.extend(f"- {e}" for e in endpoints)
        parts.append("")
    return "\n".join(parts)
