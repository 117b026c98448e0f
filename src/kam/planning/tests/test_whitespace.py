"""The white space matrix: pre-fill from the data, edits in place, totals, API, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.core.errors import DomainError
from kam.planning.models import WhiteSpaceCell, WhiteSpaceStatus
from kam.planning.whitespace import (
    whitespace_cell_update,
    whitespace_matrix,
    whitespace_prefill,
)
from kam.sales.models import Competitor, CompetitorShare, Opportunity
from kam.sales.services import transactions_create
from kam.testing.factories import ProductFactory, ProductLineFactory, make_unit
from kam.testing.personas import db_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(kam_a):
    account = kam_a.account
    plant = make_unit("Plant North", parent=account)
    depot = make_unit("Depot South", parent=account)
    pumps = ProductLineFactory(code="PUMP", name="Pumps")
    valves = ProductLineFactory(code="VALV", name="Valves")
    seals = ProductLineFactory(code="SEAL", name="Seals")
    pump = ProductFactory(line=pumps, sku="P-1", name="Pump")
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=5)
    transactions_create(
        rows=[
            {"date": last_month, "unit_id": plant.pk, "product_id": pump.pk, "net_amount": 1200},
            {"date": last_month, "unit_id": plant.pk, "product_id": pump.pk, "net_amount": 300},
        ]
    )
    rival = Competitor.objects.create(name="Rival AG")
    CompetitorShare.objects.create(
        account=account, product_line=valves, competitor=rival, share_pct=60, as_of=last_month
    )
    Opportunity.objects.create(
        unit=depot, product_line=seals, name="Seals for the depot", amount=5000, stage="propose"
    )
    return {
        "a": kam_a,
        "account": account,
        "plant": plant,
        "depot": depot,
        "pumps": pumps,
        "valves": valves,
        "seals": seals,
        "rival": rival,
    }


def _status(unit, line):
    cell = WhiteSpaceCell.objects.filter(unit=unit, product_line=line).first()
    return cell.status if cell else WhiteSpaceStatus.NOT_BOUGHT


def test_prefill_reads_revenue_competitors_and_opportunities(world):
    result = whitespace_prefill(account=world["account"])
    assert result.created > 0
    assert _status(world["plant"], world["pumps"]) == "ours"
    # the plant buys from us, just not valves, which the account buys from Rival
    assert _status(world["plant"], world["valves"]) == "competitor"
    cell = WhiteSpaceCell.objects.get(unit=world["plant"], product_line=world["valves"])
    assert cell.competitor == world["rival"]
    opp = WhiteSpaceCell.objects.get(unit=world["depot"], product_line=world["seals"])
    assert opp.status == "opportunity" and opp.potential == Decimal("5000")
    # the depot buys nothing from us: no cell, read as not bought
    assert _status(world["depot"], world["pumps"]) == "not_bought"


def test_prefill_never_overwrites_a_person_s_edit(world):
    whitespace_prefill(account=world["account"])
    whitespace_cell_update(
        account=world["account"],
        unit=world["plant"],
        product_line=world["pumps"],
        user=world["a"].user,
        status="blocked",
        potential=Decimal("10"),
        note="framework contract",
    )
    result = whitespace_prefill(account=world["account"])
    cell = WhiteSpaceCell.objects.get(unit=world["plant"], product_line=world["pumps"])
    assert (cell.status, cell.potential, cell.note, cell.edited) == (
        "blocked",
        Decimal("10.00"),
        "framework contract",
        True,
    )
    assert result.kept == 1 and result.created == 0 and result.updated == 0


def test_current_revenue_comes_from_the_rollups_and_totals_add_up(world):
    whitespace_prefill(account=world["account"])
    whitespace_cell_update(
        account=world["account"],
        unit=world["depot"],
        product_line=world["pumps"],
        user=world["a"].user,
        potential=Decimal("700"),
    )
    m = whitespace_matrix(account=world["account"])
    row = next(r for r in m.rows if r.unit == world["plant"])
    pumps = next(c for c in row.cells if c.line_id == world["pumps"].pk)
    assert pumps.current == Decimal("1500")
    assert row.current == Decimal("1500")
    assert m.total_current == Decimal("1500")
    assert m.line_potential[world["pumps"].pk] == Decimal("700")
    assert m.total_potential == Decimal("5700")


def test_cell_update_refuses_bad_input_and_changes_nothing(world):
    other = make_unit("Elsewhere")
    before = db_snapshot()
    with pytest.raises(DomainError):
        whitespace_cell_update(
            account=world["account"],
            unit=other,
            product_line=world["pumps"],
            user=None,
            status="ours",
        )
    with pytest.raises(DomainError):
        whitespace_cell_update(
            account=world["account"],
            unit=world["plant"],
            product_line=world["pumps"],
            user=None,
            status="competitor",
        )
    with pytest.raises(DomainError):
        whitespace_cell_update(
            account=world["account"],
            unit=world["plant"],
            product_line=world["pumps"],
            user=None,
            potential=Decimal("-1"),
        )
    assert db_snapshot() == before


# --- pages -------------------------------------------------------------------------------------


def test_page_shows_the_matrix_with_currency(world, client):
    whitespace_prefill(account=world["account"])
    client.force_login(world["a"].user)
    response = client.get(reverse("whitespace:matrix", args=[world["account"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Plant North" in html and "Rival AG" in html and "ws-heatmap" in html
    assert "EUR" in html or response.context["currency"] in html
    assert 'id="ws-prefill"' in html


def test_cell_edited_in_place_with_htmx(world, client):
    client.force_login(world["a"].user)
    url = reverse(
        "whitespace:cell", args=[world["account"].pk, world["depot"].pk, world["valves"].pk]
    )
    form = client.get(url, headers={"HX-Request": "true"})
    assert form.status_code == 200 and 'name="potential"' in form.content.decode()
    assert "<html" not in form.content.decode()
    response = client.post(
        url,
        {
            "status": "competitor",
            "competitor": world["rival"].pk,
            "potential": "2500",
            "note": "",
            "revision": "0",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rival AG" in html and 'hx-swap-oob="true"' in html
    cell = WhiteSpaceCell.objects.get(unit=world["depot"], product_line=world["valves"])
    assert cell.edited and cell.updated_by == world["a"].user and cell.potential == 2500


def test_cell_bad_potential_is_a_message_not_a_500(world, client):
    client.force_login(world["a"].user)
    url = reverse(
        "whitespace:cell", args=[world["account"].pk, world["depot"].pk, world["valves"].pk]
    )
    response = client.post(url, {"status": "ours", "potential": "lots", "revision": "0"})
    assert response.status_code == 400
    assert not WhiteSpaceCell.objects.exists()
    response = client.post(url, {"status": "competitor", "potential": "1", "revision": "0"})
    assert response.status_code == 400 and "competitor" in response.content.decode()


def test_outsiders(world, client, users, kam_b):
    account = world["account"]
    cell_url = reverse("whitespace:cell", args=[account.pk, world["plant"].pk, world["pumps"].pk])
    prefill_url = reverse("whitespace:prefill", args=[account.pk])
    page_url = reverse("whitespace:matrix", args=[account.pk])
    before = db_snapshot()
    # no role: nothing
    client.force_login(users["outsider"])
    assert client.get(page_url).status_code == 403
    assert client.post(prefill_url).status_code == 403
    # another KAM: may look, may not change
    client.force_login(kam_b.user)
    response = client.get(page_url)
    assert response.status_code == 200 and 'id="ws-prefill"' not in response.content.decode()
    assert client.get(cell_url).status_code == 403
    form = {"status": "blocked", "potential": "1", "revision": "0"}
    assert client.post(cell_url, form).status_code == 403
    assert client.post(prefill_url).status_code == 403
    api = f"/api/v1/accounts/{account.pk}/white-space"
    assert client.get(api, headers=kam_b.headers).status_code == 200
    assert client.post(f"{api}/prefill", headers=kam_b.headers).status_code == 403
    patch = client.patch(
        f"{api}/{world['plant'].pk}/{world['pumps'].pk}",
        {"status": "blocked", "revision": 0},
        content_type="application/json",
        headers=kam_b.headers,
    )
    assert patch.status_code == 403
    assert db_snapshot() == before


# --- API ---------------------------------------------------------------------------------------


def test_api_matrix_patch_and_prefill(world, client):
    a, account = world["a"], world["account"]
    base = f"/api/v1/accounts/{account.pk}/white-space"
    assert client.post(f"{base}/prefill", headers=a.headers).json()["created"] > 0
    body = client.get(base, headers=a.headers).json()
    assert body["currency"] and body["units"] == 3
    assert Decimal(body["current_revenue"]) == Decimal("1500")
    url = f"{base}/{world['depot'].pk}/{world['valves'].pk}"
    stored = WhiteSpaceCell.objects.filter(unit=world["depot"], product_line=world["valves"])
    revision = stored.first().revision if stored.exists() else 0
    ok = client.patch(
        url,
        {
            "status": "competitor",
            "competitor_id": world["rival"].pk,
            "potential": "900",
            "revision": revision,
        },
        content_type="application/json",
        headers=a.headers,
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["competitor"] == "Rival AG" and ok.json()["edited"] is True
    assert ok.json()["revision"] == revision + 1
    for bad in (
        {"status": "mine", "revision": revision + 1},
        {"potential": "-5", "revision": revision + 1},
        {"competitor_id": 999999, "revision": revision + 1},
        {"unknown": 1, "revision": revision + 1},
        {"status": "ours"},
        {"status": "ours", "revision": -1},
    ):
        response = client.patch(url, bad, content_type="application/json", headers=a.headers)
        assert response.status_code in (400, 422), (bad, response.status_code)
    cell = WhiteSpaceCell.objects.get(unit=world["depot"], product_line=world["valves"])
    assert cell.potential == Decimal("900")
    other = make_unit("Not theirs")
    response = client.patch(
        f"{base}/{other.pk}/{world['valves'].pk}",
        {"status": "ours", "revision": 0},
        content_type="application/json",
        headers=a.headers,
    )
    assert response.status_code == 404


# --- concurrent edits (decision 100) -------------------------------------------------------------


def test_two_people_edit_one_cell_the_second_is_refused_and_nothing_is_lost(world, client, users):
    """Both load the cell at the same revision; the first save wins, the second gets a 409 whose
    message names the first editor and their values, and the form keeps the second's input."""
    account, plant, pumps = world["account"], world["plant"], world["pumps"]
    url = reverse("whitespace:cell", args=[account.pk, plant.pk, pumps.pk])
    whitespace_prefill(account=account)
    loaded = WhiteSpaceCell.objects.get(unit=plant, product_line=pumps).revision
    client.force_login(world["a"].user)
    form = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert f'name="revision" value="{loaded}"' in form
    # the first person saves
    whitespace_cell_update(
        account=account,
        unit=plant,
        product_line=pumps,
        user=users["executive"],
        revision=loaded,
        status="blocked",
        potential=Decimal("111"),
        note="theirs",
    )
    # the second, from the same revision, on the page
    mine = {"status": "ours", "potential": "2222", "note": "mine", "revision": str(loaded)}
    response = client.post(url, mine)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this cell" in html and str(users["executive"]) in html
    assert "111" in html and 'value="2222"' in html and 'value="mine"' in html
    cell = WhiteSpaceCell.objects.get(unit=plant, product_line=pumps)
    assert (cell.status, cell.potential, cell.note) == ("blocked", Decimal("111"), "theirs")
    assert f'name="revision" value="{cell.revision}"' in html
    # htmx keeps the form in place with the same message
    response = client.post(url, mine, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Reswap"] == "innerHTML"
    assert "Someone else changed this cell" in response.content.decode()
    # saving again from the revision shown replaces their values, knowingly
    response = client.post(url, {**mine, "revision": str(cell.revision)})
    assert response.status_code == 302
    cell.refresh_from_db()
    assert (cell.status, cell.potential, cell.note) == ("ours", Decimal("2222"), "mine")


def test_a_cell_created_meanwhile_is_a_conflict_and_a_form_without_revision_is_refused(
    world, client
):
    account, depot, valves = world["account"], world["depot"], world["valves"]
    url = reverse("whitespace:cell", args=[account.pk, depot.pk, valves.pk])
    client.force_login(world["a"].user)
    response = client.post(url, {"status": "ours", "potential": "5"})
    assert response.status_code == 400 and "reload the page" in response.content.decode()
    assert not WhiteSpaceCell.objects.filter(unit=depot, product_line=valves).exists()
    whitespace_cell_update(
        account=account, unit=depot, product_line=valves, user=None, revision=0, status="blocked"
    )
    with pytest.raises(DomainError) as refused:
        whitespace_cell_update(
            account=account, unit=depot, product_line=valves, user=None, revision=0, note="x"
        )
    assert refused.value.code == "conflict"
    response = client.post(url, {"status": "ours", "potential": "5", "revision": "0"})
    assert response.status_code == 409
    assert WhiteSpaceCell.objects.get(unit=depot, product_line=valves).status == "blocked"


def test_the_prefill_moves_the_revision_of_the_cells_it_changes(world):
    account, depot, valves = world["account"], world["depot"], world["valves"]
    whitespace_prefill(account=account)
    cell = WhiteSpaceCell.objects.get(unit=world["plant"], product_line=world["valves"])
    assert cell.status == "competitor" and cell.revision == 1
    CompetitorShare.objects.all().delete()
    whitespace_prefill(account=account)
    cell.refresh_from_db()
    assert cell.status == "not_bought" and cell.revision == 2
    with pytest.raises(DomainError) as refused:
        whitespace_cell_update(
            account=account, unit=cell.unit, product_line=valves, user=None, revision=1, note="x"
        )
    assert refused.value.code == "conflict" and "pre-fill" in refused.value.message
    assert depot.pk  # the depot buys nothing: its valves cell was never stored


def test_api_stale_revision_is_a_409_that_names_the_other_editor(world, client, users):
    a, account, plant, pumps = world["a"], world["account"], world["plant"], world["pumps"]
    url = f"/api/v1/accounts/{account.pk}/white-space/{plant.pk}/{pumps.pk}"
    body = client.get(f"/api/v1/accounts/{account.pk}/white-space", headers=a.headers).json()
    row = next(r for r in body["rows"] if r["unit_id"] == plant.pk)
    loaded = next(c for c in row["cells"] if c["product_line_id"] == pumps.pk)["revision"]
    assert loaded == 0
    whitespace_cell_update(
        account=account,
        unit=plant,
        product_line=pumps,
        user=users["executive"],
        revision=loaded,
        potential=Decimal("77"),
    )
    response = client.patch(
        url,
        {"potential": "5000", "revision": loaded},
        content_type="application/json",
        headers=a.headers,
    )
    assert response.status_code == 409
    error = response.json()
    assert error["code"] == "conflict" and str(users["executive"]) in error["message"]
    assert "77" in error["message"]
    assert WhiteSpaceCell.objects.get(unit=plant, product_line=pumps).potential == Decimal("77")
    response = client.patch(
        url,
        {"potential": "5000", "revision": loaded + 1},
        content_type="application/json",
        headers=a.headers,
    )
    assert response.status_code == 200 and response.json()["revision"] == loaded + 2


# --- query count -------------------------------------------------------------------------------


def _grow(account, lines, n):
    for i in range(n):
        unit = make_unit(f"Site {i}", parent=account)
        WhiteSpaceCell.objects.create(
            account=account,
            unit=unit,
            product_line=lines[i % len(lines)],
            status="blocked",
            potential=i,
        )


def test_page_queries_do_not_grow_with_units(world, client, django_assert_max_num_queries):
    client.force_login(world["a"].user)
    lines = [world["pumps"], world["valves"], world["seals"]]
    url = reverse("whitespace:matrix", args=[world["account"].pk])
    _grow(world["account"], lines, 6)
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    bound = len(small.captured_queries)
    _grow(world["account"], lines, 60)
    with django_assert_max_num_queries(bound):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(bound):
        assert client.get(url + "?page=2").status_code == 200
