"""Bad input gets a 4xx with a JSON explanation, never a 500."""

import pytest

from kam.customers.models import Unit
from kam.testing.factories import make_unit


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        # not JSON at all: the body cannot be read
        ("{bad json", 400, "bad_request"),
        ('{"name": "x", "kind": "group"', 400, "bad_request"),
        ("\xff", 400, "bad_request"),
        # JSON, but not an object with the unit's fields
        ("[1, 2]", 422, "validation"),
        ("null", 422, "validation"),
        ('"text"', 422, "validation"),
        ("42", 422, "validation"),
    ],
)
def test_malformed_bodies(api_as, raw, status, code):
    response = api_as("admin").post("/units", raw=raw)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Unit.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": 5, "kind": "group"}, "name"),
        ({"name": "x", "kind": "galaxy"}, "kind"),
        ({"name": "x", "kind": "group", "employees": 10**30}, "employees"),
        ({"name": "x", "kind": "group", "employees": -1}, "employees"),
        ({"name": "x", "kind": "group", "turnover": "1e400"}, "turnover"),
        ({"name": "x", "kind": "group", "turnover": "NaN"}, "turnover"),
        ({"name": "x", "kind": "group", "parent_id": 10**30}, "parent_id"),
        ({"name": "x" * 201, "kind": "group"}, "name"),
        ({"name": "nul\x00byte", "kind": "group"}, "name"),
        ({"name": "x", "kind": "group", "external_id": ""}, "external_id"),
        ({"kind": "group"}, "name"),
    ],
)
def test_wrong_values_are_422_with_field(api_as, body, field):
    response = api_as("admin").post("/units", body)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}


def test_bad_country_is_400_from_the_service(api_as):
    response = api_as("admin").post("/units", {"name": "x", "kind": "group", "country": "1"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "country", "message": "Country must be a two-letter ISO code."}
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/units/-1",
        "/units/0",
        "/units/1.5",
        "/units/%00",
        "/contacts/abc",
        "/employments/9999999999999999999999",
        "/opportunities/ten",
        "/interactions/1e3",
        "/units?q=%00",
        "/units?depth=abc",
        "/interactions?since=2026-13-45",
        "/interactions?until=99999-01-01",
        "/opportunities?stage=unknown",
        "/contacts?unit=-5",
    ],
)
def test_bad_paths_and_queries(api_as, path):
    response = api_as("admin").get(path)
    assert 400 <= response.status_code < 500
    assert "code" in response.json()


def test_bad_dates_in_bodies(api_as):
    unit = make_unit("Acme")
    api = api_as("admin")
    for value in ["2026-02-30", "yesterday", "0000-01-01", 12]:
        response = api.post(
            "/opportunities", {"unit_id": unit.pk, "name": "x", "expected_close": value}
        )
        assert response.status_code == 422, value
        assert response.json()["errors"][0]["field"] == "expected_close"


def test_patch_with_null_for_required_field(api_as):
    unit = make_unit("Acme")
    response = api_as("admin").patch(f"/units/{unit.pk}", {"name": None})
    assert response.status_code == 422
    assert Unit.objects.get(pk=unit.pk).name == "Acme"


def test_unknown_route_under_api_is_404(api_as):
    assert api_as("admin").get("/nothing-here").status_code == 404
