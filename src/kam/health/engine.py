"""The health score of DOMAIN §6, computed for many accounts at once.

Every component is read with one aggregate query over all the accounts asked for (grouped by
unit, mapped to accounts through the customers helpers), never one query per account, so a
full recompute costs a handful of queries whatever the portfolio's size:

* interactions per unit: one count for the last 90 days and one per each of the last 12 months;
* their contacts per (unit, contact): the last time they were met (365 days back at most);
* our participants per (unit, function) in the last 180 days;
* the buying centre (roles) and the senior or board positions of the accounts.

Figures are as of a day: nothing after its end is counted, so the backtest can compute the
score as it would have been on a past day.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from kam.customers.models import Employment, Seniority, Unit, ancestor_paths
from kam.interactions.models import Interaction
from kam.relationships.models import BuyingRole, BuyingRoleKind

from .models import COMPONENTS, Combine, HealthProfileVersion

FREQUENCY_DAYS = 90
WINDOW_DAYS = 180  # breadth, depth, our-side breadth
RECENCY_HORIZON_DAYS = 365  # older contact counts as none (recency is ~0 by then)
SENIOR = (Seniority.SENIOR.value, Seniority.BOARD.value)


@dataclass
class Params:
    """What a profile version says about computing the score (plain values: no row needed)."""

    weights: dict[str, float]
    combine: str = Combine.WEIGHTED.value
    frequency_norm: float = 4.0
    depth_target: int = 2
    our_side_target: int = 3
    recency_half_life: int = 30
    good_from: int = 60
    fair_from: int = 40
    version_id: int | None = None

    @classmethod
    def of(cls, version: HealthProfileVersion) -> Params:
        return cls(
            weights={k: float(version.weights.get(k, 0) or 0) for k in COMPONENTS},
            combine=version.combine,
            frequency_norm=float(version.frequency_norm),
            depth_target=version.depth_target,
            our_side_target=version.our_side_target,
            recency_half_life=version.recency_half_life,
            good_from=version.good_from,
            fair_from=version.fair_from,
            version_id=version.pk,
        )

    def grade_of(self, score: float) -> str:
        if score >= self.good_from:
            return "good"
        if score >= self.fair_from:
            return "fair"
        return "poor"


@dataclass
class Raw:
    """The counts behind one account's components."""

    last_90: int = 0
    months: set[int] = field(default_factory=set)  # 0 = this month … 11 = 11 months back
    touched: dict[int, dt.datetime] = field(default_factory=dict)  # contact → last met
    functions: set[str] = field(default_factory=set)
    dmu: set[int] = field(default_factory=set)
    deciders: set[int] = field(default_factory=set)
    seniors: set[int] = field(default_factory=set)


@dataclass
class Result:
    score: float
    grade: str
    components: dict[str, dict[str, Any]]
    version_id: int | None


def day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def month_starts(as_of: dt.date, count: int = 12) -> list[dt.date]:
    """First days of the month of ``as_of`` and the ``count - 1`` months before it."""
    out, index = [], as_of.year * 12 + as_of.month - 1
    for back in range(count):
        i = index - back
        out.append(dt.date(i // 12, i % 12 + 1, 1))
    return out


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _current_q(as_of: dt.date) -> Q:
    return (Q(end_date__isnull=True) | Q(end_date__gt=as_of)) & (
        Q(start_date__isnull=True) | Q(start_date__lte=as_of)
    )


def load(
    account_ids: Sequence[int] | None, as_of: dt.date
) -> tuple[dict[int, Raw], dict[int, str]]:
    """The raw counts of each account (every account when ``account_ids`` is None) and each
    account's tier. Eight queries whatever the number of accounts."""
    raws, tiers = load_days(account_ids, [as_of])
    return raws[as_of], tiers


def load_days(
    account_ids: Sequence[int] | None, days: Sequence[dt.date]
) -> tuple[dict[dt.date, dict[int, Raw]], dict[int, str]]:
    """``load`` as of each of ``days`` at once: the same eight queries, each reading the span
    of all the days once (the monthly history computes twelve month ends this way)."""
    accounts_qs: QuerySet[Unit] = Unit.objects.accounts()
    if account_ids is not None:
        accounts_qs = accounts_qs.filter(pk__in=list(account_ids))
    tiers = dict(accounts_qs.order_by().values_list("pk", "tier"))
    raws = {day: {pk: Raw() for pk in tiers} for day in days}
    if not tiers:
        return raws, tiers
    units_qs = None if account_ids is None else Unit.objects.in_accounts_of(accounts_qs).order_by()
    account_of = (Unit.objects.all() if units_qs is None else units_qs).account_ids()
    gather_days(raws, account_of, units_qs)
    roles = BuyingRole.objects.all()
    if account_ids is not None:
        roles = roles.filter(account_id__in=list(tiers))
    for acc, contact_id, role in roles.order_by().values_list("account_id", "contact_id", "role"):
        if acc in tiers:
            for raw in raws.values():
                raw[acc].dmu.add(contact_id)
                if role == BuyingRoleKind.DECIDER:
                    raw[acc].deciders.add(contact_id)
    return raws, tiers


def load_companies(account: Unit, as_of: dt.date) -> tuple[dict[int, Raw], dict[int, Unit]]:
    """The raw counts of each company directly below a group account: its subtree's contact,
    and the account's buying-centre members whose current position is in it (six queries)."""
    fresh = Unit.objects.get(pk=account.pk)  # its count of children as stored now
    companies = {c.pk: c for c in Unit.objects.get_children(fresh)}
    by_path = {c.path: c.pk for c in companies.values()}
    units_qs = Unit.objects.in_account(account).order_by()
    bucket_of: dict[int, int] = {}
    for pk, path in units_qs.values_list("pk", "path"):
        for step in (*ancestor_paths(path), path):
            if step in by_path:
                bucket_of[pk] = by_path[step]
                break
    raw = {pk: Raw() for pk in companies}
    gather(raw, bucket_of, units_qs, as_of)
    where: dict[int, set[int]] = {}
    for contact_id, unit_id in Employment.objects.filter(
        _current_q(as_of), unit__in=units_qs.values("pk")
    ).values_list("contact_id", "unit_id"):
        if unit_id in bucket_of:
            where.setdefault(contact_id, set()).add(bucket_of[unit_id])
    for contact_id, role in BuyingRole.objects.filter(account=account).values_list(
        "contact_id", "role"
    ):
        for company in where.get(contact_id, ()):
            raw[company].dmu.add(contact_id)
            if role == BuyingRoleKind.DECIDER:
                raw[company].deciders.add(contact_id)
    return raw, companies


def gather(
    raw: dict[int, Raw], bucket_of: dict[int, int], units_qs: QuerySet[Unit] | None, as_of: dt.date
) -> None:
    """Add the interactions, contacts met, our functions and senior positions of the units of
    ``units_qs`` (every unit when None) to the bucket (account or company) each unit maps to."""
    gather_days({as_of: raw}, bucket_of, units_qs)


def _per_day(
    aggregate: Any,
    field: str,
    prefix: str,
    days: Sequence[dt.date],
    ends: dict[dt.date, dt.datetime],
    span: dt.timedelta,
) -> dict[str, Any]:
    """``aggregate(field)`` over each day's window of interactions (``span`` up to its end), as
    ``{prefix}{i}`` for the i-th day."""
    return {
        f"{prefix}{i}": aggregate(
            field,
            filter=Q(
                interaction__occurred_at__gte=ends[day] - span,
                interaction__occurred_at__lt=ends[day],
            ),
        )
        for i, day in enumerate(days)
    }


def gather_days(
    raws: dict[dt.date, dict[int, Raw]],
    bucket_of: dict[int, int],
    units_qs: QuerySet[Unit] | None,
) -> None:
    """``gather`` as of each day of ``raws`` (day → bucket → counts), every bucket present in
    each day's dict. Four queries whatever the number of days: each reads the span that covers
    all the days' windows once and counts each day's window with a filtered aggregate."""
    days = sorted(raws)
    ends = {day: day_end(day) for day in days}
    units = None if units_qs is None else units_qs.values("pk")

    # Interactions per unit: each day's last 90 days and its twelve months (shared windows
    # are counted once).
    windows: dict[tuple[dt.datetime, dt.datetime], str] = {}

    def window(lo: dt.datetime, hi: dt.datetime) -> str:
        return windows.setdefault((lo, hi), f"w{len(windows)}")

    counted: dict[dt.date, tuple[str, list[str]]] = {}
    for day in days:
        end, starts = ends[day], month_starts(day)
        months = [
            window(_aware(s), _aware(starts[i - 1]) if i else end) for i, s in enumerate(starts)
        ]
        counted[day] = (window(end - dt.timedelta(days=FREQUENCY_DAYS), end), months)
    interactions = Interaction.objects.filter(
        occurred_at__gte=min(lo for lo, _hi in windows), occurred_at__lt=max(ends.values())
    )
    if units is not None:
        interactions = interactions.filter(unit__in=units)
    aggregates: dict[str, Any] = {
        name: Count("id", filter=Q(occurred_at__gte=lo, occurred_at__lt=hi))
        for (lo, hi), name in windows.items()
    }
    for row in interactions.order_by().values("unit_id").annotate(**aggregates):
        acc = bucket_of.get(row["unit_id"])
        if acc is None:
            continue
        for day, (n90, months) in counted.items():
            r = raws[day].get(acc)
            if r is None:
                continue
            r.last_90 += row[n90]
            r.months.update(i for i, name in enumerate(months) if row[name])

    # Contacts met: when each (unit, contact) was last met up to each day (a year back at most).
    horizon = dt.timedelta(days=RECENCY_HORIZON_DAYS)
    through_c = Interaction.contacts.through.objects.filter(
        interaction__occurred_at__gte=ends[days[0]] - horizon,
        interaction__occurred_at__lt=ends[days[-1]],
    )
    if units is not None:
        through_c = through_c.filter(interaction__unit__in=units)
    last_met = _per_day(Max, "interaction__occurred_at", "t", days, ends, horizon)
    met = through_c.order_by().values("interaction__unit_id", "contact_id").annotate(**last_met)
    for row in met:
        acc = bucket_of.get(row["interaction__unit_id"])
        if acc is None:
            continue
        contact_id = row["contact_id"]
        for i, day in enumerate(days):
            last = row[f"t{i}"]
            r = raws[day].get(acc)
            if last is None or r is None:
                continue
            seen = r.touched.get(contact_id)
            if seen is None or last > seen:
                r.touched[contact_id] = last

    # Our functions among the participants of each day's last 180 days.
    window_days = dt.timedelta(days=WINDOW_DAYS)
    through_p = Interaction.participants.through.objects.filter(
        interaction__occurred_at__gte=ends[days[0]] - window_days,
        interaction__occurred_at__lt=ends[days[-1]],
    )
    if units is not None:
        through_p = through_p.filter(interaction__unit__in=units)
    took_part = _per_day(Count, "pk", "p", days, ends, window_days)
    for row in (
        through_p.order_by().values("interaction__unit_id", "user__function").annotate(**took_part)
    ):
        acc = bucket_of.get(row["interaction__unit_id"])
        function = row["user__function"]
        if acc is None or not function:
            continue
        for i, day in enumerate(days):
            r = raws[day].get(acc)
            if r is not None and row[f"p{i}"]:
                r.functions.add(function)

    # Senior and board positions held on each day.
    seniors = Employment.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gt=days[0]),
        Q(start_date__isnull=True) | Q(start_date__lte=days[-1]),
        seniority__in=SENIOR,
    )
    if units is not None:
        seniors = seniors.filter(unit__in=units)
    for unit_id, contact_id, start, end_date in seniors.order_by().values_list(
        "unit_id", "contact_id", "start_date", "end_date"
    ):
        acc = bucket_of.get(unit_id)
        if acc is None:
            continue
        for day in days:
            r = raws[day].get(acc)
            if (
                r is not None
                and (end_date is None or end_date > day)
                and (start is None or start <= day)
            ):
                r.seniors.add(contact_id)


def components_of(raw: Raw, params: Params, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """Each component 0–100 with the numbers behind it (what the page shows)."""
    end = day_end(as_of)
    window_start = end - dt.timedelta(days=WINDOW_DAYS)
    recent = {c for c, last in raw.touched.items() if last >= window_start}
    per_month = raw.last_90 / (FREQUENCY_DAYS / 30)
    frequency = min(per_month / params.frequency_norm, 1.0) if params.frequency_norm else 0.0
    continuity = len(raw.months) / 12
    dmu_touched = len(recent & raw.dmu)
    breadth = dmu_touched / len(raw.dmu) if raw.dmu else 0.0
    senior_touched = len(recent & raw.seniors)
    depth = min(senior_touched / params.depth_target, 1.0)
    our_side = min(len(raw.functions) / params.our_side_target, 1.0)
    decider_last = [raw.touched[c] for c in raw.deciders if c in raw.touched]
    if decider_last:
        days: int | None = max(0, (end - max(decider_last)).days)
        assert days is not None
        recency = math.exp(-days / params.recency_half_life * math.log(2))
    else:
        days, recency = None, 0.0
    return {
        "frequency": {
            "value": round(frequency * 100, 1),
            "interactions_90d": raw.last_90,
            "per_month": round(per_month, 2),
            "norm": params.frequency_norm,
        },
        "continuity": {
            "value": round(continuity * 100, 1),
            "months_with_contact": len(raw.months),
            "of_months": 12,
        },
        "breadth": {
            "value": round(breadth * 100, 1),
            "dmu_touched": dmu_touched,
            "dmu_size": len(raw.dmu),
        },
        "depth": {
            "value": round(depth * 100, 1),
            "senior_touched": senior_touched,
            "target": params.depth_target,
        },
        "our_side": {
            "value": round(our_side * 100, 1),
            "functions": sorted(raw.functions),
            "target": params.our_side_target,
        },
        "recency": {
            "value": round(recency * 100, 1),
            "days_since_decider": days,
            "deciders": len(raw.deciders),
            "half_life": params.recency_half_life,
        },
    }


def combine(components: dict[str, dict[str, Any]], params: Params) -> float:
    """Weighted average of the weighted components, or, worst-wins, the lowest of them."""
    weighted = [(params.weights.get(k, 0.0), components[k]["value"]) for k in COMPONENTS]
    weighted = [(w, v) for w, v in weighted if w > 0]
    if not weighted:
        return 0.0
    if params.combine == Combine.WORST_WINS:
        return float(min(v for _w, v in weighted))
    total = sum(w for w, _v in weighted)
    return float(sum(w * v for w, v in weighted) / total)


def score_of(raw: Raw, params: Params, as_of: dt.date) -> Result:
    comps = components_of(raw, params, as_of)
    score = round(combine(comps, params), 1)
    return Result(score, params.grade_of(score), comps, params.version_id)


def compute(
    account_ids: Iterable[int] | None,
    as_of: dt.date,
    params_of: Any,
) -> dict[int, Result]:
    """Health of each account: ``params_of(account_ids, tiers) -> {account id: Params}``."""
    return compute_days(account_ids, [as_of], params_of)[as_of]


def compute_days(
    account_ids: Iterable[int] | None,
    days: Sequence[dt.date],
    params_of: Any,
) -> dict[dt.date, dict[int, Result]]:
    """``compute`` as of each of ``days``, reading the data once (``load_days``)."""
    ids = None if account_ids is None else sorted(set(account_ids))
    raws, tiers = load_days(ids, sorted(set(days)))
    out: dict[dt.date, dict[int, Result]] = {}
    for day, raw in raws.items():
        params = params_of(list(raw), tiers, day)
        out[day] = {pk: score_of(r, params[pk], day) for pk, r in raw.items()}
    return out
