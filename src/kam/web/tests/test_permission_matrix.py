"""The permission matrix, tested: every page and API operation, as every kind of user.

Generated from ``kam.core.permission_matrix`` (role × action × relation) and
``kam.web.endpoints`` (URL / operation → action): for each URL pattern and each API operation,
each persona calls it on one world of real objects, and the answer must be "allowed" (2xx, 3xx,
or a 4xx about the request itself such as 400/409/422) or "denied" (401, 403, 404 or the sign-in
page) as the matrix says. A URL or operation without an entry in ``kam.web.endpoints`` fails.

The world is built once per module inside a transaction that is rolled back at the end; every
test runs in a savepoint of it, so a delete or an approval never leaks into the next test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.api.models import TokenScope
from kam.api.services import token_create
from kam.core.permission_matrix import (
    ACCOUNT_MANAGER,
    AUTHOR,
    LINE_MANAGER,
    NOMINATOR,
    NONE,
    OWNER,
    UNIT_FIELD_REP,
    allowed,
)
from kam.customers.models import Contact, Employment, Unit
from kam.customers.services import unit_version
from kam.dataio.models import ImportJob
from kam.identification.models import (
    AccountScore,
    Nomination,
    NominationStatus,
    ScoringModel,
    ScoringRun,
)
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.sales.models import Opportunity, Product, Transaction
from kam.sales.services import transactions_create
from kam.teams.models import ResourceRequest, TeamRole
from kam.teams.services import request_create, team_member_add
from kam.testing.factories import ContactFactory, EmploymentFactory, ProductFactory, make_unit
from kam.testing.urlwalk import api_operations, ninja_api, patterns, view_methods
from kam.web import endpoints
from kam.web.endpoints import ADMIN_PREFIX, API, API_PAGES, WEB, action_of, render_permissions_doc

DOC = Path(__file__).resolve().parents[4] / "docs" / "permissions.md"


@dataclass(frozen=True)
class PersonaSpec:
    role: str
    relations: frozenset[str]
    staff: bool = False


# Each persona's standing to the world's account A (and its own settings objects).
PERSONAS: dict[str, PersonaSpec | None] = {
    "admin": PersonaSpec("admin", frozenset({NONE, OWNER}), staff=True),
    "executive": PersonaSpec("executive", frozenset({NONE, OWNER})),
    "account_kam": PersonaSpec("kam", frozenset({ACCOUNT_MANAGER, AUTHOR, NOMINATOR, OWNER})),
    "sales_manager": PersonaSpec("sales_manager", frozenset({LINE_MANAGER, OWNER})),
    "field_rep": PersonaSpec("field_rep", frozenset({UNIT_FIELD_REP, OWNER})),
    "specialist": PersonaSpec("specialist", frozenset({NONE, OWNER})),
    "another_kam": PersonaSpec("kam", frozenset({NONE, OWNER})),
    "no_role": PersonaSpec("", frozenset({NONE, OWNER})),
    "anonymous": None,
}


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    token_ids: dict[str, int]
    account: int
    other_account: int
    site: int
    contact: int
    free_contact: int
    employment: int
    opportunity: int
    interaction: int
    nomination: int
    product: int
    model_version: int
    run: int
    job: int
    transaction: int
    member: int


def _build_world() -> World:
    users = {}
    for name, spec in PERSONAS.items():
        if spec is None:
            continue
        users[name] = User.objects.create(
            username=name, role=spec.role, is_staff=spec.staff, email=f"{name}@example.com"
        )
    users["account_kam"].manager = users["sales_manager"]
    users["account_kam"].save()
    tokens, token_ids = {}, {}
    for name, user in users.items():
        token, plain = token_create(user=user, name="matrix", scope=TokenScope.READ_WRITE)
        tokens[name], token_ids[name] = plain, token.pk
    account = make_unit("Account A", account_manager=users["account_kam"])
    other = make_unit("Account B", account_manager=users["another_kam"])
    site = make_unit("A plant", parent=account, kind="site")
    employment: Employment = EmploymentFactory(unit=account)
    free: Contact = ContactFactory()
    opportunity = Opportunity.objects.create(unit=account, name="A deal")
    interaction = Interaction.objects.create(
        unit=site,
        type="meeting",
        occurred_at=dt.datetime(2026, 10, 1, 10, tzinfo=dt.UTC),
        summary="Plant visit",
        created_by=users["account_kam"],
    )
    interaction.participants.add(users["field_rep"])
    nomination = Nomination.objects.create(
        account=account,
        status=NominationStatus.NOMINATED,
        nominated_by=users["account_kam"],
        rationale="Growing fast",
    )
    product: Product = ProductFactory()
    transactions_create(
        rows=[
            {
                "date": dt.date(2026, 9, 15),
                "unit_id": site.pk,
                "product_id": product.pk,
                "quantity": Decimal("2"),
                "net_amount": Decimal("150.00"),
                "external_id": "matrix-line",
            }
        ]
    )
    line = Transaction.objects.get(external_id="matrix-line")
    model = ScoringModel.objects.get(status="active")
    run = ScoringRun.objects.create(
        model=model, status="done", as_of=timezone.localdate(), accounts_count=1
    )
    AccountScore.objects.create(
        run=run, account=account, total=60, rank=1, scope="local", completeness=80
    )
    job = ImportJob.objects.create(
        created_by=users["admin"], entity="units", original_name="units.csv", file="x.csv"
    )
    job.error_report.save("matrix-errors.csv", ContentFile(b"line,reason\n"))
    teammate = User.objects.create(username="teammate", role="specialist", function="service")
    member = team_member_add(account=account, user=teammate, role=TeamRole.SERVICE)
    return World(
        users=users,
        tokens=tokens,
        token_ids=token_ids,
        account=account.pk,
        other_account=other.pk,
        site=site.pk,
        contact=employment.contact_id,
        free_contact=free.pk,
        employment=employment.pk,
        opportunity=opportunity.pk,
        interaction=interaction.pk,
        nomination=nomination.pk,
        product=product.pk,
        model_version=model.version,
        run=run.pk,
        job=job.pk,
        transaction=line.pk,
        member=member.pk,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """One world for the module, rolled back after its last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = _build_world()
        yield built
        ImportJob.objects.get(pk=built.job).error_report.delete(save=False)
        transaction.set_rollback(True)


# --- one request per page / operation ---------------------------------------------------------

Build = Callable[[World, str, str], tuple[str, Any]]  # (world, persona, variant) -> (path, data)


def _page(name: str, *args: Callable[[World], Any]) -> Build:
    return lambda w, who, v: (reverse(name, args=[a(w) for a in args]), None)


def _post(name: str, data: Callable[[World, str], dict], *args: Callable[[World], Any]) -> Build:
    return lambda w, who, v: (reverse(name, args=[a(w) for a in args]), data(w, who))


def _api(path: Callable[[World], str], body: Callable[[World], Any] | None = None) -> Build:
    return lambda w, who, v: (path(w), body(w) if body else None)


def _unit_form(w: World, who: str) -> dict:
    unit = Unit.objects.get(pk=w.account)
    return {
        "name": "Account A renamed",
        "kind": unit.kind,
        "country": unit.country,
        "account_manager": unit.account_manager_id,
        "version": unit_version(unit),
    }


def _member_form(w: World, who: str) -> dict:
    return {"role": "service", "allocation": 20, "start": "2026-01-01"}


def _resource_request(w: World) -> int:
    """An open request of account A, filed by its service teammate (no persona: only the
    matrix's relations decide), made inside the test's savepoint."""
    found = ResourceRequest.objects.filter(what="matrix request").first()
    if found is None:
        found = request_create(
            account=Unit.objects.get(pk=w.account),
            requester=User.objects.get(username="teammate"),
            function="service",
            what="matrix request",
            needed_by=dt.date(2026, 12, 1),
        )
    return found.pk


def _step(name: str) -> Build:
    def build(w: World, who: str, variant: str) -> tuple[str, Any]:
        data = {"assignee": w.users["field_rep"].pk, "reason": "No capacity"}
        return reverse(name, args=[_resource_request(w), variant]), data

    return build


def _request_form(w: World, who: str) -> dict:
    return {"function": "technical", "what": "A line audit", "needed_by": "2026-12-20"}


WEB_REQUESTS: dict[str, Build] = {
    "GET teams:account_team": _page("teams:account_team", lambda w: w.account),
    "POST teams:account_team": _post(
        "teams:account_team",
        lambda w, who: {"user": w.users["specialist"].pk, "role": "technical", "allocation": 5},
        lambda w: w.account,
    ),
    "POST teams:suggestion_accept": _post(
        "teams:suggestion_accept",
        lambda w, who: {"user": w.users["field_rep"].pk, "role": "field_rep"},
        lambda w: w.account,
    ),
    "GET teams:member_edit": _page("teams:member_edit", lambda w: w.member),
    "POST teams:member_edit": _post("teams:member_edit", _member_form, lambda w: w.member),
    "POST teams:member_end": _post("teams:member_end", lambda w, who: {}, lambda w: w.member),
    "GET teams:workload": _page("teams:workload"),
    "GET teams:requests": _page("teams:requests"),
    "GET teams:request": _page("teams:request", _resource_request),
    "POST teams:request": _post(
        "teams:request", lambda w, who: {"text": "A comment"}, _resource_request
    ),
    "POST teams:request_step": _step("teams:request_step"),
    "GET teams:request_new": _page("teams:request_new", lambda w: w.account),
    "POST teams:request_new": _post("teams:request_new", _request_form, lambda w: w.account),
    "GET teams:feed": _page("teams:feed", lambda w: w.account),
    "POST teams:feed": _post("teams:feed", lambda w, who: {"text": "A note"}, lambda w: w.account),
    "GET teams:my_feed": _page("teams:my_feed"),
    "GET login": _page("login"),
    "POST login": _post("login", lambda w, who: {"username": "nobody", "password": "wrong"}),
    "POST logout": _post("logout", lambda w, who: {}),
    "GET set_language": _page("set_language"),
    "POST set_language": _post("set_language", lambda w, who: {"language": "en"}),
    "GET api:openapi-json": _page("api:openapi-json"),
    "GET api:openapi-view": _page("api:openapi-view"),
    "GET api:api-root": _page("api:api-root"),
    "GET web:home": _page("web:home"),
    "GET web:portfolio": _page("web:portfolio"),
    "GET web:account": _page("web:account", lambda w: w.site),
    "GET web:account_history": _page("web:account_history", lambda w: w.account),
    "GET web:account_edit": _page("web:account_edit", lambda w: w.account),
    "GET web:account_transactions": _page("web:account_transactions", lambda w: w.account),
    "GET web:transaction_edit": _page("web:transaction_edit", lambda w: w.transaction),
    "POST web:transaction_edit": _post(
        "web:transaction_edit",
        lambda w, who: {
            "date": "2026-09-16",
            "product": w.product,
            "quantity": "3",
            "net_amount": "160.00",
            "cost": "",
            "currency": "EUR",
        },
        lambda w: w.transaction,
    ),
    "GET web:transaction_delete": _page("web:transaction_delete", lambda w: w.transaction),
    "POST web:transaction_delete": _post(
        "web:transaction_delete", lambda w, who: {}, lambda w: w.transaction
    ),
    "POST web:account_edit": _post("web:account_edit", _unit_form, lambda w: w.account),
    "POST web:set_language": _post("web:set_language", lambda w, who: {"language": "ru"}),
    "GET identification:scores": _page("identification:scores"),
    "GET identification:scores_export": _page("identification:scores_export", lambda w: "csv"),
    "GET identification:account_score": _page("identification:account_score", lambda w: w.account),
    "GET identification:matrix": _page("identification:matrix"),
    "GET identification:nominations": _page("identification:nominations"),
    "GET identification:nomination": _page("identification:nomination", lambda w: w.nomination),
    "POST identification:nominate": _post(
        "identification:nominate",
        lambda w, who: {"rationale": "Strategic partner, growing fast"},
        lambda w: w.account,
    ),
    "POST identification:nomination_step": _post(
        "identification:nomination_step",
        lambda w, who: {"reason": "Agreed"},
        lambda w: w.nomination,
        lambda w: "approve",
    ),
    "POST identification:notifications_read": _post(
        "identification:notifications_read", lambda w, who: {}
    ),
    "GET identification:run_status": _page("identification:run_status", lambda w: w.run),
    "GET identification:model": _page("identification:model"),
    "GET identification:model_version": _page(
        "identification:model_version", lambda w: w.model_version
    ),
    "GET identification:model_what_if": _page(
        "identification:model_what_if", lambda w: w.model_version
    ),
    "POST identification:run_start": _post("identification:run_start", lambda w, who: {}),
    "POST identification:run_rerun": _post(
        "identification:run_rerun", lambda w, who: {}, lambda w: w.run
    ),
    "POST identification:model_version": _post(
        "identification:model_version", lambda w, who: {}, lambda w: w.model_version
    ),
    "POST identification:model_draft": _post(
        "identification:model_draft", lambda w, who: {}, lambda w: w.model_version
    ),
    "POST identification:model_activate": _post(
        "identification:model_activate", lambda w, who: {}, lambda w: w.model_version
    ),
    "GET dataio:jobs": _page("dataio:jobs"),
    "GET dataio:upload": _page("dataio:upload"),
    "POST dataio:upload": _post("dataio:upload", lambda w, who: {"entity": "units"}),
    "GET dataio:job": _page("dataio:job", lambda w: w.job),
    "GET dataio:mapping": _page("dataio:mapping", lambda w: w.job),
    "POST dataio:mapping": _post("dataio:mapping", lambda w, who: {}, lambda w: w.job),
    "POST dataio:job_rerun": _post("dataio:job_rerun", lambda w, who: {}, lambda w: w.job),
    "GET dataio:job_progress": _page("dataio:job_progress", lambda w: w.job),
    "GET dataio:job_errors": _page("dataio:job_errors", lambda w: w.job),
    "GET dataio:export": _page("dataio:export"),
    "GET dataio:export_log": _page("dataio:export_log"),
    "GET dataio:export_download": lambda w, who, v: (
        reverse("dataio:export_download") + f"?entity={v}&format=csv",
        None,
    ),
    "GET tokens:list": _page("tokens:list"),
    "POST tokens:create": _post(
        "tokens:create", lambda w, who: {"name": "Script", "scope": "read"}
    ),
    "POST tokens:revoke": lambda w, who, v: (
        reverse("tokens:revoke", args=[w.token_ids.get(who, 0)]),
        {},
    ),
}

_ROW = {"date": "2026-01-15", "net_amount": "1000.00"}

API_REQUESTS: dict[str, Build] = {
    "GET /docs/assets/{name}": _api(lambda w: "/docs/assets/swagger-ui.css"),
    "GET /units": _api(lambda w: "/units"),
    "POST /units": _api(
        lambda w: "/units", lambda w: {"name": "New site", "kind": "site", "parent_id": w.account}
    ),
    "GET /units/{unit_id}": _api(lambda w: f"/units/{w.site}"),
    "GET /transactions": _api(lambda w: "/transactions"),
    "GET /accounts/{account_id}/team": _api(lambda w: f"/accounts/{w.account}/team"),
    "POST /accounts/{account_id}/team": _api(
        lambda w: f"/accounts/{w.account}/team",
        lambda w: {"user_id": w.users["specialist"].pk, "role": "technical", "allocation": 5},
    ),
    "GET /accounts/{account_id}/team/suggestions": _api(
        lambda w: f"/accounts/{w.account}/team/suggestions"
    ),
    "PATCH /team-members/{member_id}": _api(
        lambda w: f"/team-members/{w.member}", lambda w: {"allocation": 15}
    ),
    "GET /requests": _api(lambda w: "/requests"),
    "POST /requests": _api(
        lambda w: "/requests",
        lambda w: {
            "account_id": w.account,
            "function": "technical",
            "what": "A line audit",
            "needed_by": "2026-12-20",
        },
    ),
    "GET /requests/{request_id}": _api(lambda w: f"/requests/{_resource_request(w)}"),
    "POST /requests/{request_id}/accept": _api(
        lambda w: f"/requests/{_resource_request(w)}/accept",
        lambda w: {"assignee_id": w.users["field_rep"].pk},
    ),
    "POST /requests/{request_id}/decline": _api(
        lambda w: f"/requests/{_resource_request(w)}/decline", lambda w: {"reason": "No"}
    ),
    "POST /requests/{request_id}/done": _api(lambda w: f"/requests/{_resource_request(w)}/done"),
    "POST /requests/{request_id}/withdraw": _api(
        lambda w: f"/requests/{_resource_request(w)}/withdraw"
    ),
    "GET /requests/{request_id}/comments": _api(
        lambda w: f"/requests/{_resource_request(w)}/comments"
    ),
    "POST /requests/{request_id}/comments": _api(
        lambda w: f"/requests/{_resource_request(w)}/comments", lambda w: {"text": "A comment"}
    ),
    "GET /accounts/{account_id}/feed": _api(lambda w: f"/accounts/{w.account}/feed"),
    "POST /accounts/{account_id}/feed": _api(
        lambda w: f"/accounts/{w.account}/feed", lambda w: {"text": "A note"}
    ),
    "GET /function-heads": _api(lambda w: "/function-heads"),
    "POST /team-members/{member_id}/end": _api(
        lambda w: f"/team-members/{w.member}/end", lambda w: {}
    ),
    "GET /workload": _api(lambda w: "/workload"),
    "GET /transactions/{transaction_id}": _api(lambda w: f"/transactions/{w.transaction}"),
    "PATCH /transactions/{transaction_id}": _api(
        lambda w: f"/transactions/{w.transaction}", lambda w: {"net_amount": "140.00"}
    ),
    "DELETE /transactions/{transaction_id}": _api(lambda w: f"/transactions/{w.transaction}"),
    "PATCH /units/{unit_id}": _api(lambda w: f"/units/{w.account}", lambda w: {"city": "Oslo"}),
    "DELETE /units/{unit_id}": _api(lambda w: f"/units/{w.site}"),
    "GET /contacts": _api(lambda w: "/contacts"),
    "POST /contacts": _api(
        lambda w: "/contacts",
        lambda w: {"first_name": "Eve", "last_name": "New", "unit_id": w.account},
    ),
    "GET /contacts/{contact_id}": _api(lambda w: f"/contacts/{w.contact}"),
    "PATCH /contacts/{contact_id}": _api(
        lambda w: f"/contacts/{w.contact}", lambda w: {"notes": "Met at the fair"}
    ),
    "DELETE /contacts/{contact_id}": _api(lambda w: f"/contacts/{w.contact}"),
    "GET /employments": _api(lambda w: "/employments"),
    "POST /employments": _api(
        lambda w: "/employments", lambda w: {"contact_id": w.free_contact, "unit_id": w.account}
    ),
    "GET /employments/{employment_id}": _api(lambda w: f"/employments/{w.employment}"),
    "PATCH /employments/{employment_id}": _api(
        lambda w: f"/employments/{w.employment}", lambda w: {"title": "Head of purchasing"}
    ),
    "DELETE /employments/{employment_id}": _api(lambda w: f"/employments/{w.employment}"),
    "GET /opportunities": _api(lambda w: "/opportunities"),
    "POST /opportunities": _api(
        lambda w: "/opportunities", lambda w: {"unit_id": w.account, "name": "Next deal"}
    ),
    "GET /opportunities/{opportunity_id}": _api(lambda w: f"/opportunities/{w.opportunity}"),
    "PATCH /opportunities/{opportunity_id}": _api(
        lambda w: f"/opportunities/{w.opportunity}", lambda w: {"stage": "lost"}
    ),
    "DELETE /opportunities/{opportunity_id}": _api(lambda w: f"/opportunities/{w.opportunity}"),
    "POST /transactions/bulk": _api(
        lambda w: "/transactions/bulk",
        lambda w: {"rows": [{**_ROW, "unit_id": w.account, "product_id": w.product}]},
    ),
    "GET /interactions": _api(lambda w: "/interactions"),
    "POST /interactions": _api(
        lambda w: "/interactions",
        lambda w: {
            "type": "call",
            "occurred_at": "2026-10-02T10:00:00Z",
            "unit_id": w.account,
            "summary": "Follow-up call",
        },
    ),
    "GET /interactions/{interaction_id}": _api(lambda w: f"/interactions/{w.interaction}"),
    "PATCH /interactions/{interaction_id}": _api(
        lambda w: f"/interactions/{w.interaction}", lambda w: {"summary": "Plant visit, notes"}
    ),
    "DELETE /interactions/{interaction_id}": _api(lambda w: f"/interactions/{w.interaction}"),
    "GET /identification/models": _api(lambda w: "/identification/models"),
    "GET /identification/models/{version}": _api(
        lambda w: f"/identification/models/{w.model_version}"
    ),
    "GET /identification/scores": _api(lambda w: "/identification/scores"),
    "GET /identification/accounts/{account_id}/score": _api(
        lambda w: f"/identification/accounts/{w.account}/score"
    ),
    "GET /identification/nominations": _api(lambda w: "/identification/nominations"),
    "POST /identification/nominations": _api(
        lambda w: "/identification/nominations",
        lambda w: {"account_id": w.other_account, "rationale": "Strategic partner, growing"},
    ),
    "POST /identification/nominations/{nomination_id}/approve": _api(
        lambda w: f"/identification/nominations/{w.nomination}/approve",
        lambda w: {"reason": "Agreed"},
    ),
    "POST /identification/nominations/{nomination_id}/reject": _api(
        lambda w: f"/identification/nominations/{w.nomination}/reject",
        lambda w: {"reason": "Too small"},
    ),
    "POST /identification/runs": _api(lambda w: "/identification/runs", lambda w: {}),
    "POST /identification/runs/{run_id}/rerun": _api(
        lambda w: f"/identification/runs/{w.run}/rerun", lambda w: {}
    ),
    "GET /identification/runs/{run_id}": _api(lambda w: f"/identification/runs/{w.run}"),
    "GET /export/{entity}": lambda w, who, v: (f"/export/{v}", None),
}


# --- the parameters -----------------------------------------------------------------------------


def _web_keys() -> set[str]:
    api_namespace = ninja_api().urls_namespace
    keys = set()
    for name, view in patterns():
        if name.startswith(ADMIN_PREFIX) or name == "None":
            continue
        if name.startswith(f"{api_namespace}:") and name not in API_PAGES:
            continue
        keys |= {f"{method} {name}" for method in view_methods(view)}
    return keys


def _api_keys() -> set[str]:
    return {f"{method} {path}" for method, path, _op in api_operations()}


def _variants(table: dict[str, str | dict[str, str]], key: str) -> list[str]:
    entry = table.get(key, "")
    return list(entry) if isinstance(entry, dict) else [""]


def _cases(table: dict[str, str | dict[str, str]], requests: dict[str, Build]) -> list[Any]:
    cases = []
    for key in sorted(requests):
        for variant in _variants(table, key):
            for persona in PERSONAS:
                label = f"{key}{f' {variant}' if variant else ''} as {persona}"
                cases.append(pytest.param(key, variant, persona, id=label))
    return cases


def _expected(key: str, variant: str, persona: str) -> bool:
    spec = PERSONAS[persona]
    return allowed(
        action_of(key, variant),
        role=spec.role if spec else "",
        relations=spec.relations if spec else frozenset(),
        authenticated=spec is not None,
        staff=bool(spec and spec.staff),
    )


def _outcome(response: Any) -> str:
    """ "allowed", "denied" or "broken" (a 5xx, a wrong method: the test is wrong or the app)."""
    status = response.status_code
    if status in (401, 403, 404):
        return "denied"
    # login_required sends to the sign-in page with ?next= (signing out goes there too)
    if status in (301, 302, 303) and "/login/?next=" in response.get("Location", ""):
        return "denied"
    if status < 400 or status in (400, 409, 422):
        return "allowed"
    return "broken"


def _check(response: Any, expected: bool) -> None:
    outcome = _outcome(response)
    want = "allowed" if expected else "denied"
    body = b"" if getattr(response, "streaming", False) else response.content[:300]
    assert outcome == want, f"{response.status_code} {body!r}"


@pytest.mark.parametrize(("key", "variant", "persona"), _cases(WEB, WEB_REQUESTS))
def test_page(world: World, db: None, key: str, variant: str, persona: str) -> None:
    client = Client()
    if persona != "anonymous":
        client.force_login(world.users[persona])
    method, _name = key.split(" ", 1)
    path, data = WEB_REQUESTS[key](world, persona, variant)
    response = client.get(path) if method == "GET" else client.post(path, data or {})
    _check(response, _expected(key, variant, persona))


@pytest.mark.parametrize(("key", "variant", "persona"), _cases(API, API_REQUESTS))
def test_api_operation(world: World, db: None, key: str, variant: str, persona: str) -> None:
    method, _path = key.split(" ", 1)
    path, body = API_REQUESTS[key](world, persona, variant)
    headers = {}
    if persona != "anonymous":
        headers["Authorization"] = f"Bearer {world.tokens[persona]}"
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    response = Client().generic(method, f"/api/v1{path}", headers=headers, **kwargs)
    _check(response, _expected(key, variant, persona))


# Staff pages that need no model permission (the model pages need one: Django's own rule).
ADMIN_PAGES = ["admin:index", "admin:password_change"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_django_admin(world: World, db: None, name: str, persona: str) -> None:
    client = Client()
    if persona != "anonymous":
        client.force_login(world.users[persona])
    response = client.get(reverse(name))
    _check(response, _expected(f"GET {name}", "", persona))


# --- the tables cover exactly what exists -------------------------------------------------------


def test_every_page_and_operation_has_an_entry_in_the_matrix() -> None:
    missing = (_web_keys() - set(WEB)) | (_api_keys() - set(API))
    assert not missing, f"pages/operations without an action in kam.web.endpoints: {missing}"


def test_the_matrix_names_no_page_or_operation_that_is_gone() -> None:
    gone = (set(WEB) - _web_keys()) | (set(API) - _api_keys())
    assert not gone, f"entries in kam.web.endpoints for pages/operations that are gone: {gone}"


def test_every_entry_has_a_request_in_this_test() -> None:
    assert set(WEB_REQUESTS) == set(WEB)
    assert set(API_REQUESTS) == set(API)


def test_the_committed_doc_is_the_rendering_of_the_matrix() -> None:
    assert DOC.read_text(encoding="utf-8") == render_permissions_doc() + "\n", (
        "docs/permissions.md is stale: run `kam permissions_doc -o docs/permissions.md`"
    )


def test_every_action_of_the_endpoints_is_in_the_matrix() -> None:
    for key in [*WEB, *API]:
        for variant in _variants({**WEB, **API}, key):
            assert action_of(key, variant) in endpoints.ACTIONS


# --- restricted visibility ----------------------------------------------------------------------

# Reads of many rows: under restricted visibility they answer, with fewer rows (see
# test_restricted_visibility); every other account read names one object and must be 404.
LIST_READS = {
    "GET web:portfolio",
    "GET identification:scores",
    "GET identification:scores_export",
    "GET identification:matrix",
    "GET identification:nominations",
    "GET /units",
    "GET /contacts",
    "GET /employments",
    "GET /opportunities",
    "GET /transactions",
    "GET /workload",
    "GET teams:workload",
    "GET teams:requests",
    "GET teams:my_feed",
    "GET /requests",
    "GET /function-heads",
    "GET /interactions",
    "GET /identification/scores",
    "GET /identification/nominations",
    "GET /export/{entity}",
}
OBJECT_READS = sorted(
    key
    for key, entry in {**WEB, **API}.items()
    if entry == "view_account" and key not in LIST_READS
)


@pytest.mark.parametrize("persona", ["field_rep", "specialist"])
@pytest.mark.parametrize("key", OBJECT_READS)
def test_restricted_visibility_hides_unrelated_accounts(
    world: World, db: None, settings: Any, key: str, persona: str
) -> None:
    """With the setting on, the field rep (named on an interaction of account A) still reads
    A's objects; the specialist (named on none) gets 404, as if they did not exist."""
    settings.KAM_RESTRICTED_VISIBILITY = True
    client = Client()
    if key.split(" ", 1)[1].startswith("/"):
        path, _body = API_REQUESTS[key](world, persona, "")
        headers = {"Authorization": f"Bearer {world.tokens[persona]}"}
        response = client.get(f"/api/v1{path}", headers=headers)
    else:
        client.force_login(world.users[persona])
        path, _data = WEB_REQUESTS[key](world, persona, "")
        response = client.get(path)
    if persona == "field_rep":
        assert response.status_code in (200, 302)  # a nomination redirects to its account
    else:
        assert response.status_code == 404
