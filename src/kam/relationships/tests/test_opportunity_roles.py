"""Roles on one opportunity (economic, technical, user buyer, coach): the page and the API, as the
account's KAM, as a user without a role and as another KAM."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kam.relationships.models import OpportunityRole
from kam.sales.models import Opportunity
from kam.testing.factories import ContactFactory, EmploymentFactory, UserFactory
from kam.testing.html import parse
from kam.testing.personas import db_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(kam_a):
    return Opportunity.objects.create(unit=kam_a.account, name="Line 4 retrofit")


@pytest.fixture
def buyer(kam_a):
    return EmploymentFactory(unit=kam_a.account, function="finance").contact


def _put(client, persona, deal, contact, roles):
    return client.put(
        f"/api/v1/relationships/opportunities/{deal.pk}/contacts/{contact.pk}",
        data=json.dumps({"roles": roles}),
        content_type="application/json",
        headers=persona.headers,
    )


def test_the_kam_gives_a_contact_roles_on_a_deal_and_sees_them(client, kam_a, deal, buyer):
    client.force_login(kam_a.user)
    url = reverse("relationships:opportunity_roles", args=[deal.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = parse(page.content)
    assert html.find(id="opportunity-roles-empty")
    options = html.find("select", name="contact").find_all("option")
    assert str(buyer.pk) in [o.attrs.get("value") for o in options]
    saved = client.post(url, {"contact": buyer.pk, "roles": ["economic", "coach"]})
    assert saved.status_code == 302
    row = parse(client.get(url).content).find("tr", data_contact=str(buyer.pk))
    assert row.cells[1] == "Economic buyer, Coach"
    listed = client.get(
        f"/api/v1/relationships/opportunities/{deal.pk}/roles", headers=kam_a.headers
    ).json()
    assert sorted(r["role"] for r in listed) == ["coach", "economic"]
    assert _put(client, kam_a, deal, buyer, ["technical"]).status_code == 200
    assert list(OpportunityRole.objects.values_list("role", flat=True)) == ["technical"]
    assert _put(client, kam_a, deal, buyer, []).json() == []
    assert not OpportunityRole.objects.exists()


def test_the_account_page_links_each_opportunity_to_its_roles(client, kam_a, deal):
    client.force_login(kam_a.user)
    page = client.get(reverse("web:account_opportunities", args=[kam_a.account.pk]))
    assert reverse("relationships:opportunity_roles", args=[deal.pk]) in page.content.decode()


def test_bad_roles_and_strangers_are_refused_and_write_nothing(client, kam_a, deal, buyer):
    stranger = ContactFactory()  # works nowhere: not a candidate, not a member of the account
    client.force_login(kam_a.user)
    url = reverse("relationships:opportunity_roles", args=[deal.pk])
    before = db_snapshot()
    assert client.post(url, {"contact": buyer.pk, "roles": ["boss"]}).status_code == 400
    assert client.post(url, {"contact": stranger.pk, "roles": ["coach"]}).status_code == 400
    assert _put(client, kam_a, deal, buyer, ["boss"]).status_code == 422
    assert _put(client, kam_a, deal, stranger, ["coach"]).status_code == 400
    assert db_snapshot() == before


def test_a_user_without_a_role_sees_nothing(client, deal):
    client.force_login(UserFactory(role=""))
    url = reverse("relationships:opportunity_roles", args=[deal.pk])
    assert client.get(url).status_code in (403, 404)


def test_another_kam_cannot_change_roles_on_kam_as_deal(client, kam_a, kam_b, deal, buyer):
    OpportunityRole.objects.create(opportunity=deal, contact=buyer, role="coach")
    before = db_snapshot()
    client.force_login(kam_b.user)
    url = reverse("relationships:opportunity_roles", args=[deal.pk])
    assert client.post(url, {"contact": buyer.pk, "roles": ["economic"]}).status_code in (403, 404)
    assert _put(client, kam_b, deal, buyer, ["economic"]).status_code in (403, 404)
    assert db_snapshot() == before
    # the same writes as the owner go through: the refusal is about the object
    client.force_login(kam_a.user)
    assert client.post(url, {"contact": buyer.pk, "roles": ["economic"]}).status_code == 302
