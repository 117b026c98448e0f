"""The two modes (Table 6.1): the lean sales view of a transactional account and the side by
side comparison of the key and transactional groups, with definitions; health shows "—" until
an app registers ``health.score``; query bounds; who may see them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.test import Client
from django.urls import reverse

from kam.interactions.models import Interaction
from kam.sales.models import Opportunity
from kam.sales.services import transactions_create
from kam.testing.factories import ProductFactory, UserFactory, make_unit
from kam.testing.personas import Persona


def _sell(unit, amount: str, day: dt.date, ext: str) -> None:
    transactions_create(
        rows=[
            {
                "date": day,
                "unit_id": unit.pk,
                "product_id": ProductFactory().pk,
                "quantity": Decimal(1),
                "net_amount": Decimal(amount),
                "external_id": ext,
            }
        ]
    )


def _last_year() -> dt.date:
    return dt.date.today().replace(day=1) - dt.timedelta(days=40)


def test_the_lean_page_of_a_transactional_account(client: Client, kam_a: Persona):
    account = kam_a.account
    _sell(account, "3000", _last_year(), "t1")
    Opportunity.objects.create(unit=account, name="Spare parts deal", stage="propose")
    Opportunity.objects.create(
        unit=account, name="Won one", stage="won", expected_close=_last_year()
    )
    Opportunity.objects.create(
        unit=account, name="Lost one", stage="lost", expected_close=_last_year()
    )
    Interaction.objects.create(
        unit=account, type="call", occurred_at=dt.datetime.now(dt.UTC), summary="Call"
    ).participants.add(kam_a.user)
    client.force_login(kam_a.user)
    html = client.get(reverse("web:account_lean", args=[account.pk])).content.decode()
    assert "Transactional mode" in html
    assert "Spare parts deal" in html and "Won one" not in html.split('id="lean-pipeline"')[1]
    assert "3,000 EUR" in html
    assert 'id="lean-win-rate">50.0 %' in html
    assert str(kam_a.user) in html.split('id="lean-reps"')[1]
    assert 'id="key-kpis"' not in html


def test_a_key_account_points_to_its_full_page(client: Client, kam_a: Persona):
    kam_a.account.tier = "key"
    kam_a.account.save(update_fields=["tier"])
    client.force_login(kam_a.user)
    html = client.get(reverse("web:account_lean", args=[kam_a.account.pk])).content.decode()
    assert "KAM mode" in html and 'id="key-kpis"' in html
    assert "Share of wallet" in html or "share of wallet" in html.lower()


def test_the_comparison_page(client: Client, kam_a: Persona, kam_b: Persona):
    kam_b.account.tier = "key"
    kam_b.account.save(update_fields=["tier"])
    _sell(kam_a.account, "1000", _last_year(), "a1")
    _sell(kam_b.account, "3000", _last_year(), "b1")
    client.force_login(kam_a.user)
    html = client.get(reverse("web:modes")).content.decode()
    share = html.split('id="mode-share"')[1].split("</tr>")[0]
    assert "75.0 %" in share and "25.0 %" in share
    health = html.split('id="mode-health"')[1].split("</tr>")[0]
    assert "—" in health
    assert "Won / (won + lost)" in html  # definitions are shown


def test_health_comes_from_the_registry(client: Client, kam_a: Persona):
    """The comparison reads ``health.score`` through the metric registry (the health app)."""
    from decimal import Decimal

    from django.utils import timezone

    from kam.health.models import AccountHealth

    kam_a.account.tier = "key"
    kam_a.account.save(update_fields=["tier"])
    AccountHealth.objects.create(
        account=kam_a.account, as_of=timezone.localdate(), score=Decimal(64), grade="good"
    )
    client.force_login(kam_a.user)
    html = client.get(reverse("web:modes")).content.decode()
    assert "64.0" in html.split('id="mode-health"')[1].split("</tr>")[0]


def test_modes_pages_refuse_a_user_without_a_role(client: Client, kam_a: Persona):
    client.force_login(UserFactory(username="norole", role=""))
    assert client.get(reverse("web:modes")).status_code == 403
    assert client.get(reverse("web:account_lean", args=[kam_a.account.pk])).status_code == 403


def test_another_kam_may_read_the_sales_view(client: Client, kam_a: Persona, kam_b: Persona):
    client.force_login(kam_b.user)
    assert client.get(reverse("web:account_lean", args=[kam_a.account.pk])).status_code == 200


def test_modes_queries_do_not_grow(client: Client, kam_a: Persona, django_assert_max_num_queries):
    def grow(start: int, end: int) -> None:
        for i in range(start, end):
            acc = make_unit(f"Co {i}", tier="key" if i % 2 else "transactional")
            _sell(acc, "100", _last_year(), f"g{i}")
            Opportunity.objects.create(
                unit=acc, name="Deal", stage="won", expected_close=_last_year()
            )

    client.force_login(kam_a.user)
    grow(0, 3)
    # the first view after sales were written refreshes the stale kept sums (decision 114)
    with django_assert_max_num_queries(17) as first:
        assert client.get(reverse("web:modes")).status_code == 200
    with django_assert_max_num_queries(12) as later:
        assert client.get(reverse("web:modes")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("web:account_lean", args=[kam_a.account.pk])).status_code == 200
    grow(3, 30)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(reverse("web:modes")).status_code == 200
    with django_assert_max_num_queries(len(later.captured_queries)):
        assert client.get(reverse("web:modes")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("web:account_lean", args=[kam_a.account.pk])).status_code == 200


def test_a_transactional_accounts_page_leads_with_its_sales_figures(
    client: Client, kam_a: Persona, kam_b: Persona
):
    _sell(kam_a.account, "3000", _last_year(), "t1")
    kam_b.account.tier = "key"
    kam_b.account.save(update_fields=["tier"])
    client.force_login(kam_a.user)
    html = client.get(reverse("web:account", args=[kam_a.account.pk])).content.decode()
    section = html.split('id="account-sales-mode"')[1].split("</section>")[0]
    assert "Transactional mode" in section
    assert 'id="lean-revenue">3,000 EUR' in section
    assert reverse("web:account_lean", args=[kam_a.account.pk]) in section
    key_page = client.get(reverse("web:account", args=[kam_b.account.pk])).content.decode()
    assert 'id="account-sales-mode"' not in key_page


def _api(client: Client, persona: Persona, path: str):
    return client.get(f"/api/v1{path}", headers=persona.headers)


def test_the_modes_api_compares_the_two_groups(client: Client, kam_a: Persona, kam_b: Persona):
    kam_b.account.tier = "key"
    kam_b.account.save(update_fields=["tier"])
    _sell(kam_a.account, "1000", _last_year(), "a1")
    _sell(kam_b.account, "3000", _last_year(), "b1")
    response = _api(client, kam_a, "/modes")
    assert response.status_code == 200
    body = response.json()
    assert Decimal(body["key"]["revenue_share"]) == Decimal("75.0")
    assert Decimal(body["transactional"]["revenue_share"]) == Decimal("25.0")
    assert (body["key"]["accounts"], body["transactional"]["accounts"]) == (1, 1)
    assert any(d["definition"].startswith("Won / (won + lost)") for d in body["definitions"])


def test_the_sales_view_api(client: Client, kam_a: Persona, kam_b: Persona):
    account = kam_a.account
    _sell(account, "3000", _last_year(), "t1")
    Opportunity.objects.create(unit=account, name="Spare parts deal", stage="propose")
    Opportunity.objects.create(unit=account, name="Won", stage="won", expected_close=_last_year())
    Opportunity.objects.create(unit=account, name="Lost", stage="lost", expected_close=_last_year())
    body = _api(client, kam_a, f"/modes/accounts/{account.pk}").json()
    assert body["mode"] == "transactional"
    assert [o["name"] for o in body["pipeline"]] == ["Spare parts deal"]
    assert Decimal(body["win_rate"]) == Decimal("50.0")
    assert Decimal(body["revenue"]) == Decimal("3000")
    assert body["kpis"] == []
    # another KAM reads the sales view, as on the page
    assert _api(client, kam_b, f"/modes/accounts/{account.pk}").status_code == 200
    assert _api(client, kam_a, "/modes/accounts/999999").status_code == 404


def test_a_key_accounts_sales_view_api_carries_its_relationship_kpis(
    client: Client, kam_a: Persona
):
    kam_a.account.tier = "key"
    kam_a.account.save(update_fields=["tier"])
    body = _api(client, kam_a, f"/modes/accounts/{kam_a.account.pk}").json()
    assert body["mode"] == "key"
    assert any("wallet" in k["label"].lower() for k in body["kpis"])


def test_the_modes_api_refuses_a_user_without_a_role_and_a_stranger(client: Client, kam_a: Persona):
    from kam.api.services import token_create

    user = UserFactory(username="norole2", role="")
    _t, plain = token_create(user=user, name="t", scope="read_write")
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/modes", headers=headers).status_code == 403
    path = f"/api/v1/modes/accounts/{kam_a.account.pk}"
    assert client.get(path, headers=headers).status_code == 403
    assert client.get("/api/v1/modes").status_code == 401


def test_the_comparison_page_shows_each_groups_growth_and_margin(
    client: Client, kam_a: Persona, kam_b: Persona
):
    """Growth: last 12 full months against the 12 before; margin: on the sales with a cost."""
    from kam.programme.tests.helpers import revenue

    kam_b.account.tier = "key"
    kam_b.account.save(update_fields=["tier"])
    last = _last_year().replace(day=1)
    before = (last - dt.timedelta(days=365)).replace(day=1)
    revenue(kam_b.account, 300, month=last, cost=225)  # key: margin 25 %
    revenue(kam_b.account, 200, month=before)  # key: 300 against 200, +50 %
    revenue(kam_a.account, 100, month=last)  # transactional: 100 against 200, no cost
    revenue(kam_a.account, 200, month=before)
    client.force_login(UserFactory(username="boss", role="executive"))
    html = client.get(reverse("web:modes")).content.decode()
    growth = html.split('id="mode-growth"')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in growth.split('<td class="text-end">')[1:]]
    assert cells == ["50.0 %", "-50.0 %"]
    margin = html.split('id="mode-margin"')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in margin.split('<td class="text-end">')[1:]]
    assert cells == ["25.0 %", "—"]


def test_the_comparison_shows_cost_to_serve_in_per_cent_of_revenue(
    client: Client, kam_a: Persona, kam_b: Persona
):
    """Over the group's accounts that have costs entered: their costs / their revenue."""
    from kam.programme.tests.helpers import revenue
    from kam.sales.services import cost_to_serve_save

    kam_b.account.tier = "key"
    kam_b.account.save(update_fields=["tier"])
    third = make_unit("Key without costs", tier="key")
    last = _last_year().replace(day=1)
    revenue(kam_b.account, 400, month=last)
    revenue(third, 600, month=last)  # no costs: left out of the key group's ratio
    revenue(kam_a.account, 100, month=last)
    site = make_unit("B plant", parent=kam_b.account)
    cost_to_serve_save(unit_id=site.pk, month=last, category="logistics", amount="30")
    cost_to_serve_save(unit_id=kam_b.account.pk, month=last, category="service", amount="10")
    client.force_login(UserFactory(username="boss", role="executive"))
    html = client.get(reverse("web:modes")).content.decode()
    row = html.split('id="mode-cost"')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="text-end">')[1:]]
    assert cells == ["10.0 %", "—"]  # 40 of 400; the transactional group has no costs


def test_the_comparison_reads_the_kept_sums_and_they_equal_the_live_ones(
    kam_a: Persona, kam_b: Persona, monkeypatch, django_assert_max_num_queries
):
    """Decision 114: with every account's kept sums current the groups' figures come from
    them; with too many stale ones, from the roll-ups; both give the same comparison."""
    from kam.health import modes
    from kam.programme.tests.helpers import revenue
    from kam.sales.models import AccountRevenue
    from kam.sales.services import cost_to_serve_save

    kam_b.account.tier = "key"
    kam_b.account.save(update_fields=["tier"])
    last = _last_year().replace(day=1)
    before = (last - dt.timedelta(days=365)).replace(day=1)
    revenue(kam_b.account, 300, month=last, cost=225)
    revenue(kam_b.account, 200, month=before)
    revenue(kam_a.account, 100, month=last)
    revenue(kam_a.account, 250, month=before)
    cost_to_serve_save(unit_id=kam_b.account.pk, month=last, category="service", amount="15")
    boss = UserFactory(username="boss", role="executive")
    today = dt.date.today()
    kept = modes.modes_comparison(user=boss, as_of=today)
    assert AccountRevenue.objects.filter(account=kam_b.account).values_list(
        "revenue_12m", "prior_12m", "cost_12m", "costed_12m"
    ).get() == (300, 200, 225, 300)
    monkeypatch.setattr(modes, "account_revenue_current", lambda today: False)
    live = modes.modes_comparison(user=boss, as_of=today)
    assert kept == live
    assert (kept["groups"]["key"]["growth"], kept["groups"]["key"]["cost_to_serve"]) == (
        Decimal("50.0"),
        Decimal("5.0"),
    )
    assert kept["groups"]["transactional"]["growth"] == Decimal("-60.0")
    # the kept sums are not read for another day than today (their window is today's)
    monkeypatch.setattr(modes, "kept_sums_by_tier", None)
    assert modes.modes_comparison(user=boss, as_of=today - dt.timedelta(days=40))["groups"]


def test_the_lean_page_lists_the_latest_orders_recent_or_not(kam_a: Persona, monkeypatch):
    """Decision 117: the orders of the last months are read first, older ones only when these
    are fewer than the list holds; either way the newest come first."""
    from kam.health import modes

    monkeypatch.setattr(modes, "LIST_LIMIT", 3)
    today = dt.date.today()
    site = make_unit("A site", parent=kam_a.account, kind="site")
    for i, days in enumerate((400, 300, 200, 5)):  # one recent order, three old ones
        _sell(site if i % 2 else kam_a.account, str(100 + i), today - dt.timedelta(days), f"o{i}")
    orders = modes.lean_account(account=kam_a.account, as_of=today)["orders"]
    assert [o.external_id for o in orders] == ["o3", "o2", "o1"]
    for i in range(4, 8):  # now the recent orders fill the list alone
        _sell(site, "50", today - dt.timedelta(days=i), f"o{i}")
    orders = modes.lean_account(account=kam_a.account, as_of=today)["orders"]
    assert [o.external_id for o in orders] == ["o4", "o5", "o3"]  # same day: the newer first
