"""Units over the API: CRUD, moves in the tree, permissions per account."""

import datetime as dt

from kam.customers.models import Unit
from kam.sales.services import transactions_create
from kam.testing.factories import ProductFactory, make_unit


def test_admin_creates_reads_updates_and_deletes_a_unit(api_as):
    api = api_as("admin")
    created = api.post(
        "/units",
        {
            "name": "Acme Group",
            "kind": "group",
            "country": "de",
            "external_id": "ACME",
            "turnover": "1234.50",
            "employees": 500,
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["country"] == "DE"
    assert body["parent_id"] is None
    assert body["depth"] == 1
    child = api.post(
        "/units", {"name": "Acme GmbH", "kind": "company", "parent_external_id": "ACME"}
    ).json()
    assert child["parent_id"] == body["id"]
    assert child["parent_external_id"] == "ACME"

    read = api.get(f"/units/{child['id']}")
    assert read.status_code == 200
    assert read.json()["name"] == "Acme GmbH"

    patched = api.patch(f"/units/{body['id']}", {"city": "Berlin"})
    assert patched.status_code == 200
    assert patched.json()["city"] == "Berlin"

    assert api.delete(f"/units/{body['id']}").status_code == 200
    assert not Unit.objects.exists()
    assert api.get(f"/units/{child['id']}").status_code == 404


def test_patch_parent_moves_the_subtree_and_null_makes_it_top_level(api_as):
    a, b = make_unit("A"), make_unit("B")
    a1 = make_unit("A1", parent=a)
    make_unit("A1x", parent=a1)
    api = api_as("admin")
    moved = api.patch(f"/units/{a1.pk}", {"parent_id": b.pk})
    assert moved.status_code == 200
    assert moved.json()["parent_id"] == b.pk
    assert Unit.objects.get(name="A1x").path.startswith(Unit.objects.get(pk=b.pk).path)
    top = api.patch(f"/units/{a1.pk}", {"parent_id": None})
    assert top.json()["parent_id"] is None
    assert top.json()["depth"] == 1


def test_moving_under_own_descendant_is_a_cycle(api_as):
    a = make_unit("A")
    a1 = make_unit("A1", parent=a)
    response = api_as("admin").patch(f"/units/{a.pk}", {"parent_id": a1.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "cycle"
    assert Unit.objects.get(pk=a.pk).depth == 1


def test_a_refused_move_saves_none_of_the_other_fields(api_as):
    a = make_unit("A", city="Lyon")
    a1 = make_unit("A1", parent=a)
    response = api_as("admin").patch(
        f"/units/{a.pk}", {"name": "A renamed", "city": "Paris", "parent_id": a1.pk}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "cycle"
    unit = Unit.objects.get(pk=a.pk)
    assert (unit.name, unit.city) == ("A", "Lyon")


def test_kam_changes_own_account_only(api_as, users):
    own = make_unit("Own", account_manager=users["kam"])
    other = make_unit("Other")
    api = api_as("kam")
    assert api.patch(f"/units/{own.pk}", {"city": "Oslo"}).status_code == 200
    assert (
        api.post("/units", {"name": "Site", "kind": "site", "parent_id": own.pk}).status_code == 201
    )
    assert api.patch(f"/units/{other.pk}", {"city": "Oslo"}).status_code == 403
    assert (
        api.post("/units", {"name": "S", "kind": "site", "parent_id": other.pk}).status_code == 403
    )
    assert api.post("/units", {"name": "Top", "kind": "group"}).status_code == 403
    assert api.delete(f"/units/{other.pk}").status_code == 403
    # moving own unit under someone else's account is refused too
    assert api.patch(f"/units/{own.pk}", {"parent_id": other.pk}).status_code == 403
    # but everyone internal reads everything
    assert api.get(f"/units/{other.pk}").status_code == 200


def test_outsider_and_anonymous_are_refused(api_as):
    unit = make_unit("Acme")
    for who, status in (("outsider", 403), (None, 401)):
        api = api_as(who)
        assert api.get("/units").status_code == status
        assert api.get(f"/units/{unit.pk}").status_code == status
        assert api.post("/units", {"name": "X", "kind": "group"}).status_code == status
        assert api.patch(f"/units/{unit.pk}", {"name": "Y"}).status_code == status
        assert api.delete(f"/units/{unit.pk}").status_code == status
    assert Unit.objects.get(pk=unit.pk).name == "Acme"


def test_unknown_and_non_numeric_ids(api_as):
    api = api_as("admin")
    assert api.get("/units/999999").json()["code"] == "not_found"
    assert api.get("/units/999999").status_code == 404
    assert api.get("/units/abc").status_code == 422
    assert api.get("/units/99999999999999999999999").status_code == 422
    response = api.post("/units", {"name": "X", "kind": "company", "parent_id": 424242})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "parent_id"


def test_duplicate_external_id_is_409(api_as):
    make_unit("Acme", external_id="ACME")
    response = api_as("admin").post("/units", {"name": "B", "kind": "group", "external_id": "ACME"})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_unit_with_sales_cannot_be_deleted(api_as):
    unit = make_unit("Acme")
    product = ProductFactory()
    transactions_create(
        rows=[
            {
                "date": dt.date(2026, 1, 5),
                "unit_id": unit.pk,
                "product_id": product.pk,
                "net_amount": 10,
            }
        ]
    )
    response = api_as("admin").delete(f"/units/{unit.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "in_use"
    assert Unit.objects.filter(pk=unit.pk).exists()


def test_list_filters(api_as):
    group = make_unit("Acme Group", country="DE", industry="Chemicals", tier="key")
    make_unit("Acme France", parent=group, country="FR")
    make_unit("Beta", country="FR", industry="Food")
    api = api_as("field_rep")

    def names(query):
        return sorted(u["name"] for u in api.get(f"/units?{query}").json()["items"])

    assert names("q=acme") == ["Acme France", "Acme Group"]
    assert names("country=FR") == ["Acme France", "Beta"]
    assert names("industry=food") == ["Beta"]
    assert names("tier=key") == ["Acme Group"]
    assert names(f"parent={group.pk}") == ["Acme France"]
    assert names("depth=1") == ["Acme Group", "Beta"]
    assert names("parent=987654") == []
    assert api.get("/units?tier=platinum").status_code == 422


def test_stale_version_is_409_and_nothing_is_overwritten(api_as):
    unit = make_unit("Acme")
    api = api_as("admin")
    version = api.get(f"/units/{unit.pk}").json()["version"]
    first = api.patch(f"/units/{unit.pk}", {"city": "Oslo", "version": version})
    assert first.status_code == 200
    stale = api.patch(f"/units/{unit.pk}", {"city": "Bergen", "version": version})
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert Unit.objects.get(pk=unit.pk).city == "Oslo"
