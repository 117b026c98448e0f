"""The reference: the default scoring model in plain pandas, from the raw tables.

A deliberately straightforward implementation of DOMAIN.md §3, written to be read next to
``src/kam/identification/engine.py`` and ``wallet.py`` and to give the same scores: it does not
use the monthly roll-ups, the ORM or any OpenKAM code. Every table is read whole (transactions
only for the 24-month window) with ``pandas.read_sql`` and everything else is pandas:

* **Windows.** As of a date only full months count: the data end is the first day of the month
  after ``as_of`` when ``as_of`` is a month's last day, else the first day of ``as_of``'s month;
  the last 12 months are [end − 12 months, end), the prior 12 months the 12 before.
* **Transactions → accounts.** An account is a top-level unit (depth 1); a unit belongs to the
  account whose path is the first 5 characters of its own. Money is summed in integer cents.
  revenue = net of the last 12 months; growth = last 12 / prior 12 − 1 (a gap without prior
  revenue); margin = (costed net − cost) / costed net of the last 12 months, over the lines that
  carry a cost (a gap without any); purchase continuity = months of the last 24 in which some
  unit × product line × month total is positive, / 24.
* **Contacts.** Employments current on ``as_of`` (started on or before it, not ended on or
  before it): DMU size = distinct contacts in the subtree, functional areas = their distinct
  functions other than "other"; both gaps without contacts.
* **Units.** operating units = units of the subtree with a positive unit × line × month total in
  the last 12 months, or a current contact. Geographic spread = distinct countries + distinct
  (country, region) pairs (region trimmed and case-folded) among those units and all sites; a gap
  when 0.
* **Judgement.** Assessments as they are now when ``as_of`` is today or later, else the newest
  history row of each assessment dated before the end of ``as_of`` (unless it is a deletion).
  Buying criteria listed (created before the end of ``as_of``) override the assessed count.
* **Wallet.** A manual estimate, else the 0.8-quantile (linear interpolation) of revenue per
  employee among accounts of the same industry and size band — or of the whole industry when the
  band has fewer than 10 — times the account's employees; peers need an industry, employees and
  revenue; no estimate with fewer than 10 peers.
* **Normalisation.** percentile: average rank (ties share it) / population, 0 for zero, negative
  or missing values; capped linear: min(max(v, 0) / cap, 1); rubric: min(max(v, 0) / 10, 1).
* **Score.** 100 × Σ w·n / Σ w, rounded to 2 decimals; group sub-scores likewise. A key candidate
  has total ≥ 60, potential ≥ 50 and willingness ≥ 5 (the model's thresholds).

The model (criteria, weights, thresholds, peer quantile) is read from the scoring-model tables:
the active model unless ``model_id`` is given.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import warnings
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

SIZE_BANDS = (10, 50, 250, 1000, 5000)  # employees: upper bounds of the size bands
GROUPS = ("potential", "complexity", "relational", "strategic")
ROOT_STEP = 5  # characters of one step of the materialised path


# --- reading -------------------------------------------------------------------------------------


def _connect(connection_or_url):
    """(DB-API connection, whether we opened it) from a URL or an open connection."""
    if not isinstance(connection_or_url, str):
        return connection_or_url, False
    url = connection_or_url
    if url.startswith("sqlite:///"):
        return sqlite3.connect(url[len("sqlite:///") :]), True
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        return psycopg.connect(url), True
    raise ValueError(f"unsupported database URL: {url!r}")


def _reader(conn):
    def read(sql: str) -> pd.DataFrame:
        with warnings.catch_warnings():
            # pandas warns about DB-API connections other than sqlite3 (it prefers SQLAlchemy)
            warnings.filterwarnings("ignore", message="pandas only supports SQLAlchemy")
            return pd.read_sql(sql, conn)

    return read


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _as_datetime(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True, format="ISO8601")


def _as_date(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, format="ISO8601")


def _number(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column, errors="coerce").astype("float64")


def _cents(column: pd.Series) -> pd.Series:
    """Money as integer cents (0 for NULL)."""
    return (_number(column).fillna(0) * 100).round().astype("int64")


# --- the reference -------------------------------------------------------------------------------


def score_with_pandas(
    connection_or_url,
    as_of: dt.date,
    *,
    model_id: int | None = None,
    today: dt.date | None = None,
    time_zone: str = "UTC",
    expected: dict[int, float] | None = None,
) -> pd.DataFrame:
    """Scores of every account: account_id, total, potential, complexity, relational,
    recommendation (one row per top-level unit, by account id).

    ``connection_or_url``: an open DB-API connection (sqlite3, psycopg) or a database URL
    (``sqlite:///path``, ``postgres://…``). ``today`` (default: the date in ``time_zone``)
    decides whether assessments are read as they are now or from their history.
    ``expected``: account id → the learned expected revenue of the next 12 months (decision 86;
    the learned model is not re-implemented here, its predictions are given), for the
    expected-revenue criterion and the wallet floor.
    """
    conn, opened = _connect(connection_or_url)
    try:
        return _score(_reader(conn), as_of, model_id, today, time_zone, expected or {})
    finally:
        if opened:
            conn.close()


def _score(read, as_of: dt.date, model_id, today, time_zone, expected) -> pd.DataFrame:
    zone = ZoneInfo(time_zone)
    today = today or dt.datetime.now(zone).date()
    end = _add_months(as_of + dt.timedelta(days=1), 0)  # first day after the last full month
    start12, start24 = _add_months(end, -12), _add_months(end, -24)
    moment = pd.Timestamp(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), zone))
    as_of_ts = pd.Timestamp(as_of)

    # -- the model -------------------------------------------------------------------------------
    models = read("SELECT * FROM identification_scoringmodel")
    if model_id is None:
        model = models[models["status"] == "active"].iloc[0]
    else:
        model = models[models["id"] == model_id].iloc[0]
    criteria = read(
        f"SELECT * FROM identification_criterion WHERE model_id = {int(model['id'])}"
    ).sort_values(["order", "id"])
    criteria = criteria[criteria["weight"] > 0]

    # -- units and accounts ----------------------------------------------------------------------
    units = read(
        "SELECT id, path, depth, kind, industry, employees, country, region FROM customers_unit"
    )
    units["root_path"] = units["path"].str[:ROOT_STEP]
    accounts = units.loc[units["depth"] == 1, ["id", "path", "industry", "employees"]].rename(
        columns={"id": "account_id", "path": "root_path"}
    )
    units = units.merge(accounts[["account_id", "root_path"]], on="root_path", how="inner")
    acc = accounts.set_index("account_id").sort_index()
    acc["industry"] = acc["industry"].fillna("")
    acc["employees"] = _number(acc["employees"])

    # -- transactions: unit × product line × month totals of the last 24 months ------------------
    tx = read(
        "SELECT unit_id, product_line_id, date, net_amount, cost FROM sales_transaction "
        f"WHERE date >= '{start24.isoformat()}' AND date < '{end.isoformat()}'"
    )
    tx["month"] = _as_date(tx["date"]).dt.to_period("M").dt.to_timestamp()
    has_cost = _number(tx["cost"]).notna()
    tx["net"] = _cents(tx["net_amount"])
    tx["cost_c"] = _cents(tx["cost"])
    tx["costed"] = tx["net"].where(has_cost, 0)
    lines = tx.groupby(["unit_id", "product_line_id", "month"], as_index=False)[
        ["net", "cost_c", "costed"]
    ].sum()
    lines = lines.merge(units[["id", "account_id"]], left_on="unit_id", right_on="id")
    lines["recent"] = lines["month"] >= pd.Timestamp(start12)

    recent = lines[lines["recent"]].groupby("account_id")[["net", "cost_c", "costed"]].sum()
    prior = lines[~lines["recent"]].groupby("account_id")["net"].sum()
    acc["revenue"] = recent["net"].reindex(acc.index, fill_value=0) / 100
    acc["revenue_prior"] = prior.reindex(acc.index, fill_value=0) / 100
    acc["cost12"] = recent["cost_c"].reindex(acc.index, fill_value=0) / 100
    acc["costed12"] = recent["costed"].reindex(acc.index, fill_value=0) / 100
    bought = lines[lines["net"] > 0]
    acc["purchase_months"] = (
        bought.groupby("account_id")["month"].nunique().reindex(acc.index, fill_value=0)
    )

    # -- contacts: employments current on as_of ---------------------------------------------------
    emp = read(
        "SELECT contact_id, unit_id, function, start_date, end_date FROM customers_employment"
    )
    start, stop = _as_date(emp["start_date"]), _as_date(emp["end_date"])
    emp = emp[(start.isna() | (start <= as_of_ts)) & (stop.isna() | (stop > as_of_ts))]
    emp = emp.merge(units[["id", "account_id"]], left_on="unit_id", right_on="id")
    acc["contacts"] = emp.groupby("account_id")["contact_id"].nunique().reindex(acc.index)
    acc["contacts"] = acc["contacts"].fillna(0)
    acc["functions"] = (
        emp[emp["function"] != "other"]
        .groupby("account_id")["function"]
        .nunique()
        .reindex(acc.index, fill_value=0)
    )

    # -- the buying centre: DMU size counts contacts with a buying-centre role (recorded by the
    # end of as_of) who hold a current position at the account; an account with no role at all
    # keeps its current contacts (decision 51)
    roles = read("SELECT account_id, contact_id, created_at FROM relationships_buyingrole")
    roles = roles[_as_datetime(roles["created_at"]) < moment]
    current_pairs = emp[["account_id", "contact_id"]].drop_duplicates()
    with_role = roles[["account_id", "contact_id"]].drop_duplicates()
    members = with_role.merge(current_pairs, on=["account_id", "contact_id"], how="inner")
    counted = members.groupby("account_id")["contact_id"].nunique()
    counted = counted.reindex(with_role["account_id"].unique(), fill_value=0)
    acc["dmu"] = acc["contacts"].astype("float64")
    in_acc = counted[counted.index.isin(acc.index)]
    acc.loc[in_acc.index, "dmu"] = in_acc.astype("float64")

    # -- operating units and geographic spread --------------------------------------------------
    with_revenue = set(bought.loc[bought["recent"], "unit_id"])
    with_contact = set(emp["unit_id"])
    units["active"] = units["id"].isin(with_revenue) | units["id"].isin(with_contact)
    acc["operating_units"] = (
        units[units["active"]].groupby("account_id").size().reindex(acc.index, fill_value=0)
    )
    spread = units[units["active"] | (units["kind"] == "site")].copy()
    spread["country"] = spread["country"].fillna("")
    spread["region"] = spread["region"].fillna("")
    in_country = spread[spread["country"] != ""]
    acc["countries"] = (
        in_country.groupby("account_id")["country"].nunique().reindex(acc.index, fill_value=0)
    )
    regional = in_country[in_country["region"] != ""].copy()
    regional["region_key"] = (
        regional["country"] + "\x00" + regional["region"].str.strip().str.casefold()
    )
    acc["region_total"] = (
        regional.groupby("account_id")["region_key"].nunique().reindex(acc.index, fill_value=0)
    )

    # -- judgement: assessments (now or as they were) and listed buying criteria ----------------
    judgement = [
        "willingness",
        "agreement_horizon_months",
        "joint_initiatives",
        "buying_criteria_count",
        "wallet_estimate",
    ]
    if as_of >= today:
        assessed = read("SELECT * FROM identification_accountassessment")
    else:
        history = read("SELECT * FROM identification_historicalaccountassessment")
        history = history[_as_datetime(history["history_date"]) < moment]
        history = history.assign(when=_as_datetime(history["history_date"])).sort_values(
            ["id", "when", "history_id"], ascending=[True, False, False]
        )
        assessed = history.drop_duplicates("id", keep="first")
        assessed = assessed[assessed["history_type"] != "-"]
    assessed = assessed.sort_values("id").drop_duplicates("account_id", keep="last")
    assessed = assessed.set_index("account_id")[judgement].reindex(acc.index)
    for name in judgement:
        acc[name] = _number(assessed[name])
    listed = read("SELECT account_id, created_at FROM identification_buyingcriterion")
    listed = listed[_as_datetime(listed["created_at"]) < moment]
    counts = listed.groupby("account_id").size().reindex(acc.index, fill_value=0)
    acc.loc[counts > 0, "buying_criteria_count"] = counts[counts > 0].astype("float64")

    # -- wallet ---------------------------------------------------------------------------------
    acc["wallet"] = _wallets(acc, float(model["peer_quantile"]), int(model["peer_min_count"]))
    # floor (decision 87): below own revenue → own trajectory or expected revenue, the higher
    acc["expected"] = pd.Series(expected, dtype="float64").reindex(acc.index)
    rev, prior_rev = acc["revenue"], acc["revenue_prior"]
    trajectory = (rev * (rev / prior_rev).clip(lower=1.0)).where(prior_rev > 0, rev)
    floor = trajectory.where(~(acc["expected"] > trajectory), acc["expected"])
    below = acc["wallet"].notna() & (rev > 0) & (acc["wallet"] < rev)
    acc["wallet"] = acc["wallet"].where(~below, floor)

    # -- raw values of the data sources (NaN is a data gap) --------------------------------------
    revenue, prior = acc["revenue"], acc["revenue_prior"]
    costed = acc["costed12"]
    has_contacts = acc["contacts"] > 0
    spread_total = acc["countries"] + acc["region_total"]
    raw = {
        "revenue_12m": revenue,
        "wallet": acc["wallet"],
        "growth": (revenue / prior - 1).where(prior > 0),
        "margin": ((costed - acc["cost12"]) / costed).where(costed > 0),
        "dmu_size": acc["dmu"].where(acc["dmu"] > 0),
        "functions": acc["functions"].astype("float64").where(has_contacts),
        "operating_units": acc["operating_units"].astype("float64"),
        "geo_spread": spread_total.astype("float64").where(spread_total > 0),
        "purchase_continuity": acc["purchase_months"] / 24,
        "buying_criteria": acc["buying_criteria_count"],
        "willingness": acc["willingness"],
        "agreement_horizon": acc["agreement_horizon_months"],
        "joint_initiatives": acc["joint_initiatives"],
        "expected_revenue": acc["expected"],
    }

    # -- normalise; leave out criteria without data or information (decision 84) ---------------
    n = len(acc)
    share = float(model["constant_share"])
    norms, kept = {}, []
    for c in criteria.itertuples():
        values = raw[c.source].fillna(0.0)
        if c.normalisation == "percentile":
            norm = (values.rank(method="average") / n).where(values > 0, 0.0)
        elif c.normalisation == "capped_linear":
            cap = c.cap if c.cap and not np.isnan(c.cap) else 1.0
            norm = (values.clip(lower=0) / cap).clip(upper=1)
        elif c.normalisation == "rubric":
            norm = (values.clip(lower=0) / 10).clip(upper=1)
        else:
            raise ValueError(f"unknown normalisation {c.normalisation!r}")
        norms[c.key] = norm
        positive = norm[norm > 0].round(9)
        constant = n >= 20 and (
            norm.round(9).value_counts().iloc[0] / n >= share
            or (len(positive) >= 20 and positive.value_counts().iloc[0] / len(positive) >= share)
        )
        if raw[c.source].notna().any() and not constant:
            kept.append(c.key)
    if not kept:
        kept = list(criteria["key"])
    total_by_group = criteria.groupby("group")["weight"].sum()
    kept_by_group = criteria[criteria["key"].isin(kept)].groupby("group")["weight"].sum()

    # -- weigh and sum ----------------------------------------------------------------------------
    weighted = pd.Series(0.0, index=acc.index)
    by_group = {g: pd.Series(0.0, index=acc.index) for g in GROUPS}
    group_weight = dict.fromkeys(GROUPS, 0.0)
    total_weight = 0.0
    for c in criteria.itertuples():
        if c.key not in kept:
            continue
        weight = c.weight * total_by_group[c.group] / kept_by_group[c.group]
        norm = norms[c.key]
        weighted = weighted + weight * norm
        by_group[c.group] = by_group[c.group] + weight * norm
        group_weight[c.group] += weight
        total_weight += weight

    def score(values: pd.Series, weight: float) -> pd.Series:
        return (100 * values / weight).map(lambda v: round(v, 2)) if weight else values * 0.0

    out = pd.DataFrame(index=acc.index)
    out["total"] = score(weighted, total_weight)
    for g in ("potential", "complexity", "relational"):
        out[g] = score(by_group[g], group_weight[g])
    candidate = (
        (out["total"] >= model["min_score"])
        & (out["potential"] >= model["min_potential"])
        & acc["willingness"].notna()
        & (acc["willingness"] >= model["min_willingness"])
    )
    out["recommendation"] = np.where(candidate, "key_candidate", "transactional")
    return out.reset_index()[
        ["account_id", "total", "potential", "complexity", "relational", "recommendation"]
    ]


def _wallets(acc: pd.DataFrame, q: float, min_peers: int) -> pd.Series:
    """Manual estimate, else the peer estimate (band first, then the industry), else NaN."""
    known = (acc["industry"] != "") & (acc["employees"] > 0)
    band = pd.Series(np.searchsorted(SIZE_BANDS, acc["employees"].fillna(0), side="right"))
    acc = acc.assign(band=band.to_numpy(), per_head=acc["revenue"] / acc["employees"])
    peers = acc[known & (acc["revenue"] > 0)]
    by_band = peers.groupby(["industry", "band"])["per_head"].agg(["size", lambda v: v.quantile(q)])
    by_band.columns = ["band_peers", "band_q"]
    by_industry = peers.groupby("industry")["per_head"].agg(["size", lambda v: v.quantile(q)])
    by_industry.columns = ["industry_peers", "industry_q"]
    table = acc.join(by_band, on=["industry", "band"]).join(by_industry, on="industry")
    per_head = np.where(
        table["band_peers"].fillna(0) >= min_peers,
        table["band_q"],
        np.where(table["industry_peers"].fillna(0) >= min_peers, table["industry_q"], np.nan),
    )
    peer = pd.Series(per_head, index=acc.index) * acc["employees"]
    peer = peer.where(known)
    return acc["wallet_estimate"].where(acc["wallet_estimate"].notna(), peer)
