"""The backtest page: two model versions side by side, a chart of capture by K."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from kam.testing.factories import make_unit

from .conftest import make_model

pytestmark = pytest.mark.django_db

LAST, NEXT = dt.date(2025, 3, 1), dt.date(2025, 9, 1)


@pytest.fixture
def portfolio(sell):
    for name, last, future in [("Big", 1000, 500), ("Growing", 400, 900), ("Small", 50, 60)]:
        account = make_unit(name)
        sell(account, last, LAST)
        sell(account, future, NEXT)
    return (
        make_model([("revenue", "potential", "revenue_12m", "percentile", 1)], version=100),
        make_model([("growth", "potential", "growth", "percentile", 1)], version=101),
    )


def test_two_versions_side_by_side_with_a_chart(portfolio, client_for):
    url = reverse("identification:backtest")
    page = client_for("admin").get(
        url, {"as_of": "2025-06-30", "horizon": "6", "a": "100", "b": "101"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-model="100"' in html and 'data-model="101"' in html
    data = json.loads(html.split('id="backtest-data" type="application/json">')[1].split("<")[0])
    assert data["tops"] == [20, 50, 100]
    assert len(data["series"]) == 6  # two models × two captures, and the naive pick's two
    # K = 20 takes all three accounts: every pick captures everything there is
    assert data["series"][0]["values"][0] == 1.0


def test_the_form_alone_without_a_cut_off(portfolio, client_for):
    page = client_for("executive").get(reverse("identification:backtest"))
    assert page.status_code == 200
    assert "backtest-chart" not in page.content.decode()


@pytest.mark.parametrize(
    "params", [{"as_of": "30.06.2025"}, {"as_of": "2025-06-30", "horizon": "x"},
               {"as_of": "9999-01-01"}, {"as_of": "2025-06-30", "horizon": "5"}]
)  # fmt: skip
def test_bad_settings_are_a_400(portfolio, client_for, params):
    assert client_for("admin").get(reverse("identification:backtest"), params).status_code == 400


def test_who_may_run_it(portfolio, client, client_for, kam_a):
    url = reverse("identification:backtest")
    assert client_for("outsider").get(url).status_code == 403
    assert client_for("kam").get(url).status_code == 403
    client.force_login(kam_a.user)  # a KAM sees their own account's score, not the backtest
    assert client.get(url).status_code == 403


def test_the_page_reads_a_bounded_number_of_queries(
    portfolio, sell, client_for, django_assert_max_num_queries
):
    client = client_for("admin")
    url = reverse("identification:backtest")
    params = {"as_of": "2025-06-30", "horizon": "6", "a": "100", "b": "101"}
    with django_assert_max_num_queries(60):
        assert client.get(url, params).status_code == 200
    for k in range(27):  # ×10 accounts
        account = make_unit(f"More {k:02}")
        sell(account, 100 + k, LAST)
        sell(account, 90 + k, NEXT)
    with django_assert_max_num_queries(60):
        assert client.get(url, params).status_code == 200


def test_a_run_keeps_its_summary_for_the_dashboard(portfolio, client_for):
    from kam.identification.models import SelectionBacktest
    from kam.identification.selectors import backtest_latest

    assert backtest_latest() is None  # the dashboard says "not run yet"
    client = client_for("admin")
    client.get(reverse("identification:backtest"), {"as_of": "2025-06-30", "horizon": "6"})
    kept = backtest_latest()
    assert kept is not None
    assert kept.as_of == dt.date(2025, 6, 30)
    assert kept.horizon_months == 6
    assert [r["top"] for r in kept.summary["results"]] == [20, 50, 100]
    assert kept.summary["results"][0]["model_revenue_capture"] == 1.0
    assert kept.summary["population"] == 3
    for _ in range(11):
        client.get(reverse("identification:backtest"), {"as_of": "2025-06-30", "horizon": "6"})
    assert SelectionBacktest.objects.count() == 10  # the ten newest are kept
