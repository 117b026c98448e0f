"""Opportunities typed in on the account (issue 10): create and edit pages with every field the
API accepts, written by the sales services, with the API's permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kam.sales.models import Opportunity
from kam.testing.factories import ProductFactory, make_unit
from kam.testing.personas import Persona, db_snapshot

pytestmark = pytest.mark.django_db


def _data(**overrides) -> dict:
    data = {
        "name": "Line 3 retrofit",
        "stage": "negotiate",
        "amount": "12500.50",
        "probability": "40",
        "engaged_on": "2026-02-01",
        "expected_close": "2026-09-30",
        "external_id": "CRM-77",
    }
    data.update(overrides)
    return data


def test_a_kam_creates_and_edits_an_opportunity(client: Client, kam_a: Persona) -> None:
    site = make_unit("Plant", parent=kam_a.account)
    product = ProductFactory()
    client.force_login(kam_a.user)
    listing = client.get(reverse("web:account_opportunities", args=[kam_a.account.pk]))
    create = reverse("web:opportunity_create", args=[kam_a.account.pk])
    assert create in listing.content.decode()
    assert client.get(create).status_code == 200
    made = client.post(create, _data(unit=site.pk, product=product.sku, owner=kam_a.user.pk))
    assert made.status_code == 302
    opp = Opportunity.objects.get(external_id="CRM-77")
    assert (opp.unit, opp.product, opp.product_line) == (site, product, product.line)
    assert (opp.stage, opp.amount, opp.probability) == ("negotiate", Decimal("12500.50"), 40)
    assert (opp.engaged_on, opp.expected_close) == (dt.date(2026, 2, 1), dt.date(2026, 9, 30))
    assert opp.owner == kam_a.user
    edit = reverse("web:opportunity_edit", args=[kam_a.account.pk, opp.pk])
    assert (
        edit
        in client.get(
            reverse("web:account_opportunities", args=[kam_a.account.pk])
        ).content.decode()
    )
    page = client.get(edit).content.decode()
    assert 'value="Line 3 retrofit"' in page and f'value="{product.sku}"' in page
    changed = client.post(
        edit,
        _data(unit=kam_a.account.pk, stage="won", product="", product_line=product.line.pk),
    )
    assert changed.status_code == 302
    opp.refresh_from_db()
    assert (opp.unit, opp.stage, opp.product, opp.owner) == (
        kam_a.account,
        "won",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required"),
        ({"product": "NO-SUCH"}, "product", "No product has the SKU NO-SUCH"),
        ({"probability": "140"}, "probability", "100"),
        ({"amount": "-1"}, "amount", "0"),
        ({"engaged_on": "2026-12-01"}, "expected_close", "before the engagement date"),
        ({"expected_close": "1850-01-01"}, "expected_close", ""),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    client: Client, kam_a: Persona, overrides, field, message
) -> None:
    client.force_login(kam_a.user)
    before = db_snapshot()
    response = client.post(
        reverse("web:opportunity_create", args=[kam_a.account.pk]),
        _data(unit=kam_a.account.pk, **overrides),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="error-{field}"' in page and message in page
    assert db_snapshot() == before


def test_the_product_of_another_line_is_refused(client: Client, kam_a: Persona) -> None:
    client.force_login(kam_a.user)
    product, other = ProductFactory(), ProductFactory()
    assert product.line_id != other.line_id
    before = db_snapshot()
    response = client.post(
        reverse("web:opportunity_create", args=[kam_a.account.pk]),
        _data(unit=kam_a.account.pk, product=product.sku, product_line=other.line_id),
    )
    assert response.status_code == 400 and 'id="error-product"' in response.content.decode()
    assert db_snapshot() == before


def test_another_kam_and_a_user_without_a_role_are_refused(
    client: Client, client_for, kam_a: Persona, kam_b: Persona
) -> None:
    opp = Opportunity.objects.create(unit=kam_a.account, name="Mine", stage="qualify")
    create = reverse("web:opportunity_create", args=[kam_a.account.pk])
    edit = reverse("web:opportunity_edit", args=[kam_a.account.pk, opp.pk])
    # another KAM's opportunity through one's own account: not found either
    foreign = reverse("web:opportunity_edit", args=[kam_b.account.pk, opp.pk])
    before = db_snapshot()
    for login in (kam_b.user, "outsider"):
        if isinstance(login, str):
            client = client_for(login)
        else:
            client.force_login(login)
        for url in (create, edit):
            assert client.get(url).status_code in (403, 404)
            assert client.post(url, _data(unit=kam_a.account.pk)).status_code in (403, 404)
    client.force_login(kam_b.user)
    assert client.get(foreign).status_code == 404
    assert client.post(foreign, _data(unit=kam_b.account.pk)).status_code == 404
    # nor can a unit of another account be chosen
    assert (
        client.post(
            reverse("web:opportunity_create", args=[kam_b.account.pk]),
            _data(unit=kam_a.account.pk),
        ).status_code
        == 400
    )
    assert db_snapshot() == before
