"""The interaction log over the API."""

import datetime as dt

from kam.interactions.models import Interaction
from kam.testing.factories import ContactFactory, InteractionFactory, make_unit


def test_field_rep_logs_an_interaction_and_edits_own_entry(api_as, users):
    unit = make_unit("Acme")
    contact = ContactFactory()
    api = api_as("field_rep")
    created = api.post(
        "/interactions",
        {
            "type": "visit",
            "occurred_at": "2026-10-01T09:30:00+02:00",
            "unit_id": unit.pk,
            "summary": "Plant visit",
            "participant_ids": [users["field_rep"].pk],
            "contact_ids": [contact.pk],
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["contact_ids"] == [contact.pk]
    assert body["created_by_id"] == users["field_rep"].pk
    iid = body["id"]
    patched = api.patch(f"/interactions/{iid}", {"outcome": "Trial agreed", "contact_ids": []})
    assert patched.status_code == 200
    assert patched.json()["outcome"] == "Trial agreed"
    assert patched.json()["contact_ids"] == []
    assert api.get(f"/interactions/{iid}").status_code == 200
    assert api.delete(f"/interactions/{iid}").status_code == 200
    assert not Interaction.objects.exists()


def test_others_entries_need_change_rights_on_the_account(api_as, users):
    own = make_unit("Own", account_manager=users["kam"])
    entry = InteractionFactory(unit=own, created_by=users["executive"])
    assert (
        api_as("field_rep").patch(f"/interactions/{entry.pk}", {"summary": "X"}).status_code == 403
    )
    assert api_as("field_rep").delete(f"/interactions/{entry.pk}").status_code == 403
    assert api_as("kam").patch(f"/interactions/{entry.pk}", {"summary": "X"}).status_code == 200


def test_unknown_people_are_rejected(api_as):
    unit = make_unit("Acme")
    response = api_as("kam").post(
        "/interactions",
        {
            "type": "call",
            "occurred_at": "2026-10-01T09:30:00Z",
            "unit_id": unit.pk,
            "summary": "Call",
            "contact_ids": [424242],
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "contact_ids"
    assert not Interaction.objects.exists()


def test_filters_unit_subtree_dates_and_type(api_as):
    group = make_unit("Acme")
    plant = make_unit("Plant", parent=group)
    when = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)
    InteractionFactory(unit=plant, type="call", occurred_at=when, summary="in")
    InteractionFactory(unit=group, type="meeting", occurred_at=when + dt.timedelta(days=30))
    InteractionFactory(unit=make_unit("Beta"), type="call", occurred_at=when, summary="other")
    api = api_as("specialist")

    def summaries(query):
        return sorted(i["summary"] for i in api.get(f"/interactions?{query}").json()["items"])

    assert len(summaries(f"unit={plant.pk}")) == 1
    assert len(summaries(f"unit={group.pk}")) == 2
    assert summaries(f"unit={group.pk}&type=call") == ["in"]
    assert summaries("since=2026-05-15T00:00:00Z&until=2026-06-15") != []
    assert len(summaries("until=2026-05-02T00:00:00Z")) == 2
    assert api.get("/interactions?since=yesterday").status_code == 422
    assert api.get("/interactions?type=party").status_code == 422


def test_interactions_outsider_and_anonymous(api_as):
    unit = make_unit("Acme")
    entry = InteractionFactory(unit=unit)
    body = {
        "type": "call",
        "occurred_at": "2026-10-01T09:30:00Z",
        "unit_id": unit.pk,
        "summary": "x",
    }
    for who, status in (("outsider", 403), (None, 401)):
        api = api_as(who)
        assert api.get("/interactions").status_code == status
        assert api.get(f"/interactions/{entry.pk}").status_code == status
        assert api.post("/interactions", body).status_code == status
        assert api.patch(f"/interactions/{entry.pk}", {"summary": "y"}).status_code == status
        assert api.delete(f"/interactions/{entry.pk}").status_code == status
