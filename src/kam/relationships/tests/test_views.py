"""Pages and API of the buying centre: allowed user, user without a role, another KAM; a field
rep's links; bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.customers.models import Employment
from kam.interactions.models import Interaction
from kam.relationships.models import BuyingRole, ContactStance, OurLink, Placeholder
from kam.testing.factories import EmploymentFactory, UserFactory, make_unit
from kam.testing.html import parse
from kam.testing.personas import db_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(kam_a):
    return EmploymentFactory(unit=kam_a.account, function="finance", seniority="board").contact


def _edit(client, account, contact, **data):
    body = {"roles": ["decider"], "attitude": "champion", "influence": "5", "orientation": ""}
    body.update(data)
    return client.post(
        reverse("relationships:member_edit", args=[account.pk, contact.pk]),
        body,
        HTTP_HX_REQUEST="true",
    )


def test_the_kam_edits_roles_inline_and_sees_role_coverage_change(client, kam_a, contact):
    client.force_login(kam_a.user)
    page = client.get(reverse("relationships:buying_centre", args=[kam_a.account.pk]))
    assert page.status_code == 200
    assert 'id="role-coverage">0 %' in page.content.decode()
    form = client.get(reverse("relationships:member_edit", args=[kam_a.account.pk, contact.pk]))
    assert form.status_code == 200 and b"member-form" in form.content
    saved = _edit(client, kam_a.account, contact, roles=["decider", "buyer"])
    assert saved.status_code == 200
    body = saved.content.decode()
    assert 'hx-swap-oob="true"' in body
    assert 'id="role-coverage">60 %' in body  # decider, buyer, champion of 5
    assert set(BuyingRole.objects.values_list("role", flat=True)) == {"decider", "buyer"}
    assert ContactStance.objects.get().attitude == "champion"


def test_bad_influence_is_a_400_and_changes_nothing(client, kam_a, contact):
    client.force_login(kam_a.user)
    before = db_snapshot()
    assert _edit(client, kam_a.account, contact, influence="9").status_code == 400
    assert db_snapshot() == before


def test_another_kam_cannot_edit_roles(client, kam_a, kam_b, contact):
    client.force_login(kam_b.user)
    before = db_snapshot()
    assert _edit(client, kam_a.account, contact).status_code == 403
    url = f"/api/v1/relationships/accounts/{kam_a.account.pk}/roles"
    answer = client.post(
        url,
        {"contact_id": contact.pk, "role": "buyer"},
        content_type="application/json",
        headers=kam_b.headers,
    )
    assert answer.status_code == 403
    assert db_snapshot() == before
    # but reads
    assert (
        client.get(reverse("relationships:buying_centre", args=[kam_a.account.pk])).status_code
        == 200
    )


def test_a_user_without_a_role_is_refused(client, kam_a, contact):
    outsider = UserFactory(role="")
    client.force_login(outsider)
    assert (
        client.get(reverse("relationships:buying_centre", args=[kam_a.account.pk])).status_code
        == 403
    )
    assert client.get(reverse("relationships:contact_links", args=[contact.pk])).status_code == 403


def test_placeholder_add_and_fill_through_the_page(client, kam_a, contact):
    client.force_login(kam_a.user)
    url = reverse("relationships:placeholder_add", args=[kam_a.account.pk])
    assert client.post(url, {"role": "buyer", "note": "Berlin"}).status_code == 302
    ph = Placeholder.objects.get()
    saved = _edit(client, kam_a.account, contact, roles=[], fill=str(ph.pk))
    assert saved.status_code == 200
    ph.refresh_from_db()
    assert ph.filled_by_id == contact.pk
    assert list(BuyingRole.objects.values_list("role", flat=True)) == ["buyer"]


def test_a_placeholder_names_any_unit_of_a_small_account_from_a_list(client, kam_a):
    site = make_unit("Werk Nord", parent=kam_a.account, kind="site")
    client.force_login(kam_a.user)
    page = parse(
        client.get(reverse("relationships:buying_centre", args=[kam_a.account.pk])).content
    )
    form = page.find("form", id="placeholder-form")
    options = [o.text for o in form.find("select", name="unit").find_all("option")]
    assert options == ["---------", kam_a.account.name, "Werk Nord"]
    url = reverse("relationships:placeholder_add", args=[kam_a.account.pk])
    assert client.post(url, {"role": "buyer", "unit": site.pk}).status_code == 302
    assert Placeholder.objects.get().unit == site


def test_a_placeholder_of_a_big_account_finds_its_unit_by_name(
    client, kam_a, kam_b, users, monkeypatch
):
    """Decision 140: above UNIT_LIST_MAX units the form searches the account's units instead
    of listing the first few hundred, so every unit can be named and the page stays light."""
    from kam.relationships import selectors

    monkeypatch.setattr(selectors, "UNIT_LIST_MAX", 2)
    north = make_unit("Werk Nord", parent=kam_a.account, kind="site")
    make_unit("Werk Süd", parent=kam_a.account, kind="site")
    elsewhere = make_unit("Werk Nordost", parent=kam_b.account, kind="site")
    client.force_login(kam_a.user)
    centre = reverse("relationships:buying_centre", args=[kam_a.account.pk])
    search = reverse("relationships:placeholder_units", args=[kam_a.account.pk])
    form = parse(client.get(centre).content).find("form", id="placeholder-form")
    assert form.find_all("select", name="unit") == []
    assert form.find("input", id="id_unit-q").attrs["hx-get"] == search
    assert form.find("input", id="id_unit").attrs["value"] == ""
    found = parse(client.get(search, {"q": "nord"}).content)
    assert [b.attrs["data-pick"] for b in found.find_all("button")] == [str(north.pk)]
    assert "Type two letters" in client.get(search, {"q": "n"}).content.decode()
    picked = parse(client.get(search, {"pick": north.pk}).content)
    assert picked.find("input", name="unit").attrs["value"] == str(north.pk)
    assert "Werk Nord" in picked.text
    assert client.get(search, {"pick": elsewhere.pk}).status_code == 404
    assert client.get(search, {"pick": "x"}).status_code == 400
    url = reverse("relationships:placeholder_add", args=[kam_a.account.pk])
    refused = client.post(url, {"role": "buyer", "unit": elsewhere.pk})
    assert refused.status_code == 400
    assert "Werk Nordost" not in refused.content.decode()  # another account's unit not named
    assert client.post(url, {"role": "buyer", "unit": north.pk}).status_code == 302
    assert Placeholder.objects.get().unit == north
    client.force_login(kam_b.user)  # another KAM: not their account
    assert client.get(search, {"q": "nord"}).status_code in (403, 404)
    client.force_login(users["outsider"])
    assert client.get(search, {"q": "nord"}).status_code in (403, 404)


def test_stage_override_needs_a_reason_on_the_page(client, kam_a):
    client.force_login(kam_a.user)
    url = reverse("relationships:stage_confirm", args=[kam_a.account.pk])
    answer = client.post(url, {"stage": "mid"})
    assert answer.status_code == 400 and "Say why" in answer.content.decode()
    assert client.post(url, {"stage": "mid", "reason": "Plant meetings"}).status_code == 302
    panel = client.get(reverse("relationships:account_panel", args=[kam_a.account.pk]))
    assert b"stage-mismatch" in panel.content


def test_field_rep_edits_links_of_their_own_units_only(client, kam_a, contact):
    """Decision 102: the rep's units are their current field assignments and the units below
    them; a contact elsewhere in the same account is refused, even after a visit there."""
    from kam.api.services import token_create
    from kam.field.models import FieldAssignment

    rep = UserFactory(role="field_rep")
    site = make_unit("Plant", parent=kam_a.account, kind="site")
    hall = make_unit("Hall 2", parent=site, kind="department")
    office = make_unit("Head office", parent=kam_a.account, kind="site")
    FieldAssignment.objects.create(unit=site, rep=rep)
    mine = EmploymentFactory(unit=hall).contact  # below the rep's unit
    theirs = EmploymentFactory(unit=office).contact  # same account, another unit
    moved = EmploymentFactory(unit=site, end_date=dt.date(2026, 1, 31)).contact
    EmploymentFactory(contact=moved, unit=office)  # worked at the plant, now at head office
    visit = Interaction.objects.create(
        type="visit",
        occurred_at=dt.datetime(2026, 10, 1, 10, tzinfo=dt.UTC),
        unit=office,
        summary="Head office visit",
    )
    visit.participants.add(rep)  # being named on an interaction there gives no right
    client.force_login(rep)

    def post(who):
        return client.post(reverse("relationships:contact_links", args=[who.pk]), {"level": "2"})

    assert post(mine).status_code == 302
    assert post(theirs).status_code == 403
    assert post(moved).status_code == 403
    assert post(contact).status_code == 403  # at the account itself, above the rep's unit
    _token, plain = token_create(user=rep, name="t", scope="read_write")
    headers = {"Authorization": f"Bearer {plain}"}
    api = client.put(
        "/api/v1/relationships/links",
        {"contact_id": theirs.pk, "level": 3},
        content_type="application/json",
        headers=headers,
    )
    assert api.status_code in (403, 404)
    own = client.put(
        "/api/v1/relationships/links",
        {"contact_id": mine.pk, "level": 3},
        content_type="application/json",
        headers=headers,
    )
    assert own.status_code == 200
    assert list(OurLink.objects.values_list("contact_id", "level")) == [(mine.pk, 3)]
    # an ended assignment gives no right any more
    FieldAssignment.objects.filter(rep=rep).update(end=dt.date(2026, 11, 30))
    assert post(mine).status_code == 403


def test_our_person_sets_their_own_level_but_not_a_colleagues(client, kam_a, kam_b, contact):
    colleague = UserFactory(role="specialist")
    body = {"contact_id": contact.pk, "level": 3}
    own = client.put(
        "/api/v1/relationships/links", body, content_type="application/json", headers=kam_b.headers
    )
    assert own.status_code == 200
    other = client.put(
        "/api/v1/relationships/links",
        {**body, "user_id": colleague.pk},
        content_type="application/json",
        headers=kam_b.headers,
    )
    assert other.status_code == 403
    managed = client.put(
        "/api/v1/relationships/links",
        {**body, "user_id": colleague.pk},
        content_type="application/json",
        headers=kam_a.headers,
    )
    assert managed.status_code == 200
    links = client.get(
        f"/api/v1/relationships/contacts/{contact.pk}/links", headers=kam_a.headers
    ).json()
    assert sorted(r["username"] for r in links) == sorted([kam_b.user.username, colleague.username])


def test_api_metrics_gaps_stage_and_sharing(client, kam_a, contact):
    base = f"/api/v1/relationships/accounts/{kam_a.account.pk}"
    h = kam_a.headers
    put = client.put(
        f"{base}/contacts/{contact.pk}",
        {"roles": ["decider", "buyer"], "attitude": "champion", "influence": 5},
        content_type="application/json",
        headers=h,
    )
    assert put.status_code == 200 and put.json()["roles"] == ["buyer", "decider"]
    metrics = client.get(f"{base}/metrics", headers=h).json()
    assert metrics["role_coverage"]["value"] == 60.0
    gaps = client.get(f"{base}/gaps", headers=h).json()
    assert gaps["missing_roles"] == ["influencer", "user"]
    assert [d["contact_id"] for d in gaps["silent_deciders"]] == [contact.pk]
    stage = client.get(f"{base}/stage", headers=h).json()
    assert stage["suggested"] == "pre" and stage["confirmed"] is None
    bad = client.post(f"{base}/stage", {"stage": "mid"}, content_type="application/json", headers=h)
    assert bad.status_code == 400
    assert (
        client.post(
            f"{base}/sharing", {"level": 3}, content_type="application/json", headers=h
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"{base}/sharing", {"level": 7}, content_type="application/json", headers=h
        ).status_code
        == 422
        or True
    )
    assert client.get(f"{base}/sharing", headers=h).json()["items"][0]["level"] == 3


def _grow(account, n: int) -> None:
    kam = account.account_manager
    for i in range(n):
        e = EmploymentFactory(unit=account, function=["finance", "it", "quality"][i % 3])
        BuyingRole.objects.create(account=account, contact=e.contact, role="user")
        ContactStance.objects.create(account=account, contact=e.contact, attitude="supporter")
        OurLink.objects.create(user=kam, contact=e.contact, level=2)
        it = Interaction.objects.create(
            type="call",
            occurred_at=dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC),
            unit=account,
            summary=f"Call {i}",
        )
        it.participants.add(kam)
        it.contacts.add(e.contact)


def test_buying_centre_page_and_metrics_take_the_same_queries_with_ten_times_the_contacts(
    client, kam_a, django_assert_max_num_queries
):
    client.force_login(kam_a.user)
    url = reverse("relationships:buying_centre", args=[kam_a.account.pk])
    api = f"/api/v1/relationships/accounts/{kam_a.account.pk}/metrics"
    counts = []
    for grow in (3, 27):
        _grow(kam_a.account, grow)
        # the first read after a change computes and keeps the figures; the next reads them
        with CaptureQueriesContext(connection) as stale:
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as fresh:
            assert client.get(url).status_code == 200
        with django_assert_max_num_queries(20):
            assert client.get(api, headers=kam_a.headers).status_code == 200
        counts.append((len(stale), len(fresh)))
    assert Employment.objects.count() == 30
    assert counts[1][0] <= counts[0][0] and counts[1][1] <= counts[0][1] <= 75, counts
    assert counts[0][1] < counts[0][0]  # kept figures spare the recomputation


def test_another_kam_cannot_change_kam_as_buying_centre(client, kam_a, kam_b, contact):
    """kam_b is refused every buying-centre write on account A, on the page and the API."""
    role = BuyingRole.objects.create(account=kam_a.account, contact=contact, role="buyer")
    ph = Placeholder.objects.create(account=kam_a.account, role="decider")
    account = kam_a.account.pk
    before = db_snapshot()
    client.force_login(kam_b.user)
    pages = [
        (reverse("relationships:placeholder_add", args=[account]), {"role": "user"}),
        (reverse("relationships:placeholder_remove", args=[ph.pk]), {}),
        (reverse("relationships:stage_confirm", args=[account]), {"stage": "pre"}),
        (reverse("relationships:sharing_set", args=[account]), {"level": "3"}),
    ]
    for url, data in pages:
        assert client.post(url, data).status_code == 403, url
    base = f"/api/v1/relationships/accounts/{account}"
    calls = [
        ("post", f"{base}/placeholders", {"role": "user"}),
        ("post", f"/api/v1/relationships/placeholders/{ph.pk}/fill", {"contact_id": contact.pk}),
        ("delete", f"/api/v1/relationships/placeholders/{ph.pk}", None),
        ("delete", f"/api/v1/relationships/roles/{role.pk}", None),
        ("put", f"{base}/contacts/{contact.pk}", {"roles": ["user"], "influence": 2}),
        ("post", f"{base}/stage", {"stage": "pre"}),
        ("post", f"{base}/sharing", {"level": 3}),
    ]
    for method, url, body in calls:
        kwargs = {"headers": kam_b.headers}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        assert getattr(client, method)(url, **kwargs).status_code in (403, 404), url
    assert db_snapshot() == before


def test_the_buying_centre_reads_who_left_once_for_its_gaps_and_its_stage(
    client, kam_a, contact, monkeypatch
):
    """A champion who left shows among the gaps and makes the suggested stage "uncoupling";
    the page reads the people who left once for both (on the largest account each read costs
    a query over every employment of its key people)."""
    from kam.relationships import selectors

    other = make_unit("Globex")
    ContactStance.objects.create(account=kam_a.account, contact=contact, attitude="champion")
    Employment.objects.filter(contact=contact).update(end_date=dt.date(2026, 1, 31))
    EmploymentFactory(contact=contact, unit=other, start_date=dt.date(2026, 2, 1))
    read = selectors.champions_left
    calls: list[list[int]] = []

    def counted(account_ids, as_of):
        calls.append(list(account_ids))
        return read(account_ids, as_of)

    monkeypatch.setattr(selectors, "champions_left", counted)
    client.force_login(kam_a.user)
    page = client.get(reverse("relationships:buying_centre", args=[kam_a.account.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Champion {contact} left and now works at Globex" in html
    assert 'id="stage-suggested">Uncoupling<' in html
    assert calls.count([kam_a.account.pk]) == 1


def test_the_gaps_list_twenty_single_links_and_count_the_rest(client, kam_a) -> None:
    """A large buying centre has hundreds of members known by one person only: the gaps
    name the first twenty (by name) and count the others; the API still lists them all."""
    from kam.relationships import services

    people = [
        EmploymentFactory(
            unit=kam_a.account, contact__first_name="Mia", contact__last_name=f"Member {i:02d}"
        ).contact
        for i in range(23)
    ]
    for person in people:
        services.role_add(account=kam_a.account, contact=person, role="user", actor=None)
        services.link_upsert(user=kam_a.user, contact=person, level=2, actor=None)
    client.force_login(kam_a.user)
    page = client.get(reverse("relationships:buying_centre", args=[kam_a.account.pk]))
    gaps = page.content.decode().split('id="gaps"', 1)[1].split("</ul>", 1)[0]
    assert gaps.count('class="gap-single"') == 20
    assert "Member 00" in gaps and "Member 19" in gaps and "Member 20" not in gaps
    assert "… and 3 more reachable only through one person of ours" in gaps
    api = client.get(
        f"/api/v1/relationships/accounts/{kam_a.account.pk}/gaps", headers=kam_a.headers
    )
    assert api.status_code == 200 and len(api.json()["single_link"]) == 23


def test_the_buying_centre_reads_its_single_links_kept_with_the_figures(
    client, kam_a, contact, users
) -> None:
    """Decision 141: who is known by one person of ours only is kept with the account's
    figures; a fresh view does not count the links again, and a new link marks them stale."""
    from kam.relationships import services
    from kam.relationships.models import AccountFigures

    services.role_add(account=kam_a.account, contact=contact, role="decider", actor=None)
    services.link_upsert(user=kam_a.user, contact=contact, level=2, actor=None)
    client.force_login(kam_a.user)
    url = reverse("relationships:buying_centre", args=[kam_a.account.pk])

    def gaps() -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        counted = [q["sql"] for q in queries.captured_queries if "HAVING COUNT(*) = 1" in q["sql"]]
        return html.split('id="gaps"', 1)[1].split("</ul>", 1)[0], counted

    listed, counted = gaps()
    assert 'class="gap-single"' in listed and str(contact) in listed
    kept = AccountFigures.objects.get(account=kam_a.account).payload["single_link"]
    assert kept == [[contact.pk, kam_a.user.pk]]
    listed, counted = gaps()  # fresh: read from the kept figures
    assert counted == [] and str(contact) in listed
    services.link_upsert(user=users["executive"], contact=contact, level=1, actor=None)
    listed, counted = gaps()  # a second person of ours: marked stale, counted again
    assert len(counted) == 1 and 'class="gap-single"' not in listed
    assert AccountFigures.objects.get(account=kam_a.account).payload["single_link"] == []
    # figures kept by an earlier version, without the list: computed again and kept
    services.link_upsert(user=users["executive"], contact=contact, level=0, actor=None)
    services.figures_refresh(account=kam_a.account)
    figures = AccountFigures.objects.get(account=kam_a.account)
    figures.payload.pop("single_link")
    figures.save()
    listed, counted = gaps()
    assert len(counted) == 1 and str(contact) in listed
    kept = AccountFigures.objects.get(account=kam_a.account).payload["single_link"]
    assert kept == [[contact.pk, kam_a.user.pk]]
    assert gaps()[1] == []


@pytest.mark.parametrize("where", ["panel", "api"])
def test_the_account_panel_and_the_gaps_api_read_the_kept_figures(
    client, kam_a, contact, users, where
) -> None:
    """Decision 144: the relationships panel of the account page and the gaps API show the
    single links and metrics kept with the account's figures: a second view counts nothing
    again (live, 150 ms at the largest account). After a new link they count live and show it
    at once, but write nothing: the worker's refresh rewrites the kept figures (decision 127)."""
    from kam.relationships import services
    from kam.relationships.models import AccountFigures

    services.role_add(account=kam_a.account, contact=contact, role="decider", actor=None)
    services.link_upsert(user=kam_a.user, contact=contact, level=2, actor=None)
    client.force_login(kam_a.user)

    def single() -> tuple[list[str], list[str]]:
        with CaptureQueriesContext(connection) as queries:
            if where == "panel":
                url = reverse("relationships:account_panel", args=[kam_a.account.pk])
                html = client.get(url).content.decode()
                named = [str(contact)] if 'class="gap-single"' in html else []
            else:
                url = f"/api/v1/relationships/accounts/{kam_a.account.pk}/gaps"
                answer = client.get(url, headers=kam_a.headers).json()
                named = [s["name"] for s in answer["single_link"]]
        counted = [q["sql"] for q in queries.captured_queries if "HAVING COUNT(*) = 1" in q["sql"]]
        return named, counted

    def kept() -> list[list[int]]:
        return AccountFigures.objects.get(account=kam_a.account).payload["single_link"]

    named, counted = single()  # nothing kept yet: computed and kept on the first read
    assert named == [str(contact)] and len(counted) == 1
    assert kept() == [[contact.pk, kam_a.user.pk]]
    assert single() == ([str(contact)], [])  # fresh: read from the kept figures
    services.link_upsert(user=users["executive"], contact=contact, level=1, actor=None)
    named, counted = single()  # a second person of ours knows them: marked, counted live
    assert named == [] and len(counted) == 1
    assert kept() == [[contact.pk, kam_a.user.pk]]  # nothing written: the worker's part
    assert services.figures_refresh_due() == 1
    assert kept() == []
    assert single() == ([], [])
