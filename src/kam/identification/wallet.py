"""Wallet (the account's total spend in our categories): peer estimate and manual override.

DOMAIN §3: among customers of the same industry (and size band), take revenue-with-us per
employee; the wallet of account *i* = q-quantile (default 0.8) × employees of *i*, when at least
``min_peers`` (default 10) peers exist. Peers are looked for in the same industry and size band
first, then in the same industry across sizes. A manual estimate overrides the peer estimate.
Share of wallet = revenue / wallet (at most 1); headroom = max(wallet − revenue, 0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# Employees: upper bounds of the size bands (EU SME classes, then large and very large).
SIZE_BANDS = (10, 50, 250, 1000, 5000)

MANUAL, PEER = "manual", "peer"


def size_band(employees: int | None) -> int | None:
    """Index of the size band of a head count (None when unknown)."""
    if not employees or employees <= 0:
        return None
    for index, bound in enumerate(SIZE_BANDS):
        if employees < bound:
            return index
    return len(SIZE_BANDS)


def quantile(values: list[float], q: float) -> float:
    """The q-quantile with linear interpolation between order statistics (as numpy/polars)."""
    if not values:
        raise ValueError("quantile of no values")
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class WalletAccount:
    id: int
    industry: str
    employees: int | None
    revenue: float
    manual: float | None = None


@dataclass(frozen=True)
class WalletEstimate:
    wallet: float | None
    basis: str  # "manual", "peer" or "" (no estimate)
    peers: int = 0

    def share(self, revenue: float) -> float | None:
        if not self.wallet or self.wallet <= 0:
            return None
        return min(revenue / self.wallet, 1.0)

    def headroom(self, revenue: float) -> float | None:
        if self.wallet is None:
            return None
        return max(self.wallet - revenue, 0.0)


def estimate_wallets(
    accounts: Iterable[WalletAccount], *, q: float = 0.8, min_peers: int = 10
) -> dict[int, WalletEstimate]:
    """Wallet estimates for all accounts at once (one pass to group, one quantile per group)."""
    accounts = list(accounts)
    by_band: dict[tuple[str, int | None], list[float]] = defaultdict(list)
    by_industry: dict[str, list[float]] = defaultdict(list)
    for acc in accounts:
        if acc.industry and acc.employees and acc.employees > 0 and acc.revenue > 0:
            per_head = acc.revenue / acc.employees
            by_band[(acc.industry, size_band(acc.employees))].append(per_head)
            by_industry[acc.industry].append(per_head)
    band_q: dict[tuple[str, int | None], float] = {}
    industry_q: dict[str, float] = {}
    result: dict[int, WalletEstimate] = {}
    for acc in accounts:
        if acc.manual is not None:
            result[acc.id] = WalletEstimate(acc.manual, MANUAL)
            continue
        if not acc.industry or not acc.employees or acc.employees <= 0:
            result[acc.id] = WalletEstimate(None, "")
            continue
        band = (acc.industry, size_band(acc.employees))
        peers = by_band.get(band, [])
        if len(peers) >= min_peers:
            if band not in band_q:
                band_q[band] = quantile(peers, q)
            per_head = band_q[band]
        else:
            peers = by_industry.get(acc.industry, [])
            if len(peers) < min_peers:
                result[acc.id] = WalletEstimate(None, "", len(peers))
                continue
            if acc.industry not in industry_q:
                industry_q[acc.industry] = quantile(peers, q)
            per_head = industry_q[acc.industry]
        result[acc.id] = WalletEstimate(per_head * acc.employees, PEER, len(peers))
    return result
