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
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.alerts.models import Alert
from kam.api.models import TokenScope
from kam.api.services import token_create
from kam.core.permission_matrix import (
    ACCOUNT_MANAGER,
    ACTION_OWNER,
    AUTHOR,
    LINE_MANAGER,
    NOMINATOR,
    NONE,
    OWNER,
    SUBMITTER,
    TEAM_MEMBER,
    UNIT_FIELD_REP,
    VISIT_REP,
    allowed,
)
from kam.customers.models import Contact, Employment, Unit
from kam.customers.services import unit_version
from kam.dataio.models import ExportJob, ImportJob
from kam.health.models import AccountHealth, BacktestResult, HealthProfileVersion, ProfileRule
from kam.identification.models import (
    AccountScore,
    Nomination,
    NominationStatus,
    ScoringModel,
    ScoringRun,
)
from kam.interactions.models import CaptureUpload, Interaction
from kam.people.models import Territory, User
from kam.planning.models import (
    AccountPlan,
    Action,
    CustomerGoal,
    Objective,
    PlanStatus,
    PlanVersion,
    Strategy,
    WhiteSpaceCell,
)
from kam.planning.services import plan_create
from kam.programme.models import Campaign, Statement
from kam.relationships.models import BuyingRole, Placeholder
from kam.sales.models import (
    CostToServe,
    CurrencyRate,
    ListPrice,
    Opportunity,
    Product,
    Transaction,
)
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
    "account_kam": PersonaSpec(
        "kam", frozenset({ACCOUNT_MANAGER, AUTHOR, NOMINATOR, SUBMITTER, OWNER})
    ),
    "sales_manager": PersonaSpec("sales_manager", frozenset({LINE_MANAGER, OWNER})),
    "field_rep": PersonaSpec(
        "field_rep", frozenset({UNIT_FIELD_REP, ACTION_OWNER, OWNER, VISIT_REP})
    ),
    "specialist": PersonaSpec("specialist", frozenset({NONE, OWNER})),
    # a technical specialist on account A's team: the "on the account team" rows
    "team_specialist": PersonaSpec("specialist", frozenset({TEAM_MEMBER, OWNER})),
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
    plan: int
    objective: int
    action: int
    goal: int
    export_job: int = 0
    territory: int = 0
    currency_rate: int = 0
    strategy: int = 0
    cost: int = 0
    list_price: int = 0


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
    goal = CustomerGoal.objects.create(account=account, kind="goal", text="Grow in Asia")
    job = ImportJob.objects.create(
        created_by=users["admin"], entity="units", original_name="units.csv", file="x.csv"
    )
    job.error_report.save("matrix-errors.csv", ContentFile(b"line,reason\n"))
    teammate = User.objects.create(username="teammate", role="specialist", function="service")
    member = team_member_add(account=account, user=teammate, role=TeamRole.SERVICE)
    users["team_specialist"].function = "technical"
    users["team_specialist"].save()
    team_member_add(account=account, user=users["team_specialist"], role=TeamRole.TECHNICAL)
    # A plan the account's KAM submitted, with one approved version, an objective and an
    # action of the field rep; content edits of a submitted plan are a 400 (allowed, refused
    # for its state), which the matrix counts as allowed.
    plan = plan_create(account=account, user=users["account_kam"])
    objective = Objective.objects.create(
        plan=plan, title="Grow", target_value=Decimal(10), deadline=dt.date(2026, 12, 31)
    )
    action = Action.objects.create(
        plan=plan, title="Visit", owner=users["field_rep"], due_date=dt.date(2026, 12, 20)
    )
    PlanVersion.objects.create(plan=plan, number=1, snapshot={})
    AccountPlan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.SUBMITTED, submitted_by=users["account_kam"]
    )
    export = ExportJob.objects.create(
        created_by=users["admin"], entity="units", format="csv", status="done"
    )
    export.file.save("matrix-export.csv", ContentFile(b"external_id,name\n"))
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
        plan=plan.pk,
        objective=objective.pk,
        action=action.pk,
        goal=goal.pk,
        export_job=export.pk,
        territory=Territory.objects.create(name="Matrix land", country="DE", region="M").pk,
        currency_rate=CurrencyRate.objects.create(
            currency="CHF", valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2024, 12, 31), rate=1
        ).pk,
        strategy=Strategy.objects.create(plan=plan, text="Bundle service").pk,
        cost=CostToServe.objects.create(
            unit_id=account.pk, month=dt.date(2025, 3, 1), category="logistics", amount=100
        ).pk,
        list_price=ListPrice.objects.create(
            product=product, valid_from=dt.date(2024, 1, 1), price=10
        ).pk,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """One world for the module, rolled back after its last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = _build_world()
        yield built
        ImportJob.objects.get(pk=built.job).error_report.delete(save=False)
        ExportJob.objects.get(pk=built.export_job).file.delete(save=False)
        transaction.set_rollback(True)


# --- one request per page / operation ---------------------------------------------------------

Build = Callable[[World, str, str], tuple[str, Any]]  # (world, persona, variant) -> (path, data)


def _page(name: str, *args: Callable[[World], Any]) -> Build:
    return lambda w, who, v: (reverse(name, args=[a(w) for a in args]), None)


def _post(name: str, data: Callable[[World, str], dict], *args: Callable[[World], Any]) -> Build:
    return lambda w, who, v: (reverse(name, args=[a(w) for a in args]), data(w, who))


def _api(path: Callable[[World], str], body: Callable[[World], Any] | None = None) -> Build:
    return lambda w, who, v: (path(w), body(w) if body else None)


def _line(w: World) -> int:
    """The product line of the world's product (a white space column)."""
    return Product.objects.values_list("line_id", flat=True).get(pk=w.product)


def _unit_form(w: World, who: str) -> dict:
    unit = Unit.objects.get(pk=w.account)
    return {
        "name": "Account A renamed",
        "kind": unit.kind,
        "country": unit.country,
        "account_manager": unit.account_manager_id,
        "version": unit_version(unit),
    }


def _placeholder(w: World) -> int:
    return Placeholder.objects.create(account_id=w.account, role="decider", note="CFO").pk


def _role(w: World) -> int:
    return BuyingRole.objects.create(account_id=w.account, contact_id=w.contact, role="user").pk


_MEMBER = {"roles": ["decider"], "attitude": "champion", "influence": "4", "orientation": ""}


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


def _health(w: World) -> int:
    """Account A with a kept health figure (so its health reads answer 200)."""
    AccountHealth.objects.get_or_create(
        account_id=w.account,
        defaults={"as_of": dt.date(2026, 10, 1), "score": Decimal("55.0"), "grade": "fair"},
    )
    return w.account


def _health_version(w: World) -> HealthProfileVersion:
    return HealthProfileVersion.objects.get(profile__is_default=True, status="active")


def _health_rule(w: World) -> int:
    return ProfileRule.objects.create(profile=_health_version(w).profile, tier="global").pk


def _health_backtest() -> int:
    return BacktestResult.objects.create(
        as_of=dt.date(2026, 1, 31), horizon_months=6, result={"accounts": 0}
    ).pk


def _step(name: str) -> Build:
    def build(w: World, who: str, variant: str) -> tuple[str, Any]:
        data = {"assignee": w.users["field_rep"].pk, "reason": "No capacity"}
        return reverse(name, args=[_resource_request(w), variant]), data

    return build


def _alert(w: World) -> int:
    """An open alert of account A (made inside the test's savepoint)."""
    found = Alert.objects.filter(key="matrix:alert").first()
    if found is None:
        found = Alert.objects.create(
            kind="test.matrix", account_id=w.account, reason="Matrix alert", key="matrix:alert"
        )
    return found.pk


_ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:matrix\r\nEND:VCALENDAR\r\n"


def _capture(w: World, who: str) -> int:
    """A calendar file of the persona's own (the anonymous visitor asks for the admin's)."""
    upload = CaptureUpload(
        created_by=w.users.get(who, w.users["admin"]),
        filename="matrix.ics",
        since=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        until=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    )
    upload.file.save("matrix.ics", ContentFile(_ICS), save=False)
    upload.save()
    return upload.pk


def _own(name: str, data: Callable[[World, str], dict] | None = None) -> Build:
    def build(w: World, who: str, v: str) -> tuple[str, Any]:
        return reverse(name, args=[_capture(w, who)]), data(w, who) if data else None

    return build


def _field_visit(w: World) -> int:
    """The field rep is responsible for account A's plant and has a visit there today (made
    inside the test's savepoint)."""
    from kam.field.models import FieldAssignment, Visit

    rep = w.users["field_rep"]
    FieldAssignment.objects.get_or_create(unit_id=w.site, end=None, defaults={"rep": rep})
    visit, _made = Visit.objects.get_or_create(
        unit_id=w.site, rep=rep, defaults={"planned_on": timezone.localdate()}
    )
    return visit.pk


def _site_contact(w: World) -> int:
    """A contact who works at account A's plant, for which the field rep is responsible (made
    inside the test's savepoint): a field rep's links reach the contacts of their units only."""
    from kam.field.models import FieldAssignment

    FieldAssignment.objects.get_or_create(
        unit_id=w.site, end=None, defaults={"rep": w.users["field_rep"]}
    )
    found = Employment.objects.filter(unit_id=w.site, end_date=None).first()
    if found is None:
        found = EmploymentFactory(unit_id=w.site)
    return found.contact_id


def _field_log(w: World, who: str) -> dict:
    _field_visit(w)
    return {"unit": w.site, "type": "visit", "summary": "Field visit"}


def _feed_secret(w: World) -> str:
    from kam.field.services import feed_token_get

    return feed_token_get(user=w.users["field_rep"]).token


def _request_form(w: World, who: str) -> dict:
    return {"function": "technical", "what": "A line audit", "needed_by": "2026-12-20"}


def _campaign(w: World) -> int:
    """An open assessment campaign asking every group, made inside the test's savepoint."""
    found = Campaign.objects.filter(name="matrix campaign").first()
    if found is None:
        found = Campaign.objects.create(
            name="matrix campaign",
            period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 12, 31),
            groups=["executive", "kam", "sales_manager", "field_rep"],
        )
        found.statements.set(Statement.objects.filter(active=True))
    return found.pk


def _statement(w: World) -> int:
    """An active default statement (each condition has two, so one may be retired)."""
    return Statement.objects.filter(active=True).order_by("pk").values_list("pk", flat=True)[0]


def _campaign_form(w: World, who: str) -> dict:
    return {
        "name": "Matrix check",
        "period_start": "2026-12-01",
        "period_end": "2026-12-31",
        "groups": ["kam"],
    }


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
    "GET programme:overview": _page("programme:overview"),
    "POST programme:refresh": _post("programme:refresh", lambda w, who: {}),
    "GET dashboard:page": _page("dashboard:page"),
    "GET dashboard:status": lambda w, who, v: (
        reverse("dashboard:status") + "?computed=2026-12-04T10:00:00%2B00:00",
        None,
    ),
    "GET dashboard:accounts": _page("dashboard:accounts", lambda w: "stage-none"),
    "GET programme:indicator": _page("programme:indicator", lambda w: "sponsor_share"),
    "GET programme:risk": _page("programme:risk", lambda w: "dependence"),
    "GET programme:campaigns": _page("programme:campaigns"),
    "GET programme:campaign_new": _page("programme:campaign_new"),
    "POST programme:campaign_new": _post("programme:campaign_new", _campaign_form),
    "GET programme:campaign": _page("programme:campaign", _campaign),
    "POST programme:campaign_close": _post(
        "programme:campaign_close", lambda w, who: {}, _campaign
    ),
    "POST programme:campaign_remind": _post(
        "programme:campaign_remind", lambda w, who: {}, _campaign
    ),
    "GET programme:respond": _page("programme:respond", _campaign),
    "POST programme:respond": _post("programme:respond", lambda w, who: {}, _campaign),
    "GET programme:statements": _page("programme:statements"),
    "POST programme:statements": _post(
        "programme:statements", lambda w, who: {"condition": 3, "text_en": f"Matrix {who}"}
    ),
    "GET programme:statement_edit": _page("programme:statement_edit", _statement),
    "POST programme:statement_edit": _post(
        "programme:statement_edit",
        lambda w, who: {"text_en": "Matrix edit", "text_ru": "", "position": 1},
        _statement,
    ),
    "POST programme:statement_active": _post(
        "programme:statement_active", lambda w, who: {"active": "0"}, _statement
    ),
    "GET health:portfolio": _page("health:portfolio"),
    "GET health:account": _page("health:account", lambda w: _health(w)),
    "POST health:account": _post(
        "health:account", lambda w, who: {"grade": "fair", "on": "2026-10-01"}, lambda w: w.account
    ),
    "GET health:profiles": _page("health:profiles"),
    "POST health:profiles": _post("health:profiles", lambda w, who: {"code": "x", "name": "X"}),
    "POST health:version_draft": _post(
        "health:version_draft", lambda w, who: {}, lambda w: _health_version(w).profile_id
    ),
    "POST health:rule_add": _post(
        "health:rule_add", lambda w, who: {}, lambda w: _health_version(w).profile_id
    ),
    "POST health:rule_delete": _post("health:rule_delete", lambda w, who: {}, _health_rule),
    "GET health:version": _page("health:version", lambda w: _health_version(w).pk),
    "POST health:version": _post(
        "health:version", lambda w, who: {}, lambda w: _health_version(w).pk
    ),
    "POST health:version_activate": _post(
        "health:version_activate", lambda w, who: {}, lambda w: _health_version(w).pk
    ),
    "GET field:assignments": _page("field:assignments"),
    "POST field:assignments": _post(
        "field:assignments",
        lambda w, who: {"units": [w.site], "rep": w.users["field_rep"].pk},
    ),
    "GET field:mine": _page("field:mine"),
    "POST field:check_in": _post("field:check_in", lambda w, who: {}, _field_visit),
    "GET field:log": _page("field:log"),
    "POST field:log": _post("field:log", _field_log),
    "GET field:contacts_search": lambda w, who, v: (
        reverse("field:contacts_search") + f"?q=a&unit={w.site}",
        None,
    ),
    "GET field:people_search": lambda w, who, v: (reverse("field:people_search") + "?q=ki", None),
    "POST field:action_status": _post(
        "field:action_status", lambda w, who: {"status": "in_progress"}, lambda w: w.action
    ),
    "GET field:rep_week": _page("field:rep_week", lambda w: w.users["field_rep"].pk),
    "GET field:cadence": _page("field:cadence"),
    "POST field:cadence": _post("field:cadence", lambda w, who: {"key__site": "30"}),
    "GET field:account": _page("field:account", lambda w: w.account),
    "GET field:visit_new": _page("field:visit_new", lambda w: _field_visit(w) and w.account),
    "POST field:visit_new": _post(
        "field:visit_new",
        lambda w, who: {
            "unit": w.site,
            "rep": w.users["field_rep"].pk,
            "planned_on": "2026-12-21",
        },
        lambda w: _field_visit(w) and w.account,
    ),
    "GET field:indicators": _page("field:indicators"),
    "GET field:feed_token": _page("field:feed_token"),
    "POST field:feed_token": _post("field:feed_token", lambda w, who: {}),
    "GET field:ics": lambda w, who, v: (
        reverse("field:ics", args=[_feed_secret(w)]),
        None,
    ),
    "GET login": _page("login"),
    "GET whitespace:matrix": _page("whitespace:matrix", lambda w: w.account),
    "POST whitespace:prefill": _post("whitespace:prefill", lambda w, who: {}, lambda w: w.account),
    "GET whitespace:cell": _page(
        "whitespace:cell", lambda w: w.account, lambda w: w.site, lambda w: _line(w)
    ),
    "POST whitespace:cell": _post(
        "whitespace:cell",
        lambda w, who: {"status": "blocked", "potential": "10", "note": who},
        lambda w: w.account,
        lambda w: w.site,
        lambda w: _line(w),
    ),
    "GET whitespace:cell_view": _page(
        "whitespace:cell_view", lambda w: w.account, lambda w: w.site, lambda w: _line(w)
    ),
    "GET planexport:pdf": _page("planexport:pdf", lambda w: w.plan),
    "GET planexport:json": _page("planexport:json", lambda w: w.plan),
    "GET planexport:import": _page("planexport:import", lambda w: w.account),
    "POST planexport:import": _post("planexport:import", lambda w, who: {}, lambda w: w.account),
    "POST login": _post("login", lambda w, who: {"username": "nobody", "password": "wrong"}),
    "POST logout": _post("logout", lambda w, who: {}),
    "GET set_language": _page("set_language"),
    "POST set_language": _post("set_language", lambda w, who: {"language": "en"}),
    "GET api:openapi-json": _page("api:openapi-json"),
    "GET api:openapi-view": _page("api:openapi-view"),
    "GET api:api-root": _page("api:api-root"),
    "GET web:home": _page("web:home"),
    "GET web:my_accounts": _page("web:my_accounts"),
    "GET web:notifications": _page("web:notifications"),
    "GET web:notifications_menu": _page("web:notifications_menu"),
    "POST web:notifications_read": _post("web:notifications_read", lambda w, who: {}),
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
    "GET web:account_opportunities": _page("web:account_opportunities", lambda w: w.account),
    "GET web:opportunity_create": _page("web:opportunity_create", lambda w: w.account),
    "POST web:opportunity_create": _post(
        "web:opportunity_create",
        lambda w, who: {
            "name": "Typed deal",
            "unit": w.account,
            "stage": "qualify",
            "amount": "100",
            "probability": "10",
        },
        lambda w: w.account,
    ),
    "GET web:opportunity_edit": _page(
        "web:opportunity_edit", lambda w: w.account, lambda w: w.opportunity
    ),
    "POST web:opportunity_edit": _post(
        "web:opportunity_edit",
        lambda w, who: {
            "name": "A deal",
            "unit": w.account,
            "stage": "won",
            "amount": "100",
            "probability": "100",
        },
        lambda w: w.account,
        lambda w: w.opportunity,
    ),
    "GET web:account_costs": _page("web:account_costs", lambda w: w.account),
    "POST web:account_costs": _post(
        "web:account_costs",
        lambda w, who: {
            "unit": w.account,
            "month": "2025-04",
            "category": "service",
            "amount": "50",
        },
        lambda w: w.account,
    ),
    "GET web:cost_edit": _page("web:cost_edit", lambda w: w.account, lambda w: w.cost),
    "POST web:cost_edit": _post(
        "web:cost_edit",
        lambda w, who: {
            "unit": w.account,
            "month": "2025-03",
            "category": "logistics",
            "amount": "120",
        },
        lambda w: w.account,
        lambda w: w.cost,
    ),
    "POST web:cost_delete": _post(
        "web:cost_delete", lambda w, who: {}, lambda w: w.account, lambda w: w.cost
    ),
    "GET web:prices": _page("web:prices"),
    "GET web:price_create": _page("web:price_create"),
    "POST web:price_create": _post(
        "web:price_create",
        lambda w, who: {
            "product": Product.objects.get(pk=w.product).sku,
            "valid_from": "2025-01-01",
            "price": "12",
        },
    ),
    "GET web:price_edit": _page("web:price_edit", lambda w: w.list_price),
    "POST web:price_edit": _post(
        "web:price_edit",
        lambda w, who: {
            "product": Product.objects.get(pk=w.product).sku,
            "valid_from": "2024-01-01",
            "price": "11",
        },
        lambda w: w.list_price,
    ),
    "POST web:price_delete": _post("web:price_delete", lambda w, who: {}, lambda w: w.list_price),
    "GET web:rates": _page("web:rates"),
    "GET web:rate_create": _page("web:rate_create"),
    "POST web:rate_create": _post(
        "web:rate_create",
        lambda w, who: {"currency": "USD", "valid_from": "2025-01-01", "rate": "0.9"},
    ),
    "GET web:rate_edit": _page("web:rate_edit", lambda w: w.currency_rate),
    "POST web:rate_edit": _post(
        "web:rate_edit",
        lambda w, who: {"currency": "CHF", "valid_from": "2024-01-01", "rate": "1.05"},
        lambda w: w.currency_rate,
    ),
    "POST web:rate_delete": _post("web:rate_delete", lambda w, who: {}, lambda w: w.currency_rate),
    "GET web:account_position": _page("web:account_position", lambda w: w.account),
    "POST web:account_position": _post(
        "web:account_position",
        lambda w, who: {"position": "preferred", "since": "2026-01-01"},
        lambda w: w.account,
    ),
    "GET web:territories": _page("web:territories"),
    "GET web:territory_create": _page("web:territory_create"),
    "POST web:territory_create": _post(
        "web:territory_create", lambda w, who: {"name": "North", "country": "DE", "region": "N"}
    ),
    "GET web:territory_edit": _page("web:territory_edit", lambda w: w.territory),
    "POST web:territory_edit": _post(
        "web:territory_edit",
        lambda w, who: {"name": "Matrix", "country": "DE", "region": "M"},
        lambda w: w.territory,
    ),
    "POST web:set_language": _post("web:set_language", lambda w, who: {"language": "ru"}),
    "GET web:account_goals": _page("web:account_goals", lambda w: w.account),
    "POST web:account_goals": _post(
        "web:account_goals",
        lambda w, who: {"kind": "goal", "text": "Cut costs"},
        lambda w: w.account,
    ),
    "GET web:account_goal_sources": _page("web:account_goal_sources", lambda w: w.account),
    "GET web:account_goal_edit": _page("web:account_goal_edit", lambda w: w.goal),
    "POST web:account_goal_edit": _post(
        "web:account_goal_edit",
        lambda w, who: {"kind": "initiative", "text": "Grow in Asia"},
        lambda w: w.goal,
    ),
    "GET web:account_buying_process": _page("web:account_buying_process", lambda w: w.account),
    "POST web:account_buying_process": _post(
        "web:account_buying_process", lambda w, who: {"text": "Tenders"}, lambda w: w.account
    ),
    "GET web:contact": _page("web:contact", lambda w: w.contact),
    "GET interactions:capture": _page("interactions:capture"),
    "POST interactions:capture": lambda w, who, v: (
        reverse("interactions:capture"),
        {"file": SimpleUploadedFile("mine.ics", _ICS), "since": "2026-01-01"},
    ),
    "GET interactions:capture_preview": _own("interactions:capture_preview"),
    "POST interactions:capture_confirm": _own("interactions:capture_confirm"),
    "POST interactions:capture_contact": _own(
        "interactions:capture_contact",
        lambda w, who: {"email": f"new.{who}@customer.test", "name": "New", "unit": w.account},
    ),
    "POST web:key_account_step": lambda w, who, v: (
        reverse("web:key_account_step", args=[w.account, v]),
        {"reason": "Smaller than planned", "note": "Yearly review"},
    ),
    "GET identification:scores": _page("identification:scores"),
    "GET identification:scores_export": _page("identification:scores_export", lambda w: "csv"),
    "GET identification:account_score": _page("identification:account_score", lambda w: w.account),
    "GET identification:assessment": _page("identification:assessment", lambda w: w.account),
    "POST identification:assessment": _post(
        "identification:assessment",
        lambda w, who: {"willingness": "6", "buying_criteria": "price\ndelivery"},
        lambda w: w.account,
    ),
    "GET relationships_map:map": _page("relationships_map:map", lambda w: w.account),
    "GET relationships_map:map_data": _page("relationships_map:map_data", lambda w: w.account),
    "GET relationships_map:person": _page(
        "relationships_map:person", lambda w: w.account, lambda w: w.contact
    ),
    "POST relationships_map:person_roles": _post(
        "relationships_map:person_roles",
        lambda w, who: {"roles": ["decider"]},
        lambda w: w.account,
        lambda w: w.contact,
    ),
    "GET relationships_map:warm_paths": _page(
        "relationships_map:warm_paths", lambda w: w.account, lambda w: w.contact
    ),
    "GET relationships_map:coverage": _page("relationships_map:coverage", lambda w: w.account),
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
    "GET identification:backtest": _page("identification:backtest"),
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
    "GET relationships:buying_centre": _page("relationships:buying_centre", lambda w: w.account),
    "GET relationships:account_panel": _page("relationships:account_panel", lambda w: w.account),
    "GET relationships:member_edit": _page(
        "relationships:member_edit", lambda w: w.account, lambda w: w.contact
    ),
    "POST relationships:member_edit": _post(
        "relationships:member_edit",
        lambda w, who: _MEMBER,
        lambda w: w.account,
        lambda w: w.contact,
    ),
    "POST relationships:placeholder_add": _post(
        "relationships:placeholder_add",
        lambda w, who: {"role": "buyer", "note": "Berlin"},
        lambda w: w.account,
    ),
    "GET relationships:placeholder_units": _page(
        "relationships:placeholder_units", lambda w: w.account
    ),
    "POST relationships:placeholder_remove": _post(
        "relationships:placeholder_remove", lambda w, who: {}, _placeholder
    ),
    "POST relationships:stage_confirm": _post(
        "relationships:stage_confirm",
        lambda w, who: {"stage": "mid", "reason": "Weekly meetings"},
        lambda w: w.account,
    ),
    "POST relationships:sharing_set": _post(
        "relationships:sharing_set", lambda w, who: {"level": "2"}, lambda w: w.account
    ),
    "GET relationships:contact_links": _page("relationships:contact_links", lambda w: w.contact),
    "POST relationships:contact_links": _post(
        "relationships:contact_links", lambda w, who: {"level": "2"}, _site_contact
    ),
    "GET relationships:user_links": _page(
        "relationships:user_links", lambda w: w.users["account_kam"].pk
    ),
    "GET relationships:opportunity_roles": _page(
        "relationships:opportunity_roles", lambda w: w.opportunity
    ),
    "POST relationships:opportunity_roles": _post(
        "relationships:opportunity_roles",
        lambda w, who: {"contact": w.contact, "roles": ["coach"]},
        lambda w: w.opportunity,
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
    "GET dataio:export_job": _page("dataio:export_job", lambda w: w.export_job),
    "GET dataio:export_job_file": _page("dataio:export_job_file", lambda w: w.export_job),
    "GET dataio:export_download": lambda w, who, v: (
        reverse("dataio:export_download") + f"?entity={v}&format=csv",
        None,
    ),
    "GET planning:plans": _page("planning:plans"),
    "GET planning:actions": _page("planning:actions"),
    "GET planning:account_plan": _page("planning:account_plan", lambda w: w.account),
    "POST planning:plan_create": _post(
        "planning:plan_create", lambda w, who: {"period_start": "2027-01-01"}, lambda w: w.account
    ),
    "GET planning:plan": _page("planning:plan", lambda w: w.plan),
    "GET planning:plan_edit": _page("planning:plan_edit", lambda w: w.plan),
    "POST planning:plan_edit": _post(
        "planning:plan_edit",
        lambda w, who: {
            "revision": 1,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "review_cadence_months": 3,
            "mission": "Ours",
        },
        lambda w: w.plan,
    ),
    "GET planning:plan_diff": _page("planning:plan_diff", lambda w: w.plan),
    "POST planning:plan_review": _post(
        "planning:plan_review", lambda w, who: {"outcome": "confirmed"}, lambda w: w.plan
    ),
    "POST planning:plan_step": lambda w, who, v: (
        reverse("planning:plan_step", args=[w.plan, v]),
        {"note": "Agreed"},
    ),
    "POST planning:section_add": _post(
        "planning:section_add",
        lambda w, who: {"revision": 1, "text": "Cut costs"},
        lambda w: w.plan,
        lambda w: "strategies",
    ),
    "POST planning:section_delete": lambda w, who, v: (
        reverse("planning:section_delete", args=[w.plan, "strategies", _strategy(w)]),
        {"revision": 1},
    ),
    "GET planning:objective_add": _page("planning:objective_add", lambda w: w.plan),
    "POST planning:objective_add": _post(
        "planning:objective_add",
        lambda w, who: {
            "revision": 1,
            "title": "More",
            "target_value": "5",
            "deadline": "2026-12-31",
        },
        lambda w: w.plan,
    ),
    "GET planning:objective_edit": _page("planning:objective_edit", lambda w: w.objective),
    "POST planning:objective_edit": _post(
        "planning:objective_edit",
        lambda w, who: {
            "revision": 1,
            "title": "Grow more",
            "target_value": "5",
            "deadline": "2026-12-31",
        },
        lambda w: w.objective,
    ),
    "GET planning:objective_value": _page("planning:objective_value", lambda w: w.objective),
    "POST planning:objective_value": _post(
        "planning:objective_value",
        lambda w, who: {"revision": 1, "date": "2026-11-01", "value": "3"},
        lambda w: w.objective,
    ),
    "GET planning:action_add": _page("planning:action_add", lambda w: w.plan),
    "POST planning:action_add": _post(
        "planning:action_add",
        lambda w, who: {
            "revision": 1,
            "title": "Call",
            "owner": w.users["field_rep"].pk,
            "due_date": "2026-12-20",
            "status": "open",
        },
        lambda w: w.plan,
    ),
    "GET planning:action_edit": _page("planning:action_edit", lambda w: w.action),
    "POST planning:action_edit": _post(
        "planning:action_edit",
        lambda w, who: {"revision": 1, "status": "done", "note": "Met"},
        lambda w: w.action,
    ),
    "POST planning:action_interaction": _post(
        "planning:action_interaction", lambda w, who: {"summary": "Visited"}, lambda w: w.action
    ),
    "GET tokens:list": _page("tokens:list"),
    "POST tokens:create": _post(
        "tokens:create", lambda w, who: {"name": "Script", "scope": "read"}
    ),
    "POST tokens:revoke": lambda w, who, v: (
        reverse("tokens:revoke", args=[w.token_ids.get(who, 0)]),
        {},
    ),
    "GET alerts:list": _page("alerts:list"),
    "GET alerts:account": _page("alerts:account", lambda w: w.account),
    "POST alerts:step": lambda w, who, v: (
        reverse("alerts:step", args=[_alert(w), "acknowledge"]),
        {"note": "Seen"},
    ),
    "POST alerts:digest": _post("alerts:digest", lambda w, who: {"digest": "weekly"}),
    "GET web:account_lean": _page("web:account_lean", lambda w: w.account),
    "GET web:modes": _page("web:modes"),
    "GET web:inbox": _page("web:inbox"),
}

_ROW = {"date": "2026-01-15", "net_amount": "1000.00"}


def _strategy(w: World) -> int:
    return Strategy.objects.get_or_create(plan_id=w.plan, text="Bundle service")[0].pk


def _cell_revision(w: World) -> int:
    """The white-space cell's revision as read (0 when it was never stored)."""
    cell = WhiteSpaceCell.objects.filter(unit_id=w.site, product_line_id=_line(w)).first()
    return cell.revision if cell else 0


API_REQUESTS: dict[str, Build] = {
    "GET /accounts/{account_id}/white-space": _api(lambda w: f"/accounts/{w.account}/white-space"),
    "PATCH /accounts/{account_id}/white-space/{unit_id}/{product_line_id}": _api(
        lambda w: f"/accounts/{w.account}/white-space/{w.site}/{_line(w)}",
        lambda w: {"status": "blocked", "potential": "10", "revision": _cell_revision(w)},
    ),
    "POST /accounts/{account_id}/white-space/prefill": _api(
        lambda w: f"/accounts/{w.account}/white-space/prefill"
    ),
    "GET /plans/{plan_id}/export.pdf": _api(lambda w: f"/plans/{w.plan}/export.pdf"),
    "GET /plans/{plan_id}/export.json": _api(lambda w: f"/plans/{w.plan}/export.json"),
    "POST /plan-imports": _api(
        lambda w: f"/plan-imports?account_id={w.account}",
        lambda w: {"Format": "openkam.account-plan", "FormatVersion": 1, "AccountPlan": {}},
    ),
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
    "GET /programme/indicators": _api(lambda w: "/programme/indicators"),
    "GET /programme/conditions": _api(lambda w: "/programme/conditions"),
    "GET /programme/risks": _api(lambda w: "/programme/risks"),
    "GET /programme/campaigns": _api(lambda w: "/programme/campaigns"),
    "GET /programme/dashboard": _api(lambda w: "/programme/dashboard"),
    "POST /programme/campaigns": _api(
        lambda w: "/programme/campaigns",
        lambda w: {"name": "Matrix", "period_start": "2026-12-01", "period_end": "2026-12-31"},
    ),
    "POST /programme/campaigns/{campaign_id}/close": _api(
        lambda w: f"/programme/campaigns/{_campaign(w)}/close"
    ),
    "GET /programme/campaigns/{campaign_id}/results": _api(
        lambda w: f"/programme/campaigns/{_campaign(w)}/results"
    ),
    "GET /programme/campaigns/{campaign_id}/responses": _api(
        lambda w: f"/programme/campaigns/{_campaign(w)}/responses"
    ),
    "PUT /programme/campaigns/{campaign_id}/responses": _api(
        lambda w: f"/programme/campaigns/{_campaign(w)}/responses", lambda w: {"answers": []}
    ),
    "GET /programme/statements": _api(lambda w: "/programme/statements"),
    "POST /programme/statements": _api(
        lambda w: "/programme/statements", lambda w: {"condition": 3, "text_en": "Matrix API"}
    ),
    "PATCH /programme/statements/{statement_id}": _api(
        lambda w: f"/programme/statements/{_statement(w)}", lambda w: {"text_ru": "Матрица"}
    ),
    "GET /field/units": _api(lambda w: "/field/units"),
    "POST /field/assignments": _api(
        lambda w: "/field/assignments",
        lambda w: {"unit_ids": [w.site], "rep_id": w.users["field_rep"].pk},
    ),
    "POST /field/assignments/accept-suggestions": _api(
        lambda w: "/field/assignments/accept-suggestions", lambda w: {"unit_ids": [w.site]}
    ),
    "GET /field/visits": _api(lambda w: "/field/visits"),
    "POST /field/visits": _api(
        lambda w: f"/field/visits?_={_field_visit(w)}",
        lambda w: {
            "unit_id": w.site,
            "rep_id": w.users["field_rep"].pk,
            "planned_on": "2026-12-21",
        },
    ),
    "POST /field/visits/{visit_id}/check-in": _api(
        lambda w: f"/field/visits/{_field_visit(w)}/check-in"
    ),
    "POST /field/visits/{visit_id}/log": _api(
        lambda w: f"/field/visits/{_field_visit(w)}/log", lambda w: {"summary": "Visited"}
    ),
    "POST /field/interactions": _api(
        lambda w: f"/field/interactions?_={_field_visit(w)}",
        lambda w: {"unit_id": w.site, "summary": "Visited"},
    ),
    "GET /field/cadence": _api(lambda w: "/field/cadence"),
    "PUT /field/cadence": _api(
        lambda w: "/field/cadence",
        lambda w: {"rows": [{"tier": "key", "kind": "site", "interval_days": 21}]},
    ),
    "POST /field/visits/generate": _api(lambda w: "/field/visits/generate", lambda w: {"weeks": 2}),
    "GET /field/feed-token": _api(lambda w: "/field/feed-token"),
    "POST /field/feed-token/revoke": _api(lambda w: "/field/feed-token/revoke", lambda w: {}),
    "GET /field/indicators": _api(lambda w: "/field/indicators"),
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
    "GET /feed": _api(lambda w: "/feed"),
    "GET /accounts-without-sponsor": _api(lambda w: "/accounts-without-sponsor"),
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
    "GET /costs-to-serve": _api(lambda w: f"/costs-to-serve?account={w.account}"),
    "POST /costs-to-serve": _api(
        lambda w: "/costs-to-serve",
        lambda w: {"unit_id": w.account, "month": "2025-05-01", "category": "other", "amount": 5},
    ),
    "GET /costs-to-serve/{cost_id}": _api(lambda w: f"/costs-to-serve/{w.cost}"),
    "PATCH /costs-to-serve/{cost_id}": _api(
        lambda w: f"/costs-to-serve/{w.cost}", lambda w: {"amount": "130"}
    ),
    "DELETE /costs-to-serve/{cost_id}": _api(lambda w: f"/costs-to-serve/{w.cost}"),
    "GET /list-prices": _api(lambda w: "/list-prices"),
    "POST /list-prices": _api(
        lambda w: "/list-prices",
        lambda w: {"product_id": w.product, "valid_from": "2025-06-01", "price": "9.5"},
    ),
    "GET /list-prices/{price_id}": _api(lambda w: f"/list-prices/{w.list_price}"),
    "PATCH /list-prices/{price_id}": _api(
        lambda w: f"/list-prices/{w.list_price}", lambda w: {"price": "10.5"}
    ),
    "DELETE /list-prices/{price_id}": _api(lambda w: f"/list-prices/{w.list_price}"),
    "GET /currency-rates": _api(lambda w: "/currency-rates"),
    "POST /currency-rates": _api(
        lambda w: "/currency-rates",
        lambda w: {"currency": "USD", "valid_from": "2025-01-01", "rate": "0.9"},
    ),
    "GET /currency-rates/{rate_id}": _api(lambda w: f"/currency-rates/{w.currency_rate}"),
    "PATCH /currency-rates/{rate_id}": _api(
        lambda w: f"/currency-rates/{w.currency_rate}", lambda w: {"rate": "1.1"}
    ),
    "DELETE /currency-rates/{rate_id}": _api(lambda w: f"/currency-rates/{w.currency_rate}"),
    "GET /territories": _api(lambda w: "/territories"),
    "POST /territories": _api(
        lambda w: "/territories", lambda w: {"name": "East", "country": "DE", "region": "E"}
    ),
    "GET /territories/{territory_id}": _api(lambda w: f"/territories/{w.territory}"),
    "PATCH /territories/{territory_id}": _api(
        lambda w: f"/territories/{w.territory}", lambda w: {"name": "Matrix renamed"}
    ),
    "GET /accounts/{account_id}/supplier-positions": _api(
        lambda w: f"/accounts/{w.account}/supplier-positions"
    ),
    "POST /accounts/{account_id}/supplier-positions": _api(
        lambda w: f"/accounts/{w.account}/supplier-positions",
        lambda w: {"position": "preferred", "since": "2026-01-01"},
    ),
    "POST /transactions/bulk": _api(
        lambda w: "/transactions/bulk",
        lambda w: {"rows": [{**_ROW, "unit_id": w.account, "product_id": w.product}]},
    ),
    "GET /interactions": _api(lambda w: "/interactions"),
    "POST /interaction-imports": _api(lambda w: "/interaction-imports"),
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
    "GET /health": _api(lambda w: "/health"),
    "GET /health/accounts/{account_id}": _api(lambda w: f"/health/accounts/{_health(w)}"),
    "GET /health/accounts/{account_id}/history": _api(
        lambda w: f"/health/accounts/{w.account}/history"
    ),
    "GET /health/accounts/{account_id}/sentiment": _api(
        lambda w: f"/health/accounts/{w.account}/sentiment"
    ),
    "POST /health/accounts/{account_id}/sentiment": _api(
        lambda w: f"/health/accounts/{w.account}/sentiment", lambda w: {"grade": "good"}
    ),
    "GET /health/profiles": _api(lambda w: "/health/profiles"),
    "PATCH /health/profile-versions/{version_id}": _api(
        lambda w: f"/health/profile-versions/{_health_version(w).pk}", lambda w: {}
    ),
    "POST /health/profile-versions/{version_id}/activate": _api(
        lambda w: f"/health/profile-versions/{_health_version(w).pk}/activate"
    ),
    "GET /health/backtest": _api(lambda w: f"/health/backtest?b={_health_backtest()}"),
    "GET /identification/models/{version}": _api(
        lambda w: f"/identification/models/{w.model_version}"
    ),
    "GET /identification/scores": _api(lambda w: "/identification/scores"),
    "GET /identification/accounts/{account_id}/score": _api(
        lambda w: f"/identification/accounts/{w.account}/score"
    ),
    "GET /identification/accounts/{account_id}/assessment": _api(
        lambda w: f"/identification/accounts/{w.account}/assessment"
    ),
    "PATCH /identification/accounts/{account_id}/assessment": _api(
        lambda w: f"/identification/accounts/{w.account}/assessment",
        lambda w: {"willingness": 7, "buying_criteria": ["price"]},
    ),
    "GET /accounts/{account_id}/relationship-map": _api(
        lambda w: f"/accounts/{w.account}/relationship-map"
    ),
    "GET /accounts/{account_id}/coverage-matrix": _api(
        lambda w: f"/accounts/{w.account}/coverage-matrix"
    ),
    "GET /accounts/{account_id}/warm-paths/{contact_id}": _api(
        lambda w: f"/accounts/{w.account}/warm-paths/{w.contact}"
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
    "GET /relationships/accounts/{account_id}/roles": _api(
        lambda w: f"/relationships/accounts/{w.account}/roles"
    ),
    "POST /relationships/accounts/{account_id}/roles": _api(
        lambda w: f"/relationships/accounts/{w.account}/roles",
        lambda w: {"contact_id": w.contact, "role": "buyer"},
    ),
    "PUT /relationships/accounts/{account_id}/contacts/{contact_id}": _api(
        lambda w: f"/relationships/accounts/{w.account}/contacts/{w.contact}",
        lambda w: {"roles": ["decider"], "attitude": "supporter", "influence": 4},
    ),
    "DELETE /relationships/roles/{role_id}": _api(lambda w: f"/relationships/roles/{_role(w)}"),
    "GET /relationships/opportunities/{opportunity_id}/roles": _api(
        lambda w: f"/relationships/opportunities/{w.opportunity}/roles"
    ),
    "PUT /relationships/opportunities/{opportunity_id}/contacts/{contact_id}": _api(
        lambda w: f"/relationships/opportunities/{w.opportunity}/contacts/{w.contact}",
        lambda w: {"roles": ["coach"]},
    ),
    "GET /relationships/accounts/{account_id}/placeholders": _api(
        lambda w: f"/relationships/accounts/{w.account}/placeholders"
    ),
    "POST /relationships/accounts/{account_id}/placeholders": _api(
        lambda w: f"/relationships/accounts/{w.account}/placeholders",
        lambda w: {"role": "approver"},
    ),
    "POST /relationships/placeholders/{placeholder_id}/fill": _api(
        lambda w: f"/relationships/placeholders/{_placeholder(w)}/fill",
        lambda w: {"contact_id": w.contact},
    ),
    "DELETE /relationships/placeholders/{placeholder_id}": _api(
        lambda w: f"/relationships/placeholders/{_placeholder(w)}"
    ),
    "GET /relationships/people/{user_id}/links": _api(
        lambda w: f"/relationships/people/{w.users['account_kam'].pk}/links"
    ),
    "GET /relationships/contacts/{contact_id}/links": _api(
        lambda w: f"/relationships/contacts/{w.contact}/links"
    ),
    "PUT /relationships/links": _api(
        lambda w: "/relationships/links",
        lambda w: {"contact_id": _site_contact(w), "level": 3},
    ),
    "GET /relationships/accounts/{account_id}/strengths": _api(
        lambda w: f"/relationships/accounts/{w.account}/strengths"
    ),
    "GET /relationships/accounts/{account_id}/metrics": _api(
        lambda w: f"/relationships/accounts/{w.account}/metrics"
    ),
    "GET /relationships/accounts/{account_id}/gaps": _api(
        lambda w: f"/relationships/accounts/{w.account}/gaps"
    ),
    "GET /relationships/accounts/{account_id}/stage": _api(
        lambda w: f"/relationships/accounts/{w.account}/stage"
    ),
    "POST /relationships/accounts/{account_id}/stage": _api(
        lambda w: f"/relationships/accounts/{w.account}/stage",
        lambda w: {"stage": "mid", "reason": "Weekly meetings"},
    ),
    "GET /relationships/accounts/{account_id}/stage/history": _api(
        lambda w: f"/relationships/accounts/{w.account}/stage/history"
    ),
    "GET /relationships/accounts/{account_id}/sharing": _api(
        lambda w: f"/relationships/accounts/{w.account}/sharing"
    ),
    "POST /relationships/accounts/{account_id}/sharing": _api(
        lambda w: f"/relationships/accounts/{w.account}/sharing", lambda w: {"level": 3}
    ),
    "GET /export/{entity}": lambda w, who, v: (f"/export/{v}", None),
    "GET /metrics": _api(lambda w: "/metrics"),
    "GET /plans": _api(lambda w: "/plans"),
    "POST /plans": _api(
        lambda w: "/plans", lambda w: {"account_id": w.account, "period_start": "2027-01-01"}
    ),
    "GET /plans/{plan_id}": _api(lambda w: f"/plans/{w.plan}"),
    "PATCH /plans/{plan_id}": _api(
        lambda w: f"/plans/{w.plan}", lambda w: {"revision": 1, "mission": "Ours"}
    ),
    "POST /plans/{plan_id}/steps/{step}": lambda w, who, v: (
        f"/plans/{w.plan}/steps/{v}",
        {"note": "Agreed"},
    ),
    "POST /plans/{plan_id}/reviews": _api(
        lambda w: f"/plans/{w.plan}/reviews", lambda w: {"outcome": "confirmed"}
    ),
    "GET /plans/{plan_id}/versions": _api(lambda w: f"/plans/{w.plan}/versions"),
    "GET /plans/{plan_id}/versions/{number}": _api(lambda w: f"/plans/{w.plan}/versions/1"),
    "GET /plans/{plan_id}/diff": _api(lambda w: f"/plans/{w.plan}/diff"),
    "POST /plans/{plan_id}/sections/{section}": _api(
        lambda w: f"/plans/{w.plan}/sections/risks", lambda w: {"revision": 1, "text": "Churn"}
    ),
    "PATCH /plans/{plan_id}/sections/{section}/{item_id}": _api(
        lambda w: f"/plans/{w.plan}/sections/strategies/{w.strategy}",
        lambda w: {"revision": 1, "text": "Bundle more"},
    ),
    "DELETE /plans/{plan_id}/sections/{section}/{item_id}": _api(
        lambda w: f"/plans/{w.plan}/sections/strategies/{w.strategy}?revision=1"
    ),
    "POST /plans/{plan_id}/objectives": _api(
        lambda w: f"/plans/{w.plan}/objectives", lambda w: {"revision": 1, "title": "More"}
    ),
    "PATCH /objectives/{objective_id}": _api(
        lambda w: f"/objectives/{w.objective}", lambda w: {"revision": 1, "title": "Grow more"}
    ),
    "DELETE /objectives/{objective_id}": _api(lambda w: f"/objectives/{w.objective}?revision=1"),
    "POST /objectives/{objective_id}/updates": _api(
        lambda w: f"/objectives/{w.objective}/updates", lambda w: {"revision": 1, "value": "3"}
    ),
    "GET /actions": _api(lambda w: "/actions"),
    "POST /plans/{plan_id}/actions": _api(
        lambda w: f"/plans/{w.plan}/actions",
        lambda w: {
            "revision": 1,
            "title": "Call",
            "owner_id": w.users["field_rep"].pk,
            "due_date": "2026-12-20",
        },
    ),
    "PATCH /actions/{action_id}": _api(
        lambda w: f"/actions/{w.action}", lambda w: {"revision": 1, "status": "done"}
    ),
    "DELETE /actions/{action_id}": _api(lambda w: f"/actions/{w.action}?revision=1"),
    "POST /actions/{action_id}/interaction": _api(
        lambda w: f"/actions/{w.action}/interaction", lambda w: {"summary": "Visited"}
    ),
    "GET /accounts/{account_id}/goals": _api(lambda w: f"/accounts/{w.account}/goals"),
    "POST /accounts/{account_id}/goals": _api(
        lambda w: f"/accounts/{w.account}/goals", lambda w: {"kind": "goal", "text": "Cut costs"}
    ),
    "PATCH /goals/{goal_id}": _api(lambda w: f"/goals/{w.goal}", lambda w: {"confirmed": True}),
    "DELETE /goals/{goal_id}": _api(lambda w: f"/goals/{w.goal}"),
    "GET /accounts/{account_id}/buying-process": _api(
        lambda w: f"/accounts/{w.account}/buying-process"
    ),
    "PUT /accounts/{account_id}/buying-process": _api(
        lambda w: f"/accounts/{w.account}/buying-process", lambda w: {"text": "Tenders"}
    ),
    "GET /notifications": _api(lambda w: "/notifications"),
    "POST /notifications/read": _api(lambda w: "/notifications/read", lambda w: {}),
    "GET /alerts": _api(lambda w: "/alerts"),
    "GET /modes": _api(lambda w: "/modes"),
    "GET /modes/accounts/{account_id}": _api(lambda w: f"/modes/accounts/{w.account}"),
    "POST /alerts/{alert_id}/acknowledge": _api(
        lambda w: f"/alerts/{_alert(w)}/acknowledge", lambda w: {"note": "Seen"}
    ),
    "POST /alerts/{alert_id}/resolve": _api(
        lambda w: f"/alerts/{_alert(w)}/resolve", lambda w: {"note": "Called them"}
    ),
    "POST /alerts/{alert_id}/snooze": _api(
        lambda w: f"/alerts/{_alert(w)}/snooze", lambda w: {"until": "2099-01-01"}
    ),
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
    "GET web:my_accounts",
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
    "GET /feed",
    "GET /accounts-without-sponsor",
    "GET /relationships/people/{user_id}/links",
    "GET teams:workload",
    "GET teams:requests",
    "GET teams:my_feed",
    "GET /requests",
    "GET /function-heads",
    "GET field:assignments",
    "GET field:rep_week",
    "GET field:indicators",
    "GET /field/units",
    "GET /field/visits",
    "GET /field/indicators",
    # the visit cadence is configuration, not account data
    "GET /field/cadence",
    "GET /interactions",
    "GET /identification/scores",
    "GET /identification/nominations",
    "GET /export/{entity}",
    "GET relationships:user_links",
    "GET planning:plans",
    "GET planning:actions",
    "GET /plans",
    "GET /actions",
    "GET alerts:list",
    "GET /alerts",
    "GET web:modes",
    "GET /modes",
    "GET web:inbox",
    "GET health:portfolio",
    "GET /health",
    # the backtest's figures are counts over the portfolio, no account's data
    "GET /health/backtest",
    # the metric registry is not account data: it lists what can be measured
    "GET /metrics",
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
