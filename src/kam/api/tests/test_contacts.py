"""Contacts and their positions (employments) over the API."""

from kam.customers.models import Contact, Employment
from kam.testing.factories import ContactFactory, EmploymentFactory, make_unit


def test_contact_crud_as_account_manager(api_as, users):
    unit = make_unit("Own", account_manager=users["kam"])
    api = api_as("kam")
    created = api.post(
        "/contacts",
        {
            "first_name": "Anna",
            "last_name": "Berg",
            "email": "anna@acme.test",
            "unit_id": unit.pk,
            "title": "CPO",
            "function": "purchasing",
        },
    )
    assert created.status_code == 201
    cid = created.json()["id"]
    assert Employment.objects.get(contact_id=cid).unit == unit
    assert api.get(f"/contacts/{cid}").json()["last_name"] == "Berg"
    patched = api.patch(f"/contacts/{cid}", {"phone": "+49 1"})
    assert patched.status_code == 200
    assert patched.json()["phone"] == "+49 1"
    assert api.delete(f"/contacts/{cid}").status_code == 200
    assert not Contact.objects.filter(pk=cid).exists()


def test_contact_of_another_account_cannot_be_changed_by_kam(api_as):
    other = make_unit("Other")
    emp = EmploymentFactory(unit=other)
    api = api_as("kam")
    assert api.get(f"/contacts/{emp.contact_id}").status_code == 200
    assert api.patch(f"/contacts/{emp.contact_id}", {"phone": "1"}).status_code == 403
    assert api.delete(f"/contacts/{emp.contact_id}").status_code == 403
    assert api.post("/contacts", {"last_name": "X", "unit_id": other.pk}).status_code == 403
    assert (
        api_as("executive").patch(f"/contacts/{emp.contact_id}", {"phone": "1"}).status_code == 200
    )


def test_contact_validation(api_as):
    api = api_as("admin")
    response = api.post("/contacts", {"first_name": "", "last_name": ""})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "last_name"
    response = api.post("/contacts", {"last_name": "X", "email": "not-an-email"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"
    response = api.post("/contacts", {"last_name": "X", "shoe_size": 44})
    assert response.status_code == 422


def test_contacts_outsider_and_anonymous(api_as):
    contact = ContactFactory()
    for who, status in (("outsider", 403), (None, 401)):
        api = api_as(who)
        assert api.get("/contacts").status_code == status
        assert api.get(f"/contacts/{contact.pk}").status_code == status
        assert api.post("/contacts", {"last_name": "X"}).status_code == status
        assert api.patch(f"/contacts/{contact.pk}", {"last_name": "Y"}).status_code == status
        assert api.delete(f"/contacts/{contact.pk}").status_code == status


def test_contact_filters(api_as):
    group = make_unit("Acme")
    plant = make_unit("Plant", parent=group)
    EmploymentFactory(unit=plant, contact=ContactFactory(first_name="Ida", last_name="Lund"))
    EmploymentFactory(unit=make_unit("Beta"), contact=ContactFactory(last_name="Other"))
    gone = EmploymentFactory(unit=plant, contact=ContactFactory(last_name="Gone"))
    gone.end_date = gone.start_date
    gone.save()
    api = api_as("specialist")
    assert [c["last_name"] for c in api.get("/contacts?q=lund").json()["items"]] == ["Lund"]
    in_group = api.get(f"/contacts?unit={group.pk}").json()["items"]
    assert [c["last_name"] for c in in_group] == ["Lund"]


def test_employment_crud_and_reporting_loop(api_as, users):
    unit = make_unit("Own", account_manager=users["kam"])
    boss = EmploymentFactory(unit=unit)
    contact = ContactFactory()
    api = api_as("kam")
    created = api.post(
        "/employments",
        {
            "contact_id": contact.pk,
            "unit_id": unit.pk,
            "title": "Buyer",
            "function": "purchasing",
            "reports_to_id": boss.pk,
            "start_date": "2024-01-01",
        },
    )
    assert created.status_code == 201
    eid = created.json()["id"]
    assert created.json()["reports_to_id"] == boss.pk
    assert api.get(f"/employments?contact={contact.pk}").json()["items"][0]["id"] == eid

    loop = api.patch(f"/employments/{boss.pk}", {"reports_to_id": eid})
    assert loop.status_code == 400
    assert loop.json()["code"] == "cycle"

    bad_dates = api.patch(f"/employments/{eid}", {"end_date": "2023-01-01"})
    assert bad_dates.status_code == 400
    assert bad_dates.json()["errors"][0]["field"] == "end_date"

    ended = api.patch(f"/employments/{eid}", {"end_date": "2025-06-30", "reports_to_id": None})
    assert ended.status_code == 200
    assert ended.json()["end_date"] == "2025-06-30"
    assert ended.json()["reports_to_id"] is None
    assert api.get(f"/employments?unit={unit.pk}&current=true").json()["items"][0]["id"] == boss.pk

    assert api.delete(f"/employments/{eid}").status_code == 200
    assert not Employment.objects.filter(pk=eid).exists()


def test_a_refused_manager_saves_none_of_the_other_fields(api_as, users):
    unit = make_unit("Own", account_manager=users["kam"])
    boss = EmploymentFactory(unit=unit, title="Head of purchasing")
    worker = EmploymentFactory(unit=unit, title="Buyer", reports_to=boss)
    response = api_as("kam").patch(
        f"/employments/{boss.pk}", {"title": "Chief buyer", "reports_to_id": worker.pk}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "cycle"
    boss.refresh_from_db()
    assert boss.title == "Head of purchasing"
    assert boss.reports_to_id is None


def test_employment_permissions(api_as):
    other = make_unit("Other")
    emp = EmploymentFactory(unit=other)
    api = api_as("kam")
    assert api.get(f"/employments/{emp.pk}").status_code == 200
    assert api.patch(f"/employments/{emp.pk}", {"title": "X"}).status_code == 403
    assert api.delete(f"/employments/{emp.pk}").status_code == 403
    assert api_as("outsider").get(f"/employments/{emp.pk}").status_code == 403
    assert api_as(None).get("/employments").status_code == 401
