"""The wallet floor (decision 87) and what the explanation says about data-aware weights and
the learned expected revenue (decisions 84, 86)."""

from django.utils import translation

from kam.identification import predict
from kam.identification.engine import NO_DATA, CriterionSpec
from kam.identification.explain import explain_expected, explain_left_out, explain_wallet
from kam.identification.wallet import FORECAST, OWN, PEER, floor_wallets


def test_a_wallet_below_own_revenue_is_floored_by_trajectory_or_prediction():
    wallet, basis = floor_wallets(
        [805_000.0, 805_000.0, 2_000_000.0, None],
        [PEER, PEER, PEER, ""],
        [1_560_000.0, 1_560_000.0, 1_560_000.0, 1_000.0],
        [1_200_000.0, 1_200_000.0, 1_200_000.0, 0.0],
        [1_500_000.0, 2_500_000.0, 1_500_000.0, None],
    )
    # own trajectory: 1.56M × 1.56 / 1.2 = 2.028M, above the prediction of 1.5M
    assert (round(wallet[0]), basis[0]) == (2_028_000, OWN)
    assert (wallet[1], basis[1]) == (2_500_000.0, FORECAST)  # the prediction is higher
    assert (wallet[2], basis[2]) == (2_000_000.0, PEER)  # above revenue: unchanged
    assert (wallet[3], basis[3]) == (None, "")


def test_the_explanation_says_where_a_left_out_weight_went():
    criteria = [
        CriterionSpec("revenue", "Current revenue", "potential", "revenue_12m", "percentile", 10),
        CriterionSpec("wallet", "Wallet (potential)", "potential", "wallet", "percentile", 20),
        CriterionSpec("growth", "Growth", "potential", "growth", "percentile", 5),
    ]
    with translation.override("en"):
        (sentence,) = explain_left_out({"wallet": NO_DATA}, criteria)
    assert sentence == (
        "Wallet (potential): no data for any account — its weight moved to Current revenue, Growth."
    )


def test_the_explanation_names_the_prediction_and_its_drivers():
    expected = {
        "value": 1234567.4,
        "basis": predict.LEARNED,
        "drivers": [[predict.TREND_3M, 40], [predict.MONTHS_BOUGHT, 9]],
    }
    with translation.override("en"):
        (sentence,) = explain_expected(expected, "EUR")
        floor = explain_wallet(OWN)
    assert "1,234,567 EUR" in sentence
    assert "last 3 months +40 % against a year ago" in sentence
    assert "bought in 9 of the last 12 months" in sentence
    assert "confidence low" in floor[0]
    assert explain_expected({}) == []
