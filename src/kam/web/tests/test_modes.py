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
    with django_assert_max_num_queries(12):
        assert client.get(reverse("web:modes")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("web:account_lean", args=[kam_a.account.pk])).status_code == 200
    grow(3, 30)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("web:modes")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("web:account_lean", args=[kam_a.account.pk])).status_code == 200
