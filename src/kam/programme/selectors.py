"""Reads of the KAM programme: condition indicators, survey scores, condition scores, gaps,
recommended actions and the risks of KAM itself (DOMAIN §10, §11; decisions 88–91).

Every function answers in a bounded number of queries whatever the number of accounts: the
indicators read whole columns (one query or one registry call each), the survey figures are
aggregates, and the risks read the monthly roll-ups grouped by account.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.metrics import MetricUnit, registry
from kam.core.periods import full_months_end, last_full_months
from kam.customers.models import Tier, Unit, account_path_of
from kam.identification.models import AccountScore, Nomination, NominationStatus, Recommendation
from kam.identification.selectors import (
    capacity_warnings,
    scoring_model_active,
    scoring_run_latest,
)
from kam.interactions.models import Interaction
from kam.people.models import Role, User
from kam.planning.models import Objective, PlanStatus
from kam.planning.selectors import current_plans, effective_status, objective_counts
from kam.sales.discounts import discounts_stale
from kam.sales.models import AccountRevenue, MonthlyRollup, Opportunity, OpportunityStage
from kam.sales.services import account_revenue_current, margin_quarters
from kam.teams.models import TeamMember, TeamRole
from kam.teams.selectors import accounts_without_sponsor, request_indicators, team_counts

from .models import (
    Campaign,
    CampaignStatus,
    Condition,
    DashboardSnapshot,
    Group,
    ProgrammeSettings,
    Response,
    Statement,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

KEY_TIERS = (Tier.KEY, Tier.NATIONAL, Tier.GLOBAL)
HUNDRED = Decimal(100)
OPEN_STAGES = (
    OpportunityStage.QUALIFY,
    OpportunityStage.DEVELOP,
    OpportunityStage.PROPOSE,
    OpportunityStage.NEGOTIATE,
)
# The metric keys of the field app (condition 5): read through the registry; absent = no data.
FIELD_COUNT_KEYS = (
    "field.units_without_rep",
    "field.overdue_actions",
    "field.missed_visits",
    "field.silent_reps",
)
FIELD_SHARE_KEY = "field.linked_share"
FIELD_KEYS = (FIELD_COUNT_KEYS[0], FIELD_SHARE_KEY, *FIELD_COUNT_KEYS[1:])


# --- Indicators (DOMAIN §10) -------------------------------------------------------------------


@dataclass
class Indicator:
    """One data indicator of a condition.

    ``score`` is 0–100 (None: no data, left out of the condition's indicator score); ``figure``
    is what the indicator measures, in ``unit``; ``accounts`` are the accounts behind it (the
    ones that pull it down, or for a share of revenue the accounts it is made of)."""

    key: str
    condition: int
    label: StrOrPromise
    unit: str
    figure: float | None
    score: float | None
    accounts: list[int] = field(default_factory=list)
    advice: StrOrPromise = ""
    mapping: StrOrPromise = ""
    note: StrOrPromise = ""

    @property
    def has_data(self) -> bool:
        return self.score is not None

    @property
    def count(self) -> int:
        return len(self.accounts)


@dataclass
class Context:
    """What every indicator reads: the key accounts and the thresholds, fetched once."""

    as_of: dt.date
    config: ProgrammeSettings
    key_ids: list[int]
    key_paths: dict[str, int]


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _capped(value: float | None, target: float) -> float | None:
    """Score of a figure against its target: value / target × 100, capped at 100."""
    if value is None:
        return None
    if target <= 0:
        return 100.0
    return round(min(100.0, value / target * 100), 1)


def key_accounts() -> QuerySet[Unit]:
    accounts: QuerySet[Unit] = Unit.objects.accounts().filter(tier__in=KEY_TIERS)
    return accounts


def _context(as_of: dt.date) -> Context:
    rows = list(key_accounts().order_by("pk").values_list("pk", "path"))
    return Context(
        as_of=as_of,
        config=ProgrammeSettings.current(),
        key_ids=[pk for pk, _path in rows],
        key_paths={path: pk for pk, path in rows},
    )


def account_revenues(as_of: dt.date) -> dict[int, Decimal]:
    """Net revenue of every account over the last 12 full months (one query)."""
    start, end = last_full_months(as_of)
    rows = (
        MonthlyRollup.objects.filter(month__gte=start, month__lt=end)
        .order_by()
        .values("account_id")
        .annotate(revenue=Sum("net_amount"))
        .values_list("account_id", "revenue")
    )
    return {pk: revenue or Decimal(0) for pk, revenue in rows}


def _key_revenue_share(ctx: Context) -> Indicator:
    revenues = account_revenues(ctx.as_of)
    total = sum((v for v in revenues.values() if v > 0), Decimal(0))
    key = sum((revenues.get(pk, Decimal(0)) for pk in ctx.key_ids), Decimal(0))
    share = float(key / total) if total > 0 else None
    behind = sorted(ctx.key_ids, key=lambda pk: -revenues.get(pk, Decimal(0)))
    return Indicator(
        key="key_revenue_share",
        condition=Condition.INTEGRATED,
        label=_("Share of company revenue in key accounts"),
        unit=MetricUnit.PERCENT,
        figure=_pct(share),
        score=_capped(_pct(share), ctx.config.key_revenue_target),
        accounts=behind,
        advice=_(
            "Only %(figure)s %% of revenue comes from key accounts: review which accounts are key."
        ),
        mapping=_("share ÷ target share (%(target)s %%) × 100, at most 100")
        % {"target": ctx.config.key_revenue_target},
    )


def _key_pipeline(ctx: Context) -> Indicator:
    paths = set(
        Opportunity.objects.filter(stage__in=OPEN_STAGES)
        .annotate(account_path=account_path_of("unit__path"))
        .order_by()
        .values_list("account_path", flat=True)
        .distinct()
    )
    with_pipeline = {ctx.key_paths[p] for p in paths if p in ctx.key_paths}
    share = _share(len(with_pipeline), len(ctx.key_ids))
    return Indicator(
        key="key_pipeline",
        condition=Condition.INTEGRATED,
        label=_("Key accounts with targets in the sales pipeline"),
        unit=MetricUnit.PERCENT,
        figure=_pct(share),
        score=_pct(share),
        accounts=[pk for pk in ctx.key_ids if pk not in with_pipeline],
        advice=_("%(n)d key accounts have no open opportunity: put their targets in the pipeline."),
        mapping=_("share of key accounts with an open opportunity × 100"),
    )


def _sponsor_share(ctx: Context) -> Indicator:
    without = list(accounts_without_sponsor(on=ctx.as_of).values_list("pk", flat=True))
    share = _share(len(ctx.key_ids) - len(without), len(ctx.key_ids))
    return Indicator(
        key="sponsor_share",
        condition=Condition.SUPPORT,
        label=_("Key accounts with an executive sponsor"),
        unit=MetricUnit.PERCENT,
        figure=_pct(share),
        score=_pct(share),
        accounts=without,
        advice=_("%(n)d key accounts have no executive sponsor: assign one."),
        mapping=_("share of key accounts with a running executive sponsor × 100"),
    )


def _sponsor_interactions(ctx: Context) -> Indicator:
    sponsors: dict[int, set[int]] = defaultdict(set)
    for account_id, user_id in (
        TeamMember.objects.active(ctx.as_of)
        .filter(role=TeamRole.EXECUTIVE_SPONSOR, account_id__in=ctx.key_ids)
        .values_list("account_id", "user_id")
    ):
        sponsors[account_id].add(user_id)
    users = {u for ids in sponsors.values() for u in ids}
    since = ctx.as_of - dt.timedelta(days=91)
    met: dict[int, set[int]] = defaultdict(set)
    if users:
        rows = (
            Interaction.objects.filter(
                participants__in=users,
                occurred_at__date__gt=since,
                occurred_at__date__lte=ctx.as_of,
            )
            .annotate(account_path=account_path_of("unit__path"))
            .order_by()
            .values_list("pk", "account_path", "participants")
        )
        for pk, path, participant in rows:
            account = ctx.key_paths.get(path)
            if account is not None and participant in sponsors.get(account, ()):
                met[account].add(pk)
    total = sum(len(v) for v in met.values())
    per_account = round(total / len(ctx.key_ids), 2) if ctx.key_ids else None
    return Indicator(
        key="sponsor_interactions",
        condition=Condition.SUPPORT,
        label=_("Sponsor interactions per key account, last quarter"),
        unit=MetricUnit.COUNT,
        figure=per_account,
        score=_capped(per_account, float(ctx.config.sponsor_contacts_target)),
        accounts=[pk for pk in ctx.key_ids if not met.get(pk)],
        advice=_(
            "%(n)d key accounts had no contact with their executive sponsor last quarter: "
            "plan a sponsor meeting."
        ),
        mapping=_("interactions ÷ target (%(target)s per account per quarter) × 100, at most 100")
        % {"target": ctx.config.sponsor_contacts_target},
    )


def _requests_on_time(ctx: Context) -> Indicator:
    found = request_indicators(account_ids=ctx.key_ids, by="account")
    done = sum(i.done for i in found.values())
    on_time = sum(i.done_on_time for i in found.values())
    share = _share(on_time, done)
    return Indicator(
        key="requests_on_time",
        condition=Condition.COMMUNICATION,
        label=_("Resource requests done on time"),
        unit=MetricUnit.PERCENT,
        figure=_pct(share),
        score=_pct(share),
        accounts=[pk for pk, i in found.items() if i.overdue or i.done_on_time < i.done],
        advice=_(
            "%(n)d key accounts have late or overdue resource requests: "
            "follow them up with the service units."
        ),
        mapping=_("share of done requests done by their needed-by day × 100"),
        note="" if done else _("No resource request done yet."),
    )


def _specialists(ctx: Context) -> Indicator:
    counts = team_counts(account_ids=ctx.key_ids, on=ctx.as_of)
    per = [counts.get(pk, {}).get("specialists", 0) for pk in ctx.key_ids]
    mean = round(sum(per) / len(per), 2) if per else None
    return Indicator(
        key="specialists",
        condition=Condition.COMMUNICATION,
        label=_("Specialists per key account team"),
        unit=MetricUnit.COUNT,
        figure=mean,
        score=_capped(mean, float(ctx.config.specialists_target)),
        accounts=[pk for pk, n in zip(ctx.key_ids, per, strict=True) if n == 0],
        advice=_(
            "%(n)d key account teams have no specialist: "
            "add service, logistics or technical people."
        ),
        mapping=_("specialists ÷ target (%(target)s per team) × 100, at most 100")
        % {"target": ctx.config.specialists_target},
    )


def _plan_share(ctx: Context) -> Indicator:
    plans = current_plans(ctx.key_ids, ctx.as_of)
    measurable = set(
        Objective.objects.filter(plan_id__in=[p.pk for p in plans.values()])
        .filter(Q(metric_key__gt="") | Q(target_value__isnull=False))
        .values_list("plan_id", flat=True)
    )
    good = {
        pk
        for pk, plan in plans.items()
        if effective_status(plan, ctx.as_of) == PlanStatus.APPROVED
        and plan.mission.strip()
        and plan.pk in measurable
    }
    share = _share(len(good), len(ctx.key_ids))
    return Indicator(
        key="plan_share",
        condition=Condition.GOALS,
        label=_("Key accounts with an approved plan, a mission and a measurable objective"),
        unit=MetricUnit.PERCENT,
        figure=_pct(share),
        score=_pct(share),
        accounts=[pk for pk in ctx.key_ids if pk not in good],
        advice=_(
            "%(n)d key accounts lack an approved plan with a mission and a measurable objective: "
            "write and approve them."
        ),
        mapping=_("share of key accounts × 100"),
    )


def _objectives_on_track(ctx: Context) -> Indicator:
    counts = objective_counts(current_plans(ctx.key_ids, ctx.as_of), ctx.as_of)
    on = sum(c[0] for c in counts.values())
    total = sum(c[1] for c in counts.values())
    share = _share(on, total)
    return Indicator(
        key="objectives_on_track",
        condition=Condition.GOALS,
        label=_("Objectives on track"),
        unit=MetricUnit.PERCENT,
        figure=_pct(share),
        score=_pct(share),
        accounts=[pk for pk, (o, t) in counts.items() if o < t],
        advice=_("%(n)d key accounts have objectives off track: review their plans."),
        mapping=_("share of the objectives of current plans that are on track × 100"),
        note="" if total else _("No objectives yet."),
    )


FIELD_LABELS: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "field.units_without_rep": (
        _("Units without a responsible rep"),
        _("%(n)d key accounts have units without a responsible rep: assign reps."),
    ),
    "field.linked_share": (
        _("Field interactions linked to the plan"),
        _(
            "%(n)d key accounts log field interactions mostly unlinked to their plan: "
            "link visits to plan actions."
        ),
    ),
    "field.overdue_actions": (
        _("Overdue field actions"),
        _("%(n)d key accounts have overdue field actions: follow them up with the reps."),
    ),
    "field.missed_visits": (
        _("Missed visits"),
        _("%(n)d key accounts have missed visits: reschedule them."),
    ),
    "field.silent_reps": (
        _("Reps with no logged contact in 90 days"),
        _("%(n)d key accounts have silent reps: ask them to log their contacts."),
    ),
}


def _field(key: str) -> Callable[[Context], Indicator]:
    def compute(ctx: Context) -> Indicator:
        label, advice = FIELD_LABELS[key]

        def made(unit: str, **rest: Any) -> Indicator:
            return Indicator(
                key=key,
                condition=Condition.COORDINATION,
                label=label,
                advice=advice,
                unit=unit,
                **rest,
            )

        if key not in registry:
            return made(
                MetricUnit.COUNT,
                figure=None,
                score=None,
                note=_("No data: the field figures are not available."),
            )
        metric = registry.get(key)
        values = {pk: v for pk, v in metric.values(ctx.key_ids, ctx.as_of).items() if v is not None}
        numbers = {pk: float(v) for pk, v in values.items() if not isinstance(v, str)}
        if not numbers:
            return made(metric.unit, figure=None, score=None, note=_("No data yet."))
        if key == FIELD_SHARE_KEY:
            mean = round(sum(numbers.values()) / len(numbers), 1)
            return made(
                MetricUnit.PERCENT,
                figure=mean,
                score=mean,
                accounts=[pk for pk, v in numbers.items() if v < 50],
                mapping=_("mean share over the key accounts"),
            )
        clean = sum(1 for v in numbers.values() if v == 0)
        return made(
            MetricUnit.COUNT,
            figure=sum(numbers.values()),
            score=_pct(clean / len(numbers)),
            accounts=[pk for pk, v in numbers.items() if v > 0],
            mapping=_("share of key accounts with none × 100"),
        )

    return compute


def _active_model(ctx: Context) -> Indicator:
    model = scoring_model_active()
    return Indicator(
        key="active_model",
        condition=Condition.DEFINITION,
        label=_("An active scoring model"),
        unit=MetricUnit.COUNT,
        figure=model.version if model else None,
        score=100.0 if model else 0.0,
        advice=_("No scoring model is active: activate one."),
        mapping=_("100 with an active model, else 0"),
    )


def _key_meeting_criteria(ctx: Context) -> Indicator:
    run = scoring_run_latest()
    if run is None:
        return Indicator(
            key="key_meeting_criteria",
            condition=Condition.DEFINITION,
            label=_("Key accounts meeting the model's criteria"),
            unit=MetricUnit.PERCENT,
            figure=None,
            score=None,
            note=_("No data: no scoring run yet."),
        )
    meeting = set(
        AccountScore.objects.filter(
            run=run, account_id__in=ctx.key_ids, recommendation=Recommendation.KEY_CANDIDATE
        ).values_list("account_id", flat=True)
    )
    share = _share(len(meeting), len(ctx.key_ids))
    return Indicator(
        key="key_meeting_criteria",
        condition=Condition.DEFINITION,
        label=_("Key accounts meeting the model's criteria"),
        unit=MetricUnit.PERCENT,
        figure=_pct(share),
        score=_pct(share),
        accounts=[pk for pk in ctx.key_ids if pk not in meeting],
        advice=_("%(n)d key accounts do not meet the scoring model's criteria: review them."),
        mapping=_("share of key accounts recommended as key candidates by the latest run × 100"),
    )


def _nominations_waiting(ctx: Context) -> Indicator:
    days = ctx.config.nomination_wait_days
    limit = ctx.as_of - dt.timedelta(days=days)
    rows = list(
        Nomination.objects.filter(status=NominationStatus.NOMINATED).values_list(
            "account_id", "created_at"
        )
    )
    waiting = sorted({pk for pk, created in rows if created.date() < limit})
    score = 100.0 if not rows else round(100 * (1 - len(waiting) / len(rows)), 1)
    return Indicator(
        key="nominations_waiting",
        condition=Condition.DEFINITION,
        label=_("Nominations waiting more than %(days)d days") % {"days": days},
        unit=MetricUnit.COUNT,
        figure=len(waiting),
        score=score,
        accounts=waiting,
        advice=_("%(n)d nominations wait for a decision: decide them."),
        mapping=_("share of open nominations decided in time × 100 (100 with none open)"),
    )


INDICATORS: dict[str, Callable[[Context], Indicator]] = {
    "key_revenue_share": _key_revenue_share,
    "key_pipeline": _key_pipeline,
    "sponsor_share": _sponsor_share,
    "sponsor_interactions": _sponsor_interactions,
    "requests_on_time": _requests_on_time,
    "specialists": _specialists,
    "plan_share": _plan_share,
    "objectives_on_track": _objectives_on_track,
    **{key: _field(key) for key in FIELD_KEYS},
    "active_model": _active_model,
    "key_meeting_criteria": _key_meeting_criteria,
    "nominations_waiting": _nominations_waiting,
}


def indicators(*, as_of: dt.date) -> list[Indicator]:
    """Every indicator of the six conditions (a bounded number of queries)."""
    ctx = _context(as_of)
    return [compute(ctx) for compute in INDICATORS.values()]


def indicator(*, key: str, as_of: dt.date) -> Indicator | None:
    compute = INDICATORS.get(key)
    return None if compute is None else compute(_context(as_of))


def accounts_behind(ids: Sequence[int]) -> QuerySet[Unit]:
    """The accounts of ``ids`` for a list page (kept in the order of ``ids`` by the caller)."""
    units: QuerySet[Unit] = Unit.objects.filter(pk__in=list(ids)).select_related("account_manager")
    return units


# --- Surveys (campaigns) -----------------------------------------------------------------------


def scale(mean: float | None) -> float | None:
    """A mean answer on the 1–5 scale as a 0–100 score: (mean − 1) ÷ 4 × 100."""
    return None if mean is None else round((mean - 1) / 4 * 100, 1)


@dataclass
class GroupResult:
    group: str
    label: StrOrPromise
    respondents: int
    shown: bool
    scores: dict[int, float | None]


@dataclass
class Gap:
    condition: int
    label: StrOrPromise
    high: str
    high_label: StrOrPromise
    low: str
    low_label: StrOrPromise
    gap: float
    flagged: bool


@dataclass
class Survey:
    campaign: Campaign
    respondents: int
    shown: bool  # enough respondents for the overall results
    scores: dict[int, float | None]  # condition -> 0–100 (None: no answers, or hidden)
    groups: list[GroupResult]
    gaps: list[Gap]
    min_group_size: int


def survey(*, campaign: Campaign, config: ProgrammeSettings | None = None) -> Survey:
    """Survey scores of a campaign (three queries).

    Overall condition score = mean of every answer, scaled 0–100, shown once the campaign has at
    least ``min_group_size`` respondents; a group's scores show only when that group has at least
    ``min_group_size`` respondents (anonymity). Gaps are between the groups that show."""
    config = config or ProgrammeSettings.current()
    least = config.min_group_size
    answers = Response.objects.filter(campaign=campaign).order_by()
    per_group = dict(
        answers.values("group")
        .annotate(n=Count("respondent", distinct=True))
        .values_list("group", "n")
    )
    total = answers.aggregate(n=Count("respondent", distinct=True))["n"] or 0
    by_group: dict[str, dict[int, float | None]] = defaultdict(dict)
    overall_sum: dict[int, tuple[float, int]] = {}
    for row in answers.values("group", "statement__condition").annotate(
        mean=Avg("answer"), n=Count("pk")
    ):
        condition = row["statement__condition"]
        by_group[row["group"]][condition] = scale(row["mean"])
        s, n = overall_sum.get(condition, (0.0, 0))
        overall_sum[condition] = (s + row["mean"] * row["n"], n + row["n"])
    shown = total >= least
    scores: dict[int, float | None] = {
        c: (scale(overall_sum[c][0] / overall_sum[c][1]) if shown and c in overall_sum else None)
        for c in Condition.values
    }
    groups = []
    for code, label in Group.choices:
        if code not in campaign.groups:
            continue
        n = per_group.get(code, 0)
        ok = n >= least
        groups.append(
            GroupResult(
                group=code,
                label=label,
                respondents=n,
                shown=ok,
                scores={c: by_group[code].get(c) for c in Condition.values} if ok else {},
            )
        )
    return Survey(
        campaign=campaign,
        respondents=total,
        shown=shown,
        scores=scores,
        groups=groups,
        gaps=group_gaps(groups, flag=config.gap_flag),
        min_group_size=least,
    )


def group_gaps(groups: Iterable[GroupResult], *, flag: float) -> list[Gap]:
    """Per condition, the widest gap between two shown groups (flagged from ``flag`` points)."""
    shown = [g for g in groups if g.shown]
    labels = dict(Condition.choices)
    out = []
    for condition in Condition.values:
        have = [(g, g.scores[condition]) for g in shown if g.scores.get(condition) is not None]
        if len(have) < 2:
            continue
        high = max(have, key=lambda x: x[1] or 0)
        low = min(have, key=lambda x: x[1] or 0)
        gap = round((high[1] or 0) - (low[1] or 0), 1)
        out.append(
            Gap(
                condition=condition,
                label=labels[condition],
                high=high[0].group,
                high_label=high[0].label,
                low=low[0].group,
                low_label=low[0].label,
                gap=gap,
                flagged=gap >= flag,
            )
        )
    return out


# --- Condition scores, recommendations, trend --------------------------------------------------


@dataclass
class Recommendation_:
    condition: int
    indicator: str
    score: float
    text: str
    count: int


@dataclass
class ConditionScore:
    condition: int
    label: StrOrPromise
    survey: float | None
    indicator: float | None
    score: float | None
    basis: str  # "both", "survey", "indicators", "none"
    weak: bool
    indicators: list[Indicator]
    recommendations: list[Recommendation_] = field(default_factory=list)

    @property
    def basis_label(self) -> StrOrPromise:
        return {
            "both": _("survey and indicators"),
            "survey": _("survey only: no indicator data"),
            "indicators": _("indicators only: no survey answers"),
            "none": _("no data"),
        }[self.basis]


def _mean(values: Iterable[float | None]) -> float | None:
    have = [v for v in values if v is not None]
    return round(sum(have) / len(have), 1) if have else None


def combine(survey_score: float | None, indicator_score: float | None) -> tuple[float | None, str]:
    """Condition score = mean of the survey score and the indicator score; with one of them
    missing, the other alone (and the basis says so)."""
    if survey_score is not None and indicator_score is not None:
        return round((survey_score + indicator_score) / 2, 1), "both"
    if survey_score is not None:
        return survey_score, "survey"
    if indicator_score is not None:
        return indicator_score, "indicators"
    return None, "none"


def _advice(ind: Indicator) -> str:
    return str(ind.advice) % {"n": ind.count, "figure": ind.figure}


def condition_scores(
    *,
    as_of: dt.date,
    campaign: Campaign | None = None,
    found: list[Indicator] | None = None,
    result: Survey | None = None,
) -> list[ConditionScore]:
    """The six conditions: survey, indicator and condition scores, weak ones with the
    recommended actions drawn from the indicators that pull them down (weakest first)."""
    config = ProgrammeSettings.current()
    found = found if found is not None else indicators(as_of=as_of)
    if result is None and campaign is not None:
        result = survey(campaign=campaign, config=config)
    out = []
    for condition, label in Condition.choices:
        mine = [i for i in found if i.condition == condition]
        ind_score = _mean(i.score for i in mine)
        survey_score = result.scores.get(condition) if result else None
        score, basis = combine(survey_score, ind_score)
        weak = score is not None and score < config.weak_below
        cs = ConditionScore(
            condition=condition,
            label=label,
            survey=survey_score,
            indicator=ind_score,
            score=score,
            basis=basis,
            weak=weak,
            indicators=mine,
        )
        if weak:
            pulling = sorted(
                (i for i in mine if i.score is not None and i.score < config.weak_below),
                key=lambda i: i.score or 0,
            )
            cs.recommendations = [
                Recommendation_(
                    condition=condition,
                    indicator=i.key,
                    score=i.score or 0,
                    text=_advice(i),
                    count=i.count,
                )
                for i in pulling
            ]
        out.append(cs)
    return out


def recommendations(scores: Iterable[ConditionScore]) -> list[Recommendation_]:
    """Every recommended action, the weakest indicator first."""
    return sorted((r for s in scores for r in s.recommendations), key=lambda r: r.score)


def campaign_latest() -> Campaign | None:
    return Campaign.objects.order_by("-period_end", "-pk").first()


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("opened_by").annotate(
        respondents=Count("responses__respondent", distinct=True)
    )


def trend(*, limit: int = 8, config: ProgrammeSettings | None = None) -> list[dict[str, Any]]:
    """Survey scores per condition across the latest ``limit`` campaigns, oldest first (two
    queries); a campaign below the minimum respondents shows no scores."""
    config = config or ProgrammeSettings.current()
    campaigns = list(campaign_list().order_by("-period_end", "-pk")[:limit])
    ids = [c.pk for c in campaigns]
    means: dict[int, dict[int, float | None]] = defaultdict(dict)
    for row in (
        Response.objects.filter(campaign_id__in=ids)
        .order_by()
        .values("campaign_id", "statement__condition")
        .annotate(mean=Avg("answer"))
    ):
        means[row["campaign_id"]][row["statement__condition"]] = scale(row["mean"])
    out = []
    for c in reversed(campaigns):
        shown = getattr(c, "respondents", 0) >= config.min_group_size
        out.append(
            {
                "campaign": c,
                "scores": {k: (means[c.pk].get(k) if shown else None) for k in Condition.values},
            }
        )
    return out


def open_campaigns_for(*, user: User) -> list[dict[str, Any]]:
    """Open campaigns whose groups include the user's role, with how many they answered."""
    campaigns = list(Campaign.objects.filter(status=CampaignStatus.OPEN))
    mine = [c for c in campaigns if user.role in c.groups]
    answered = dict(
        Response.objects.filter(campaign__in=mine, respondent=user)
        .order_by()
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )
    totals = dict(
        Campaign.objects.filter(pk__in=[c.pk for c in mine])
        .annotate(n=Count("statements"))
        .values_list("pk", "n")
    )
    return [
        {"campaign": c, "answered": answered.get(c.pk, 0), "statements": totals.get(c.pk, 0)}
        for c in mine
    ]


def respondents_asked(*, campaign: Campaign) -> int:
    """How many active people the campaign asks (one count query)."""
    return User.objects.filter(is_active=True, role__in=campaign.groups).count()


def own_responses(*, campaign: Campaign, user: User) -> QuerySet[Response]:
    """A respondent's own answers (nobody reads another person's answers)."""
    return Response.objects.filter(campaign=campaign, respondent=user).select_related("statement")


def campaign_statements(*, campaign: Campaign) -> list[Any]:
    return list(campaign.statements.order_by("condition", "position", "pk"))


def statements_by_condition() -> list[dict[str, Any]]:
    """Every statement (active and retired) per condition, with the answers given to it; two
    queries whatever their number."""
    rows = list(
        Statement.objects.annotate(answers=Count("responses")).order_by(
            "condition", "-active", "position", "pk"
        )
    )
    return [
        {
            "condition": value,
            "label": label,
            "statements": [s for s in rows if s.condition == value],
            "active": sum(1 for s in rows if s.condition == value and s.active),
        }
        for value, label in Condition.choices
    ]


# --- Risks of KAM (DOMAIN §11) -------------------------------------------------------------------


@dataclass
class Risk:
    key: str
    label: StrOrPromise
    level: str  # "ok", "warn", "alert", "no_data"
    summary: str
    accounts: list[int] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    # with "no_data": which input is missing and how to provide it (decision 105)
    missing: str = ""


@dataclass
class AccountShare:
    account_id: int
    revenue: Decimal
    share: Decimal  # per cent of company revenue
    level: str  # "ok", "warn", "alert"


def dependence(as_of: dt.date) -> list[AccountShare]:
    """Every account's share of company revenue (last 12 full months), largest first, with its
    level: above the warn threshold (default 10 %) "warn", above the alert one (20 %) "alert".
    The alerts part reads this (one query for the revenue, one for the settings)."""
    config = ProgrammeSettings.current()
    revenues = {pk: v for pk, v in account_revenues(as_of).items() if v > 0}
    total = sum(revenues.values(), Decimal(0))
    out = []
    for pk, revenue in sorted(revenues.items(), key=lambda x: (-x[1], x[0])):
        share = (revenue / total * HUNDRED).quantize(Decimal("0.01"))
        level = (
            "alert"
            if share > config.dependence_alert
            else "warn"
            if share > config.dependence_warn
            else "ok"
        )
        out.append(AccountShare(account_id=pk, revenue=revenue, share=share, level=level))
    return out


def concentration(shares: Sequence[AccountShare], *, pareto_points: int = 20) -> dict[str, Any]:
    """Top-5 share (%), Herfindahl–Hirschman index (Σ share² with shares in %, 0–10 000) and the
    Pareto curve (cumulative share of the largest accounts, the rest as one point)."""
    if not shares:
        return {"top5": None, "hhi": None, "pareto": [], "accounts": 0}
    total = sum((s.revenue for s in shares), Decimal(0))
    exact = [s.revenue / total * HUNDRED for s in shares]
    top5 = sum(exact[:5], Decimal(0))
    hhi = sum((x * x for x in exact), Decimal(0))
    pareto: list[dict[str, Any]] = []
    cumulative = Decimal(0)
    for s, x in zip(shares[:pareto_points], exact[:pareto_points], strict=True):
        cumulative += x
        pareto.append(
            {
                "account_id": s.account_id,
                "share": float(round(x, 2)),
                "cumulative": float(round(cumulative, 2)),
            }
        )
    if len(shares) > pareto_points:
        pareto.append(
            {
                "account_id": None,
                "share": float(round(HUNDRED - cumulative, 2)),
                "cumulative": 100.0,
            }
        )
    return {
        "top5": float(round(top5, 1)),
        "hhi": int(round(hhi)),
        "pareto": pareto,
        "accounts": len(shares),
    }


def concentration_level(conc: Mapping[str, Any], config: ProgrammeSettings) -> str:
    """The level of the concentration risk: "alert" when the top-5 share or the Herfindahl index
    is above its stored alert threshold, "warn" when the index is above its warn threshold,
    "no_data" without revenue, else "ok"."""
    hhi, top5 = conc.get("hhi"), conc.get("top5")
    if hhi is None or top5 is None:
        return "no_data"
    if hhi > config.concentration_hhi_alert or top5 > float(config.concentration_top5_alert):
        return "alert"
    return "warn" if hhi > config.concentration_hhi_warn else "ok"


def risk_alert_owner(config: ProgrammeSettings) -> int | None:
    """The executive who owns the programme-wide risk alerts: the stored one while they are an
    active executive, else the first active executive (None when there is none)."""
    found = User.objects.filter(is_active=True, role=Role.EXECUTIVE)
    if config.risk_alert_owner_id is not None:
        chosen = found.filter(pk=config.risk_alert_owner_id).values_list("pk", flat=True).first()
        if chosen is not None:
            return chosen
    return found.order_by("pk").values_list("pk", flat=True).first()


def _money(field_name: str) -> Coalesce:
    out: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)
    return Coalesce(Sum(field_name), Decimal(0), output_field=out)


def _margin_sums(
    as_of: dt.date, key_ids: Sequence[int]
) -> tuple[dict[tuple[int, int], list[Decimal]], dict[int, list[Decimal]]]:
    """[costed revenue, cost] per (key account, quarter) and per quarter of every account, over
    the roll-ups with a costed amount of the last three full quarters (only the pairs with
    some)."""
    quarters = range(3)
    if as_of == timezone.localdate() and account_revenue_current(today=as_of):
        kept = AccountRevenue.objects.order_by()
        names = [(f"costed_q{i + 1}", f"cost_q{i + 1}") for i in quarters]
        sums = {
            (row[0], i): [row[1 + 2 * i], row[2 + 2 * i]]
            for row in kept.filter(account_id__in=list(key_ids)).values_list(
                "account_id", *(n for pair in names for n in pair)
            )
            for i in quarters
            if row[1 + 2 * i] > 0
        }
        totals = kept.aggregate(**{n: Coalesce(Sum(n), Decimal(0)) for pair in names for n in pair})
        rest = {
            i: [totals[costed], totals[cost]]
            for i, (costed, cost) in enumerate(names)
            if totals[costed] > 0
        }
        return sums, rest
    bounds = margin_quarters(full_months_end(as_of))
    period = Case(
        When(month__lt=bounds[1], then=Value(0)),
        When(month__lt=bounds[2], then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    window = (
        MonthlyRollup.objects.filter(month__gte=bounds[0], month__lt=bounds[3], costed_amount__gt=0)
        .order_by()
        .annotate(period=period)
    )
    sums = {
        (r["account_id"], r["period"]): [r["costed"], r["cost"]]
        for r in window.filter(account_id__in=list(key_ids))
        .values("account_id", "period")
        .annotate(costed=_money("costed_amount"), cost=_money("cost"))
    }
    rest = {
        r["period"]: [r["costed"], r["cost"]]
        for r in window.values("period").annotate(
            costed=_money("costed_amount"), cost=_money("cost")
        )
    }
    return sums, rest


def margin_erosion(*, as_of: dt.date, key_ids: Sequence[int]) -> Risk:
    """Key accounts whose margin trend is below the non-key average in each of the last two
    periods (periods: the last three full quarters; trend: the change of gross margin from one
    quarter to the next, in points). The sums by quarter are kept per account with the kept
    revenue (decision 123): two small queries when they are current; else two over the
    roll-ups of nine months, summed in the database. The non-key sums are all sums less the
    key ones."""
    sums, rest = _margin_sums(as_of, key_ids)
    for (_pk, p), (costed, cost) in sums.items():
        rest[p][0] -= costed
        rest[p][1] -= cost
    label = _("Margin erosion")
    if not (sums or rest):
        return Risk(
            "margin_erosion", label, "no_data", str(_("No margin data (no sales with a cost)."))
        )

    def margin(costed_cost: list[Decimal]) -> float | None:
        costed, cost = costed_cost
        return float((costed - cost) / costed * HUNDRED) if costed > 0 else None

    base = [margin(rest[p]) if p in rest else None for p in range(3)]
    if any(b is None for b in base):
        return Risk(
            "margin_erosion",
            label,
            "no_data",
            str(_("No margin data of non-key accounts to compare with.")),
        )
    base_trend = [base[1] - base[0], base[2] - base[1]]  # type: ignore[operator]
    eroding = []
    trends: dict[int, list[float]] = {}
    for pk in key_ids:
        m = [margin(sums[(pk, p)]) if (pk, p) in sums else None for p in range(3)]
        if any(x is None for x in m):
            continue
        trend_ = [m[1] - m[0], m[2] - m[1]]  # type: ignore[operator]
        if trend_[0] < base_trend[0] and trend_[1] < base_trend[1]:
            eroding.append(pk)
            trends[pk] = [round(x, 2) for x in trend_]
    return Risk(
        "margin_erosion",
        label,
        "warn" if eroding else "ok",
        str(
            _(
                "%(n)d key accounts lost margin faster than the non-key average "
                "in two quarters running."
            )
            % {"n": len(eroding)}
        ),
        eroding,
        {"non_key_trend": [round(x, 2) for x in base_trend], "trends": trends},
    )


def _registry_pairs(key: str, ids: Sequence[int], as_of: dt.date) -> dict[int, tuple[float, float]]:
    """(a year before, now) of a registered metric per account that has both (empty: no such
    metric)."""
    if key not in registry or not ids:
        return {}
    metric = registry.get(key)
    now = metric.values(ids, as_of)
    before = metric.values(ids, as_of - dt.timedelta(days=365))
    out = {}
    for pk in ids:
        a, b = now.get(pk), before.get(pk)
        if isinstance(a, (int, float, Decimal)) and isinstance(b, (int, float, Decimal)):
            out[pk] = (float(b), float(a))
    return out


def _growth(pairs: dict[int, tuple[float, float]]) -> dict[int, float]:
    """Growth (%) of each (before, now) pair whose start is not zero."""
    return {
        pk: float((Decimal(str(a)) - Decimal(str(b))) / Decimal(str(b)) * HUNDRED)
        for pk, (b, a) in pairs.items()
        if b
    }


def _registry_growth(key: str, ids: Sequence[int], as_of: dt.date) -> dict[int, float]:
    """Growth (%) of a registered metric over a year per account (empty: no such metric)."""
    return _growth(_registry_pairs(key, ids, as_of))


def service_creep(*, as_of: dt.date, key_ids: Sequence[int]) -> Risk:
    """Key accounts whose cost to serve (metric ``sales.cost_to_serve``) grew faster than their
    revenue over the year; no values of both years for any key account: "no cost data", with
    where to enter them (decision 107)."""
    label = _("Service creep")
    cost = _registry_growth("sales.cost_to_serve", key_ids, as_of)
    if not cost:
        return Risk(
            "service_creep",
            label,
            "no_data",
            str(_("No cost-to-serve data.")),
            missing=str(
                _(
                    "Missing input: the cost of serving each key account (logistics, service "
                    "hours, special terms) per month, for this year and the year before. Enter "
                    "it on the account's Costs to serve page, send it to the API "
                    "(/costs-to-serve) or import the costs-to-serve entity; the account metric "
                    "sales.cost_to_serve then sums it."
                )
            ),
        )
    revenue = _registry_growth("sales.revenue_12m", list(cost), as_of)
    creeping = [pk for pk, g in cost.items() if g > revenue.get(pk, 0.0)]
    return Risk(
        "service_creep",
        label,
        "warn" if creeping else "ok",
        str(
            _("%(n)d key accounts cost more to serve faster than they grow.") % {"n": len(creeping)}
        ),
        creeping,
        {
            "cost_growth_pct": {pk: round(cost[pk], 1) for pk in creeping},
            "revenue_growth_pct": {pk: round(revenue.get(pk, 0.0), 1) for pk in creeping},
        },
    )


def buyer_power(*, as_of: dt.date, key_ids: Sequence[int]) -> Risk:
    """Key accounts whose discount % (metric ``sales.discount_pct``, against list prices) rose
    over the year while their revenue did not grow; no values of both years: "no discount data",
    with where to enter list prices (decision 107)."""
    label = _("Buyer power")
    levels = _registry_pairs("sales.discount_pct", key_ids, as_of)
    discount = _growth(levels)
    # kept sums the worker has still to refresh (many at once: a new list price, decision 122)
    pending = len(discounts_stale(key_ids))
    if not discount and pending:
        return Risk(
            "buyer_power",
            label,
            "no_data",
            str(
                _(
                    "The discounts of %(n)d key accounts are being computed; this check shows "
                    "once the worker has refreshed them."
                )
                % {"n": pending}
            ),
        )
    if not discount:
        return Risk(
            "buyer_power",
            label,
            "no_data",
            str(_("No discount data.")),
            missing=str(
                _(
                    "Missing input: the list prices of the products sold to key accounts, for "
                    "this year and the year before, and the quantities on the sales. A sale "
                    "carries its net amount only, and a price per unit over a product mix is no "
                    "discount. Enter list prices on the Price list page, send them to the API "
                    "(/list-prices) or import the list-prices entity; the account metric "
                    "sales.discount_pct then compares each sale with its product's list price."
                )
            ),
        )
    revenue = _registry_growth("sales.revenue_12m", list(discount), as_of)
    pressing = [pk for pk, g in discount.items() if g > 0 and revenue.get(pk, 0.0) <= 0]
    summary = str(
        _("%(n)d key accounts get more discount without buying more.") % {"n": len(pressing)}
    )
    if pending:
        summary += " " + str(
            _(
                "The discounts of %(n)d key accounts are being recomputed: their figures are "
                "the last ones kept."
            )
            % {"n": pending}
        )
    return Risk(
        "buyer_power",
        label,
        "warn" if pressing else "ok",
        summary,
        pressing,
        {
            "discount_before_pct": {pk: round(levels[pk][0], 1) for pk in pressing},
            "discount_now_pct": {pk: round(levels[pk][1], 1) for pk in pressing},
            "revenue_growth_pct": {pk: round(revenue.get(pk, 0.0), 1) for pk in pressing},
        },
    )


def risk_account_notes(risk: Risk) -> dict[int, str]:
    """The figures behind each account of a risk, in words for the accounts page."""
    f = risk.figures
    notes: dict[int, str] = {}
    if risk.key == "service_creep":
        for pk in risk.accounts:
            notes[pk] = str(
                _("cost to serve %(cost)+.1f %%, revenue %(revenue)+.1f %% over the year")
                % {"cost": f["cost_growth_pct"][pk], "revenue": f["revenue_growth_pct"][pk]}
            )
    elif risk.key == "buyer_power":
        for pk in risk.accounts:
            notes[pk] = str(
                _(
                    "discount %(before).1f %% → %(now).1f %%, revenue %(revenue)+.1f %% "
                    "over the year"
                )
                % {
                    "before": f["discount_before_pct"][pk],
                    "now": f["discount_now_pct"][pk],
                    "revenue": f["revenue_growth_pct"][pk],
                }
            )
    elif risk.key == "margin_erosion":
        base = f.get("non_key_trend", [])
        for pk, trend in f.get("trends", {}).items():
            notes[pk] = str(
                _("margin change %(account)s points a quarter; non-key accounts %(base)s")
                % {
                    "account": " / ".join(f"{x:+.1f}" for x in trend),
                    "base": " / ".join(f"{x:+.1f}" for x in base),
                }
            )
    elif risk.key == "dependence":
        for share in f.get("shares", []):
            notes[share.account_id] = str(
                _("%(share)s %% of company revenue") % {"share": share.share}
            )
    return notes


def capacity(*, key_ids: Sequence[int]) -> Risk:
    """Too many key accounts for the KAMs' capacity (DOMAIN §3: 5 per KAM, 50 in total)."""
    found = capacity_warnings()
    over_users = [o["user"].pk for o in found["over_capacity"]]
    accounts = (
        list(
            Unit.objects.filter(
                pk__in=list(key_ids), account_manager_id__in=over_users
            ).values_list("pk", flat=True)
        )
        if over_users
        else []
    )
    level = "alert" if found["total_exceeded"] else "warn" if over_users else "ok"
    summary = " ".join(str(m) for m in found["messages"]) or str(
        _("%(n)d key accounts, within the KAMs' capacity.") % {"n": found["total"]}
    )
    return Risk(
        "capacity",
        _("Too many key accounts for KAM capacity"),
        level,
        summary,
        accounts,
        {"total": found["total"], "limit": found["total_limit"]},
    )


def risks(*, as_of: dt.date) -> dict[str, Any]:
    """The six risks of KAM with their figures and the accounts behind each."""
    shares = dependence(as_of)
    key_ids = list(key_accounts().values_list("pk", flat=True))
    exposed = [s for s in shares if s.level != "ok"]
    worst = "alert" if any(s.level == "alert" for s in exposed) else "warn" if exposed else "ok"
    dep = Risk(
        "dependence",
        _("Dependence on one account"),
        worst if shares else "no_data",
        str(
            _("%(n)d accounts above %(warn)s %% of company revenue.")
            % {"n": len(exposed), "warn": ProgrammeSettings.current().dependence_warn}
        )
        if shares
        else str(_("No revenue data.")),
        [s.account_id for s in exposed],
        {"shares": list(shares[:10])},
    )
    conc = concentration(shares)
    hhi = conc["hhi"]
    concentration_risk = Risk(
        "concentration",
        _("Concentration"),
        concentration_level(conc, ProgrammeSettings.current()),
        str(
            _("Top 5 accounts: %(top5)s %% of revenue; Herfindahl index %(hhi)s.")
            % {"top5": conc["top5"], "hhi": hhi}
        )
        if hhi is not None
        else str(_("No revenue data.")),
        [s.account_id for s in shares[:5]],
        conc,
    )
    return {
        "as_of": as_of,
        "items": [
            dep,
            concentration_risk,
            margin_erosion(as_of=as_of, key_ids=key_ids),
            service_creep(as_of=as_of, key_ids=key_ids),
            buyer_power(as_of=as_of, key_ids=key_ids),
            capacity(key_ids=key_ids),
        ],
        "shares": shares,
        "concentration": conc,
    }


def dashboard_is_newer(computed_at: dt.datetime) -> bool:
    """Whether the kept dashboard was computed after ``computed_at`` (the figures a page shows),
    in one query: the page that says "Being updated" reloads itself then (decision 135)."""
    return DashboardSnapshot.objects.filter(name="portfolio", computed_at__gt=computed_at).exists()
