"""My accounts: who lands there, which accounts each role sees, the registry's columns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.core.metrics import Metric, MetricUnit, registry
from kam.interactions.models import Interaction
from kam.testing.factories import UserFactory, make_unit
from kam.testing.html import table
from kam.web.selectors import MY_ACCOUNT_METRICS

pytestmark = pytest.mark.django_db

PLAN_LEVELS = (
    ("none", "No plan"),
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("approved", "Approved"),
    ("review_due", "Review due"),
)


@pytest.fixture
def stand_in_metrics():
    """Stand-ins for the metrics sales and planning register (their keys, simple values)."""
    calls: list[str] = []

    def const(key, value):
        def compute(ids, as_of):
            calls.append(key)
            return {i: value(i) for i in ids}

        return compute

    specs = [
        Metric(
            "sales.revenue_12m", "Revenue", MetricUnit.MONEY, const("r", lambda i: Decimal(1234))
        ),
        Metric("sales.revenue_growth", "Growth", MetricUnit.PERCENT, const("g", lambda i: 12.5)),
        Metric(
            "planning.plan_status",
            "Plan",
            MetricUnit.LEVEL,
            const("p", lambda i: "approved"),
            levels=PLAN_LEVELS,
        ),
        Metric(
            "planning.objectives_on_track", "On track", MetricUnit.COUNT, const("o", lambda i: 2)
        ),
        Metric("planning.objectives_total", "Total", MetricUnit.COUNT, const("t", lambda i: 3)),
        Metric("planning.actions_due_week", "Due", MetricUnit.COUNT, const("d", lambda i: 4)),
        Metric("planning.actions_overdue", "Overdue", MetricUnit.COUNT, const("v", lambda i: 1)),
    ]
    saved = {m.key: registry.get(m.key) for m in specs if m.key in registry}
    for m in specs:
        registry.unregister(m.key)
        registry.register(m)
    yield calls
    for m in specs:
        registry.unregister(m.key)
    for m in saved.values():
        registry.register(m)


@pytest.fixture
def team(users):
    """A KAM reporting to the sales manager, another KAM, and their key accounts."""
    kam, manager = users["kam"], users["sales_manager"]
    kam.manager = manager
    kam.save()
    other = UserFactory(username="other_kam", role="kam")
    mine = make_unit("Mine Key", account_manager=kam, tier="key")
    global_ = make_unit("Mine Global", account_manager=kam, tier="global")
    make_unit("Mine Transactional", account_manager=kam)
    theirs = make_unit("Theirs Key", account_manager=other, tier="national")
    managers_own = make_unit("Managers Own", account_manager=manager, tier="key")
    return {"mine": mine, "global": global_, "theirs": theirs, "managers_own": managers_own}


def _names(client) -> list[str]:
    html = client.get(reverse("web:my_accounts")).content.decode()
    return (
        [row["Account"] for row in table(html, "my-accounts-table")]
        if "my-accounts-table" in html
        else []
    )


def test_a_kam_sees_the_key_accounts_they_manage(client_for, team):
    assert _names(client_for("kam")) == ["Mine Global", "Mine Key"]


def test_a_sales_manager_sees_their_own_and_their_reports_accounts(client_for, team):
    assert _names(client_for("sales_manager")) == ["Managers Own", "Mine Global", "Mine Key"]


def test_an_executive_lands_on_the_dashboard_and_sees_only_what_they_manage(client_for, team):
    client = client_for("executive")
    assert client.get(reverse("web:home"))["Location"] == reverse("dashboard:page")
    assert _names(client) == []


def test_a_field_rep_sees_the_key_accounts_they_work_with(client_for, users, team):
    site = make_unit("Mine plant", parent=team["mine"], kind="site")
    interaction = Interaction.objects.create(
        unit=site, type="visit", occurred_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC), summary="V"
    )
    interaction.participants.add(users["field_rep"])
    client = client_for("field_rep")
    assert client.get(reverse("web:home"))["Location"] == reverse("web:portfolio")
    assert _names(client) == ["Mine Key"]
    assert _names(client_for("specialist")) == []


def test_no_role_is_refused(client_for, team):
    assert client_for("outsider").get(reverse("web:my_accounts")).status_code == 403


def test_columns_come_from_the_registry(client_for, team, stand_in_metrics):
    html = client_for("kam").get(reverse("web:my_accounts")).content.decode()
    row = {r["Account"]: r for r in table(html, "my-accounts-table")}["Mine Key"]
    assert row["Tier"] == "Key account"
    assert row["Revenue, last 12 full months (EUR)"] == "1,234 EUR"
    assert row["Trend"] == "▲ +12.5 %"
    assert row["Plan"] == "Approved"
    assert row["Objectives on track"] == "2 of 3"
    assert row["Actions due this week"] == "4"
    assert row["Overdue"] == "1"
    assert sorted(set(stand_in_metrics)) == sorted("rgpotdv")
    assert len(stand_in_metrics) == 7  # one call per column, not per row


def test_unregistered_metrics_show_a_dash(client_for, team):
    saved = [registry.get(k) for k in MY_ACCOUNT_METRICS if k in registry]
    for key in MY_ACCOUNT_METRICS:
        registry.unregister(key)
    try:
        html = client_for("kam").get(reverse("web:my_accounts")).content.decode()
    finally:
        for metric in saved:
            registry.register(metric)
    row = {r["Account"]: r for r in table(html, "my-accounts-table")}["Mine Key"]
    assert row["Revenue, last 12 full months (EUR)"] == "—"
    assert row["Plan"] == "—"
    assert row["Objectives on track"] == "—"
    assert row["Overdue"] == "—"


def test_queries_stay_bounded_with_ten_times_the_accounts(
    client_for, users, stand_in_metrics, django_assert_max_num_queries
):
    client = client_for("kam")
    for i in range(3):
        make_unit(f"Key {i}", account_manager=users["kam"], tier="key")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("web:my_accounts")).status_code == 200
    for i in range(3, 30):
        make_unit(f"Key {i}", account_manager=users["kam"], tier="key")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("web:my_accounts")).status_code == 200


def test_a_bad_page_is_a_400(client_for, team):
    assert client_for("kam").get(reverse("web:my_accounts") + "?page=x").status_code == 400


def test_a_specialist_sees_the_key_accounts_whose_team_they_are_on(client, kam_a, kam_b):
    from kam.teams.services import team_member_add
    from kam.testing.factories import UserFactory

    type(kam_a.account).objects.filter(pk__in=[kam_a.account.pk, kam_b.account.pk]).update(
        tier="key"
    )
    sam = UserFactory(username="sam", role="specialist", function="service")
    team_member_add(account=kam_a.account, user=sam, role="service")
    client.force_login(sam)
    html = client.get(reverse("web:my_accounts")).content.decode()
    assert kam_a.account.name in html
    assert kam_b.account.name not in html
