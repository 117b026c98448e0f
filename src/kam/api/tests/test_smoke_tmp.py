from kam.testing.factories import make_unit


def test_smoke(api_as, users):
    api = api_as("admin")
    r = api.post("/units", {"name": "Acme", "kind": "group", "country": "de"})
    print(r.status_code, r.json())
    uid = r.json()["id"]
    r = api.post("/units", {"name": "Acme DE", "kind": "company", "parent_id": uid})
    print(r.status_code, r.json())
    r = api.get("/units")
    print(r.status_code, r.json())
    r = api.patch(f"/units/{uid}", {"parent_id": r.json()["items"][1]["id"]})
    print(r.status_code, r.json())
    r = api.get("/units/abc")
    print(r.status_code, r.json())
    r = api.post("/units", raw="{bad")
    print(r.status_code, r.json())
    r = api_as(None).get("/units")
    print(r.status_code, r.json())
    r = api_as("outsider").get("/units")
    print(r.status_code, r.json())
    r = api_as("kam", "read").post("/units", {"name": "x", "kind": "group"})
    print(r.status_code, r.json())
    make_unit("Other")
    assert 0
