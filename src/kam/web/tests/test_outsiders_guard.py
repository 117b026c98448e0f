"""Every write has an "another KAM" test: a new POST page or API write without one fails here.

The tables below name, for each web URL that handles POST and each API operation that is not a
GET, the test where kam_b (another KAM) tries it on kam_a's things, or, for the few writes that
touch no stored object of anyone else, why none is needed. Adding a write: add its outsider
test (see ``kam.testing.personas``) and a row here.
"""

from __future__ import annotations

import importlib

from kam.testing.urlwalk import accepts_post, api_operations, ninja_api, patterns

API = "kam.api.tests.test_outsiders"
WEB = "kam.web.tests.test_outsiders"
IDENT = "kam.identification.tests.test_outsiders"
DATAIO = "kam.dataio.tests.test_outsiders"
PLAN = "kam.planning.tests.test_outsiders"
PLAN_WEB = f"{PLAN}::test_another_kam_cannot_write_kam_as_plan_on_the_web"
PLAN_API = f"{PLAN}::test_another_kam_cannot_write_kam_as_plan_through_the_api"
WHITE_SPACE = "kam.planning.tests.test_whitespace::test_outsiders"
PLAN_IMPORT = (
    "kam.planning.tests.test_plan_json::test_another_kam_cannot_import_a_plan_into_kam_as_account"
)

# The parametrized API test: each operation below that points at it needs a row in its WRITES.
API_ROWS = f"{API}::test_another_kam_is_refused_and_nothing_changes"

PROFILE = "kam.web.tests.test_account_profile"
INPUTS = "kam.web.tests.test_inputs_pages"
OPP_FORMS = (
    "kam.web.tests.test_opportunity_forms::test_another_kam_and_a_user_without_a_role_are_refused"
)
RATES = "kam.web.tests.test_currency_rates::test_a_kam_and_a_user_without_a_role_are_refused"
COSTS = "kam.sales.tests.test_costs_to_serve"
COSTS_WEB = f"{COSTS}::test_another_kam_reads_but_cannot_change_the_costs"
COSTS_API = f"{COSTS}::test_another_kam_cannot_change_costs_through_the_api"
PRICES = "kam.sales.tests.test_list_prices"
PRICES_WEB = f"{PRICES}::test_others_read_at_most_and_change_nothing"
PRICES_API = f"{PRICES}::test_a_kam_cannot_change_the_price_list_through_the_api"
TEAMS = "kam.teams.tests.test_teams"
TEAM_CHANGE = f"{TEAMS}::test_another_kam_and_a_user_without_a_role_cannot_change_the_team"
TEAM_API = f"{TEAMS}::test_another_kam_cannot_change_or_end_a_membership_through_the_api"
REQUESTS = "kam.teams.tests.test_requests"
REQUEST_STEPS = f"{REQUESTS}::test_outsiders_cannot_act_and_change_nothing"
REQUEST_API = f"{REQUESTS}::test_another_kam_cannot_file_or_step_on_kam_as_request"
REL = "kam.relationships.tests.test_views"
REL_ROLES = f"{REL}::test_another_kam_cannot_edit_roles"
REL_CENTRE = f"{REL}::test_another_kam_cannot_change_kam_as_buying_centre"
REL_DEAL = (
    "kam.relationships.tests.test_opportunity_roles"
    "::test_another_kam_cannot_change_roles_on_kam_as_deal"
)
ASSESS = "kam.identification.tests.test_assessment"
COMMENT = (
    "exempt: a comment is the commenter's own new row; whoever may see the request may add one "
    "and nothing stored of anyone else changes"
)

CAPTURE = "kam.interactions.tests.test_capture_web"
CAPTURE_OWN = f"{CAPTURE}::test_another_kam_does_not_find_my_upload"
CAPTURE_CONTACT = f"{CAPTURE}::test_another_kam_may_not_add_a_contact_at_my_account"
CAPTURE_UPLOAD = (
    "exempt: an upload is the uploader's own new file; it is read and confirmed only by them "
    f"({CAPTURE_OWN})"
)

NOTES = "kam.web.tests.test_notifications"
ALERTS = "kam.alerts.tests.test_views"
ALERTS_API = f"{ALERTS}::test_another_kam_cannot_step_through_the_api"
PROGRAMME = "kam.programme.tests.test_views"
PROGRAMME_RUN = f"{PROGRAMME}::test_outsiders_cannot_run_campaigns_and_change_nothing"
PROGRAMME_OWN = f"{PROGRAMME}::test_another_kam_answers_only_for_themselves"
PROGRAMME_API = f"{PROGRAMME}::test_api_campaigns_only_executives_open_and_read_results"
PROGRAMME_STATEMENTS = (
    "kam.programme.tests.test_statements::test_only_executives_change_statements_and_refusals_"
    "change_nothing"
)
HEALTH = "kam.health.tests.test_outsiders"
HEALTH_SENTIMENT = f"{HEALTH}::test_another_kam_cannot_record_a_sentiment_on_kam_as_account"
HEALTH_PROFILES = f"{HEALTH}::test_a_kam_cannot_change_health_profiles"
FIELD = "kam.field.tests.test_views"
FIELD_ASSIGN = f"{FIELD}::test_another_kam_cannot_assign_reps_to_kam_as_units"
FIELD_VISIT = f"{FIELD}::test_another_rep_cannot_check_in_or_log_at_my_visit"
FIELD_CADENCE = f"{FIELD}::test_only_administrators_and_executives_set_the_cadence"
FIELD_TOKEN = "exempt: makes or replaces the user's own calendar feed secret only"

# Web URL name -> the outsider test, or "exempt: why".
WEB_WRITES: dict[str, str] = {
    "web:account_goals": f"{PROFILE}::test_others_may_not_edit_goals",
    "web:account_goal_edit": f"{PROFILE}::test_others_may_not_edit_goals",
    "web:account_buying_process": f"{PROFILE}::test_others_may_not_edit_goals",
    "web:key_account_step": "kam.web.tests.test_key_accounts::test_others_cannot_review_or_demote",
    "web:notifications_read": f"{NOTES}::test_another_users_notification_cannot_be_marked",
    "health:account": HEALTH_SENTIMENT,
    "health:profiles": HEALTH_PROFILES,
    "health:version_draft": HEALTH_PROFILES,
    "health:rule_add": HEALTH_PROFILES,
    "health:rule_delete": HEALTH_PROFILES,
    "health:version": HEALTH_PROFILES,
    "health:version_activate": HEALTH_PROFILES,
    "login": "exempt: signing in changes no stored object of anyone",
    "logout": "exempt: signing out ends one's own session only",
    "set_language": "exempt: Django's i18n view sets a cookie of one's own browser",
    "web:account_edit": f"{WEB}::test_another_kam_cannot_edit_kam_as_account",
    "web:set_language": f"{WEB}::test_changing_the_language_changes_only_ones_own",
    "web:transaction_edit": (
        "kam.web.tests.test_transactions::test_another_kam_cannot_correct_or_delete_kam_as_lines"
    ),
    "web:transaction_delete": (
        "kam.web.tests.test_transactions::test_another_kam_cannot_correct_or_delete_kam_as_lines"
    ),
    "tokens:create": f"{API}::test_a_new_token_belongs_to_whoever_creates_it",
    "tokens:revoke": f"{API}::test_another_kam_cannot_revoke_kam_as_token",
    "dataio:upload": f"{DATAIO}::test_a_kam_cannot_upload_an_import",
    "dataio:mapping": f"{DATAIO}::test_a_kam_cannot_start_an_administrators_import",
    "dataio:job_rerun": f"{DATAIO}::test_a_kam_cannot_rerun_an_administrators_import",
    "identification:run_start": f"{IDENT}::test_a_kam_cannot_run_scoring_or_change_the_model",
    "identification:run_rerun": f"{IDENT}::test_another_kam_cannot_rerun_a_failed_scoring_run",
    "identification:nominate": (
        f"{IDENT}::test_another_kam_may_nominate_account_a_but_cannot_make_it_key"
    ),
    "identification:nomination_step": (
        f"{IDENT}::test_another_kam_cannot_take_a_step_on_kam_as_nomination"
    ),
    "identification:notifications_read": (
        f"{IDENT}::test_marking_notifications_read_touches_only_ones_own"
    ),
    "identification:model_version": f"{IDENT}::test_a_kam_cannot_run_scoring_or_change_the_model",
    "identification:model_draft": f"{IDENT}::test_a_kam_cannot_run_scoring_or_change_the_model",
    "identification:model_activate": (
        f"{IDENT}::test_a_kam_cannot_run_scoring_or_change_the_model"
    ),
    "planning:plan_create": PLAN_WEB,
    "planning:plan_edit": PLAN_WEB,
    "planning:plan_review": PLAN_WEB,
    "planning:plan_step": PLAN_WEB,
    "planning:section_add": PLAN_WEB,
    "planning:section_delete": PLAN_WEB,
    "planning:objective_add": PLAN_WEB,
    "planning:objective_edit": PLAN_WEB,
    "planning:objective_value": PLAN_WEB,
    "planning:action_add": PLAN_WEB,
    "planning:action_edit": PLAN_WEB,
    "planning:action_interaction": PLAN_WEB,
    "whitespace:cell": WHITE_SPACE,
    "whitespace:prefill": WHITE_SPACE,
    "planexport:import": PLAN_IMPORT,
    "web:account_position": f"{INPUTS}::test_supplier_position_outsiders",
    "web:territory_create": f"{INPUTS}::test_territories_outsiders",
    "web:opportunity_create": OPP_FORMS,
    "web:opportunity_edit": OPP_FORMS,
    "web:rate_create": RATES,
    "web:rate_edit": RATES,
    "web:account_costs": COSTS_WEB,
    "web:cost_edit": COSTS_WEB,
    "web:cost_delete": COSTS_WEB,
    "web:price_create": PRICES_WEB,
    "web:price_edit": PRICES_WEB,
    "web:price_delete": PRICES_WEB,
    "web:rate_delete": RATES,
    "web:territory_edit": f"{INPUTS}::test_territories_outsiders",
    "teams:account_team": TEAM_CHANGE,
    "teams:suggestion_accept": TEAM_CHANGE,
    "teams:member_edit": TEAM_CHANGE,
    "teams:member_end": TEAM_CHANGE,
    "teams:request_new": REQUEST_STEPS,
    "teams:request_step": REQUEST_STEPS,
    "teams:feed": REQUEST_STEPS,
    "teams:request": COMMENT,
    "interactions:capture": CAPTURE_UPLOAD,
    "interactions:capture_confirm": CAPTURE_OWN,
    "interactions:capture_contact": CAPTURE_CONTACT,
    "programme:campaign_new": PROGRAMME_RUN,
    "programme:refresh": "exempt: recomputes the programme's figures for everyone who may see "
    "them; it changes no one's object (decision 124)",
    "programme:campaign_close": PROGRAMME_RUN,
    "programme:campaign_remind": PROGRAMME_RUN,
    "programme:respond": PROGRAMME_OWN,
    "programme:statements": PROGRAMME_STATEMENTS,
    "programme:statement_edit": PROGRAMME_STATEMENTS,
    "programme:statement_active": PROGRAMME_STATEMENTS,
    "field:assignments": FIELD_ASSIGN,
    "field:check_in": FIELD_VISIT,
    "field:log": FIELD_VISIT,
    "field:action_status": f"{FIELD}::test_another_kam_cannot_change_kam_as_field_action",
    "field:cadence": FIELD_CADENCE,
    "field:visit_new": "kam.field.tests.test_visit_form::test_outsiders_cannot_plan_a_visit",
    "field:feed_token": FIELD_TOKEN,
    "relationships:member_edit": REL_ROLES,
    "relationships:placeholder_add": REL_CENTRE,
    "relationships:placeholder_remove": REL_CENTRE,
    "relationships:stage_confirm": REL_CENTRE,
    "relationships:sharing_set": REL_CENTRE,
    "relationships:opportunity_roles": REL_DEAL,
    "relationships:contact_links": (
        "exempt: sets only the poster's own link to a contact (a colleague's link is refused, "
        f"see {REL}::test_our_person_sets_their_own_level_but_not_a_colleagues)"
    ),
    "relationships_map:person_roles": (
        "kam.relationships.tests.test_map::test_roles_are_set_from_the_panel"
    ),
    "identification:assessment": f"{ASSESS}::test_outsiders",
    "alerts:step": f"{ALERTS}::test_outsiders_cannot_take_a_step_and_change_nothing",
    "alerts:digest": "exempt: the digest preference is the user's own inbox row",
}
# The whole Django admin (staff only) is covered by one test.
ADMIN_TEST = f"{WEB}::test_another_kam_cannot_use_the_django_admin_on_kam_a"

# "METHOD /path" under /api/v1 -> the outsider test.
API_WRITES: dict[str, str] = {
    "POST /health/accounts/{account_id}/sentiment": HEALTH_SENTIMENT,
    "PATCH /health/profile-versions/{version_id}": HEALTH_PROFILES,
    "POST /health/profile-versions/{version_id}/activate": HEALTH_PROFILES,
    "POST /accounts/{account_id}/goals": f"{PROFILE}::test_goals_api",
    "PATCH /goals/{goal_id}": f"{PROFILE}::test_goals_api",
    "DELETE /goals/{goal_id}": f"{PROFILE}::test_goals_api",
    "PUT /accounts/{account_id}/buying-process": f"{PROFILE}::test_buying_process_api",
    "POST /notifications/read": f"{NOTES}::test_api_lists_and_marks_ones_own",
    "POST /units": API_ROWS,
    "PATCH /units/{unit_id}": API_ROWS,
    "DELETE /units/{unit_id}": API_ROWS,
    "POST /contacts": API_ROWS,
    "PATCH /contacts/{contact_id}": API_ROWS,
    "DELETE /contacts/{contact_id}": API_ROWS,
    "POST /employments": API_ROWS,
    "PATCH /employments/{employment_id}": API_ROWS,
    "DELETE /employments/{employment_id}": API_ROWS,
    "POST /opportunities": API_ROWS,
    "PATCH /opportunities/{opportunity_id}": API_ROWS,
    "DELETE /opportunities/{opportunity_id}": API_ROWS,
    "POST /transactions/bulk": API_ROWS,
    "PATCH /transactions/{transaction_id}": API_ROWS,
    "DELETE /transactions/{transaction_id}": API_ROWS,
    "POST /interactions": (
        f"{API}::test_another_kam_may_log_an_interaction_with_account_a_in_their_own_name"
    ),
    "PATCH /interactions/{interaction_id}": API_ROWS,
    "DELETE /interactions/{interaction_id}": API_ROWS,
    "POST /identification/nominations": (
        f"{API}::test_another_kam_may_nominate_account_a_but_the_account_stays_transactional"
    ),
    "POST /identification/nominations/{nomination_id}/approve": API_ROWS,
    "POST /identification/nominations/{nomination_id}/reject": API_ROWS,
    "POST /identification/runs": API_ROWS,
    "POST /identification/runs/{run_id}/rerun": (
        f"{IDENT}::test_another_kam_cannot_rerun_a_failed_scoring_run"
    ),
    "POST /plans": PLAN_API,
    "PATCH /plans/{plan_id}": PLAN_API,
    "POST /plans/{plan_id}/steps/{step}": PLAN_API,
    "POST /plans/{plan_id}/reviews": PLAN_API,
    "POST /plans/{plan_id}/sections/{section}": PLAN_API,
    "PATCH /plans/{plan_id}/sections/{section}/{item_id}": PLAN_API,
    "DELETE /plans/{plan_id}/sections/{section}/{item_id}": PLAN_API,
    "POST /plans/{plan_id}/objectives": PLAN_API,
    "PATCH /objectives/{objective_id}": PLAN_API,
    "DELETE /objectives/{objective_id}": PLAN_API,
    "POST /objectives/{objective_id}/updates": PLAN_API,
    "POST /plans/{plan_id}/actions": PLAN_API,
    "PATCH /actions/{action_id}": PLAN_API,
    "DELETE /actions/{action_id}": PLAN_API,
    "POST /actions/{action_id}/interaction": PLAN_API,
    "PATCH /accounts/{account_id}/white-space/{unit_id}/{product_line_id}": WHITE_SPACE,
    "POST /accounts/{account_id}/white-space/prefill": WHITE_SPACE,
    "POST /plan-imports": PLAN_IMPORT,
    "POST /accounts/{account_id}/supplier-positions": f"{INPUTS}::test_supplier_position_outsiders",
    "POST /territories": f"{INPUTS}::test_territories_api",
    "POST /currency-rates": RATES,
    "PATCH /currency-rates/{rate_id}": RATES,
    "DELETE /currency-rates/{rate_id}": RATES,
    "POST /costs-to-serve": COSTS_API,
    "PATCH /costs-to-serve/{cost_id}": COSTS_API,
    "DELETE /costs-to-serve/{cost_id}": COSTS_API,
    "POST /list-prices": PRICES_API,
    "PATCH /list-prices/{price_id}": PRICES_API,
    "DELETE /list-prices/{price_id}": PRICES_API,
    "PATCH /territories/{territory_id}": f"{INPUTS}::test_territories_api",
    "POST /accounts/{account_id}/team": (
        f"{TEAMS}::test_the_api_answers_bad_input_and_outsiders_with_4xx"
    ),
    "PATCH /team-members/{member_id}": TEAM_API,
    "POST /team-members/{member_id}/end": TEAM_API,
    "POST /requests": REQUEST_API,
    "POST /programme/campaigns": PROGRAMME_API,
    "POST /programme/campaigns/{campaign_id}/close": PROGRAMME_API,
    "PUT /programme/campaigns/{campaign_id}/responses": PROGRAMME_OWN,
    "POST /programme/statements": PROGRAMME_STATEMENTS,
    "PATCH /programme/statements/{statement_id}": PROGRAMME_STATEMENTS,
    "POST /requests/{request_id}/comments": COMMENT,
    "POST /interaction-imports": f"{CAPTURE}::test_api_another_kam_logs_only_what_they_may",
    "POST /requests/{request_id}/accept": REQUEST_API,
    "POST /requests/{request_id}/decline": REQUEST_API,
    "POST /requests/{request_id}/done": REQUEST_API,
    "POST /requests/{request_id}/withdraw": REQUEST_API,
    "POST /accounts/{account_id}/feed": REQUEST_API,
    "POST /field/assignments": FIELD_ASSIGN,
    "POST /field/assignments/accept-suggestions": FIELD_ASSIGN,
    "POST /field/visits": FIELD_ASSIGN,
    "POST /field/visits/{visit_id}/check-in": FIELD_VISIT,
    "POST /field/visits/{visit_id}/log": FIELD_VISIT,
    "POST /field/interactions": FIELD_VISIT,
    "PUT /field/cadence": FIELD_CADENCE,
    "POST /field/visits/generate": FIELD_CADENCE,
    "POST /field/feed-token/revoke": FIELD_TOKEN,
    "POST /relationships/accounts/{account_id}/roles": REL_ROLES,
    "DELETE /relationships/roles/{role_id}": REL_CENTRE,
    "PUT /relationships/accounts/{account_id}/contacts/{contact_id}": REL_CENTRE,
    "PUT /relationships/opportunities/{opportunity_id}/contacts/{contact_id}": REL_DEAL,
    "POST /relationships/accounts/{account_id}/placeholders": REL_CENTRE,
    "POST /relationships/placeholders/{placeholder_id}/fill": REL_CENTRE,
    "DELETE /relationships/placeholders/{placeholder_id}": REL_CENTRE,
    "POST /relationships/accounts/{account_id}/stage": REL_CENTRE,
    "POST /relationships/accounts/{account_id}/sharing": REL_CENTRE,
    "PUT /relationships/links": f"{REL}::test_our_person_sets_their_own_level_but_not_a_colleagues",
    "PATCH /identification/accounts/{account_id}/assessment": f"{ASSESS}::test_api_outsiders",
    "POST /alerts/{alert_id}/acknowledge": ALERTS_API,
    "POST /alerts/{alert_id}/resolve": ALERTS_API,
    "POST /alerts/{alert_id}/snooze": ALERTS_API,
}


# --- what the URLconf and the API declare ----------------------------------------------------


def web_writes() -> set[str]:
    api_namespace = ninja_api().urls_namespace
    return {
        name
        for name, view in patterns()
        if not name.startswith(("admin:", f"{api_namespace}:")) and accepts_post(view)
    }


def api_writes() -> set[str]:
    return {
        f"{method} {path}"
        for method, path, _operation in api_operations()
        if method not in ("GET", "HEAD", "OPTIONS")
    }


def _test_exists(reference: str) -> bool:
    module, _sep, function = reference.partition("::")
    return callable(getattr(importlib.import_module(module), function, None))


# --- the guard ------------------------------------------------------------------------------


def test_every_web_write_has_an_outsider_test() -> None:
    missing = web_writes() - set(WEB_WRITES)
    assert not missing, f"POST pages without an 'another KAM' test in WEB_WRITES: {missing}"


def test_every_api_write_has_an_outsider_test() -> None:
    missing = api_writes() - set(API_WRITES)
    assert not missing, f"API writes without an 'another KAM' test in API_WRITES: {missing}"


def test_the_tables_list_no_write_that_is_gone() -> None:
    gone = (set(WEB_WRITES) - web_writes()) | (set(API_WRITES) - api_writes())
    assert not gone, f"rows for writes that no longer exist: {gone}"


def test_every_named_outsider_test_exists() -> None:
    references = [*WEB_WRITES.values(), *API_WRITES.values(), ADMIN_TEST]
    missing = [r for r in references if not r.startswith("exempt:") and not _test_exists(r)]
    assert not missing, f"outsider tests named in the tables but not found: {missing}"


def test_every_api_write_on_the_row_test_has_its_row() -> None:
    rows = importlib.import_module(API).WRITES
    covered = {" ".join(name.split()[:2]) for name in rows}
    without_row = {op for op, test in API_WRITES.items() if test == API_ROWS} - covered
    assert not without_row, f"API writes pointed at the row test without a row: {without_row}"
