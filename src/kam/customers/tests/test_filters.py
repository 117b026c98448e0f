"""One filter for the unit lists: the portfolio page and ``GET /api/v1/units`` agree."""

import pytest
from django.urls import reverse

from kam.api.services import token_create
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(db):
    berlin = make_unit("Alpha Foods", city="Berlin", industry="Food", country="DE")
    make_unit("Alpha Plant Berlin", parent=berlin, city="Berlin", industry="Food", country="DE")
    return {
        "berlin": berlin.pk,
        "hamburg": make_unit(
            "Beta", city="Hamburg", industry="food", country="DE", external_id="EXT-9"
        ).pk,
        "paris": make_unit("Berliner Paris", city="Paris", industry="Chemicals", country="FR").pk,
        "lyon": make_unit("Gamma", city="Lyon", industry="Chemicals", country="FR", tier="key").pk,
    }


def _page_ids(client, params: dict) -> set[int]:
    response = client.get(reverse("web:portfolio"), params)
    assert response.status_code == 200
    return {row.record.pk for row in response.context["table"].rows}


def _api_ids(client, token: str, params: dict) -> set[int]:
    response = client.get(
        "/api/v1/units", {**params, "depth": 1}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "berlin"}, {"berlin", "paris"}),  # the city of one, the name of the other
        ({"q": "ext-9"}, {"hamburg"}),  # the external id in any case
        ({"industry": "FOOD"}, {"berlin", "hamburg"}),  # any case
        ({"country": "fr"}, {"paris", "lyon"}),
        ({"tier": "key"}, {"lyon"}),
        ({"q": "a", "country": "DE", "industry": "food"}, {"berlin", "hamburg"}),
    ],
)
def test_the_portfolio_page_and_the_api_list_the_same_accounts(
    client_for, users, accounts, params, expected
):
    client = client_for("kam")
    _token, token = token_create(user=users["kam"], name="t", scope="read")
    wanted = {accounts[name] for name in expected}
    assert _page_ids(client, params) == wanted
    assert _api_ids(client, token, params) == wanted


@pytest.mark.parametrize(
    ("params", "api_status"),
    [
        ({"country": "XX"}, 400),  # the filter set refuses it
        ({"tier": "nonsense"}, 422),  # the API's schema refuses it first
    ],
)
def test_a_bad_filter_is_refused_on_both_surfaces(client_for, users, accounts, params, api_status):
    client = client_for("kam")
    _token, token = token_create(user=users["kam"], name="t", scope="read")
    page = client.get(reverse("web:portfolio"), params)
    api = client.get("/api/v1/units", params, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert page.status_code == 400
    assert api.status_code == api_status
    assert api.json()["errors"][0]["field"] == next(iter(params))
