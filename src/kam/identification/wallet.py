"""Wallet (the account's total spend in our categories): peer estimate and manual override.

DOMAIN §3: among customers of the same industry (and size band), take revenue-with-us per
employee; the wallet of account *i* = q-quantile (default 0.8) × employees of *i*, when at least
``min_peers`` (default 10) peers exist. Peers are looked for in the same industry and size band
first, then in the same industry across sizes. A manual estimate overrides the peer estimate.
Share of wallet = revenue / wallet (at most 1); headroom = max(wallet − revenue, 0).

Floor (decision 87): an estimate below the account's own revenue of the last 12 months is not a
wallet. It is replaced by the account's own trajectory — the last 12 months grown at the rate
of the last 12 against the prior 12, when that is positive — or by the learned expected revenue
of the next 12 months when that is higher; the basis then says "own" or "forecast", and the
confidence of such a floor is low.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# Employees: upper bounds of the size bands (EU SME classes, then large and very large).
SIZE_BANDS = (10, 50, 250, 1000, 5000)

MANUAL, PEER = "manual", "peer"
OWN, FORECAST = "own", "forecast"  # floors: own trajectory, learned expected revenue

# how far a wallet of each basis can be trusted ("" for a manual estimate: as assessed)
CONFIDENCE = {MANUAL: "", PEER: "medium", OWN: "low", FORECAST: "low"}


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
        return share_of_wallet(self.wallet, revenue)

    def headroom(self, revenue: float) -> float | None:
        return headroom(self.wallet, revenue)


def share_of_wallet(wallet: float | None, revenue: float) -> float | None:
    """revenue / wallet, at most 1; None without a positive wallet."""
    if not wallet or wallet <= 0:
        return None
    return min(revenue / wallet, 1.0)


def headroom(wallet: float | None, revenue: float) -> float | None:
    """max(wallet − revenue, 0); None without a wallet."""
    if wallet is None:
        return None
    return max(wallet - revenue, 0.0)


def wallet_columns(
    industry: list[str],
    employees: list[int | None],
    revenue: list[float],
    manual: list[float | None],
    *,
    q: float = 0.8,
    min_peers: int = 10,
) -> tuple[list[float | None], list[str], list[int]]:
    """Wallet, basis ("manual", "peer" or "") and peer count of every account, column-wise."""
    n = len(industry)
    bands = [size_band(e) for e in employees]
    by_band: dict[tuple[str, int | None], list[float]] = defaultdict(list)
    by_industry: dict[str, list[float]] = defaultdict(list)
    for ind, heads, band, rev in zip(industry, employees, bands, revenue, strict=True):
        if ind and heads and heads > 0 and rev > 0:
            per_head = rev / heads
            by_band[(ind, band)].append(per_head)
            by_industry[ind].append(per_head)
    band_q: dict[tuple[str, int | None], float] = {}
    industry_q: dict[str, float] = {}
    wallet: list[float | None] = [None] * n
    basis = [""] * n
    peers_of = [0] * n
    for i in range(n):
        if manual[i] is not None:
            wallet[i], basis[i] = manual[i], MANUAL
            continue
        ind, heads = industry[i], employees[i]
        if not ind or not heads or heads <= 0:
            continue
        peer_group = (ind, bands[i])
        peers = by_band.get(peer_group, [])
        if len(peers) >= min_peers:
            if peer_group not in band_q:
                band_q[peer_group] = quantile(peers, q)
            per_head = band_q[peer_group]
        else:
            peers = by_industry.get(ind, [])
            if len(peers) < min_peers:
                peers_of[i] = len(peers)
                continue
            if ind not in industry_q:
                industry_q[ind] = quantile(peers, q)
            per_head = industry_q[ind]
        wallet[i], basis[i], peers_of[i] = per_head * heads, PEER, len(peers)
    return wallet, basis, peers_of


def floor_wallets(
    wallet: list[float | None],
    basis: list[str],
    revenue: list[float],
    prior_revenue: list[float],
    expected: list[float | None],
) -> tuple[list[float | None], list[str]]:
    """Wallets below the account's own revenue replaced by its trajectory or its expected
    revenue, whichever is higher (see the module); other wallets unchanged."""
    out, out_basis = list(wallet), list(basis)
    for i, (w, r, prior, e) in enumerate(
        zip(wallet, revenue, prior_revenue, expected, strict=True)
    ):
        if w is None or r <= 0 or w >= r:
            continue
        trajectory = r * max(1.0, r / prior) if prior > 0 else r
        if e is not None and e > trajectory:
            out[i], out_basis[i] = e, FORECAST
        else:
            out[i], out_basis[i] = trajectory, OWN
    return out, out_basis


def estimate_wallets(
    accounts: Iterable[WalletAccount], *, q: float = 0.8, min_peers: int = 10
) -> dict[int, WalletEstimate]:
    """Wallet estimates for all accounts at once (one pass to group, one quantile per group)."""
    accounts = list(accounts)
    wallet, basis, peers = wallet_columns(
        [a.industry for a in accounts],
        [a.employees for a in accounts],
        [a.revenue for a in accounts],
        [a.manual for a in accounts],
        q=q,
        min_peers=min_peers,
    )
    return {
        a.id: WalletEstimate(w, b, p)
        for a, w, b, p in zip(accounts, wallet, basis, peers, strict=True)
    }
