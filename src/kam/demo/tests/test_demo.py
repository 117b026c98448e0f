"""The demo data generator: deterministic, a valid tree, figures that add up, telling patterns."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, Sum
from django.test import RequestFactory

from kam.customers.models import Contact, Employment, Unit, path_step
from kam.demo.build import DEMO_LOGINS, DEMO_PASSWORD, demo_build, demo_reset
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.sales.models import (
    CompetitorShare,
    CurrencyRate,
    MonthlyRollup,
    Opportunity,
    SupplierPosition,
    Transaction,
)
from kam.sales.services import rollups_rebuild

TODAY = dt.date(2025, 6, 15)


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    return demo_build(scale="tiny", seed=7, today=TODAY)


def checksum() -> str:
    """A fingerprint of the key fields (no database ids: they differ between builds)."""
    rows = [
        sorted(
            Unit.objects.values_list(
                "path", "name", "kind", "industry", "country", "region", "city", "employees",
                "turnover", "tier", "external_id", "account_manager__username",
            )
        ),
        sorted(
            Transaction.objects.values_list(
                "unit__path", "date", "product__sku", "quantity", "net_amount", "cost"
            )
        ),
        sorted(Contact.objects.values_list("external_id", "first_name", "last_name", "email")),
        sorted(
            Employment.objects.values_list(
                "contact__external_id", "unit__path", "title", "function", "seniority",
                "start_date", "end_date", "reports_to__contact__external_id",
            )
        ),
        sorted(
            Interaction.objects.values_list(
                "unit__path", "occurred_at", "type", "summary", "participants__username",
                "contacts__external_id",
            )
        ),
        sorted(
            Opportunity.objects.values_list(
                "external_id", "unit__path", "stage", "amount", "expected_close", "owner__username"
            )
        ),
        sorted(
            CompetitorShare.objects.values_list(
                "account__path", "product_line__code", "competitor__name", "share_pct"
            )
        ),
        sorted(
            SupplierPosition.objects.values_list(
                "account__path", "position", "since", "recorded_by__username"
            )
        ),
        sorted(
            User.objects.values_list(
                "username", "role", "function", "territory__name", "manager__username", "capacity"
            )
        ),
    ]  # fmt: skip
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_path_steps_are_treebeards():
    assert path_step(1) == "00001"
    assert path_step(1) + path_step(1) == "0000100001"
    assert path_step(36) == "00010"
    assert path_step(36**5 - 1) == "ZZZZZ"


def test_same_seed_gives_the_same_data_and_another_seed_differs(db):
    first = demo_build(scale="tiny", seed=7, today=TODAY)
    first_sum = checksum()
    demo_reset()
    assert not Unit.objects.exists()
    assert not Transaction.objects.exists()
    second = demo_build(scale="tiny", seed=7, today=TODAY)
    assert second.counts == first.counts
    assert checksum() == first_sum
    demo_reset()
    demo_build(scale="tiny", seed=8, today=TODAY)
    assert checksum() != first_sum


def test_tiny_scale_is_small_and_complete(demo):
    counts = demo.counts
    assert 40 <= counts["units"] <= 120
    assert 2_500 <= counts["transactions"] <= 3_500
    assert Transaction.objects.count() == counts["transactions"]
    for name in ("contacts", "interactions", "opportunities", "competitor_shares",
                 "supplier_positions", "moved_contacts"):  # fmt: skip
        assert counts[name] > 0, name
    kinds = set(Unit.objects.values_list("kind", flat=True))
    assert kinds == {"group", "company", "division", "function", "site"}
    assert len(set(Unit.objects.values_list("country", flat=True))) >= 3
    assert set(Opportunity.objects.values_list("stage", flat=True)) >= {"won", "lost", "qualify"}
    assert Unit.objects.filter(external_id="U000001", depth=1).exists()


def test_the_tree_is_valid(demo):
    assert all(problem == [] for problem in Unit.objects.find_problems())
    root = Unit.objects.filter(depth=1).order_by("path").first()
    subtree = Unit.objects.filter(path__startswith=root.path).count()
    assert Unit.objects.get_descendant_count(root) == subtree - 1
    assert Unit.objects.get_children(root).count() == root.numchild
    assert Unit.objects.filter(depth=1).count() == 12


def test_only_accounts_have_a_manager_and_a_key_tier(demo):
    assert Unit.objects.accounts().exclude(account_manager=None).exists()
    assert not Unit.objects.sub_units().exclude(account_manager=None).exists()
    assert not Unit.objects.sub_units().exclude(tier="transactional").exists()


def test_rollups_equal_the_sums_of_the_transactions(demo):
    # (unit, line, month) -> [amount, cost, costed amount, lines]
    direct: defaultdict[tuple[int, int, dt.date], list[Any]] = defaultdict(
        lambda: [Decimal(0), Decimal(0), Decimal(0), 0]
    )
    for unit_id, line_id, day, amount, cost in Transaction.objects.values_list(
        "unit_id", "product_line_id", "date", "net_amount", "cost"
    ):
        row = direct[(unit_id, line_id, day.replace(day=1))]
        row[0] += amount
        if cost is not None:
            row[1] += cost
            row[2] += amount
        row[3] += 1
    rolled = {
        (r.unit_id, r.product_line_id, r.month): [r.net_amount, r.cost, r.costed_amount, r.lines]
        for r in MonthlyRollup.objects.all()
    }
    assert rolled == dict(direct)
    roots = dict(Unit.objects.filter(depth=1).values_list("path", "pk"))
    for r in MonthlyRollup.objects.select_related("unit")[:200]:
        assert r.account_id == roots[r.unit.path[:5]]
    # The same rows as the sales app's own rebuild.
    fields = ("account_id", "unit_id", "product_line_id", "month", "net_amount", "quantity", "cost",
              "costed_amount", "lines")  # fmt: skip
    before = sorted(MonthlyRollup.objects.values_list(*fields))
    rollups_rebuild()
    assert sorted(MonthlyRollup.objects.values_list(*fields)) == before


def test_transactions_span_36_months_with_some_costs_missing(demo):
    dates = Transaction.objects.order_by("date").values_list("date", flat=True)
    assert dates.first() >= dt.date(2022, 7, 1)
    assert dates.last() <= TODAY
    assert dates.last() >= TODAY - dt.timedelta(days=31)
    months = set(MonthlyRollup.objects.values_list("month", flat=True))
    assert len(months) == 36
    missing = Transaction.objects.filter(cost__isnull=True).count() / demo.counts["transactions"]
    assert 0.05 < missing < 0.15


def test_every_line_has_its_original_amount_in_its_customers_currency(demo):
    """Lines of customers at home in the euro area keep the net amount as their original;
    those of British, Polish, Swedish, Russian and American customers their own currency."""
    assert not Transaction.objects.filter(original_currency="").exists()
    assert not Transaction.objects.filter(original_amount__isnull=True).exists()
    euro = Transaction.objects.filter(original_currency="EUR")
    assert euro.exists()
    assert not euro.exclude(original_amount=F("net_amount")).exists()
    foreign = Transaction.objects.exclude(original_currency="EUR")
    if foreign.exists():  # the tiny demo may have no foreign customer
        countries = set(foreign.values_list("unit__country", flat=True))
        assert countries <= {"GB", "PL", "SE", "RU", "US"}
        # converted at the rate of the line's quarter, as the rates table holds it
        rates = list(CurrencyRate.objects.all())
        for line in foreign.order_by("pk")[:200]:
            (rate,) = [
                r
                for r in rates
                if r.currency == line.original_currency and r.valid_from <= line.date <= r.valid_to
            ]
            assert abs(line.original_amount * rate.rate - line.net_amount) <= rate.rate / 100 + (
                Decimal("0.01")
            )


def test_a_few_accounts_carry_most_of_the_revenue(demo):
    revenue = sorted(
        (
            r["total"]
            for r in MonthlyRollup.objects.values("account_id").annotate(total=Sum("net_amount"))
        ),
        reverse=True,
    )
    top = revenue[: math.ceil(len(revenue) * 0.2)]
    assert sum(top) > Decimal("0.5") * sum(revenue)


def test_key_accounts_are_the_biggest_with_tiers_by_spread_and_a_kam(demo):
    revenue = dict(
        MonthlyRollup.objects.values("account_id")
        .annotate(t=Sum("net_amount"))
        .values_list("account_id", "t")
    )
    roots = list(Unit.objects.filter(depth=1))
    key = [u for u in roots if u.tier != "transactional"]
    assert len(key) == 4
    smallest_key = min(revenue[u.pk] for u in key)
    others = [revenue.get(u.pk, 0) for u in roots if u.tier == "transactional"]
    assert smallest_key > sorted(others)[len(others) // 2]  # bigger than the median customer
    for u in key:
        assert u.account_manager.role == "kam"
        sub = Unit.objects.filter(path__startswith=u.path)
        countries = set(sub.values_list("country", flat=True))
        if u.tier == "global":
            assert len(countries) >= 3
        elif u.tier == "national":
            assert len(countries) < 3
            assert any(
                sub.filter(country=c).values("region").distinct().count() >= 3 for c in countries
            )
    assert not Unit.objects.filter(depth__gt=1).exclude(tier="transactional").exists()
    assert not Unit.objects.filter(tier="transactional", account_manager__isnull=False).exists()


def _patterns():
    """Per top-level account: its interactions with their participants and contacts."""
    roots = {u.path: u for u in Unit.objects.filter(depth=1)}
    seen = defaultdict(list)
    for i in Interaction.objects.select_related("unit").prefetch_related(
        "participants", "contacts"
    ):
        seen[roots[i.unit.path[:5]]].append(
            (
                i.occurred_at.date(),
                {p.pk for p in i.participants.all()},
                {c.pk for c in i.contacts.all()},
            )
        )
    return seen


def test_interaction_patterns_differ_by_account(demo):
    seen = _patterns()
    bowtie = [
        root
        for root, rows in seen.items()
        if len(rows) >= 3
        and all(len(p) == 1 and len(c) == 1 for _d, p, c in rows)
        and len(set().union(*(p for _d, p, _c in rows))) == 1
        and len(set().union(*(c for _d, _p, c in rows))) == 1
    ]
    assert bowtie
    neglected = [
        root
        for root, rows in seen.items()
        if rows and max(d for d, _p, _c in rows) < TODAY - dt.timedelta(days=183)
    ]
    assert neglected
    months = {(TODAY.year, TODAY.month - k) for k in range(1, 6)}
    intense = [
        root
        for root, rows in seen.items()
        if len(set().union(*(p for _d, p, _c in rows))) >= 4
        and len(set().union(*(c for _d, _p, c in rows))) >= 3
        and months <= {(d.year, d.month) for d, _p, _c in rows}
    ]
    assert intense
    # The demo KAM has all three kinds.
    kam_accounts = set(Unit.objects.filter(account_manager__username="kam"))
    assert kam_accounts & set(bowtie)
    assert kam_accounts & set(neglected)
    assert kam_accounts & set(intense)


def test_contacts_have_an_org_chart_and_some_moved(demo):
    moved = Contact.objects.filter(employments__end_date__isnull=False).distinct()
    assert moved.exists()
    for contact in moved[:10]:
        jobs = list(contact.employments.order_by("start_date"))
        assert jobs[0].end_date is not None
        assert jobs[-1].end_date is None
        assert jobs[0].unit_id != jobs[-1].unit_id
        assert jobs[0].end_date < jobs[-1].start_date
    links = Employment.objects.filter(reports_to__isnull=False).select_related(
        "unit", "reports_to__unit"
    )
    assert links.count() > 20
    for e in links:
        boss_path = e.reports_to.unit.path
        assert e.unit.path.startswith(boss_path)  # same unit or one above it
        if e.unit.kind != "group":  # within a company: not up to the group's board
            assert e.reports_to.unit.kind != "group"
    functions = set(Employment.objects.values_list("function", flat=True))
    assert {"purchasing", "management"} <= functions
    assert len(functions) >= 5
    assert set(Employment.objects.values_list("seniority", flat=True)) == {
        "board", "senior", "middle", "operational",
    }  # fmt: skip


def test_one_demo_login_per_role_works(demo):
    for login in DEMO_LOGINS:
        # A login request: the lockout backend (django-axes) judges every login by its request.
        request = RequestFactory().post("/login/")
        user = authenticate(request, username=login.username, password=DEMO_PASSWORD)
        assert user is not None, login.username
        assert user.role == login.role
    admin = User.objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    kam = User.objects.get(username="kam")
    assert kam.managed_units.filter(depth=1).exclude(tier="transactional").count() >= 3
    rep = User.objects.get(username="rep")
    assert rep.role == "field_rep"
    assert rep.territory.region
    assert Unit.objects.filter(
        kind="site", country=rep.territory.country, region=rep.territory.region
    ).exists()
    assert kam.manager.username == "manager"
    assert rep.manager.username == "manager"
    # Generated staff cannot log in; KAMs have capacity 4–6 and report to someone.
    staff = User.objects.exclude(username__in=[d.username for d in DEMO_LOGINS])
    assert staff.count() > 20
    assert not any(u.has_usable_password() for u in staff)
    for k in User.objects.filter(role="kam"):
        assert 4 <= k.capacity <= 6
        assert k.manager is not None
    assert set(staff.filter(role="specialist").values_list("function", flat=True)) >= {
        "logistics", "technical", "finance", "marketing",
    }  # fmt: skip


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_command_builds_then_leaves_a_filled_database_alone(db):
    text = run("demo_data", "--scale", "tiny", "--seed", "3")
    assert "Transactions" in text
    assert "Monthly roll-ups" in text
    assert "Built in" in text
    units = Unit.objects.count()
    fingerprint = checksum()
    text = run("demo_data", "--scale", "tiny", "--seed", "4", "--if-empty")
    assert "already holds customer data" in text
    assert Unit.objects.count() == units
    assert checksum() == fingerprint


def test_command_refuses_a_filled_database_without_reset(db):
    run("demo_data", "--scale", "tiny", "--seed", "3")
    fingerprint = checksum()
    with pytest.raises(CommandError, match="--reset"):
        run("demo_data", "--scale", "tiny", "--seed", "4")
    assert checksum() == fingerprint
    run("demo_data", "--scale", "tiny", "--seed", "4", "--reset")
    assert checksum() != fingerprint
    assert User.objects.filter(username="kam").count() == 1


def test_demo_logins_lists_the_six_logins():
    text = run("demo_logins")
    for login in DEMO_LOGINS:
        assert login.username in text
    assert DEMO_PASSWORD in text
    assert "Key account manager" in text


def test_scoring_the_demo_portfolio_finds_key_candidates_and_unwilling_giants(demo):
    from kam.identification.models import AccountAssessment
    from kam.identification.services import active_model, scoring_run_execute

    assert AccountAssessment.objects.exists()
    run = scoring_run_execute(model=active_model())
    scores = list(run.scores.all())
    candidates = [s for s in scores if s.recommendation == "key_candidate"]
    assert candidates, "the demo should show some key candidates"
    assert len(candidates) < len(scores) / 2, "most customers stay transactional"


def test_key_accounts_have_teams_with_gaps_worth_showing(demo):
    from kam.teams.models import TeamMember, TeamRole
    from kam.teams.selectors import accounts_without_sponsor, workload

    key = Unit.objects.accounts().exclude(tier="transactional")
    with_lead = set(
        TeamMember.objects.active()
        .filter(role=TeamRole.KAM_LEAD)
        .values_list("account_id", flat=True)
    )
    assert with_lead == set(key.values_list("pk", flat=True))
    assert 0 < accounts_without_sponsor().count() < key.count()
    loads = workload(users=User.objects.filter(role="specialist"))
    assert any(x.over_allocated for x in loads)
    assert TeamMember.objects.filter(end__isnull=False).exists()


def test_key_accounts_have_a_white_space_with_hand_edits(demo):
    from kam.planning.models import WhiteSpaceCell

    cells = WhiteSpaceCell.objects.all()
    assert cells.filter(status="ours").exists()
    assert cells.filter(edited=True, potential__gt=0).exists()
    assert cells.filter(account__tier="transactional").count() == 0


def test_resource_requests_in_every_state_and_notes_with_mentions(demo):
    from kam.teams.models import FeedNote, FunctionHead, ResourceRequest

    assert FunctionHead.objects.exists()
    statuses = set(ResourceRequest.objects.values_list("status", flat=True))
    assert statuses == {"open", "accepted", "done", "declined", "withdrawn"}
    assert any(r.is_overdue for r in ResourceRequest.objects.all())
    assert FeedNote.objects.filter(text__contains="@").exists()


@pytest.mark.postgres_only
def test_a_built_demo_is_analysed_so_postgresql_plans_for_its_size(db):
    """The buying-centre page of a fresh demo took minutes on PostgreSQL: its tables still had
    the statistics of an empty table, and the planner chose nested loops for one row each."""
    from django.db import connection

    def tuples(table: str) -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            return float(cursor.fetchone()[0])

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_contact, customers_employment")  # seen empty
    assert tuples("customers_contact") <= 0
    demo_build(scale="tiny", seed=1, today=TODAY)
    contacts, positions = Contact.objects.count(), Employment.objects.count()
    assert contacts > 100
    assert tuples("customers_contact") == pytest.approx(contacts, rel=0.2)
    assert tuples("customers_employment") == pytest.approx(positions, rel=0.2)


def test_sqlite_builds_with_a_large_page_cache_and_gives_the_old_one_back(db):
    """The build's millions of index inserts need their pages in memory: with SQLite's default
    2 MB cache the large build took 80 s longer (bench/README.md)."""
    from django.db import connection

    from kam.demo.build import BUILD_CACHE_KIB, Reporter

    def cache_size() -> int | None:
        if connection.vendor != "sqlite":
            return None  # PostgreSQL's buffers are the server's setting: the build leaves them
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA main.cache_size")
            return int(cursor.fetchone()[0])

    seen: list[int | None] = []

    class Watch(Reporter):
        def stage(self, label, total):
            seen.append(cache_size())

    before = cache_size()
    demo_build(scale="tiny", seed=3, today=TODAY, reporter=Watch())
    assert len(seen) > 10
    expected = -BUILD_CACHE_KIB if connection.vendor == "sqlite" else None
    assert set(seen) == {expected}
    assert cache_size() == before
