"""The honest backtest's arithmetic (decision 85): picks and captures, on plain data.

Pure (no ORM): ``selectors.backtest`` feeds it from the database, ``bench/backtest.py`` from
public data sets.

For a cut-off and a horizon of H months, per account: *future* = revenue of the H months after
the cut-off, *past* = revenue of the H months before it, *growth* = future − past. For each K:

* picks: the model's top K (its ranking), the naive top K (revenue of the last 12 months before
  the cut-off), the best possible K by future revenue and by growth (hindsight);
* revenue capture = future revenue of the K picked ÷ that of the best-revenue K;
* growth capture = growth of the K picked ÷ that of the best-growth K (can be negative: the
  picked accounts shrank);
* overlap = accounts both the model and the naive pick chose.

Ties are broken by the account's name, then its id, so that a backtest always gives the same
picks.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

MODEL, NAIVE, BEST_REVENUE, BEST_GROWTH = "model", "naive", "best_revenue", "best_growth"
PICKS = (MODEL, NAIVE, BEST_REVENUE, BEST_GROWTH)


@dataclass(frozen=True)
class Outcome:
    """One account of the population: its key, how it is shown, its figures."""

    key: Hashable
    name: str
    external_id: str
    revenue_12m: float  # the last 12 months before the cut-off (the naive pick's measure)
    past: float  # the H months before the cut-off
    future: float  # the H months after it

    @property
    def growth(self) -> float:
        return self.future - self.past


def _ratio(value: float, best: float) -> float:
    return round(value / best, 4) if best > 0 else 0.0


def compare(
    population: Sequence[Outcome], model_rank: Sequence[Hashable], tops: Sequence[int]
) -> list[dict[str, Any]]:
    """Picks and captures for every K in ``tops`` (see the module).

    ``model_rank``: the population's keys, the model's best first (keys not in the population
    are ignored; accounts the model did not rank come last).
    """
    by_key = {o.key: o for o in population}
    stable = sorted(population, key=lambda o: (o.name, str(o.key)))
    ranked = [by_key[k] for k in model_rank if k in by_key]
    seen = {o.key for o in ranked}
    ranked += [o for o in stable if o.key not in seen]
    orders = {
        MODEL: ranked,
        NAIVE: sorted(stable, key=lambda o: -o.revenue_12m),
        BEST_REVENUE: sorted(stable, key=lambda o: -o.future),
        BEST_GROWTH: sorted(stable, key=lambda o: -o.growth),
    }
    out = []
    for k in tops:
        chosen = {name: order[:k] for name, order in orders.items()}
        best_revenue = sum(o.future for o in chosen[BEST_REVENUE])
        best_growth = sum(o.growth for o in chosen[BEST_GROWTH])
        picks = {}
        for name, accounts in chosen.items():
            revenue = sum(o.future for o in accounts)
            growth = sum(o.growth for o in accounts)
            picks[name] = {
                "revenue_capture": _ratio(revenue, best_revenue),
                "growth_capture": _ratio(growth, best_growth),
                "revenue": round(revenue, 2),
                "growth": round(growth, 2),
                "accounts": [{"external_id": o.external_id, "name": o.name} for o in accounts],
            }
        overlap = len({o.key for o in chosen[MODEL]} & {o.key for o in chosen[NAIVE]})
        out.append({"top": k, "picks": picks, "overlap": overlap})
    return out
