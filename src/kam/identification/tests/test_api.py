"""The /api/v1/identification/ endpoints: allowed users, outsiders, bad input."""

import json

import pytest
from django.test import override_settings

from kam.api.services import token_create
from kam.customers.models import Unit
from kam.identification.models import Nomination, ScoringModel, ScoringRun
from kam.identification.selectors import scoring_model_active
from kam.identification.services import (
    assessment_update,
    nomination_create,
    scoring_run_execute,
)
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class Api:
    """A JSON client whose calls carry a personal token of one user (or none)."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _call(self, method: str, path: str, body=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        kwargs = {}
        if body is not None:
            kwargs = {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(self.client, method)(f"/api/v1/identification{path}", **kwargs, **headers)

    def get(self, path):
        return self._call("get", path)

    def post(self, path, body=None):
        return self._call("post", path, {} if body is None else body)


@pytest.fixture
def api_as(client, users, settings):
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]

    def make(who: str | None, scope: str = "read_write") -> Api:
        if who is None:
            return Api(client, None)
        _token, plain = token_create(user=users[who], name=f"{who} token", scope=scope)
        return Api(client, plain)

    return make


@pytest.fixture
def scored(sell, month, users):
    """Four scored accounts: Account 0–3, revenue 1000–4000, Steel/Food, DE/FR."""
    accounts = []
    for i in range(4):
        account = make_unit(
            f"Account {i}",
            industry="Steel" if i % 2 else "Food",
            country="FR" if i == 0 else "DE",
            account_manager=users["kam"],
        )
        sell(account, 1000 * (i + 1), month(2))
        accounts.append(account)
    assessment_update(account=accounts[3], willingness=9)
    scoring_run_execute(model=scoring_model_active())
    return accounts


# --- models --------------------------------------------------------------------------------


def test_models_are_listed_and_read_with_their_criteria(api_as, db):
    api = api_as("field_rep")
    page = api.get("/models")
    assert page.status_code == 200
    [model] = page.json()["items"]
    assert (model["version"], model["status"], model["min_score"]) == (1, "active", 60)
    detail = api.get("/models/1").json()
    assert [c["key"] for c in detail["criteria"]][:2] == ["revenue", "wallet"]
    assert sum(c["weight"] for c in detail["criteria"]) == 100
    assert api.get("/models?status=draft").json()["items"] == []
    assert api.get("/models/2").status_code == 404
    assert api.get("/models/0").status_code == 422
    assert api.get("/models?status=nonsense").status_code == 422


# --- scores --------------------------------------------------------------------------------


def test_scores_of_the_latest_run_with_filters_and_keyset_pages(api_as, scored):
    api = api_as("kam")
    body = api.get("/scores").json()
    run = ScoringRun.objects.get()
    assert (body["run_id"], body["model_version"], body["as_of"]) == (
        run.pk,
        1,
        run.as_of.isoformat(),
    )
    assert [s["rank"] for s in body["items"]] == [1, 2, 3, 4]
    assert body["items"][0]["account_name"] == "Account 3"
    first = api.get("/scores?limit=3").json()
    assert len(first["items"]) == 3
    assert first["next"]
    rest = api.get(f"/scores?limit=3&after={first['next']}").json()
    assert [s["rank"] for s in rest["items"]] == [4]
    assert rest["next"] is None
    names = lambda q: [s["account_name"] for s in api.get(f"/scores?{q}").json()["items"]]  # noqa: E731
    assert names("country=fr") == ["Account 0"]
    assert names("industry=steel") == ["Account 3", "Account 1"]
    assert names("q=account 2") == ["Account 2"]
    assert names("tier=key") == []
    assert names("scope=local") == names("")
    top = body["items"][0]["total"]
    assert names(f"min_score={top}") == ["Account 3"]
    candidates = [
        s["account_name"] for s in body["items"] if s["recommendation"] == "key_candidate"
    ]
    assert names("recommendation=key_candidate") == candidates


@pytest.mark.parametrize(
    "query",
    [
        "min_score=101",
        "min_score=-1",
        "min_score=nan",
        "min_score=abc",
        "recommendation=maybe",
        "scope=galactic",
        "tier=vip",
        "limit=0",
        "limit=100000",
    ],
)
def test_bad_score_filters_are_a_422(api_as, scored, query):
    response = api_as("kam").get(f"/scores?{query}")
    assert response.status_code == 422
    assert response.json()["code"] == "validation"


def test_a_bad_cursor_is_a_400(api_as, scored):
    response = api_as("kam").get("/scores?after=not-a-cursor")
    assert response.status_code == 400
    assert response.json()["code"] == "cursor"


def test_scores_before_any_run_are_an_empty_page(api_as, db):
    body = api_as("kam").get("/scores").json()
    assert body == {"run_id": None, "model_version": None, "as_of": None, "items": [], "next": None}


def test_an_accounts_score_is_explained(api_as, scored):
    account = scored[3]
    body = api_as("specialist").get(f"/accounts/{account.pk}/score").json()
    assert body["account_id"] == account.pk
    assert body["rank"] == 1
    assert body["model_version"] == 1
    keys = [c["key"] for c in body["breakdown"]]
    assert "revenue" in keys
    assert "willingness" in keys
    revenue = next(c for c in body["breakdown"] if c["key"] == "revenue")
    assert revenue["raw"] == 4000
    assert revenue["normalised"] == 1.0
    assert not revenue["gap"]
    assert round(sum(c["contribution"] for c in body["breakdown"]), 1) == round(body["total"], 1)
    assert any("threshold" in sentence for sentence in body["explanation"])
    assert set(body["gaps"]) <= set(keys)


def test_score_of_an_unknown_unscored_or_sub_unit_is_a_404(api_as, scored, sell, month):
    api = api_as("kam")
    assert api.get("/accounts/999999/score").status_code == 404
    fresh = make_unit("Fresh")
    assert api.get(f"/accounts/{fresh.pk}/score").status_code == 404
    plant = make_unit("Plant", parent=scored[0])
    response = api.get(f"/accounts/{plant.pk}/score")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- nominations ---------------------------------------------------------------------------


def test_a_kam_nominates_and_an_executive_approves(api_as, scored, users):
    account = scored[1]
    created = api_as("kam").post(
        "/nominations", {"account_id": account.pk, "rationale": "Wants a partnership"}
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["account_name"], body["nominated_by_id"]) == (
        "nominated",
        "Account 1",
        users["kam"].pk,
    )
    listed = api_as("field_rep").get("/nominations?status=nominated").json()["items"]
    assert [n["id"] for n in listed] == [body["id"]]
    assert api_as("field_rep").get(f"/nominations?account={scored[0].pk}").json()["items"] == []
    approved = api_as("executive").post(
        f"/nominations/{body['id']}/approve",
        {"reason": "Agreed", "effective_date": "2026-03-01", "scope": "global"},
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "key"
    assert approved.json()["review_due"] == "2027-03-01"
    assert Unit.objects.get(pk=account.pk).tier == "global"
    again = api_as("executive").post(f"/nominations/{body['id']}/approve")
    assert again.status_code == 400
    assert again.json()["code"] == "bad_state"


def test_only_executives_decide(api_as, scored, users):
    nomination = nomination_create(account=scored[0], user=users["kam"], rationale="Potential")
    for who in ("kam", "sales_manager", "field_rep", "specialist", "admin"):
        for step, body in (("approve", {}), ("reject", {"reason": "No"})):
            response = api_as(who).post(f"/nominations/{nomination.pk}/{step}", body)
            assert response.status_code == 403, (who, step)
            assert response.json()["code"] == "forbidden"
    nomination.refresh_from_db()
    assert nomination.status == "nominated"
    rejected = api_as("executive").post(f"/nominations/{nomination.pk}/reject", {"reason": "Small"})
    assert rejected.status_code == 200
    assert rejected.json()["decision_reason"] == "Small"


def test_nomination_input_is_checked(api_as, scored, users):
    api = api_as("kam")
    empty = api.post("/nominations", {"account_id": scored[0].pk, "rationale": "  "})
    assert empty.status_code == 400
    assert empty.json()["errors"][0]["field"] == "rationale"
    assert api.post("/nominations", {"account_id": 999999, "rationale": "x"}).status_code == 400
    assert api.post("/nominations", {"account_id": scored[0].pk}).status_code == 422
    extra = {"account_id": scored[0].pk, "rationale": "x", "status": "key"}
    assert api.post("/nominations", extra).status_code == 422
    plant = make_unit("Plant", parent=scored[0])
    assert api.post("/nominations", {"account_id": plant.pk, "rationale": "x"}).status_code == 400
    assert (
        api_as("field_rep")
        .post("/nominations", {"account_id": scored[0].pk, "rationale": "x"})
        .status_code
        == 403
    )
    nomination = nomination_create(account=scored[1], user=users["kam"], rationale="Potential")
    boss = api_as("executive")
    assert boss.post(f"/nominations/{nomination.pk}/reject", {"reason": ""}).status_code == 400
    assert boss.post(f"/nominations/{nomination.pk}/reject", {}).status_code == 422
    bad_date = {"effective_date": "9999-12-31"}
    assert boss.post(f"/nominations/{nomination.pk}/approve", bad_date).status_code == 422
    assert boss.post(f"/nominations/{nomination.pk}/approve", {"scope": "x"}).status_code == 422
    assert boss.post("/nominations/999999/approve").status_code == 404
    assert api.get("/nominations?status=maybe").status_code == 422
    assert Nomination.objects.get().status == "nominated"


def test_a_read_only_token_cannot_nominate(api_as, scored):
    api = api_as("kam", scope="read")
    response = api.post("/nominations", {"account_id": scored[0].pk, "rationale": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "scope"


# --- runs ----------------------------------------------------------------------------------


@override_settings(TASKS=IMMEDIATE_TASKS)
def test_a_scoring_manager_queues_a_run_and_follows_it(
    api_as, scored, django_capture_on_commit_callbacks
):
    api = api_as("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/runs", {"as_of": "2026-01-31"})
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["as_of"], body["model_version"]) == ("queued", "2026-01-31", 1)
    run = api_as("field_rep").get(f"/runs/{body['id']}").json()
    assert (run["status"], run["progress"], run["accounts_count"]) == ("done", 100, 4)


def test_runs_need_the_scoring_permission_and_sane_input(api_as, db):
    for who in ("kam", "sales_manager", "field_rep", "specialist"):
        assert api_as(who).post("/runs").status_code == 403
    api = api_as("executive")
    assert api.post("/runs", {"as_of": "2999-01-01"}).status_code == 422
    assert api.post("/runs", {"as_of": "0001-01-01"}).status_code == 422
    assert api.post("/runs", {"model": 3}).status_code == 422
    assert api.get("/runs/999").status_code == 404
    assert not ScoringRun.objects.exists()
    ScoringModel.objects.update(status="archived")
    response = api.post("/runs")
    assert response.status_code == 400
    assert response.json()["code"] == "no_model"


# --- outsiders -----------------------------------------------------------------------------


def test_outsiders_and_anonymous_callers_are_refused_everywhere(api_as, scored, users):
    nomination = nomination_create(account=scored[0], user=users["kam"], rationale="Potential")
    run = ScoringRun.objects.get()
    reads = [
        "/models",
        "/models/1",
        "/scores",
        f"/accounts/{scored[0].pk}/score",
        "/nominations",
        f"/runs/{run.pk}",
    ]
    writes = [
        ("/nominations", {"account_id": scored[1].pk, "rationale": "x"}),
        (f"/nominations/{nomination.pk}/approve", {}),
        (f"/nominations/{nomination.pk}/reject", {"reason": "x"}),
        ("/runs", {}),
    ]
    for who, status in (("outsider", 403), (None, 401)):
        api = api_as(who)
        for path in reads:
            assert api.get(path).status_code == status, (who, path)
        for path, body in writes:
            assert api.post(path, body).status_code == status, (who, path)
    assert Nomination.objects.count() == 1
    assert ScoringRun.objects.count() == 1


def test_the_session_of_a_logged_in_user_works_too(client_for, scored):
    response = client_for("kam").get("/api/v1/identification/scores")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 4
    assert client_for("outsider").get("/api/v1/identification/scores").status_code == 403


def test_score_list_query_count_does_not_grow(api_as, scored, django_assert_max_num_queries):
    api = api_as("kam")
    with django_assert_max_num_queries(10) as small:
        api.get("/scores")
    for i in range(20):
        make_unit(f"More {i}")
    scoring_run_execute(model=scoring_model_active())
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(api.get("/scores").json()["items"]) == 24


def test_a_model_carries_its_matrix_and_review_configuration(api_as, db):
    detail = api_as("field_rep").get("/models/1").json()
    weights = (
        detail["matrix_share_weight"],
        detail["matrix_position_weight"],
        detail["matrix_stage_weight"],
    )
    assert weights == (0.5, 0.3, 0.2)
    cut_offs = (detail["matrix_attractiveness_cutoff"], detail["matrix_strength_cutoff"])
    assert cut_offs == (5, 1)
    axis = (detail["matrix_axis_min"], detail["matrix_axis_max"])
    assert axis == (0.33, 3)
    assert detail["matrix_competitor_position"] == 0.5
    assert detail["review_months"] == 12
