"""One filter per identification list: the pages and the API return the same accounts."""

from typing import Any

import pytest
from django.urls import reverse

from kam.api.services import token_create
from kam.identification.selectors import scoring_model_active
from kam.identification.services import (
    nomination_approve,
    nomination_create,
    scoring_run_execute,
)
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def surfaces(client_for, users, settings):
    """(web client, api get) of the executive."""
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    client = client_for("executive")
    _token, plain = token_create(user=users["executive"], name="t", scope="read")

    def api_get(path: str, params: dict):
        response = client.get(f"/api/v1{path}", params, HTTP_AUTHORIZATION=f"Bearer {plain}")
        assert response.status_code == 200, response.content
        return response.json()

    return client, api_get


@pytest.fixture
def accounts(sell, month):
    spec: dict[str, dict[str, Any]] = {
        "steel_de": {"industry": "Steel", "country": "DE", "external_id": "ACC-1"},
        "steel_fr": {"industry": "steel", "country": "FR"},
        "food_de": {"industry": "Food", "country": "DE", "name": "Steelworks Canteen"},
        "food_fr": {"industry": "FOOD", "country": "FR"},
    }
    made = {}
    for i, (key, fields) in enumerate(spec.items()):
        name = fields.pop("name", f"Account {i}")
        made[key] = make_unit(name, **fields)
        sell(made[key], 1000 * (i + 1), month(2))
    scoring_run_execute(model=scoring_model_active())
    return made


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"industry": "STEEL"}, {"steel_de", "steel_fr"}),  # any case on both surfaces
        ({"country": "fr"}, {"steel_fr", "food_fr"}),
        ({"q": "acc-1"}, {"steel_de"}),  # the external id in any case
        ({"q": "steel"}, {"food_de"}),  # the name, not the industry
        ({"industry": "food", "country": "DE"}, {"food_de"}),
    ],
)
def test_the_scores_page_and_the_api_list_the_same_accounts(surfaces, accounts, params, expected):
    client, api_get = surfaces
    response = client.get(reverse("identification:scores"), params)
    assert response.status_code == 200
    page_ids = {score.account_id for score in response.context["rows"]}
    api_ids = {item["account_id"] for item in api_get("/identification/scores", params)["items"]}
    wanted = {accounts[key].pk for key in expected}
    assert page_ids == wanted
    assert api_ids == wanted


def test_a_bad_score_filter_is_a_400_on_both_surfaces(surfaces, accounts, users):
    client, _api_get = surfaces
    _token, plain = token_create(user=users["executive"], name="t2", scope="read")
    page = client.get(reverse("identification:scores"), {"country": "XX"})
    api = client.get(
        "/api/v1/identification/scores", {"country": "XX"}, HTTP_AUTHORIZATION=f"Bearer {plain}"
    )
    assert page.status_code == 400
    assert api.status_code == 400
    assert api.json()["errors"][0]["field"] == "country"


@pytest.fixture
def nominations(accounts, users):
    made = {
        key: nomination_create(account=accounts[key], user=users["kam"], rationale="Growing")
        for key in ("steel_de", "steel_fr", "food_de")
    }
    nomination_approve(
        nomination=made["food_de"], user=users["executive"], account_manager=users["kam"]
    )
    return made


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "key"}, {"food_de"}),
        ({"status": "nominated"}, {"steel_de", "steel_fr"}),
        ({"status": ["nominated", "key"]}, {"steel_de", "steel_fr", "food_de"}),
        ({"status": "nominated", "account": "steel_fr"}, {"steel_fr"}),
    ],
)
def test_the_nominations_queue_and_the_api_list_the_same_nominations(
    surfaces, accounts, nominations, params, expected
):
    client, api_get = surfaces
    if "account" in params:
        params = {**params, "account": accounts[params["account"]].pk}
    response = client.get(reverse("identification:nominations"), params)
    assert response.status_code == 200
    page_ids = {n.pk for n in response.context["rows"]}
    api_ids = {item["id"] for item in api_get("/identification/nominations", params)["items"]}
    wanted = {nominations[key].pk for key in expected}
    assert page_ids == wanted
    assert api_ids == wanted
