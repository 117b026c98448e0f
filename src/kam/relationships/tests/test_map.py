"""The relationship map, the coverage matrix and warm paths on small hand-built accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.customers.models import Contact, Employment, Unit
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.relationships.graph import map_graph
from kam.relationships.heatmap import coverage_matrix
from kam.relationships.models import BuyingRole, ContactStance, LinkStrength, OurLink
from kam.relationships.network import account_network
from kam.relationships.paths import MAX_HOPS, build_adjacency, search, warm_paths
from kam.testing.factories import UserFactory, make_unit
from kam.testing.personas import Persona, db_snapshot


def person(
    unit: Unit,
    name: str,
    *,
    function: str = "purchasing",
    seniority: str = "middle",
    boss: Employment | None = None,
    title: str = "",
) -> Employment:
    first, _sep, last = name.partition(" ")
    contact = Contact.objects.create(first_name=first, last_name=last or "X")
    return Employment.objects.create(
        contact=contact,
        unit=unit,
        function=function,
        seniority=seniority,
        reports_to=boss,
        title=title,
        start_date=dt.date(2020, 1, 1),
    )


def link(user: User, emp: Employment, strength: float, level: int | None = None) -> None:
    if strength:
        LinkStrength.objects.create(
            user=user, contact=emp.contact, strength=strength, as_of=timezone.localdate()
        )
    if level is not None:
        OurLink.objects.create(user=user, contact=emp.contact, level=level)


@dataclass
class Acme:
    account: Unit
    site: Unit
    ceo: Employment
    cfo: Employment
    target: Employment
    buyer: Employment
    loner: Employment
    anna: User
    ben: User
    carl: User


@pytest.fixture
def acme(kam_a: Persona) -> Acme:
    """CEO ← CFO ← target; CEO ← buyer; a loner. Anna knows the CFO well, Carl a little;
    Ben knows the CEO and the buyer."""
    account = kam_a.account
    site = make_unit("Acme plant", parent=account, kind="site")
    ceo = person(account, "Cora Chief", function="management", seniority="board", title="CEO")
    cfo = person(
        account, "Finn Money", function="finance", seniority="senior", boss=ceo, title="CFO"
    )
    target = person(site, "Tara Target", function="purchasing", boss=cfo, title="Buyer lead")
    buyer = person(site, "Bert Buyer", function="purchasing", boss=ceo)
    loner = person(site, "Lone Wolf", function="quality")
    anna = kam_a.user
    anna.first_name, anna.last_name = "Anna", "A"
    anna.save()
    ben = UserFactory(username="ben", first_name="Ben", last_name="B", role="field_rep")
    carl = UserFactory(username="carl", first_name="Carl", last_name="C", role="specialist")
    link(anna, cfo, 5.0, level=3)
    link(carl, cfo, 1.0)
    link(ben, ceo, 2.0)
    link(ben, buyer, 1.0)
    BuyingRole.objects.create(account=account, contact=cfo.contact, role="decider")
    BuyingRole.objects.create(account=account, contact=buyer.contact, role="buyer")
    ContactStance.objects.create(account=account, contact=cfo.contact, attitude="champion")
    return Acme(account, site, ceo, cfo, target, buyer, loner, anna, ben, carl)


# --- warm paths ----------------------------------------------------------------------------


def test_search_on_a_hand_built_graph_is_shortest_then_strongest() -> None:
    adj: Any = {
        "u1": [("c1", "knows", 0.9)],
        "u2": [("c1", "knows", 0.3)],
        "u3": [("c2", "knows", 1.0)],
        "c1": [("u1", "known_by", 0.9), ("u2", "known_by", 0.3), ("c9", "manages", 0.5)],
        "c2": [("u3", "known_by", 1.0), ("c3", "manages", 0.5)],
        "c3": [("c2", "reports_to", 0.5), ("c9", "manages", 0.5)],
        "c9": [("c1", "reports_to", 0.5), ("c3", "reports_to", 0.5)],
    }
    found = search(adj, "c9", k=5)
    assert [nodes for nodes, _w in found] == [
        ("u1", "c1", "c9"),  # two hops, 0.9 × 0.5
        ("u2", "c1", "c9"),  # two hops, 0.3 × 0.5
        ("u3", "c2", "c3", "c9"),  # three hops
    ]
    assert found[0][1] == (0.9, 0.5)
    assert search(adj, "c9", k=1) == [(("u1", "c1", "c9"), (0.9, 0.5))]


def test_search_finds_nothing_when_unreachable() -> None:
    adj: Any = {"u1": [("c1", "knows", 1.0)], "c1": [("u1", "known_by", 1.0)]}
    assert search(adj, "c7") == []


def test_warm_paths_run_through_the_org_chart(acme: Acme) -> None:
    data = warm_paths(account=acme.account, contact_id=acme.target.contact_id)
    assert data["known_by"] == []
    paths = data["paths"]
    first = paths[0]
    assert first["nodes"] == [
        f"u{acme.anna.pk}",
        f"c{acme.cfo.contact_id}",
        f"c{acme.target.contact_id}",
    ]
    assert (
        first["text"]
        == "Anna A knows Finn Money (CFO); Finn Money manages Tara Target (Buyer lead)"
    )
    assert first["strength"] == pytest.approx(1.0 * 0.5)
    # Carl knows the same CFO more weakly: same length, ranked after Anna
    assert paths[1]["nodes"][0] == f"u{acme.carl.pk}"
    assert paths[1]["strength"] == pytest.approx(0.2 * 0.5)
    # Ben reaches her over the CEO: one hop longer, so last whatever his strength
    assert paths[2]["nodes"] == [
        f"u{acme.ben.pk}",
        f"c{acme.ceo.contact_id}",
        f"c{acme.cfo.contact_id}",
        f"c{acme.target.contact_id}",
    ]
    assert [p["length"] for p in paths] == sorted(p["length"] for p in paths)


def test_no_warm_path_to_someone_outside_the_org_chart(acme: Acme) -> None:
    assert warm_paths(account=acme.account, contact_id=acme.loner.contact_id)["paths"] == []


def test_judged_level_alone_makes_an_edge(acme: Acme) -> None:
    link(acme.carl, acme.loner, 0, level=1)
    paths = warm_paths(account=acme.account, contact_id=acme.loner.contact_id)["paths"]
    assert [p["nodes"] for p in paths] == [[f"u{acme.carl.pk}", f"c{acme.loner.contact_id}"]]
    assert paths[0]["strength"] == pytest.approx(0.25)


# --- graph JSON ----------------------------------------------------------------------------


def test_graph_has_people_org_chart_and_our_links(acme: Acme) -> None:
    graph = map_graph(account=acme.account)
    assert graph["mode"] == "people"
    assert graph["people"] == 5
    ids = {n["id"]: n for n in graph["nodes"]}
    assert {i for i in ids if i.startswith("c")} == {
        f"c{e.contact_id}" for e in (acme.ceo, acme.cfo, acme.target, acme.buyer, acme.loner)
    }
    assert {i for i in ids if i.startswith("u")} == {
        f"u{acme.anna.pk}",
        f"u{acme.ben.pk}",
        f"u{acme.carl.pk}",
    }
    cfo = ids[f"c{acme.cfo.contact_id}"]
    assert cfo["roles"] == ["decider"] and cfo["attitude"] == "champion"
    org = {(e["source"], e["target"]) for e in graph["edges"] if e["kind"] == "org"}
    assert (f"c{acme.ceo.contact_id}", f"c{acme.cfo.contact_id}") in org
    assert len(org) == 3
    links = {(e["source"], e["target"]): e for e in graph["edges"] if e["kind"] == "link"}
    anna = links[(f"u{acme.anna.pk}", f"c{acme.cfo.contact_id}")]
    assert anna["strength"] == 5.0 and anna["level"] == 3
    assert anna["lineStyle"]["width"] == 8.0  # the strongest link is the widest
    assert anna["lineStyle"]["color"] == "#198754"  # the champion's colour


def test_graph_filters(acme: Acme) -> None:
    by_unit = map_graph(account=acme.account, filters={"unit": acme.site.pk})
    assert by_unit["people"] == 3
    by_role = map_graph(account=acme.account, filters={"role": "decider"})
    assert [n["name"] for n in by_role["nodes"] if n["kind"] == "contact"] == ["Finn Money"]
    by_attitude = map_graph(account=acme.account, filters={"attitude": "champion"})
    assert by_attitude["people"] == 1
    assert map_graph(account=acme.account, filters={"function": "finance"})["people"] == 1


def test_graph_clusters_above_the_threshold_and_expands_one(acme: Acme) -> None:
    graph = map_graph(account=acme.account, threshold=2)
    assert graph["mode"] == "clusters"
    clusters = {n["cluster"]: n for n in graph["nodes"] if n["kind"] == "cluster"}
    key = f"{acme.site.pk}:purchasing"
    assert clusters[key]["count"] == 2
    assert sum(n["count"] for n in clusters.values()) == 5
    org = {(e["source"], e["target"]): e["count"] for e in graph["edges"] if e["kind"] == "org"}
    assert org[(f"g{acme.account.pk}:management", f"g{key}")] == 1
    opened = map_graph(account=acme.account, cluster=key, threshold=2)
    assert opened["mode"] == "people"
    assert {n["name"] for n in opened["nodes"] if n["kind"] == "contact"} == {
        "Tara Target",
        "Bert Buyer",
    }


# --- coverage matrix -----------------------------------------------------------------------


def test_coverage_matrix_by_function_and_role(acme: Acme) -> None:
    data = coverage_matrix(account=acme.account, by="function")
    assert {r["key"] for r in data["rows"]} == {"management", "purchasing", "quality", "finance"}
    columns = [c["name"] for c in data["columns"]]
    assert columns == ["Anna A", "Ben B", "Carl C"]
    keys = [r["key"] for r in data["rows"]]
    cell = {(columns[c], keys[r]): (v, n) for c, r, v, n in data["cells"]}
    assert cell[("Anna A", "finance")] == (5.0, 1)
    assert cell[("Ben B", "purchasing")] == (1.0, 1)
    assert ("Anna A", "purchasing") not in cell
    assert data["max"] == 5.0
    by_role = coverage_matrix(account=acme.account, by="role")
    assert [r["key"] for r in by_role["rows"]] == ["decider", "buyer"]
    figures = by_role["figures"]
    # required: decider, buyer, influencer, user, champion: 3 of 5 held
    assert figures["role_coverage"]["value"] == 60.0
    assert figures["role_coverage"]["missing"] == ["influencer", "user"]
    assert figures["contacts"] == 5 and figures["contacts_linked"] == 3


def test_coverage_figures_name_the_single_point_of_failure(kam_a: Persona) -> None:
    account = kam_a.account
    buyer = person(account, "Only Buyer")
    link(kam_a.user, buyer, 2.0)
    for n in range(3):
        i = Interaction.objects.create(
            unit=account,
            type="call",
            summary=f"Call {n}",
            occurred_at=timezone.now() - dt.timedelta(days=10 + n),
        )
        i.participants.add(kam_a.user)
        i.contacts.add(buyer.contact)
    figures = coverage_matrix(account=account, by="function")["figures"]
    assert figures["structure"]["value"] == "bow_tie"
    assert figures["structure"]["k_percent"] == 100
    spof = figures["single_point_of_failure"]
    assert spof["value"] is True
    assert spof["their_name"] == "Only Buyer" and spof["their_percent"] == 100


# --- pages and API -------------------------------------------------------------------------


def _bulk(account: Unit, n: int, user: User) -> None:
    """``n`` more people in a reporting chain under one boss, each linked to ``user``."""
    contacts = Contact.objects.bulk_create(
        [Contact(first_name="P", last_name=f"{account.pk}-{i}") for i in range(n)]
    )
    boss = Employment.objects.filter(unit=account).first()
    Employment.objects.bulk_create(
        [
            Employment(
                contact=c,
                unit=account,
                function=("purchasing", "finance", "it")[i % 3],
                reports_to=boss,
            )
            for i, c in enumerate(contacts)
        ]
    )
    LinkStrength.objects.bulk_create(
        [
            LinkStrength(user=user, contact=c, strength=1.0, as_of=timezone.localdate())
            for c in contacts[::2]
        ]
    )
    BuyingRole.objects.bulk_create(
        [BuyingRole(account=account, contact=c, role="user") for c in contacts[::3]]
    )


@pytest.mark.parametrize("size", [20, 400])
def test_query_count_does_not_grow_with_contacts(
    acme: Acme, kam_a: Persona, client, django_assert_max_num_queries, size: int
) -> None:
    client.force_login(kam_a.user)
    account = acme.account
    urls = [
        reverse("relationships_map:map_data", args=[account.pk]),
        reverse("relationships_map:map_data", args=[account.pk]) + f"?cluster={account.pk}:it",
        reverse("relationships_map:coverage", args=[account.pk]),
        reverse("relationships_map:warm_paths", args=[account.pk, acme.target.contact_id]),
        reverse("relationships_map:person", args=[account.pk, acme.cfo.contact_id]),
        reverse("relationships_map:map", args=[account.pk]),
    ]
    for url in urls:  # the first read stores the default relationship settings
        client.get(url)
    # Warm paths read three queries per hop they explore (at most MAX_HOPS) besides ten fixed
    # ones: how many hops the search opens before it has its k paths depends on the weights
    # (PostgreSQL opened one more hop here than SQLite), not on the number of contacts.
    warm = urls.index(
        reverse("relationships_map:warm_paths", args=[account.pk, acme.target.contact_id])
    )
    bounds = []
    for grow in (size, size * 10):
        _bulk(account, grow, acme.ben)
        for url in urls:
            with django_assert_max_num_queries(10 + 3 * MAX_HOPS) as ctx:
                assert client.get(url).status_code == 200
            bounds.append(len(ctx.captured_queries))
    first, second = bounds[: len(urls)], bounds[len(urls) :]
    assert [n for i, n in enumerate(first) if i != warm] == [
        n for i, n in enumerate(second) if i != warm
    ]
    assert max(first[warm], second[warm]) <= 10 + 3 * MAX_HOPS
    assert max(n for i, n in enumerate(first + second) if i % len(urls) != warm) <= 24


def test_api_answers_the_map_matrix_and_paths(acme: Acme, kam_a: Persona, client) -> None:
    base = f"/api/v1/accounts/{acme.account.pk}"
    graph = client.get(f"{base}/relationship-map?function=finance", headers=kam_a.headers)
    assert graph.status_code == 200 and graph.json()["people"] == 1
    matrix = client.get(f"{base}/coverage-matrix?by=function", headers=kam_a.headers)
    assert matrix.status_code == 200 and matrix.json()["columns"]
    paths = client.get(f"{base}/warm-paths/{acme.target.contact_id}", headers=kam_a.headers)
    assert paths.status_code == 200 and len(paths.json()["paths"]) == 4
    assert (
        client.get(f"{base}/relationship-map?attitude=evil", headers=kam_a.headers).status_code
        == 400
    )
    assert (
        client.get(f"{base}/relationship-map?cluster=x", headers=kam_a.headers).status_code == 400
    )
    assert client.get(f"{base}/coverage-matrix?by=mood", headers=kam_a.headers).status_code == 400
    assert client.get(
        f"{base}/warm-paths/{acme.target.contact_id}?k=99", headers=kam_a.headers
    ).status_code in (400, 422)
    stranger = Contact.objects.create(first_name="No", last_name="Where")
    assert client.get(f"{base}/warm-paths/{stranger.pk}", headers=kam_a.headers).status_code == 404


def test_pages_render_for_the_kam(acme: Acme, kam_a: Persona, client) -> None:
    client.force_login(kam_a.user)
    page = client.get(reverse("relationships_map:map", args=[acme.account.pk]))
    assert page.status_code == 200 and b'id="relmap-chart"' in page.content
    panel = client.get(
        reverse("relationships_map:person", args=[acme.account.pk, acme.cfo.contact_id]),
        headers={"HX-Request": "true"},
    )
    assert b"Finn Money" in panel.content and b"Decider" in panel.content
    assert b"Champion" in panel.content and b'id="relmap-roles-form"' in panel.content
    assert b"How can we reach them?" in panel.content
    cov = client.get(reverse("relationships_map:coverage", args=[acme.account.pk]))
    assert cov.status_code == 200 and b'id="coverage-data"' in cov.content
    paths = client.get(
        reverse("relationships_map:warm_paths", args=[acme.account.pk, acme.target.contact_id])
    )
    assert b"Anna A knows Finn Money" in paths.content
    bad = client.get(reverse("relationships_map:map_data", args=[acme.account.pk]) + "?role=x")
    assert bad.status_code == 400


def test_roles_are_set_from_the_panel(acme: Acme, kam_a: Persona, kam_b: Persona, client) -> None:
    url = reverse("relationships_map:person_roles", args=[acme.account.pk, acme.target.contact_id])
    client.force_login(kam_b.user)
    before = db_snapshot()
    assert client.post(url, {"roles": ["influencer"]}).status_code == 403
    assert db_snapshot() == before
    client.force_login(kam_a.user)
    answer = client.post(url, {"roles": ["influencer", "user"]}, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and answer["HX-Trigger"] == "relmap-changed"
    assert b"Influencer" in answer.content
    assert set(
        BuyingRole.objects.filter(contact=acme.target.contact).values_list("role", flat=True)
    ) == {"influencer", "user"}
    bad = client.post(url, {"roles": ["pope"]}, headers={"HX-Request": "true"})
    assert bad.status_code == 400
    figures = coverage_matrix(account=acme.account)["figures"]
    assert figures["role_coverage"]["missing"] == []  # decider, buyer, influencer, user, champion


def test_outsiders(acme: Acme, kam_b: Persona, users: dict[str, User], client, settings) -> None:
    urls = [
        reverse("relationships_map:map", args=[acme.account.pk]),
        reverse("relationships_map:map_data", args=[acme.account.pk]),
        reverse("relationships_map:coverage", args=[acme.account.pk]),
        reverse("relationships_map:person", args=[acme.account.pk, acme.cfo.contact_id]),
        reverse("relationships_map:warm_paths", args=[acme.account.pk, acme.target.contact_id]),
    ]
    client.force_login(users["outsider"])  # no role
    assert {client.get(u).status_code for u in urls} == {403}
    # another KAM reads the account like every internal user (view_account) ...
    client.force_login(kam_b.user)
    assert {client.get(u).status_code for u in urls} == {200}
    # ... but a contact of another account is not on this account's map
    other = person(kam_b.account, "Other Person")
    assert (
        client.get(
            reverse("relationships_map:person", args=[acme.account.pk, other.contact_id])
        ).status_code
        == 404
    )
    # under restricted visibility a field rep unrelated to the account sees nothing of it
    settings.KAM_RESTRICTED_VISIBILITY = True
    client.force_login(users["field_rep"])
    assert {client.get(u).status_code for u in urls} == {404}
    api = f"/api/v1/accounts/{acme.account.pk}/relationship-map"
    client.logout()
    assert client.get(api).status_code == 401


def test_network_loads_in_fixed_queries(acme: Acme, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(7):
        network = account_network(account=acme.account)
    assert len(network.people) == 5 and len(network.links) == 4
    assert len(build_adjacency(network)[f"c{acme.cfo.contact_id}"]) == 4
