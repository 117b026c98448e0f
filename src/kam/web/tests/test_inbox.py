"""The inbox on My accounts: open alerts, due actions, cooling relationships and the "what
changed since my last visit" lines, each linked to its record; the visit window; query bounds;
who may see it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.alerts.models import Alert, InboxState
from kam.alerts.services import inbox_visit
from kam.interactions.models import Interaction
from kam.planning.models import AccountPlan, Action, PlanEvent, PlanEventKind
from kam.relationships.models import StageAssessment
from kam.sales.services import transactions_create
from kam.teams.services import team_member_add
from kam.testing.factories import ProductFactory, UserFactory, make_unit
from kam.testing.personas import Persona


@pytest.fixture
def key_a(kam_a: Persona) -> Persona:
    kam_a.account.tier = "key"
    kam_a.account.save(update_fields=["tier"])
    return kam_a


def _meet(unit, days_ago: int, summary: str = "Meeting") -> Interaction:
    when = timezone.now() - dt.timedelta(days=days_ago)
    return Interaction.objects.create(unit=unit, type="meeting", occurred_at=when, summary=summary)


def _plan(account) -> AccountPlan:
    return AccountPlan.objects.create(
        account=account, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31)
    )


def test_what_changed_since_my_last_visit(client: Client, key_a: Persona):
    client.force_login(key_a.user)
    account = key_a.account
    site = make_unit("Plant", parent=account, kind="site")
    # the first visit: the inbox remembers it
    client.get(reverse("web:inbox"))
    state = InboxState.objects.get(user=key_a.user)
    InboxState.objects.filter(pk=state.pk).update(seen_at=timezone.now() - dt.timedelta(hours=2))
    _meet(site, 1, "Line audit with the plant manager")
    plan = _plan(account)
    PlanEvent.objects.create(plan=plan, kind=PlanEventKind.APPROVED, actor=key_a.user)
    StageAssessment.objects.create(
        account=account,
        suggested="early",
        confirmed="mid",
        decided_by=key_a.user,
        decided_at=timezone.now(),
    )
    product = ProductFactory()
    transactions_create(
        rows=[
            {
                "date": timezone.localdate(),
                "unit_id": site.pk,
                "product_id": product.pk,
                "quantity": Decimal(1),
                "net_amount": Decimal("75000"),
                "external_id": "big-1",
            },
            {
                "date": timezone.localdate(),
                "unit_id": site.pk,
                "product_id": product.pk,
                "quantity": Decimal(1),
                "net_amount": Decimal("100"),
                "external_id": "small-1",
            },
        ]
    )
    team_member_add(
        account=account, user=UserFactory(username="eng", role="specialist"), role="technical"
    )
    Alert.objects.create(
        kind="sales.revenue_drop", account=account, reason="Revenue fell", key="k1", link="/x/"
    )
    html = client.get(reverse("web:inbox")).content.decode()
    changes = html.split('id="inbox-changes"')[1].split("</ul>")[0]
    assert "Line audit with the plant manager" in changes
    assert "Plan approved by" in changes and reverse("planning:plan", args=[plan.pk]) in changes
    assert "Stage confirmed: Mid" in changes
    assert "An order of 75,000" in changes and "An order of 100" not in changes
    assert "joined the team as" in changes
    assert "Revenue fell" in changes
    for kind in ("interaction", "stage", "plan", "order", "team", "alert"):
        assert f'class="change-{kind}"' in changes
    # a reload within the same visit shows the same lines; the next visit starts after it
    again = client.get(reverse("web:inbox")).content.decode()
    assert "Line audit with the plant manager" in again
    later = timezone.now() + dt.timedelta(hours=1)
    state = inbox_visit(user=key_a.user, now=later)
    assert state.since is not None and state.since > timezone.now() - dt.timedelta(minutes=5)


def test_changes_on_other_accounts_are_not_mine(client: Client, key_a: Persona, kam_b: Persona):
    client.force_login(key_a.user)
    _meet(kam_b.account, 0, "Their meeting")
    html = client.get(reverse("web:inbox")).content.decode()
    assert "Their meeting" not in html


def test_alerts_due_actions_and_cooling(client: Client, key_a: Persona):
    account = key_a.account
    Alert.objects.create(
        kind="planning.actions_overdue", account=account, reason="Late", key="k2", owner=key_a.user
    )
    plan = _plan(account)
    today = timezone.localdate()
    Action.objects.create(plan=plan, title="Call the CFO", owner=key_a.user, due_date=today)
    Action.objects.create(
        plan=plan, title="Later", owner=key_a.user, due_date=today + dt.timedelta(30)
    )
    for days in (100, 110, 120, 130):
        _meet(account, days)
    client.force_login(key_a.user)
    html = client.get(reverse("web:inbox")).content.decode()
    assert 'data-kind="planning.actions_overdue"' in html and "alert-acknowledge" in html
    actions = html.split('id="inbox-actions"')[1].split("</ul>")[0]
    assert "Call the CFO" in actions and "Later" not in actions
    cooling = html.split('id="inbox-cooling"')[1].split("</ul>")[0]
    assert account.name in cooling and "0 interactions in the last 90 days against 4" in cooling


def test_the_page_loads_the_inbox(client: Client, key_a: Persona):
    client.force_login(key_a.user)
    page = client.get(reverse("web:my_accounts")).content.decode()
    assert reverse("web:inbox") in page


def test_a_user_without_a_role_gets_no_inbox(client: Client, db):
    client.force_login(UserFactory(username="norole", role=""))
    assert client.get(reverse("web:inbox")).status_code == 403
    assert not InboxState.objects.exists()


def test_inbox_queries_do_not_grow(client: Client, key_a: Persona, django_assert_max_num_queries):
    def grow(start: int, end: int) -> None:
        for i in range(start, end):
            acc = make_unit(f"Key {i}", account_manager=key_a.user, tier="key")
            _meet(acc, 1)
            _meet(acc, 100)
            Alert.objects.create(kind="x.y", account=acc, reason="R", key=f"k{i}")
            plan = _plan(acc)
            Action.objects.create(
                plan=plan, title="Do", owner=key_a.user, due_date=timezone.localdate()
            )
            PlanEvent.objects.create(plan=plan, kind=PlanEventKind.APPROVED)

    client.force_login(key_a.user)
    grow(0, 3)
    # one query per source of the inbox (the health grade changes are the 26th), never per row
    with django_assert_max_num_queries(26):
        assert client.get(reverse("web:inbox")).status_code == 200
    grow(3, 30)
    with django_assert_max_num_queries(26):
        assert client.get(reverse("web:inbox")).status_code == 200


def test_health_grades_that_rose_or_fell_since_my_last_visit(
    client: Client, key_a: Persona, kam_b: Persona
):
    """Decision 105: a recompute that changes a grade keeps the grade before and when it changed;
    the inbox lists rises and falls on my accounts only, linked to the account's health."""
    from kam.health.engine import Result
    from kam.health.models import AccountHealth
    from kam.health.services import _store

    mine, other = key_a.account, make_unit("Second Co", tier="key", account_manager=key_a.user)
    today = timezone.localdate()

    def store(grades: dict[int, str]) -> None:
        _store(
            {
                pk: Result(score=50.0, grade=g, components={}, version_id=None)
                for pk, g in grades.items()
            },
            today,
        )

    store({mine.pk: "fair", other.pk: "good", kam_b.account.pk: "good"})  # first figures
    client.force_login(key_a.user)
    client.get(reverse("web:inbox"))
    state = InboxState.objects.get(user=key_a.user)
    InboxState.objects.filter(pk=state.pk).update(seen_at=timezone.now() - dt.timedelta(hours=2))
    html = client.get(reverse("web:inbox")).content.decode()
    assert 'class="change-health"' not in html  # a first computation is not a change
    store({mine.pk: "good", other.pk: "poor", kam_b.account.pk: "poor"})
    store({mine.pk: "good", other.pk: "poor", kam_b.account.pk: "poor"})  # no change: kept
    kept = AccountHealth.objects.get(account=mine)
    assert (kept.grade, kept.previous_grade, kept.grade_changed_at is not None) == (
        "good",
        "fair",
        True,
    )
    html = client.get(reverse("web:inbox")).content.decode()
    changes = html.split('id="inbox-changes"')[1].split("</ul>")[0]
    assert changes.count('class="change-health"') == 2
    assert "Health rose from Fair to Good" in changes
    assert "Health fell from Good to Poor" in changes
    assert reverse("health:account", args=[mine.pk]) in changes
    assert kam_b.account.name not in changes  # not mine
