"""A portfolio whose future is driven by a hidden true potential (the backtest's demo set).

``bench/backtest.py`` needs data where the best possible pick is not simply last year's biggest
customers: each account has a size today and a hidden potential — what it could buy from us —
and its monthly purchases move from its size towards its potential over the years, with
seasonality, irregular purchase months and noise. Some accounts are saturated (potential at or
below size) and drift or shrink; some are small today with a large potential and grow. Nothing
of the potential is stored: only the purchases show it, as in real life.

Pure (no database): it returns the monthly matrices that ``kam.identification.predict``
reads, so the benchmark scores thousands of accounts in seconds.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

SEASON = (0.85, 0.9, 1.05, 1.0, 1.0, 1.05, 0.8, 0.75, 1.05, 1.1, 1.15, 1.2)
NOISE_SIGMA = 0.35  # a purchase's amount varies by a lognormal factor with this sigma


@dataclass
class PotentialPortfolio:
    names: list[str]
    potential: list[float]  # the hidden yearly potential (not shown to the model)
    revenue: np.ndarray  # accounts × months
    lines: np.ndarray
    units: np.ndarray
    # what the generator expects each account to buy each month (its level × season × the
    # noise's mean): the best any forecast could know; the backtest's ceiling, never a model input
    expected: np.ndarray


def potential_portfolio(
    *, accounts: int = 2000, months: int = 60, seed: int = 7
) -> PotentialPortfolio:
    """``accounts`` accounts over ``months`` months (see the module)."""
    rng = random.Random(f"openkam-potential:{seed}")
    revenue = np.zeros((accounts, months))
    lines = np.zeros((accounts, months))
    units = np.zeros((accounts, months))
    expected = np.zeros((accounts, months))
    noise_mean = math.exp(NOISE_SIGMA**2 / 2)
    names, potentials = [], []
    for i in range(accounts):
        size = 12_000 * rng.paretovariate(1.3)  # yearly revenue when first seen
        ratio = rng.lognormvariate(0.1, 0.7)  # potential / size: < 1 saturated, > 1 headroom
        potential = size * ratio
        speed = rng.uniform(0.02, 0.08)  # share of the gap closed per month
        start = rng.randrange(0, months // 2) if rng.random() < 0.3 else 0
        frequency = min(0.95, 0.25 + 0.15 * math.log10(1 + size / 1000) + rng.uniform(-0.1, 0.1))
        breadth = max(1, round(1 + 2 * math.log10(1 + potential / 10_000)))
        level = size / 12
        for m in range(start, months):
            target = potential / 12
            level += (target - level) * speed
            expected[i, m] = level * SEASON[m % 12] * noise_mean
            if rng.random() > frequency:
                continue
            amount = level / frequency * SEASON[m % 12] * rng.lognormvariate(0, NOISE_SIGMA)
            revenue[i, m] = round(amount, 2)
            lines[i, m] = max(1, min(breadth, round(rng.uniform(0.5, 1.2) * breadth)))
            units[i, m] = 1 + int(rng.random() < min(0.8, potential / 2_000_000))
        names.append(f"Account {i + 1:05}")
        potentials.append(round(potential, 2))
    return PotentialPortfolio(names, potentials, revenue, lines, units, expected)
