"""Reads of the executive dashboard (PRODUCT §11, decision 92): every figure of the page computed
directly from the apps' selectors and tables, as one JSON-ready payload.

The payload is language-neutral: it holds codes, numbers, account names and links, never a
translated label; the page and the API word it when they show it. ``compute`` is what
``services.dashboard_refresh`` keeps in :class:`~kam.programme.models.DashboardSnapshot`, and
what the test compares the kept snapshot with. It costs a bounded number of queries whatever
the number of accounts (each part is one or a few grouped queries).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Max, OuterRef, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kam.alerts.models import LIVE_STATUSES, Alert
from kam.alerts.rules import rules as alert_rules
from kam.customers.models import Tier, Unit, account_path_of
from kam.health.models import AccountHealth, Grade, HealthMonth
from kam.health.selectors import latest_backtest as health_backtest_latest
from kam.identification.models import AccountScore, Nomination, NominationStatus, Scope
from kam.identification.selectors import (
    QUADRANTS,
    backtest_latest,
    portfolio_matrix,
    scoring_run_latest,
)
from kam.planning.models import PlanEvent, PlanEventKind, PlanStatus
from kam.planning.selectors import current_plans, effective_status
from kam.relationships.models import Stage, StageAssessment
from kam.sales.models import Transaction

from .models import Condition, ProgrammeSettings
from .selectors import (
    KEY_TIERS,
    campaign_latest,
    concentration,
    condition_scores,
    dependence,
    indicators,
    survey,
    trend,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

WEEK = dt.timedelta(days=7)
CHANGE_LIMIT = 10  # lines of each kind of change
MATRIX_POINTS = 300  # bubbles of the thumbnail (the largest key accounts)
GRADE_ORDER = {"poor": 0, "fair": 1, "good": 2}


def _portfolio(**query: str) -> str:
    return reverse("web:portfolio") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def _accounts(key: str) -> str:
    return reverse("dashboard:accounts", args=[key])


def _counts(key_ids: list[int]) -> dict[str, Any]:
    """Accounts by tier (every account) and key accounts by the scope the latest scoring run
    gave them."""
    by_tier = dict(
        Unit.objects.accounts()
        .order_by()
        .values("tier")
        .annotate(n=Count("pk"))
        .values_list("tier", "n")
    )
    run = scoring_run_latest()
    by_scope: dict[str, int] = {}
    if run is not None:
        by_scope = dict(
            AccountScore.objects.filter(run=run, account_id__in=key_ids)
            .order_by()
            .values("scope")
            .annotate(n=Count("pk"))
            .values_list("scope", "n")
        )
    return {
        "tiers": [
            {"tier": t, "count": by_tier.get(t, 0), "link": _portfolio(tier=t)} for t in Tier.values
        ],
        "key_total": sum(by_tier.get(t, 0) for t in KEY_TIERS),
        "accounts_total": sum(by_tier.values()),
        "scopes": [
            {"scope": s, "count": n, "link": _accounts(f"scope-{s}")}
            for s, n in sorted(by_scope.items())
        ],
        "scoring_run": run.pk if run is not None else None,
    }


def _concentration(as_of: dt.date, key_ids: list[int]) -> dict[str, Any]:
    shares = dependence(as_of)
    found = concentration(shares)
    total = sum((s.revenue for s in shares), Decimal(0))
    keys = set(key_ids)
    key_revenue = sum((s.revenue for s in shares if s.account_id in keys), Decimal(0))
    names = dict(
        Unit.objects.filter(pk__in=[s.account_id for s in shares[:5]]).values_list("pk", "name")
    )
    return {
        "top5": found["top5"],
        "hhi": found["hhi"],
        "accounts": found["accounts"],
        "revenue": float(round(total, 2)),
        "key_share": float(round(key_revenue / total * 100, 1)) if total > 0 else None,
        "exposed": sum(1 for s in shares if s.level != "ok"),
        "top": [
            {
                "account_id": s.account_id,
                "name": names.get(s.account_id, ""),
                "share": float(s.share),
                "link": reverse("web:account", args=[s.account_id]),
            }
            for s in shares[:5]
        ],
        "link": reverse("programme:risk", args=["concentration"]),
        "dependence_link": reverse("programme:risk", args=["dependence"]),
        "key_link": reverse("programme:indicator", args=["key_revenue_share"]),
    }


def _matrix() -> dict[str, Any]:
    """The portfolio matrix of the key accounts as a thumbnail: quadrant counts and the bubbles
    of the largest ones."""
    points = portfolio_matrix(key_only=True)
    run = scoring_run_latest()
    counts = Counter(p["quadrant"] for p in points)
    largest = sorted(points, key=lambda p: -p["revenue"])[:MATRIX_POINTS]
    axis = (
        {
            "x_min": run.model.matrix_axis_min,
            "x_max": run.model.matrix_axis_max,
            "x_cut": run.model.matrix_strength_cutoff,
            "y_cut": run.model.matrix_attractiveness_cutoff,
        }
        if run is not None
        else None
    )
    return {
        "quadrants": [{"quadrant": q, "count": counts.get(q, 0)} for q in QUADRANTS],
        "points": [[p["value"][0], p["value"][1], p["symbol_size"]] for p in largest],
        "axis": axis,
        "accounts": len(points),
        "link": reverse("identification:matrix") + "?key_only=1",
    }


def _health(key_ids: list[int]) -> dict[str, Any]:
    by_grade = dict(
        AccountHealth.objects.filter(account_id__in=key_ids)
        .order_by()
        .values("grade")
        .annotate(n=Count("pk"))
        .values_list("grade", "n")
    )
    health = reverse("health:portfolio")
    return {
        "grades": [
            {"grade": g, "count": by_grade.get(g, 0), "link": f"{health}?tier=key&grade={g}"}
            for g in GRADE_ORDER
        ],
        "unscored": max(0, len(key_ids) - sum(by_grade.values())),
        "link": f"{health}?tier=key",
    }


def stages_of(key_ids: list[int]) -> dict[int, str]:
    """The confirmed relationship stage of each key account that has one (one query)."""
    latest = (
        StageAssessment.objects.filter(account_id=OuterRef("pk"))
        .order_by("-decided_at", "-pk")
        .values("confirmed")[:1]
    )
    rows = (
        Unit.objects.filter(pk__in=key_ids)
        .annotate(stage=Subquery(latest))
        .filter(stage__isnull=False)
        .values_list("pk", "stage")
    )
    return dict(rows)


def _stages(key_ids: list[int]) -> dict[str, Any]:
    counts = Counter(stages_of(key_ids).values())
    return {
        "stages": [
            {"stage": s, "count": counts.get(s, 0), "link": _accounts(f"stage-{s}")}
            for s in Stage.values
        ],
        "unassessed": max(0, len(key_ids) - sum(counts.values())),
        "unassessed_link": _accounts("stage-none"),
    }


def approved_plan_accounts(key_ids: list[int], as_of: dt.date) -> set[int]:
    """Key accounts whose current plan is approved (as of the day)."""
    plans = current_plans(key_ids, as_of)
    return {
        pk for pk, plan in plans.items() if effective_status(plan, as_of) == PlanStatus.APPROVED
    }


def _plans(key_ids: list[int], as_of: dt.date, found: dict[str, Any]) -> dict[str, Any]:
    covered = approved_plan_accounts(key_ids, as_of)
    objectives = found.get("objectives_on_track")
    return {
        "covered": len(covered),
        "uncovered": len(key_ids) - len(covered),
        "key_total": len(key_ids),
        "share": round(len(covered) / len(key_ids) * 100, 1) if key_ids else None,
        "link": reverse("planning:plans") + f"?status={PlanStatus.APPROVED}",
        "uncovered_link": _accounts("plan-none"),
        "objectives_on_track": objectives.figure if objectives else None,
        "objectives_behind": objectives.count if objectives else 0,
        "objectives_link": reverse("programme:indicator", args=["objectives_on_track"]),
    }


def _alerts() -> dict[str, Any]:
    rows = (
        Alert.objects.filter(status__in=LIVE_STATUSES)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    alerts = reverse("alerts:list")
    kinds = [
        {"kind": kind, "count": n, "link": f"{alerts}?kind={kind}&live=true"}
        for kind, n in sorted(rows, key=lambda r: (-r[1], r[0]))
    ]
    return {
        "kinds": kinds,
        "total": sum(k["count"] for k in kinds),
        "link": f"{alerts}?live=true",
    }


def _conditions(as_of: dt.date) -> dict[str, Any]:
    config = ProgrammeSettings.current()
    found = indicators(as_of=as_of)
    campaign = campaign_latest()
    result = survey(campaign=campaign, config=config) if campaign else None
    scores = condition_scores(as_of=as_of, found=found, result=result)
    overview = reverse("programme:overview")
    history = trend(config=config)
    return {
        "conditions": [
            {
                "condition": s.condition,
                "survey": s.survey,
                "indicator": s.indicator,
                "score": s.score,
                "weak": s.weak,
                "trend": [t["scores"].get(s.condition) for t in history],
                "link": f"{overview}#condition-{s.condition}",
            }
            for s in scores
        ],
        "campaigns": [t["campaign"].name for t in history],
        "campaign": campaign.name if campaign else None,
        "link": overview,
        "_indicators": {i.key: i for i in found},
    }


def _backtests() -> dict[str, Any]:
    selection = backtest_latest()
    health = health_backtest_latest()
    return {
        "selection": (
            {**selection.summary, "run_at": selection.created_at.isoformat()}
            if selection is not None
            else None
        ),
        "selection_link": reverse("identification:backtest"),
        "health": (
            {
                "as_of": health.as_of.isoformat(),
                "horizon_months": health.horizon_months,
                "run_at": health.created_at.isoformat(),
                "auc": health.result.get("auc"),
                "baseline_auc": (health.result.get("baseline") or {}).get("auc"),
                "precision_poor": health.result.get("precision_poor"),
                "accounts": health.result.get("accounts"),
                "fell": health.result.get("fell"),
            }
            if health is not None
            else None
        ),
        "health_link": reverse("health:portfolio") + "#health-backtest",
    }


def _line(
    kind: str, at: dt.datetime, account_id: int, name: str, link: str, **params: Any
) -> dict[str, Any]:
    return {
        "kind": kind,
        "at": at.isoformat(),
        "account_id": account_id,
        "account": name,
        "link": link,
        "params": params,
    }


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def changes(*, now: dt.datetime, key_ids: list[int]) -> dict[str, Any]:
    """What changed across the portfolio in the seven days before ``now``: tier changes,
    nominations decided, health grades that fell or rose, plans approved, alerts raised, new
    key-account revenue. Each kind is one or two queries, its ``CHANGE_LIMIT`` newest lines and
    its count."""
    since = now - WEEK
    out: dict[str, Any] = {"since": since.isoformat(), "kinds": {}}

    def add(kind: str, lines: list[dict[str, Any]], count: int, link: str) -> None:
        out["kinds"][kind] = {"lines": lines[:CHANGE_LIMIT], "count": count, "link": link}

    # tier changes: the unit's audit trail, each row against the row before it
    history = Unit.history.model
    before = (
        history.objects.filter(id=OuterRef("id"), history_date__lt=OuterRef("history_date"))
        .order_by("-history_date", "-history_id")
        .values("tier")[:1]
    )
    tier_rows = list(
        history.objects.filter(history_date__gt=since, id__in=Unit.objects.accounts().values("pk"))
        .annotate(was=Subquery(before))
        .filter(was__isnull=False)
        .exclude(was=F("tier"))
        .order_by("-history_date", "-history_id")
        .values_list("id", "name", "tier", "was", "history_date")[:200]
    )
    add(
        "tier",
        [
            _line("tier", at, pk, name, reverse("web:account", args=[pk]), tier=tier, was=was)
            for pk, name, tier, was, at in tier_rows
        ],
        len(tier_rows),
        _portfolio(tier="key"),
    )

    decided = Nomination.objects.filter(decided_at__gt=since).exclude(
        status=NominationStatus.NOMINATED
    )
    add(
        "nomination",
        [
            _line(
                "nomination",
                n.decided_at,
                n.account_id,
                n.account.name,
                reverse("identification:nomination", args=[n.pk]),
                status=n.status,
            )
            for n in decided.select_related("account").order_by("-decided_at", "-pk")[:CHANGE_LIMIT]
            if n.decided_at is not None
        ],
        decided.count(),
        reverse("identification:nominations"),
    )

    # health grades: the kept grade against the previous month's row, of accounts computed
    # this week
    previous_month = (timezone.localdate(now).replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    was_grade = HealthMonth.objects.filter(
        account_id=OuterRef("account_id"), month=previous_month
    ).values("grade")[:1]
    graded = list(
        AccountHealth.objects.filter(account_id__in=key_ids, computed_at__gt=since)
        .annotate(was=Subquery(was_grade))
        .filter(was__isnull=False)
        .exclude(was=F("grade"))
        .order_by("-computed_at", "account_id")
        .values_list("account_id", "account__name", "grade", "was", "computed_at")
    )
    fell = [r for r in graded if GRADE_ORDER.get(r[2], 0) < GRADE_ORDER.get(r[3], 0)]
    rose = [r for r in graded if GRADE_ORDER.get(r[2], 0) > GRADE_ORDER.get(r[3], 0)]
    for kind, rows in (("health_fell", fell), ("health_rose", rose)):
        add(
            kind,
            [
                _line(kind, at, pk, name, reverse("health:account", args=[pk]), grade=g, was=w)
                for pk, name, g, w, at in rows
            ],
            len(rows),
            reverse("health:portfolio")
            + "?tier=key"
            + ("&falling=true" if kind == "health_fell" else ""),
        )

    approved = PlanEvent.objects.filter(kind=PlanEventKind.APPROVED, at__gt=since)
    add(
        "plan",
        [
            _line(
                "plan",
                e.at,
                e.plan.account_id,
                e.plan.account.name,
                reverse("planning:plan", args=[e.plan_id]),
                who=str(e.actor) if e.actor else "",
            )
            for e in approved.select_related("plan__account", "actor").order_by("-at", "-pk")[
                :CHANGE_LIMIT
            ]
        ],
        approved.count(),
        reverse("planning:plans") + f"?status={PlanStatus.APPROVED}",
    )

    raised = Alert.objects.filter(created_at__gt=since)
    add(
        "alert",
        [
            _line(
                "alert",
                a.created_at,
                a.account_id,
                a.account.name,
                a.link or reverse("alerts:list") + f"?account={a.account_id}",
                reason=a.reason,
                reason_params=a.params or {},
                alert_kind=a.kind,
            )
            for a in raised.select_related("account").order_by("-created_at", "-pk")[:CHANGE_LIMIT]
        ],
        raised.count(),
        reverse("alerts:list") + "?live=true",
    )

    key_accounts = Unit.objects.filter(pk__in=key_ids)
    paths = dict(key_accounts.values_list("path", "pk"))
    names = dict(key_accounts.values_list("pk", "name"))
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    last: dict[int, dt.date] = {}
    if key_ids:
        for path, amount, day in (
            Transaction.objects.filter(
                unit__in=Unit.objects.in_accounts_of(key_accounts).values("pk"),
                date__gte=timezone.localdate(since),
                date__lte=timezone.localdate(now),
            )
            .annotate(acc=account_path_of("unit__path"))
            .order_by()
            .values("acc")
            .annotate(amount=Sum("net_amount"), day=Max("date"))
            .values_list("acc", "amount", "day")
        ):
            pk = paths.get(path)
            if pk is not None and amount:
                revenue[pk] += amount
                last[pk] = day
    ranked = sorted(revenue.items(), key=lambda x: (-x[1], x[0]))
    add(
        "revenue",
        [
            _line(
                "revenue",
                _aware(last[pk]),
                pk,
                names.get(pk, ""),
                reverse("web:account_transactions", args=[pk]),
                amount=float(round(amount, 2)),
            )
            for pk, amount in ranked
        ],
        len(ranked),
        _portfolio(tier="key"),
    )
    out["revenue_total"] = float(round(sum(revenue.values(), Decimal(0)), 2))
    return out


def compute(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every figure of the dashboard as of the day (changes: the seven days before ``now``)."""
    now = now or timezone.now()
    key_ids = list(
        Unit.objects.accounts()
        .filter(tier__in=KEY_TIERS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    conditions = _conditions(as_of)
    found = conditions.pop("_indicators")
    return {
        "as_of": as_of.isoformat(),
        "counts": _counts(key_ids),
        "concentration": _concentration(as_of, key_ids),
        "matrix": _matrix(),
        "health": _health(key_ids),
        "stages": _stages(key_ids),
        "plans": _plans(key_ids, as_of, found),
        "alerts": _alerts(),
        "conditions": conditions,
        "backtests": _backtests(),
        "changes": changes(now=now, key_ids=key_ids),
    }


def accounts_for(key: str, *, as_of: dt.date) -> list[int] | None:
    """The accounts behind a dashboard figure that has no list page of its own (a stage, a
    scope, key accounts without an approved plan); None: no such figure."""
    key_ids = list(
        Unit.objects.accounts()
        .filter(tier__in=KEY_TIERS)
        .order_by("name", "pk")
        .values_list("pk", flat=True)
    )
    kind, _sep, value = key.partition("-")
    if kind == "stage" and (value in Stage.values or value == "none"):
        stages = stages_of(key_ids)
        if value == "none":
            return [pk for pk in key_ids if pk not in stages]
        return [pk for pk in key_ids if stages.get(pk) == value]
    if kind == "plan" and value == "none":
        covered = approved_plan_accounts(key_ids, as_of)
        return [pk for pk in key_ids if pk not in covered]
    if kind == "scope" and value:
        run = scoring_run_latest()
        if run is None:
            return []
        scoped = set(
            AccountScore.objects.filter(run=run, account_id__in=key_ids, scope=value).values_list(
                "account_id", flat=True
            )
        )
        return [pk for pk in key_ids if pk in scoped]
    return None


# --- Wording (no queries): the page and the API read the kept payload through this -------------

CHANGE_HEADINGS: dict[str, StrOrPromise] = {
    "tier": _("Tier changes"),
    "nomination": _("Nominations decided"),
    "health_fell": _("Health grades that fell"),
    "health_rose": _("Health grades that rose"),
    "plan": _("Plans approved"),
    "alert": _("Alerts raised"),
    "revenue": _("Key-account revenue this week"),
}


def _change_text(line: dict[str, Any], labels: dict[str, dict[str, str]]) -> str:
    p = line["params"]
    kind: str = line["kind"]
    if kind == "tier":
        return gettext("Tier changed from %(was)s to %(tier)s") % {
            "was": labels["tier"].get(p["was"], p["was"]),
            "tier": labels["tier"].get(p["tier"], p["tier"]),
        }
    if kind == "nomination":
        return gettext("Nomination decided: %(status)s") % {
            "status": labels["nomination"].get(p["status"], p["status"])
        }
    if kind in ("health_fell", "health_rose"):
        return gettext("Health went from %(was)s to %(grade)s") % {
            "was": labels["grade"].get(p["was"], p["was"]),
            "grade": labels["grade"].get(p["grade"], p["grade"]),
        }
    if kind == "plan":
        return gettext("Plan approved by %(who)s") % {"who": p["who"] or "—"}
    if kind == "alert":
        template = gettext(p["reason"])
        try:
            return template % dict(p["reason_params"] or {})
        except (KeyError, TypeError, ValueError):
            return template
    if kind == "revenue":
        return gettext("Sales of %(amount)s") % {"amount": f"{p['amount']:,.0f}"}
    return kind


def labels() -> dict[str, dict[str, str]]:
    """The words of the payload's codes in the current language."""
    return {
        "tier": {k: str(v) for k, v in Tier.choices},
        "scope": {k: str(v) for k, v in Scope.choices},
        "quadrant": {k: str(v[0]) for k, v in QUADRANTS.items()},
        "grade": {k: str(v) for k, v in Grade.choices},
        "stage": {k: str(v) for k, v in Stage.choices},
        "nomination": {k: str(v) for k, v in NominationStatus.choices},
        "alert": {k: str(v) for k, v in alert_rules.choices()},
        "condition": {str(k): str(v) for k, v in Condition.choices},
    }


def present(payload: dict[str, Any]) -> dict[str, Any]:
    """The kept payload with every code worded (a deep copy; the payload is left as it is)."""
    out: dict[str, Any] = json.loads(json.dumps(payload))
    words = labels()
    for row in out["counts"]["tiers"]:
        row["label"] = words["tier"].get(row["tier"], row["tier"])
    for row in out["counts"]["scopes"]:
        row["label"] = words["scope"].get(row["scope"], row["scope"])
    for row in out["matrix"]["quadrants"]:
        row["label"] = words["quadrant"].get(row["quadrant"], row["quadrant"])
    for row in out["health"]["grades"]:
        row["label"] = words["grade"].get(row["grade"], row["grade"])
    for row in out["stages"]["stages"]:
        row["label"] = words["stage"].get(row["stage"], row["stage"])
    for row in out["alerts"]["kinds"]:
        row["label"] = words["alert"].get(row["kind"], row["kind"])
    for row in out["conditions"]["conditions"]:
        row["label"] = words["condition"].get(str(row["condition"]), "")
    for kind, block in out["changes"]["kinds"].items():
        block["kind"] = kind
        block["heading"] = str(CHANGE_HEADINGS.get(kind, kind))
        for line in block["lines"]:
            line["text"] = _change_text(line, words)
            line["at"] = dt.datetime.fromisoformat(line["at"])
    out["changes"]["list"] = [out["changes"]["kinds"][k] for k in CHANGE_HEADINGS]
    out["changes"]["since"] = dt.datetime.fromisoformat(out["changes"]["since"])
    return out


def figure_title(key: str) -> str:
    """The heading of the list behind a figure of :func:`accounts_for`."""
    kind, _sep, value = key.partition("-")
    if kind == "stage":
        if value == "none":
            return gettext("Key accounts without a confirmed relationship stage")
        return gettext("Key accounts at the relationship stage %(stage)s") % {
            "stage": dict(Stage.choices).get(value, value)
        }
    if kind == "plan":
        return gettext("Key accounts without an approved current plan")
    return gettext("Key accounts of scope %(scope)s") % {
        "scope": dict(Scope.choices).get(value, value)
    }
