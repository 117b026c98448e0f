"""The learned expected revenue (decision 86): trends, no leakage, fallback, drivers."""

import numpy as np

from kam.identification import predict
from kam.identification.predict import History, forecast


def _history(revenue: np.ndarray) -> History:
    n, months = revenue.shape
    bought = (revenue > 0).astype(float)
    return History(list(range(1, n + 1)), revenue.astype(float), bought, bought)


def _synthetic(months: int = 36, per_kind: int = 40, seed: int = 1) -> np.ndarray:
    """Growing, shrinking and flat accounts; each kind's sizes spread around 1,000 a month."""
    rng = np.random.default_rng(seed)
    rows = []
    t = np.arange(months)
    for rate in (0.04, -0.04, 0.0):
        for _ in range(per_kind):
            size = 1000 * rng.lognormal(0, 0.5)
            rows.append(size * (1 + rate) ** (t - months) * rng.uniform(0.9, 1.1, months))
    return np.vstack(rows)


def test_the_growing_account_ranks_above_the_shrinking_one_of_equal_past_revenue():
    revenue = _synthetic()
    # two test accounts with the same revenue over the last 12 months: one growing, one not
    t = np.arange(36)
    up = (1.04) ** (t - 36)
    down = (0.96) ** (t - 36)
    up *= 12_000 / up[-12:].sum()
    down *= 12_000 / down[-12:].sum()
    history = _history(np.vstack([revenue, up, down]))
    result = forecast(history)
    assert result.basis == predict.LEARNED
    growing, shrinking = result.values[-2], result.values[-1]
    assert growing > shrinking
    assert result.accuracy["mae"] >= 0
    assert result.accuracy["rank_correlation"] > 0.5


def test_rolling_origin_training_reads_nothing_after_the_cut_off():
    """A spike planted after the cut-off changes nothing: the history ends at the cut-off and
    the training targets all lie before it."""
    revenue = _synthetic(months=40)
    cut = 36
    planted = revenue.copy()
    planted[:5, cut:] *= 1000  # a future spike on five accounts
    plain = forecast(_history(revenue[:, :cut]))
    spiked = forecast(_history(planted[:, :cut]))
    assert plain.values == spiked.values
    # and the training origins' targets end at or before the cut-off
    origins = predict.origins_before(cut, predict.HORIZON)
    assert origins and max(origins) + predict.HORIZON <= cut


def test_features_at_an_origin_read_only_the_months_before_it():
    revenue = _synthetic(months=36)
    changed = revenue.copy()
    changed[:, 20:] = 0
    a = predict.features_at(_history(revenue), 20)
    b = predict.features_at(_history(changed), 20)
    assert np.array_equal(np.nan_to_num(a), np.nan_to_num(b))


def test_a_short_history_falls_back_to_the_run_rate_and_says_so():
    revenue = _synthetic(months=8)
    result = forecast(_history(revenue))
    assert result.basis == predict.RUN_RATE
    assert result.values[0] == round(float(revenue[0, -12:].sum()), 2)


def test_the_drivers_name_the_recent_trend():
    months = np.full(36, 1000.0)
    months[-3:] = 1400.0  # last 3 months +40 % against the same months a year ago
    result = forecast(_history(np.vstack([months])), accuracy=False)
    assert [predict.TREND_3M, 40] in result.drivers[0]


def test_an_overflowing_prediction_gets_the_run_rate_and_the_summary_stays_json(monkeypatch):
    """The Poisson model's exponential can overflow on a large portfolio's biggest accounts:
    the run had failed to save, its summary holding a non-JSON infinity."""
    import json

    revenue = _synthetic()
    real = predict._predict

    def overflowing(model, x):
        out = real(model, x)
        out[0] = np.inf
        return out

    monkeypatch.setattr(predict, "_predict", overflowing)
    result = forecast(_history(revenue))
    assert result.basis == predict.LEARNED
    assert result.values[0] == round(float(revenue[0, -12:].sum()), 2)  # its run rate
    assert all(np.isfinite(result.values))
    json.dumps(result.accuracy, allow_nan=False)  # no NaN or infinity in the summary


def test_a_prediction_far_above_anything_learned_gets_the_run_rate(monkeypatch):
    """A finite blow-up of the exponential (1.9e31 for an account of 100,000 a year, seen on
    the medium demo) is no forecast: it cannot be stored, and would rank the account first."""
    revenue = _synthetic()
    real = predict._predict

    def exploding(model, x):
        out = real(model, x)
        out[1] = 1.86e31
        return out

    monkeypatch.setattr(predict, "_predict", exploding)
    result = forecast(_history(revenue))
    assert result.basis == predict.LEARNED
    assert result.values[1] == round(float(revenue[1, -12:].sum()), 2)  # its run rate
    assert max(result.values) <= 2 * revenue.sum(axis=1).max()
