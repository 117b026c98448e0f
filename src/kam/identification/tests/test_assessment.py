"""The relational scoring inputs typed in on the account's page and sent by API: validated by
the service, kept in history, refused to outsiders (issue 10)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from kam.identification.models import AccountAssessment, BuyingCriterion
from kam.identification.rubric import WILLINGNESS_ANCHORS
from kam.testing.factories import make_unit
from kam.testing.personas import Persona, db_snapshot

pytestmark = pytest.mark.django_db

VALID = {
    "willingness": "7",
    "agreement_horizon_months": "36",
    "joint_initiatives": "2",
    "buying_criteria_count": "",
    "wallet_estimate": "1500000",
    "wallet_source": "Annual report 2025",
    "wallet_confidence": "medium",
    "note": "Sponsor: COO",
    "buying_criteria": "Price\nDelivery reliability\n\nprice",
}


def _url(unit) -> str:
    return reverse("identification:assessment", args=[unit.pk])


def test_the_page_shows_the_rubric_and_saves_with_history(client: Client, kam_a: Persona) -> None:
    client.force_login(kam_a.user)
    page = client.get(_url(kam_a.account))
    assert page.status_code == 200
    html = page.content.decode()
    for _score, text in WILLINGNESS_ANCHORS:
        assert str(text) in html
    assert 'id="assessment-history-empty"' in html

    response = client.post(_url(kam_a.account), VALID)
    assert response.status_code == 302
    saved = AccountAssessment.objects.get(account=kam_a.account)
    assert saved.willingness == 7
    assert saved.wallet_estimate == Decimal("1500000")
    assert saved.updated_by == kam_a.user
    names = set(
        BuyingCriterion.objects.filter(account=kam_a.account).values_list("name", flat=True)
    )
    assert names == {"Price", "Delivery reliability"}  # blank and repeated lines dropped

    response = client.post(_url(kam_a.account), {**VALID, "willingness": "9"})
    assert response.status_code == 302
    history = list(saved.history.order_by("history_date"))
    assert [h.willingness for h in history] == [7, 9]
    assert history[-1].history_user == kam_a.user
    html = client.get(_url(kam_a.account)).content.decode()
    assert 'id="assessment-history"' in html
    assert escape(str(kam_a.user)) in html


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("willingness", "11"),
        ("willingness", "-1"),
        ("willingness", "seven"),
        ("agreement_horizon_months", "100000"),
        ("joint_initiatives", "-2"),
        ("wallet_estimate", "-5"),
        ("wallet_estimate", "1e30"),
        ("wallet_confidence", "certain"),
        ("buying_criteria", "x" * 121),
    ],
)
def test_bad_input_on_the_page_is_a_400_and_changes_nothing(
    client: Client, kam_a: Persona, field: str, value: str
) -> None:
    client.force_login(kam_a.user)
    before = db_snapshot()
    response = client.post(_url(kam_a.account), {**VALID, field: value})
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert db_snapshot() == before


def test_a_sub_unit_has_no_inputs_page(client: Client, kam_a: Persona) -> None:
    site = make_unit("Plant", parent=kam_a.account)
    client.force_login(kam_a.user)
    assert client.get(_url(site)).status_code == 404


def test_outsiders(client: Client, users, kam_a: Persona, kam_b: Persona) -> None:
    # another KAM may read the inputs but not change them
    client.force_login(kam_b.user)
    page = client.get(_url(kam_a.account))
    assert page.status_code == 200
    assert 'id="read-only"' in page.content.decode()
    before = db_snapshot()
    assert client.post(_url(kam_a.account), VALID).status_code == 403
    assert db_snapshot() == before
    # a login without a role sees nothing
    client.force_login(users["outsider"])
    assert client.get(_url(kam_a.account)).status_code == 403
    assert client.post(_url(kam_a.account), VALID).status_code == 403
    assert db_snapshot() == before


def test_page_queries_are_bounded(client: Client, kam_a: Persona, django_assert_max_num_queries):
    client.force_login(kam_a.user)

    def grow(n: int) -> None:
        for i in range(n):
            client.post(_url(kam_a.account), {**VALID, "willingness": str(i % 11)})

    grow(3)
    with django_assert_max_num_queries(25):
        assert client.get(_url(kam_a.account)).status_code == 200
    grow(30)
    with django_assert_max_num_queries(25):
        assert client.get(_url(kam_a.account)).status_code == 200


# --- API -----------------------------------------------------------------------------------


def _api(kam: Persona, account) -> str:
    return f"/api/v1/identification/accounts/{account.pk}/assessment"


def test_api_reads_and_patches_with_history(client: Client, kam_a: Persona) -> None:
    url = _api(kam_a, kam_a.account)
    empty = client.get(url, headers=kam_a.headers)
    assert empty.status_code == 200
    assert empty.json()["willingness"] is None
    response = client.patch(
        url,
        {"willingness": 8, "wallet_estimate": "250000.50", "buying_criteria": ["Quality"]},
        content_type="application/json",
        headers=kam_a.headers,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["willingness"] == 8
    assert body["buying_criteria"] == ["Quality"]
    assert body["updated_by"] == "kam_a"
    # a partial change keeps the other fields
    response = client.patch(
        url, {"joint_initiatives": 1}, content_type="application/json", headers=kam_a.headers
    )
    assert response.json()["willingness"] == 8
    assert response.json()["buying_criteria"] == ["Quality"]
    saved = AccountAssessment.objects.get(account=kam_a.account)
    assert saved.history.count() == 2
    assert saved.history.latest().history_user == kam_a.user


@pytest.mark.parametrize(
    "body",
    [
        {"willingness": 11},
        {"willingness": -1},
        {"agreement_horizon_months": 100000},
        {"wallet_estimate": "-1"},
        {"wallet_confidence": "certain"},
        {"buying_criteria": ["x" * 121]},
        {"unknown": 1},
    ],
)
def test_api_refuses_bad_input_with_a_4xx(client: Client, kam_a: Persona, body: dict) -> None:
    before = db_snapshot()
    response = client.patch(
        _api(kam_a, kam_a.account), body, content_type="application/json", headers=kam_a.headers
    )
    assert 400 <= response.status_code < 500
    assert db_snapshot() == before


def test_api_outsiders(client: Client, users, kam_a: Persona, kam_b: Persona) -> None:
    url = _api(kam_a, kam_a.account)
    before = db_snapshot()
    response = client.patch(
        url, {"willingness": 3}, content_type="application/json", headers=kam_b.headers
    )
    assert response.status_code == 403
    assert db_snapshot() == before
    client.force_login(users["outsider"])
    assert client.get(url).status_code in (401, 403)
