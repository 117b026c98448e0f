"""The executive dashboard: the kept snapshot equals a direct computation, the writes of its
inputs mark it stale, its figures and their links, the week's changes, who may open it, and a
query count that does not grow with the accounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kam.alerts.models import Alert, AlertStatus
from kam.customers.models import Unit
from kam.customers.signals import accounts_changed
from kam.health.models import AccountHealth, HealthMonth
from kam.health.services import backtest_store as health_backtest_store
from kam.health.services import health_refresh
from kam.identification.services import account_tier_set
from kam.programme import dashboard, services
from kam.programme.models import DashboardSnapshot
from kam.programme.tasks import dashboard_refresh_task
from kam.relationships.models import StageAssessment
from kam.sales.models import MonthlyRollup
from kam.testing.factories import make_unit

from .helpers import answer_all, campaign, key, revenue

pytestmark = pytest.mark.django_db

LAST_MONTH = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _portfolio(n_key: int = 2, n_other: int = 2) -> list[Unit]:
    """Key accounts (the largest) and transactional ones, each with revenue last month."""
    out = []
    for i in range(n_key + n_other):
        name = f"Key {i:02d}" if i < n_key else f"Other {i:02d}"
        account = key(name) if i < n_key else make_unit(name)
        revenue(account, 1000 * (n_key + n_other - i), month=LAST_MONTH)
        out.append(account)
    return out


def _alert(account: Unit, kind: str = "sales.revenue_drop", **fields: Any) -> Alert:
    return Alert.objects.create(
        kind=kind,
        account=account,
        reason="Revenue fell %(pct)s %% against the prior 12 months",
        params={"pct": 30},
        key=f"{kind}:{account.pk}:{fields.pop('subject', '')}",
        **fields,
    )


def _without_clock(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without the moment "this week" starts (it moves with the clock)."""
    out = dict(payload)
    out["changes"] = {k: v for k, v in payload["changes"].items() if k != "since"}
    return out


# --- the kept snapshot --------------------------------------------------------------------------


def test_the_kept_snapshot_equals_a_direct_computation(users: dict[str, Any]) -> None:
    accounts = _portfolio(3, 4)
    _alert(accounts[0])
    health_refresh(everything=True)
    StageAssessment.objects.create(
        account=accounts[1],
        suggested="mid",
        confirmed="mid",
        decided_by=users["kam"],
        decided_at=timezone.now(),
    )
    kept = services.dashboard_refresh()
    direct = dashboard.compute(as_of=timezone.localdate())
    assert _without_clock(kept.payload) == _without_clock(direct)
    assert kept.payload["counts"]["key_total"] == 3
    assert kept.payload["alerts"]["total"] == 1
    assert not kept.stale


def test_a_current_snapshot_is_read_not_recomputed(users: dict[str, Any]) -> None:
    _portfolio()
    first = services.dashboard_current()
    with CaptureQueriesContext(connection) as queries:
        again = services.dashboard_current()
    assert len(queries.captured_queries) == 1
    assert again.computed_at == first.computed_at


def _queued() -> int:
    """The dashboard recomputations waiting for the job worker."""
    return DBTaskResult.objects.filter(
        task_path__endswith="dashboard_refresh_task", status="READY"
    ).count()


def test_a_snapshot_of_an_earlier_day_is_queued_and_recomputed_by_the_worker(
    users: dict[str, Any],
) -> None:
    _portfolio()
    services.dashboard_refresh()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    DashboardSnapshot.objects.update(as_of=yesterday)
    shown = services.dashboard_current()
    assert shown.as_of == yesterday and shown.updating and _queued() == 1
    assert dashboard_refresh_task.call() is True  # what the worker does
    current = services.dashboard_current()
    assert current.as_of == timezone.localdate() and not current.updating
    assert DashboardSnapshot.objects.get().refreshing_since is None
    # the nightly step does the same, and nothing when it is current
    DashboardSnapshot.objects.update(as_of=yesterday)
    assert services.dashboard_nightly() is True
    assert services.dashboard_nightly() is False
    # a queued job that finds the figures current already does not compute them again
    assert dashboard_refresh_task.call() is False


def _stale() -> bool:
    return DashboardSnapshot.objects.get().stale


def test_the_writes_of_its_inputs_mark_it_stale(users: dict[str, Any]) -> None:
    accounts = _portfolio()
    c = campaign()

    def fresh() -> None:
        services.dashboard_refresh()
        assert not _stale()

    fresh()  # a tier change (through the nominations' service)
    account_tier_set(account=accounts[2], tier="key")
    assert _stale()
    fresh()  # a bulk roll-up write
    accounts_changed.send(sender=MonthlyRollup, unit_ids=[accounts[3].pk])
    assert _stale()
    fresh()  # a roll-up row saved
    revenue(accounts[3], 5, month=LAST_MONTH - dt.timedelta(days=40))
    assert _stale()
    fresh()  # an alert raised
    _alert(accounts[0])
    assert _stale()
    fresh()  # the alert engine (bulk)
    from kam.alerts.services import alerts_refresh

    alerts_refresh(notify_owners=False)
    assert _stale()
    fresh()  # a health recompute (bulk)
    health_refresh(everything=True)
    assert _stale()
    fresh()  # a campaign answer
    answer_all(c, users["kam"], 4)
    assert _stale()
    fresh()  # a health backtest kept
    health_backtest_store(as_of=dt.date(2026, 5, 31), horizon_months=6, result={"auc": 0.7})
    assert _stale()
    fresh()  # a unit's unrelated field leaves it current
    Unit.objects.get(pk=accounts[0].pk).save(update_fields=["city"])
    assert not _stale()


def test_a_tier_change_shows_on_the_page_once_the_worker_has_recomputed_it(
    client_for: Any,
) -> None:
    accounts = _portfolio(1, 2)
    page = client_for("executive")
    url = reverse("dashboard:page")
    assert 'href="/accounts/?tier=key" class="dash-figure">1<' in page.get(url).content.decode()
    account_tier_set(account=accounts[1], tier="key")
    html = page.get(url).content.decode()
    # the kept figures at once, said to be updated, and the work queued for the job worker
    assert 'href="/accounts/?tier=key" class="dash-figure">1<' in html
    assert 'id="dashboard-updating"' in html and _queued() == 1
    dashboard_refresh_task.call()
    html = page.get(url).content.decode()
    assert 'href="/accounts/?tier=key" class="dash-figure">2<' in html
    assert 'id="dashboard-updating"' not in html
    assert "Tier changed from Transactional to Key account" in html
    assert f'href="/accounts/{accounts[1].pk}/"' in html


# --- figures and their links --------------------------------------------------------------------


def test_concentration_top5_and_herfindahl() -> None:
    a, b = key("Big"), make_unit("Small")
    revenue(a, 750, month=LAST_MONTH)
    revenue(b, 250, month=LAST_MONTH)
    found = dashboard.compute(as_of=timezone.localdate())["concentration"]
    assert found["top5"] == 100.0
    assert found["hhi"] == 6250  # 75² + 25²
    assert found["key_share"] == 75.0
    assert found["link"] == reverse("programme:risk", args=["concentration"])
    assert [t["name"] for t in found["top"]] == ["Big", "Small"]


def test_every_figure_links_to_the_list_behind_it(client_for: Any, users: dict[str, Any]) -> None:
    accounts = _portfolio()
    _alert(accounts[0])
    health_refresh(everything=True)
    html = client_for("executive").get(reverse("dashboard:page")).content.decode()
    for link in (
        "/accounts/?tier=key",
        "/accounts/?tier=transactional",
        reverse("programme:risk", args=["concentration"]),
        reverse("programme:risk", args=["dependence"]),
        reverse("programme:indicator", args=["key_revenue_share"]),
        reverse("programme:indicator", args=["objectives_on_track"]),
        "/plans/?status=approved",
        reverse("dashboard:accounts", args=["plan-none"]),
        "/alerts/?kind=sales.revenue_drop&amp;live=true",
        "/health/?tier=key&amp;grade=poor",
        reverse("dashboard:accounts", args=["stage-none"]),
        reverse("identification:matrix") + "?key_only=1",
        reverse("programme:overview") + "#condition-4",
        reverse("identification:backtest"),
        reverse("health:portfolio") + "#health-backtest",
    ):
        assert f'href="{link}"' in html, link


def test_the_lists_behind_stages_and_plans(client_for: Any, users: dict[str, Any]) -> None:
    accounts = _portfolio(3, 1)
    StageAssessment.objects.create(
        account=accounts[0],
        suggested="mid",
        confirmed="partnership",
        decided_by=users["kam"],
        decided_at=timezone.now(),
    )
    client = client_for("executive")
    mid = client.get(reverse("dashboard:accounts", args=["stage-partnership"])).content.decode()
    assert "Key 00" in mid and "Key 01" not in mid
    assert "Key accounts at the relationship stage Partnership" in mid
    none = client.get(reverse("dashboard:accounts", args=["stage-none"])).content.decode()
    assert "Key 01" in none and "Key 02" in none and "Key 00" not in none
    assert "Other 03" not in none  # transactional accounts are not behind these figures
    plans = client.get(reverse("dashboard:accounts", args=["plan-none"])).content.decode()
    assert all(f"Key 0{i}" in plans for i in range(3))
    assert client.get(reverse("dashboard:accounts", args=["nonsense"])).status_code == 404


def test_backtests_say_not_run_yet_then_show_the_latest(client_for: Any) -> None:
    _portfolio()
    client = client_for("executive")
    html = client.get(reverse("dashboard:page")).content.decode()
    assert html.count("not run yet") == 2
    health_backtest_store(
        as_of=dt.date(2026, 5, 31),
        horizon_months=6,
        result={"auc": 0.71, "baseline": {"auc": 0.64}, "accounts": 40, "fell": 9},
    )
    dashboard_refresh_task.call()  # what the job worker does after the mark
    html = client.get(reverse("dashboard:page")).content.decode()
    assert html.count("not run yet") == 1
    assert "AUC 0.71 (recency alone 0.64)" in html
    assert "9 of 40 accounts fell" in html


def test_what_changed_this_week(client_for: Any, users: dict[str, Any]) -> None:
    accounts = _portfolio(2, 1)
    _alert(accounts[0])
    AccountHealth.objects.create(
        account=accounts[1], as_of=timezone.localdate(), score=Decimal(20), grade="poor"
    )
    HealthMonth.objects.create(
        account=accounts[1], month=LAST_MONTH, score=Decimal(80), grade="good"
    )
    old = _alert(accounts[1], kind="planning.plan_review_overdue")
    Alert.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=9), status=AlertStatus.RESOLVED
    )
    services.dashboard_mark_stale()
    html = client_for("executive").get(reverse("dashboard:page")).content.decode()
    section = html.split('id="dash-changes"')[1]
    fell = section.split('data-change="health_fell"')[1].split("</ul>")[0]
    assert "Key 01" in fell and "Health went from Good to Poor" in fell
    assert f'href="{reverse("health:account", args=[accounts[1].pk])}"' in fell
    raised = section.split('data-change="alert"')[1].split("</ul>")[0]
    assert "Revenue fell 30 % against the prior 12 months" in raised
    assert "Key 01" not in raised  # raised nine days ago: not this week
    sales = section.split('data-change="revenue"')[1].split("</ul>")[0]
    assert "none" in sales  # the roll-ups are of last month; no sale this week


# --- who may open it ----------------------------------------------------------------------------


def test_executives_and_administrators_open_it_others_do_not(
    client: Client, client_for: Any
) -> None:
    _portfolio()
    url = reverse("dashboard:page")
    assert client.get(url)["Location"].startswith(reverse("login"))
    for who in ("executive", "admin"):
        assert client_for(who).get(url).status_code == 200
    for who in ("kam", "sales_manager", "field_rep", "specialist", "outsider"):
        assert client_for(who).get(url).status_code == 403
    behind = reverse("dashboard:accounts", args=["stage-none"])
    assert client_for("kam").get(behind).status_code == 403


def test_the_api_returns_the_same_snapshot(client: Client, users: dict[str, Any]) -> None:
    from kam.api.models import TokenScope
    from kam.api.services import token_create

    _portfolio()
    tokens = {
        who: token_create(user=users[who], name=who, scope=TokenScope.READ)[1]
        for who in ("executive", "kam")
    }
    url = "/api/v1/programme/dashboard"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": f"Bearer {tokens['kam']}"}).status_code == 403
    response = client.get(url, headers={"Authorization": f"Bearer {tokens['executive']}"})
    assert response.status_code == 200
    body = response.json()
    assert body["figures"] == DashboardSnapshot.objects.get().payload
    assert body["figures"]["counts"]["key_total"] == 2


def test_the_query_count_is_the_same_with_3_and_with_30_accounts(client_for: Any) -> None:
    client = client_for("executive")
    url = reverse("dashboard:page")

    def counts() -> tuple[int, int]:
        services.dashboard_refresh()  # the row exists: its first creation costs three more
        services.dashboard_mark_stale()
        with CaptureQueriesContext(connection) as cold:
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as warm:
            assert client.get(url).status_code == 200
        return len(cold.captured_queries), len(warm.captured_queries)

    for i in range(3):
        account = key(f"First {i}")
        revenue(account, 100 + i, month=LAST_MONTH)
        _alert(account)
    health_refresh(everything=True)
    small = counts()
    for i in range(27):
        account = key(f"More {i}") if i % 2 else make_unit(f"More {i}")
        revenue(account, 100 + i, month=LAST_MONTH)
        _alert(account)
    health_refresh(everything=True)
    large = counts()
    assert large == small
    assert small[1] <= 8  # warm: session, user, the snapshot, the menu's badge


def test_a_sale_this_week_marks_it_stale_and_shows_as_key_account_revenue(
    client_for: Any,
) -> None:
    from kam.sales.services import transactions_create
    from kam.testing.factories import ProductFactory

    accounts = _portfolio(1, 1)
    client = client_for("executive")
    url = reverse("dashboard:page")
    client.get(url)
    assert not _stale()
    site = make_unit("Plant", parent=accounts[0], kind="site")
    services.dashboard_refresh()
    transactions_create(
        rows=[
            {
                "date": timezone.localdate(),
                "unit_id": site.pk,
                "product_id": ProductFactory().pk,
                "net_amount": Decimal(4200),
            }
        ]
    )
    assert _stale()
    client.get(url)  # queues the recomputation
    dashboard_refresh_task.call()
    html = client.get(url).content.decode()
    sales = html.split('data-change="revenue"')[1].split("</ul>")[0]
    assert "Key 00" in sales and "Sales of 4,200" in sales
    assert f'href="{reverse("web:account_transactions", args=[accounts[0].pk])}"' in sales


def test_a_write_during_the_computation_keeps_the_dashboard_stale(
    users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    services.dashboard_refresh()
    assert not DashboardSnapshot.objects.get().stale
    compute = dashboard.compute

    def compute_while_someone_writes(**kwargs: Any) -> Any:
        figures = compute(**kwargs)
        services.dashboard_mark_stale()  # a writer commits while the figures are computed
        return figures

    monkeypatch.setattr(dashboard, "compute", compute_while_someone_writes)
    services.dashboard_mark_stale()
    snapshot = services.dashboard_refresh()
    assert snapshot.stale  # the late write was not in the figures: they stay stale
    monkeypatch.setattr(dashboard, "compute", compute)
    assert not services.dashboard_refresh().stale


def test_a_writer_only_appends_a_mark_and_never_updates_the_kept_row(
    users: dict[str, Any],
) -> None:
    services.dashboard_refresh()
    with CaptureQueriesContext(connection) as queries:
        services.dashboard_mark_stale()
    sql = [q["sql"].upper() for q in queries.captured_queries]
    # one mark for the dashboard, one for the kept programme overview (decision 124)
    assert len(sql) == 2 and all(q.startswith("INSERT") for q in sql)
    assert "PROGRAMME_DASHBOARDCHANGE" in sql[0] and "PROGRAMME_PROGRAMMECHANGE" in sql[1]


# --- readers show the kept figures while the job worker recomputes them (decision 135) ---------


def test_readers_of_a_stale_dashboard_queue_one_recomputation_and_compute_nothing(
    users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _portfolio()
    first = services.dashboard_refresh()
    services.dashboard_mark_stale()  # a nomination, say
    monkeypatch.setattr(dashboard, "compute", _must_not_compute)
    seen = [services.dashboard_current() for _reader in range(3)]
    assert all(s.updating and s.stale and s.computed_at == first.computed_at for s in seen)
    assert _queued() == 1  # one job, however many readers
    with CaptureQueriesContext(connection) as queries:
        assert services.dashboard_current().updating
    assert len(queries.captured_queries) == 1  # the kept row, read with its claim
    monkeypatch.undo()
    assert dashboard_refresh_task.call() is True
    fresh = services.dashboard_current()
    assert fresh.computed_at > first.computed_at and not fresh.updating and not fresh.stale
    # the claim is released with the new figures: the next stale read queues again
    assert DashboardSnapshot.objects.get().refreshing_since is None
    services.dashboard_mark_stale()
    assert services.dashboard_current().updating and _queued() == 2


def test_the_scheduler_leaves_a_queued_recomputation_to_its_job(
    users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _portfolio()
    services.dashboard_refresh()
    services.dashboard_mark_stale()
    services.dashboard_current()  # a reader's claim: the job is queued
    monkeypatch.setattr(dashboard, "compute", _must_not_compute)
    assert services.dashboard_nightly() is False
    monkeypatch.undo()
    # a claim that no worker served within the lease is the scheduler's to take over
    DashboardSnapshot.objects.update(
        refreshing_since=timezone.now() - services.DASHBOARD_LEASE - dt.timedelta(seconds=1)
    )
    assert services.dashboard_nightly() is True
    assert not DashboardSnapshot.objects.get().stale


def _must_not_compute(**kwargs: Any) -> Any:
    raise AssertionError("a second request computed the dashboard")


def test_the_page_and_the_api_say_the_figures_are_being_updated(
    users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _portfolio()
    services.dashboard_refresh()
    services.dashboard_mark_stale()
    DashboardSnapshot.objects.update(refreshing_since=timezone.now())  # another request's claim
    monkeypatch.setattr(dashboard, "compute", _must_not_compute)
    from kam.api.models import TokenScope
    from kam.api.services import token_create

    token = token_create(user=users["executive"], name="e", scope=TokenScope.READ)[1]
    bearer = {"Authorization": f"Bearer {token}"}
    client = Client()
    client.force_login(users["executive"])
    url, api = reverse("dashboard:page"), "/api/v1/programme/dashboard"
    html = client.get(url).content.decode()
    assert 'id="dashboard-updating"' in html and "Being updated" in html
    response = client.get(api, headers=bearer)
    assert response.status_code == 200 and response.json()["updating"] is True
    # once the other request has kept its figures, neither says so
    monkeypatch.undo()
    services.dashboard_refresh()
    assert 'id="dashboard-updating"' not in client.get(url).content.decode()
    assert client.get(api, headers=bearer).json()["updating"] is False


def test_a_claim_older_than_the_lease_is_taken_over(users: dict[str, Any]) -> None:
    _portfolio()
    first = services.dashboard_refresh()
    services.dashboard_mark_stale()
    # a request that died while computing (its worker was killed) left its claim
    DashboardSnapshot.objects.update(
        refreshing_since=timezone.now() - services.DASHBOARD_LEASE - dt.timedelta(seconds=1)
    )
    snapshot = services.dashboard_current()
    assert not snapshot.updating and snapshot.computed_at > first.computed_at


def test_a_failed_computation_frees_the_claim(
    users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _portfolio()
    services.dashboard_refresh()
    services.dashboard_mark_stale()
    assert services.dashboard_current().updating
    monkeypatch.setattr(dashboard, "compute", _must_not_compute)
    with pytest.raises(AssertionError):
        dashboard_refresh_task.call()
    assert DashboardSnapshot.objects.get().refreshing_since is None
    monkeypatch.undo()
    # the next reader queues it again, and the worker's next attempt keeps the figures
    assert services.dashboard_current().updating and _queued() == 2
    dashboard_refresh_task.call()
    assert not services.dashboard_current().stale


# --- the "Being updated" badge reloads the page once new figures are kept ----------------------


def test_the_badge_asks_until_new_figures_are_kept_then_reloads_the_page(
    client_for: Any,
) -> None:
    _portfolio()
    client = client_for("executive")
    url = reverse("dashboard:page")
    client.get(url)
    services.dashboard_mark_stale()
    html = client.get(url).content.decode()
    badge = html.split('id="dashboard-updating"')[1].split(">")[0]
    poll = badge.split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    assert poll.startswith(reverse("dashboard:status") + "?computed=")
    assert 'hx-trigger="every 3s"' in badge
    waiting = client.get(poll)
    assert waiting.status_code == 200 and "HX-Refresh" not in waiting
    assert 'id="dashboard-updating"' in waiting.content.decode()
    dashboard_refresh_task.call()
    ready = client.get(poll)
    assert ready.status_code == 200 and ready["HX-Refresh"] == "true"


@pytest.mark.parametrize("computed", ["", "yesterday", "2026-12-04T10:00:00"])
def test_the_badge_status_refuses_a_moment_it_cannot_read(client_for: Any, computed: str) -> None:
    response = client_for("executive").get(reverse("dashboard:status"), {"computed": computed})
    assert response.status_code == 400
    assert "computed=" in response.content.decode()


def test_only_who_may_open_the_dashboard_may_ask_its_status(
    client_for: Any, users: dict[str, Any]
) -> None:
    url = reverse("dashboard:status") + "?computed=2026-12-04T10:00:00%2B00:00"
    assert client_for("executive").get(url).status_code == 200
    assert client_for("kam").get(url).status_code == 403
    assert client_for("field_rep").get(url).status_code == 403
    assert client_for("outsider").get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to the sign-in page
