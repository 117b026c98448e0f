"""Expected revenue of the next 12 months, learned from the supplier's own sales history.

Pure computation (numpy, scikit-learn), no ORM: ``inputs.collect_history`` reads the monthly
history, :func:`forecast` learns and predicts, ``engine.py`` scores the prediction like any
other criterion (decision 86).

The model: scikit-learn's ``HistGradientBoostingRegressor`` (Poisson loss: revenue is a
non-negative sum) on features of each account's monthly history — revenue of the last 3, 6 and
12 months, the prior 12, the same months a year ago, months with purchases, months since the
last and the first purchase, product lines and units buying — trained by rolling origin: at
earlier cut-offs ``t`` of the same history the features use months before ``t`` only and the
target is the revenue of the ``horizon`` months from ``t``, all of them before the scoring
cut-off. Nothing after the cut-off is ever read, so a run as of a past day predicts what it
could have predicted then.

Fallback: with too little history to learn 12 months ahead (fewer than ``horizon`` +
``MIN_ORIGIN`` months, or fewer than ``MIN_TRAINING_ROWS`` accounts with a purchase at the
training cut-offs) a shorter horizon (6, then 3 months) is learned and scaled to 12; with less
still, the expected revenue is the run rate of the last 12 months, and the basis says so.
Accuracy: a second model trained on the origins before the last held-back period predicts it;
its mean absolute error and rank
correlation with what happened are kept on the run and shown on the model page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

HISTORY_MONTHS = 36  # months of history read before the cut-off
HORIZON = 12  # months predicted
STEP = 3  # months between training origins
MIN_ORIGIN = 6  # the earliest training origin: months of features before it
SHORTER_HORIZONS = (6, 3)  # learned (and scaled) when the history is too short for 12
MIN_TRAINING_ROWS = 30
MAX_TRAINING_ROWS = 30_000  # rows sampled (evenly) beyond this, to bound the run's time

LEARNED = "learned"  # basis: predicted by the learned model
RUN_RATE = "run_rate"  # basis: too little history, the last 12 months' revenue

Matrix = npt.NDArray[np.float64]

FEATURES = (
    "revenue_3m",
    "revenue_6m",
    "revenue_12m",
    "revenue_prior_12m",
    "revenue_3m_year_ago",
    "revenue_next_year_ago",
    "months_bought_12",
    "months_bought_24",
    "months_since_last",
    "months_since_first",
    "lines_12m",
    "units_12m",
    "trend_3m",
    "trend_12m",
)


@dataclass
class History:
    """Monthly history of every account: one row per account, one column per month, the last
    column being the last full month before the cut-off."""

    account_ids: list[int]
    revenue: Matrix  # net revenue
    lines: Matrix  # distinct product lines bought
    units: Matrix  # distinct units buying

    @classmethod
    def empty(cls, account_ids: list[int], months: int = HISTORY_MONTHS) -> History:
        shape = (len(account_ids), months)
        return cls(list(account_ids), np.zeros(shape), np.zeros(shape), np.zeros(shape))

    @property
    def months(self) -> int:
        return int(self.revenue.shape[1])

    def months_with_data(self) -> int:
        """Months from the first month with any revenue to the cut-off."""
        active = np.flatnonzero(np.abs(self.revenue).sum(axis=0) > 0)
        return 0 if active.size == 0 else self.months - int(active[0])


@dataclass
class Forecast:
    """The expected revenue of every account (by position in the history), how it was made and
    what drove it, and the model's accuracy on the last held-back period."""

    values: list[float]
    basis: str
    drivers: list[list[list[Any]]]  # per account: [[driver code, value], ...]
    accuracy: dict[str, Any] = field(default_factory=dict)


def _window(m: Matrix, t: int, start: int, end: int) -> Matrix:
    """Sum of the months [t − start, t − end) per row; NaN when the window reaches before the
    first column (unknown, not zero)."""
    lo, hi = t - start, t - end
    if lo < 0:
        return np.full(m.shape[0], np.nan)
    return m[:, lo:hi].sum(axis=1)


def features_at(history: History, t: int, horizon: int = HORIZON) -> Matrix:
    """The feature matrix of every account as at column ``t`` (months before ``t`` only)."""
    rev, n = history.revenue[:, :t], history.revenue.shape[0]
    bought = rev > 0
    r3 = _window(rev, t, 3, 0)
    r6 = _window(rev, t, 6, 0)
    r12 = _window(rev, t, 12, 0)
    prior12 = _window(rev, t, 24, 12)
    ya3 = _window(rev, t, 15, 12)
    next_ya = _window(rev, t, 12, 12 - min(horizon, 12))
    m12 = bought[:, max(t - 12, 0) :].sum(axis=1).astype(float)
    m24 = bought[:, max(t - 24, 0) :].sum(axis=1).astype(float) if t >= 24 else np.full(n, np.nan)
    any_bought = bought.any(axis=1)
    last = np.where(any_bought, t - 1 - np.argmax(bought[:, ::-1], axis=1), np.nan)
    since_last = np.where(any_bought, t - last, np.nan)
    first = np.where(any_bought, np.argmax(bought, axis=1), np.nan)
    since_first = np.where(any_bought, t - first, np.nan)
    lines12 = history.lines[:, max(t - 12, 0) : t].mean(axis=1)
    units12 = history.units[:, max(t - 12, 0) : t].mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        trend3 = (r3 - ya3) / (np.abs(r3) + np.abs(ya3) + 1.0)
        trend12 = (r12 - prior12) / (np.abs(r12) + np.abs(prior12) + 1.0)
    return np.column_stack(
        [r3, r6, r12, prior12, ya3, next_ya, m12, m24, since_last, since_first, lines12,
         units12, trend3, trend12]
    )  # fmt: skip


def _training_set(history: History, origins: list[int], horizon: int) -> tuple[Matrix, Matrix]:
    xs, ys = [], []
    for t in origins:
        seen = (history.revenue[:, :t] > 0).any(axis=1)  # accounts that existed at t
        if not seen.any():
            continue
        x = features_at(history, t, horizon)[seen]
        y = np.clip(history.revenue[:, t : t + horizon].sum(axis=1)[seen], 0, None)
        xs.append(x)
        ys.append(y)
    if not xs:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    x_all, y_all = np.vstack(xs), np.concatenate(ys)
    if len(y_all) > MAX_TRAINING_ROWS:
        keep = np.linspace(0, len(y_all) - 1, MAX_TRAINING_ROWS).astype(int)
        x_all, y_all = x_all[keep], y_all[keep]
    return x_all, y_all


def origins_before(end: int, horizon: int) -> list[int]:
    """Training origins whose target months all lie before column ``end``, newest first."""
    out, t = [], end - horizon
    while t >= MIN_ORIGIN:
        out.append(t)
        t -= STEP
    return out


def _fit(x: Matrix, y: Matrix) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    model = HistGradientBoostingRegressor(
        loss="poisson",
        learning_rate=0.08,
        max_iter=100,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=0,
    )
    # a feature unknown at every origin (no history that far back) is a constant: no split
    x = np.where(np.isnan(x).all(axis=0, keepdims=True), 0.0, x)
    # the targets in thousands: Poisson gradients stay in a sensible range whatever the currency
    # one thread: OpenMP threads spinning on a shared machine cost far more than they give
    with threadpool_limits(limits=1):
        model.fit(x, y / 1000.0)
    return model


def _predict(model: Any, x: Matrix) -> Matrix:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return np.clip(model.predict(x) * 1000.0, 0, None)


def rank_correlation(a: Matrix, b: Matrix) -> float | None:
    """Spearman's rank correlation (None when either side is constant)."""
    from scipy.stats import spearmanr

    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    value = float(spearmanr(a, b).statistic)
    return None if math.isnan(value) else round(value, 4)


def run_rate(history: History, horizon: int = HORIZON) -> Matrix:
    """The simple alternative: the last 12 months' revenue, scaled to the horizon."""
    t = history.months
    return np.clip(history.revenue[:, max(t - 12, 0) : t].sum(axis=1), 0, None) * horizon / 12


def forecast(history: History, horizon: int = HORIZON, *, accuracy: bool = True) -> Forecast:
    """Expected revenue of the next ``horizon`` months of every account (see the module).

    When the history is too short to learn ``horizon`` months ahead, a shorter horizon that
    can be learned (6, then 3 months) is predicted and scaled up; too short even for that, the
    run rate.
    """
    n = len(history.account_ids)
    drivers = drivers_of(history)
    for h in sorted({horizon, *(k for k in SHORTER_HORIZONS if k < horizon)}, reverse=True):
        if history.months_with_data() < h + MIN_ORIGIN:
            continue
        origins = origins_before(history.months, h)
        x, y = _training_set(history, origins, h)
        if n == 0 or len(y) < MIN_TRAINING_ROWS or not y.sum() > 0:
            continue
        model = _fit(x, y)
        values = _predict(model, features_at(history, history.months, h)) * horizon / h
        # A prediction that overflowed (the Poisson model's exponential, on the largest
        # accounts of a large portfolio) is no prediction, nor is one above twice the largest
        # outcome the model learned from (the medium demo had five accounts of about 100,000 a
        # year expected at up to 1.9e31, which no money column holds): such an account gets
        # its run rate.
        ceiling = 2.0 * float(y.max()) * horizon / h
        sane = np.isfinite(values) & (values <= ceiling)
        values = np.where(sane, values, run_rate(history, horizon))
        # accounts that never bought expect nothing
        values = np.where((history.revenue > 0).any(axis=1), values, 0.0)
        info: dict[str, Any] = {
            "basis": LEARNED,
            "horizon": h,
            "origins": len(origins),
            "rows": int(len(y)),
        }
        if accuracy:
            info.update(held_back_accuracy(history, h))
        return Forecast([round(float(v), 2) for v in values], LEARNED, drivers, info)
    values = run_rate(history, horizon)
    return Forecast([round(float(v), 2) for v in values], RUN_RATE, drivers, {"basis": RUN_RATE})


def held_back_accuracy(history: History, horizon: int = HORIZON) -> dict[str, Any]:
    """Train on the origins before the last held-back period, predict it, compare: mean
    absolute error and rank correlation, of the model and of the run rate."""
    t_end = history.months
    held = t_end - horizon
    x, y = _training_set(history, origins_before(held, horizon), horizon)
    if len(y) < MIN_TRAINING_ROWS or held < MIN_ORIGIN or not y.sum() > 0:
        return {}
    seen = (history.revenue[:, :held] > 0).any(axis=1)
    if not seen.any():
        return {}
    model = _fit(x, y)
    predicted = _predict(model, features_at(history, held, horizon)[seen])
    actual = np.clip(history.revenue[:, held:t_end].sum(axis=1)[seen], 0, None)
    past = history.revenue[:, max(held - 12, 0) : held].sum(axis=1)[seen]
    naive = np.clip(past, 0, None) * horizon / 12
    predicted = np.where(np.isfinite(predicted), predicted, naive)  # as ``forecast`` does
    return {
        "accounts": int(seen.sum()),
        "mae": round(float(np.mean(np.abs(predicted - actual))), 2),
        "rank_correlation": rank_correlation(predicted, actual),
        "run_rate_mae": round(float(np.mean(np.abs(naive - actual))), 2),
        "run_rate_rank_correlation": rank_correlation(naive, actual),
    }


# Driver codes: what the explanation says about an account's history (explain.py words them).
TREND_3M = "trend_3m"  # last 3 months against the same 3 months a year ago, %
TREND_12M = "trend_12m"  # last 12 months against the prior 12, %
MONTHS_BOUGHT = "months_bought"  # months with purchases in the last 12
SINCE_LAST = "since_last"  # months since the last purchase
LINES = "lines"  # product lines bought in a month, on average over the last 12


def drivers_of(history: History) -> list[list[list[Any]]]:
    """The history facts the prediction rests on, per account, strongest first (at most 3).

    Each fact has a strength (a trend by its size, a silence by its length, the months with
    purchases and the product lines a fixed small one); the columns are computed for every
    account at once, then each account keeps its three strongest, in the order above on ties.
    """
    t = history.months
    x = features_at(history, t)
    col = {name: k for k, name in enumerate(FEATURES)}
    r3, ya3 = x[:, col["revenue_3m"]], x[:, col["revenue_3m_year_ago"]]
    r12, prior = x[:, col["revenue_12m"]], x[:, col["revenue_prior_12m"]]
    since, bought = x[:, col["months_since_last"]], x[:, col["months_bought_12"]]
    lines = x[:, col["lines_12m"]]
    with np.errstate(invalid="ignore", divide="ignore"):
        has3 = ~np.isnan(ya3) & (ya3 > 0)
        pct3 = np.where(has3, np.round(100 * (r3 / np.where(has3, ya3, 1) - 1)), 0)
        has12 = ~np.isnan(prior) & (prior > 0)
        pct12 = np.where(has12, np.round(100 * (r12 / np.where(has12, prior, 1) - 1)), 0)
    silent = ~np.isnan(since) & (since > 3)
    codes = (TREND_3M, TREND_12M, SINCE_LAST, MONTHS_BOUGHT, LINES)
    values = (pct3, pct12, np.nan_to_num(since), bought, lines)
    strength = np.column_stack(
        [
            np.where(has3, np.abs(pct3) / 100 + 0.2, -np.inf),
            np.where(has12, np.abs(pct12) / 100 + 0.1, -np.inf),
            np.where(silent, np.nan_to_num(since) / 6, -np.inf),
            np.where(r12 > 0, 0.15, -np.inf),
            np.where(lines >= 2, 0.05, -np.inf),
        ]
    )
    order = np.argsort(-strength, axis=1, kind="stable")[:, :3]
    kept = np.take_along_axis(strength, order, axis=1) > -np.inf
    columns = [v.tolist() for v in values]
    out: list[list[list[Any]]] = []
    for row, (picks, present) in enumerate(zip(order.tolist(), kept.tolist(), strict=True)):
        facts: list[list[Any]] = []
        for k, ok in zip(picks, present, strict=True):
            if ok:
                value = columns[k][row]
                facts.append([codes[k], round(value, 1) if k == 4 else int(value)])
        out.append(facts)
    return out
