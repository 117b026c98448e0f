"""Plan sections through the API: customer objectives, SWOT, strategies and risks are written
with the plan's revision, the same rules as on the plan page."""

from __future__ import annotations

from kam.customers.models import Contact, Employment
from kam.planning.models import AccountPlan, CustomerObjective, Risk, SwotItem
from kam.planning.tests.conftest import PlanWorld
from kam.planning.tests.test_api import call
from kam.testing.factories import UserFactory
from kam.testing.personas import Persona, db_snapshot


def _revision(w: PlanWorld) -> int:
    return AccountPlan.objects.get(pk=w.plan.pk).revision


def test_a_kam_writes_every_section_through_the_api(world: PlanWorld, kam_a: Persona) -> None:
    contact = Contact.objects.create(first_name="Ines", last_name="Buyer")
    Employment.objects.create(contact=contact, unit=kam_a.account, title="Head of purchasing")
    base = f"/plans/{world.plan.pk}/sections"
    r = call(
        "POST",
        f"{base}/customer_objectives",
        kam_a.headers,
        {
            "revision": _revision(world),
            "text": "Cut energy cost by 10 %",
            "told_by": "Ines",
            "contact_id": contact.pk,
            "confirmed": True,
        },
    )
    assert r.status_code == 201, r.content
    goal = CustomerObjective.objects.get(pk=r.json()["id"])
    assert (goal.contact_id, goal.confirmed) == (contact.pk, True)
    r = call(
        "POST",
        f"{base}/swot",
        kam_a.headers,
        {"revision": _revision(world), "kind": "threat", "text": "A cheaper rival"},
    )
    assert r.status_code == 201, r.content
    assert SwotItem.objects.get(pk=r.json()["id"]).kind == "threat"
    r = call(
        "POST",
        f"{base}/risks",
        kam_a.headers,
        {"revision": _revision(world), "text": "Champion retires", "mitigation": "Meet the heir"},
    )
    assert r.status_code == 201, r.content
    risk_id = r.json()["id"]
    r = call(
        "PATCH",
        f"{base}/risks/{risk_id}",
        kam_a.headers,
        {"revision": _revision(world), "mitigation": "Meet the heir twice"},
    )
    assert r.status_code == 200, r.content
    assert Risk.objects.get(pk=risk_id).mitigation == "Meet the heir twice"
    detail = call("GET", f"/plans/{world.plan.pk}", kam_a.headers).json()
    assert [i["text"] for i in detail["risks"]] == ["Champion retires"]
    assert detail["customer_objectives"][0]["contact_id"] == contact.pk
    r = call("DELETE", f"{base}/risks/{risk_id}?revision={_revision(world)}", kam_a.headers)
    assert r.status_code == 200, r.content
    assert not Risk.objects.filter(pk=risk_id).exists()


def test_a_stale_revision_is_a_conflict_and_writes_nothing(
    world: PlanWorld, kam_a: Persona
) -> None:
    stale = _revision(world)
    call(
        "POST",
        f"/plans/{world.plan.pk}/sections/strategies",
        kam_a.headers,
        {"revision": stale, "text": "Bundle service"},
    )
    before = db_snapshot()
    r = call(
        "POST",
        f"/plans/{world.plan.pk}/sections/strategies",
        kam_a.headers,
        {"revision": stale, "text": "Sell the platform"},
    )
    assert r.status_code == 409
    assert db_snapshot() == before


def test_bad_section_input_is_a_clear_400(world: PlanWorld, kam_a: Persona) -> None:
    base = f"/plans/{world.plan.pk}/sections"
    stranger = Contact.objects.create(first_name="Sam", last_name="Elsewhere")
    before = db_snapshot()
    r = call(
        "POST",
        f"{base}/strategies",
        kam_a.headers,
        {"revision": _revision(world), "text": "x", "mitigation": "not a strategy's"},
    )
    assert r.status_code == 400
    assert "mitigation" in r.json()["message"]
    r = call(
        "POST",
        f"{base}/swot",
        kam_a.headers,
        {"revision": _revision(world), "kind": "luck", "text": "x"},
    )
    assert r.status_code in (400, 422)
    r = call("POST", f"{base}/risks", kam_a.headers, {"revision": _revision(world), "text": "  "})
    assert r.status_code == 400
    r = call("POST", f"{base}/goals", kam_a.headers, {"revision": _revision(world), "text": "x"})
    assert r.status_code in (400, 404, 422)
    r = call(
        "POST",
        f"{base}/customer_objectives",
        kam_a.headers,
        {"revision": _revision(world), "text": "x", "contact_id": stranger.pk},
    )
    assert r.status_code == 400
    assert db_snapshot() == before


def test_a_user_without_a_role_cannot_write_a_section(world: PlanWorld) -> None:
    from kam.planning.tests.test_api import _token

    nobody = UserFactory(role="")
    headers = _token(nobody)
    before = db_snapshot()
    r = call(
        "POST",
        f"/plans/{world.plan.pk}/sections/risks",
        headers,
        {"revision": _revision(world), "text": "Mine"},
    )
    assert r.status_code in (403, 404)
    assert db_snapshot() == before
