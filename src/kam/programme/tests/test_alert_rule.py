"""The programme's dependence rule raises an alert on the account the company depends on, and
on no other (DOMAIN §11: above 20 % of company revenue)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kam.alerts.models import Alert
from kam.alerts.rules import rules
from kam.alerts.services import alerts_refresh
from kam.alerts.tests.conftest import TODAY, sell
from kam.testing.factories import make_unit


def test_an_account_above_a_fifth_of_company_revenue_is_an_alert(db):
    day = TODAY - dt.timedelta(days=60)
    big, mid, small = make_unit("Big Co"), make_unit("Mid Co"), make_unit("Small Co")
    sell(big, {day: Decimal(600)})
    sell(mid, {day: Decimal(200)})  # exactly 20 %: not above the threshold
    sell(small, {day: Decimal(200)})
    alerts_refresh(account_ids=[big.pk, mid.pk, small.pk], as_of=TODAY)
    found = Alert.objects.filter(kind="programme.dependence", status="open")
    assert [a.account_id for a in found] == [big.pk]
    assert found[0].params["share"] == "60.0"
    assert not rules.get("programme.dependence").intensity  # transactional accounts too


# --- the other risks of KAM that raise alerts (decision 104) --------------------------------

from kam.programme.models import ProgrammeSettings  # noqa: E402
from kam.programme.tests.helpers import key, revenue  # noqa: E402
from kam.testing.factories import UserFactory  # noqa: E402

AS_OF = dt.date(2026, 11, 30)


def _spread(n: int, amount: int = 10) -> list[int]:
    ids = []
    for i in range(n):
        unit = make_unit(f"Even {i:02d}")
        revenue(unit, amount)
        ids.append(unit.pk)
    return ids


def _live(kind: str) -> list[Alert]:
    return list(Alert.objects.filter(kind=kind, status="open").order_by("pk"))


def test_concentrated_revenue_is_one_alert_on_the_largest_account_owned_by_an_executive(db):
    UserFactory(username="kam1", role="kam")
    boss = UserFactory(username="boss", role="executive")
    big = make_unit("Big")
    revenue(big, 40)
    ids = [big.pk, *_spread(12, 5)]  # top 5 = 40 + 4 x 5 of 100 = 60 % (above 50 %)
    alerts_refresh(account_ids=ids, as_of=AS_OF)
    found = _live("programme.concentration")
    assert [(a.account_id, a.owner_id) for a in found] == [(big.pk, boss.pk)]
    assert found[0].params["top5"] == "60.0"
    assert found[0].evidence["top5_accounts"][0] == big.pk
    assert "/programme/risks/concentration/" in found[0].link


def test_the_stored_risk_owner_owns_the_concentration_alert(db):
    UserFactory(username="boss1", role="executive")
    chosen = UserFactory(username="boss2", role="executive")
    ProgrammeSettings.objects.create(risk_alert_owner=chosen)
    ids = _spread(3)  # three equal accounts: top 5 = 100 %
    alerts_refresh(account_ids=ids, as_of=AS_OF)
    assert [a.owner_id for a in _live("programme.concentration")] == [chosen.pk]


def test_spread_revenue_raises_no_concentration_alert_and_a_raised_one_clears(db):
    ids = _spread(20)  # top 5 = 25 %, HHI 500
    alerts_refresh(account_ids=ids, as_of=AS_OF)
    assert _live("programme.concentration") == []
    ProgrammeSettings.objects.create(concentration_top5_alert=20)  # stored threshold is read
    alerts_refresh(account_ids=ids, as_of=AS_OF)
    assert len(_live("programme.concentration")) == 1
    ProgrammeSettings.objects.create(concentration_top5_alert=30)
    alerts_refresh(account_ids=ids, as_of=AS_OF)
    assert _live("programme.concentration") == []
    assert Alert.objects.get(kind="programme.concentration").status == "resolved"


def test_herfindahl_index_above_its_stored_threshold_is_an_alert(db):
    ids = _spread(20)  # HHI 500
    ProgrammeSettings.objects.create(concentration_top5_alert=100, concentration_hhi_alert=400)
    alerts_refresh(account_ids=ids, as_of=AS_OF)
    assert _live("programme.concentration")[0].params["hhi"] == 500


def _quarters(account: object, margins: list[int]) -> None:
    for month, margin in zip(
        (dt.date(2026, 3, 1), dt.date(2026, 6, 1), dt.date(2026, 9, 1)), margins, strict=True
    ):
        revenue(account, 100, month=month, cost=100 - margin)  # type: ignore[arg-type]


def test_margin_erosion_is_an_alert_on_the_eroding_key_account_for_its_kam(db):
    kam = UserFactory(username="kam1", role="kam")
    eroding, steady = key("Eroding", account_manager=kam), key("Steady", account_manager=kam)
    _quarters(make_unit("Non-key"), [30, 30, 30])
    _quarters(eroding, [30, 25, 20])
    _quarters(steady, [30, 25, 30])  # fell once, then recovered: no alert
    for i in range(10):  # keep concentration and dependence out of the way
        revenue(make_unit(f"Other {i}"), 300)
    alerts_refresh(as_of=AS_OF)
    found = _live("programme.margin_erosion")
    assert [(a.account_id, a.owner_id) for a in found] == [(eroding.pk, kam.pk)]
    assert found[0].evidence["account_trend_points"] == [-5.0, -5.0]


def test_no_margin_erosion_alert_without_cost_data(db):
    a = key("A")
    revenue(a, 100)
    alerts_refresh(account_ids=[a.pk], as_of=AS_OF)
    assert _live("programme.margin_erosion") == []


def test_a_kam_over_capacity_gets_one_alert_and_a_kam_within_it_none(db):
    busy = UserFactory(username="busy", role="kam", capacity=2)
    calm = UserFactory(username="calm", role="kam", capacity=5)
    mine = [key(name, account_manager=busy) for name in ("Charlie", "Alpha", "Bravo")]
    theirs = [key(f"Calm {i}", account_manager=calm) for i in range(3)]
    alerts_refresh(account_ids=[u.pk for u in mine + theirs], as_of=AS_OF)
    found = _live("programme.kam_capacity")
    alpha = mine[1]
    assert [(a.account_id, a.owner_id) for a in found] == [(alpha.pk, busy.pk)]
    assert found[0].params["n"] == 3 and found[0].params["capacity"] == 2
    assert sorted(found[0].evidence["key_accounts"]) == sorted(u.pk for u in mine)
    busy.capacity = 3
    busy.save()
    alerts_refresh(account_ids=[u.pk for u in mine + theirs], as_of=AS_OF)
    assert _live("programme.kam_capacity") == []


def test_the_risk_rules_are_registered_and_not_intensity_rules():
    for kind in ("programme.concentration", "programme.margin_erosion", "programme.kam_capacity"):
        rule = rules.get(kind)
        assert rule is not None and not rule.intensity


def test_the_company_wide_rules_read_the_revenues_once_whatever_the_number_of_chunks(
    db, monkeypatch
):
    """The share of company revenue needs every account's revenue: read once per refresh, not
    once per chunk of accounts (21 times for the large demo's 20,800 accounts)."""
    from kam.alerts import services
    from kam.programme import selectors

    monkeypatch.setattr(services, "CHUNK", 3)
    reads = []
    real = selectors.account_revenues

    def counted(as_of):
        reads.append(as_of)
        return real(as_of)

    monkeypatch.setattr(selectors, "account_revenues", counted)
    big = make_unit("Big")
    revenue(big, 60)
    ids = [*_spread(10, 4), big.pk]  # eleven accounts: four chunks of three
    alerts_refresh(account_ids=ids, as_of=AS_OF)
    assert [a.account_id for a in _live("programme.dependence")] == [big.pk]
    assert [a.account_id for a in _live("programme.concentration")] == [big.pk]
    assert len(reads) == 2  # one per company-wide rule
