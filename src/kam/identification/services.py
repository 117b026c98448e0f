"""Writes of key-account identification: models, assessments, scoring runs, nominations, tiers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max, Model
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.db import bulk_insert
from kam.core.errors import DomainError
from kam.core.jobs import beating, job_notify, live, reap, retry_locked, stale
from kam.core.periods import add_months
from kam.core.services import model_update as update_fields
from kam.core.validation import check_date
from kam.core.workflow import Transition
from kam.customers.models import Tier, Unit
from kam.people.models import User
from kam.people.services import notify

from .engine import AccountInputs, Progress, ScoreTable, collector_paused, score_table
from .inputs import attach_forecast, collect_inputs, model_spec
from .models import (
    AccountAssessment,
    AccountScore,
    BuyingCriterion,
    Criterion,
    ModelStatus,
    Nomination,
    NominationEvent,
    NominationEventKind,
    NominationStatus,
    Recommendation,
    RunStatus,
    Scope,
    ScoringModel,
    ScoringRun,
    SelectionBacktest,
)
from .workflows import NOMINATION_WORKFLOW

SCOPE_TIER: dict[str, Tier] = {
    Scope.LOCAL: Tier.KEY,
    Scope.NATIONAL: Tier.NATIONAL,
    Scope.GLOBAL: Tier.GLOBAL,
}


def _require(user: User | None, perm: str, obj: Model | None = None) -> None:
    if user is None or not user.has_perm(perm, obj):
        raise PermissionDenied(_("You are not allowed to do this."))


def _account(account: Unit) -> Unit:
    account = Unit.objects.get(pk=account.pk)
    if not account.is_account:
        raise DomainError(
            _(
                "This is a sub-unit: only its account (the unit without a parent) is "
                "assessed, nominated and given a tier."
            ),
            field="account",
        )
    return account


# --------------------------------------------------------------------------------------------
# Scoring models


def _check_draft(model: ScoringModel) -> None:
    if model.status != ModelStatus.DRAFT:
        raise DomainError(
            _("Only a draft model can be changed; make a draft copy first."), code="not_draft"
        )


CRITERION_FIELDS = {
    "name",
    "description",
    "group",
    "source",
    "normalisation",
    "cap",
    "weight",
    "order",
}


@transaction.atomic
def model_draft_from(*, model: ScoringModel, user: User | None = None) -> ScoringModel:
    """A new draft version copying ``model`` and its criteria; the copy is what one edits."""
    if user is not None:
        _require(user, "kam.manage_scoring")
    version = (ScoringModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    draft = ScoringModel.objects.create(
        version=version,
        status=ModelStatus.DRAFT,
        created_by=user,
        **{name: getattr(model, name) for name in ScoringModel.SETTINGS_FIELDS},
    )
    Criterion.objects.bulk_create(
        Criterion(model=draft, key=c.key, **{n: getattr(c, n) for n in CRITERION_FIELDS})
        for c in model.criteria.all()
    )
    return draft


@transaction.atomic
def model_update(*, model: ScoringModel, user: User | None = None, **fields: Any) -> ScoringModel:
    if user is not None:
        _require(user, "kam.manage_scoring")
    model = ScoringModel.objects.select_for_update().get(pk=model.pk)
    _check_draft(model)
    model, _changed = update_fields(
        instance=model, fields=ScoringModel.SETTINGS_FIELDS, data=fields, full_clean=True
    )
    return model


@transaction.atomic
def criterion_update(*, criterion: Criterion, user: User | None = None, **fields: Any) -> Criterion:
    """Change a criterion of a draft model (weight, normalisation, cap, …)."""
    if user is not None:
        _require(user, "kam.manage_scoring")
    criterion = Criterion.objects.select_related("model").get(pk=criterion.pk)
    _check_draft(criterion.model)
    criterion, _changed = update_fields(
        instance=criterion, fields=CRITERION_FIELDS, data=fields, validate=_check_criterion
    )
    return criterion


def _check_criterion(criterion: Criterion) -> None:
    if criterion.weight is None or criterion.weight < 0:
        raise DomainError(_("A weight cannot be negative."), field="weight")
    if criterion.normalisation == "capped_linear" and not (criterion.cap and criterion.cap > 0):
        raise DomainError(_("Capped linear normalisation needs a positive cap."), field="cap")


@transaction.atomic
def model_change(
    *,
    model: ScoringModel,
    user: User | None = None,
    fields: Mapping[str, Any],
    criteria: Iterable[tuple[Criterion, Mapping[str, Any]]] = (),
) -> ScoringModel:
    """Change a draft's settings and some of its criteria (the model page): all, or nothing.

    ``criteria`` pairs a criterion of ``model`` with its changed fields. A refused part (a
    negative weight, a cap missing) leaves every other part unsaved too.
    """
    model = model_update(model=model, user=user, **fields)
    for criterion, changes in criteria:
        if criterion.model_id != model.pk:
            raise DomainError(_("This criterion belongs to another model."), field="criteria")
        criterion_update(criterion=criterion, user=user, **changes)
    return model


@transaction.atomic
def model_activate(*, model: ScoringModel, user: User | None = None) -> ScoringModel:
    """Make a draft the active model; the model active until now is archived."""
    if user is not None:
        _require(user, "kam.manage_scoring")
    model = ScoringModel.objects.select_for_update().get(pk=model.pk)
    _check_draft(model)
    if sum(c.weight for c in model.criteria.all()) <= 0:
        raise DomainError(_("A model needs at least one criterion with a positive weight."))
    ScoringModel.objects.filter(status=ModelStatus.ACTIVE).update(
        status=ModelStatus.ARCHIVED, updated_at=timezone.now()
    )
    model.status = ModelStatus.ACTIVE
    model.activated_at = timezone.now()
    model.save(update_fields=["status", "activated_at", "updated_at"])
    return model


def active_model() -> ScoringModel:
    model = ScoringModel.objects.filter(status=ModelStatus.ACTIVE).first()
    if model is None:
        raise DomainError(_("No scoring model is active."), code="no_model")
    return model


# --------------------------------------------------------------------------------------------
# Account inputs

ASSESSMENT_FIELDS = {
    "willingness",
    "agreement_horizon_months",
    "joint_initiatives",
    "buying_criteria_count",
    "wallet_estimate",
    "wallet_source",
    "wallet_confidence",
    "note",
}

# Upper bounds of the counted inputs: beyond them a value is a typing mistake.
ASSESSMENT_MAX = {
    "agreement_horizon_months": 240,
    "joint_initiatives": 999,
    "buying_criteria_count": 99,
}


@transaction.atomic
def assessment_update(
    *, account: Unit, user: User | None = None, **fields: Any
) -> AccountAssessment:
    """Record judgement and manual data of an account; every change is kept in its history."""
    account = _account(account)
    if user is not None:
        _require(user, "kam.change_account", account)
    willingness = fields.get("willingness")
    if willingness is not None and not 0 <= willingness <= 10:
        raise DomainError(_("Willingness is rated from 0 to 10."), field="willingness")
    for name in ("agreement_horizon_months", "joint_initiatives", "buying_criteria_count"):
        if fields.get(name) is not None and fields[name] < 0:
            raise DomainError(_("This number cannot be negative."), field=name)
        if fields.get(name) is not None and fields[name] > ASSESSMENT_MAX[name]:
            raise DomainError(
                _("This number is at most %(max)s.") % {"max": ASSESSMENT_MAX[name]}, field=name
            )
    if fields.get("wallet_estimate") is not None:
        fields["wallet_estimate"] = Decimal(str(fields["wallet_estimate"]))
        if fields["wallet_estimate"] < 0:
            raise DomainError(_("A wallet estimate cannot be negative."), field="wallet_estimate")
    assessment = AccountAssessment.objects.select_for_update().filter(account=account).first()
    if assessment is None:  # saved once below, so the history has one row per change
        assessment = AccountAssessment(account=account)
    # saved below with who changed it (the user of its history row)
    assessment, _changed = update_fields(
        instance=assessment, fields=ASSESSMENT_FIELDS, data=fields, save=False
    )
    assessment.updated_by = user
    if user is not None:
        # simple_history records this (undeclared) attribute as the author of the change
        assessment._history_user = user  # type: ignore[attr-defined]
    assessment.save()
    return assessment


@transaction.atomic
def buying_criteria_set(
    *, account: Unit, names: Iterable[str], user: User | None = None
) -> list[BuyingCriterion]:
    """Replace the buying criteria listed for an account (blank names are ignored)."""
    account = _account(account)
    if user is not None:
        _require(user, "kam.change_account", account)
    wanted: list[str] = []
    for name in names:
        name = (name or "").strip()
        if name and name.casefold() not in {w.casefold() for w in wanted}:
            wanted.append(name)
    BuyingCriterion.objects.filter(account=account).exclude(name__in=wanted).delete()
    existing = set(BuyingCriterion.objects.filter(account=account).values_list("name", flat=True))
    BuyingCriterion.objects.bulk_create(
        BuyingCriterion(account=account, name=n) for n in wanted if n not in existing
    )
    return list(BuyingCriterion.objects.filter(account=account))


@transaction.atomic
def assessment_save(
    *,
    account: Unit,
    user: User | None,
    fields: Mapping[str, Any],
    buying_criteria: Iterable[str] | None = None,
) -> AccountAssessment:
    """One edit of an account's relational inputs (page, API, import): the assessment fields
    and, when given, the list of buying criteria, in one transaction."""
    assessment = assessment_update(account=account, user=user, **dict(fields))
    if buying_criteria is not None:
        buying_criteria_set(account=account, names=buying_criteria, user=user)
    return assessment


# --------------------------------------------------------------------------------------------
# Scoring runs


def _set_progress(run: ScoringRun, percent: int) -> None:
    run.progress = max(0, min(100, percent))
    ScoringRun.objects.filter(pk=run.pk).update(progress=run.progress)


def scoring_run_execute(
    *,
    model: ScoringModel,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    run: ScoringRun | None = None,
    user: User | None = None,
) -> ScoringRun:
    """Score every account with ``model`` on data up to ``as_of`` (default today) and save it.

    ``progress(percent, message)`` is called a few times (not per account); the run's
    ``progress`` column follows, so a page can poll it. The scores are written in one
    transaction; a failure marks the run failed and re-raises.
    """
    as_of = as_of or (run.as_of if run else None) or timezone.localdate()
    check_date(as_of, "as_of")
    if run is None:
        run = ScoringRun.objects.create(model=model, as_of=as_of, created_by=user)

    def step(percent: int, message: str) -> None:
        if progress:
            progress(percent, message)

    def work() -> None:
        with collector_paused():
            step(0, _("Reading account data"))
            spec = model_spec(ScoringModel.objects.prefetch_related("criteria").get(pk=model.pk))
            skipped: dict[int, str] = {}
            inputs = collect_inputs(as_of=as_of, skipped=skipped)
            run.skipped = _skipped_list(skipped)
            if not inputs:
                raise DomainError(_("There are no accounts to score."), code="no_accounts")
            step(5, _("Learning expected revenue"))
            run.forecast = attach_forecast(inputs, as_of=as_of)
            _set_progress(run, 10)
            step(10, _("Scoring accounts"))
            table = score_table(inputs, spec, progress=progress)
            _set_progress(run, 70)
            step(80, _("Saving scores"))
            _scores_save(run, table)
        step(100, _("Done"))

    with beating(run, status=RunStatus.RUNNING, started_at=timezone.now(), error=""):
        try:
            # The scores are written in one transaction: a run that met "database is locked"
            # can simply run again.
            retry_locked(work)
        except Exception as exc:
            run.status = RunStatus.FAILED
            run.finished_at = timezone.now()
            run.error = str(getattr(exc, "message", exc))[:2000]
            with transaction.atomic():
                run.save(update_fields=["status", "finished_at", "error"])
                _run_notify_finished(run)
            raise
    return run


def _run_notify_finished(run: ScoringRun) -> None:
    """Tell the person who started the run that it ended, and what it did."""
    if run.status == RunStatus.DONE:
        message = gettext_lazy(
            "Scoring run %(id)s: %(accounts)s accounts scored, %(candidates)s key candidates."
        )
    else:
        message = gettext_lazy("Scoring run %(id)s failed: %(error)s")
    job_notify(
        user=run.created_by if run.created_by_id else None,
        message=message,
        params={
            "id": run.pk,
            "accounts": f"{run.accounts_count:,}",
            "candidates": f"{run.candidates_count:,}",
            "error": run.error[:300],
        },
        link=_link("identification:run_status", run.pk),
    )


def scoring_runs_reap(*, now: dt.datetime | None = None, quick: bool = False) -> int:
    """Mark running scoring runs whose worker stopped beating as failed, with the reason.

    Run by every worker's scheduler tick and when the scores page loads (one transaction).
    """

    def fail(run: ScoringRun, reason: str) -> bool:
        changed = stale(
            ScoringRun.objects.filter(pk=run.pk), running=RunStatus.RUNNING, now=now
        ).update(status=RunStatus.FAILED, error=reason, finished_at=timezone.now())
        if changed:
            run.status, run.error = RunStatus.FAILED, reason
            _run_notify_finished(run)
        return bool(changed)

    return reap(
        ScoringRun.objects.select_related("created_by"),
        running=RunStatus.RUNNING,
        fail=fail,
        now=now,
        quick=quick,
    )


def scoring_run_rerun(*, run: ScoringRun, user: User | None = None) -> ScoringRun:
    """Start a new run like a failed one: the same model, data as of the same day."""
    if run.status != RunStatus.FAILED:
        raise DomainError(_("Only a failed scoring run can be run again."), code="state")
    return scoring_run_enqueue(model=run.model, as_of=run.as_of, user=user)


# AccountScore columns that _scores_insert writes (every one; test_columns checks)
SCORE_COLUMNS = (
    "run_id",
    "account_id",
    "total",
    "potential",
    "complexity",
    "relational",
    "strategic",
    "rank",
    "recommendation",
    "scope",
    "completeness",
    "countries",
    "regions",
    "willingness",
    "revenue_12m",
    "wallet",
    "wallet_basis",
    "share_of_wallet",
    "headroom",
    "gaps",
    "expected",
    "values",
)
_dumps = DjangoJSONEncoder(separators=(",", ":")).encode


def _scores_save(run: ScoringRun, table: ScoreTable) -> None:
    """The scores and the finished run, in one transaction."""
    with transaction.atomic():
        _scores_insert(run, table)
        run.status = RunStatus.DONE
        run.progress = 100
        run.finished_at = timezone.now()
        run.accounts_count = len(table.order)
        run.candidates_count = table.candidates
        run.weights = {key: round(w, 6) for key, w in table.weights.items()}
        run.left_out = dict(table.left_out)
        run.save(
            update_fields=[
                "weights",
                "left_out",
                "forecast",
                "status",
                "progress",
                "finished_at",
                "accounts_count",
                "candidates_count",
                "skipped",
            ]
        )
        _run_notify_finished(run)


def _skipped_list(skipped: dict[int, str]) -> list[dict[str, Any]]:
    """The accounts a run left out, with their names, for the run page and ``kam score``."""
    names = dict(Unit.objects.filter(pk__in=list(skipped)).values_list("pk", "name"))
    return [
        {"account_id": pk, "name": names.get(pk, ""), "reason": reason}
        for pk, reason in sorted(skipped.items())
    ]


def _money_column(values: list[float | None]) -> list[Decimal | None]:
    return [None if v is None else Decimal(str(round(v, 2))) for v in values]


def _expected_json(acc: AccountInputs) -> str:
    if acc.expected_12m is None:
        return "{}"
    return _dumps(
        {"value": acc.expected_12m, "basis": acc.expected_basis, "drivers": acc.expected_drivers}
    )


def _scores_insert(run: ScoringRun, table: ScoreTable) -> None:
    """Write a run's scores in bulk (COPY on PostgreSQL, executemany elsewhere).

    A run writes one row per account (20k at the large scale) with two JSON columns; the rows
    are put together column by column (no model instance, no dict per account), in
    :data:`SCORE_COLUMNS` order.
    """
    n = len(table.order)
    rank = [0] * n
    for position, i in enumerate(table.order, start=1):
        rank[i] = position
    inputs = table.inputs
    no_gaps = "[]"
    groups = table.groups
    by_name = {
        "run_id": [run.pk] * n,
        "account_id": [a.id for a in inputs],
        "total": table.total,
        "potential": [v or 0.0 for v in groups["potential"]],
        "complexity": [v or 0.0 for v in groups["complexity"]],
        "relational": [v or 0.0 for v in groups["relational"]],
        "strategic": groups["strategic"],
        "rank": rank,
        "recommendation": table.recommendation,
        "scope": table.scope,
        "completeness": table.completeness,
        "countries": [a.countries for a in inputs],
        "regions": [a.regions for a in inputs],
        "willingness": [a.willingness for a in inputs],
        "revenue_12m": [Decimal(a.revenue_12m_cents).scaleb(-2) for a in inputs],
        "wallet": _money_column(table.wallet),
        "wallet_basis": table.wallet_basis,
        "share_of_wallet": [None if v is None else round(v, 4) for v in table.share_of_wallet],
        "headroom": _money_column(table.headroom),
        "gaps": [_dumps(g) if g else no_gaps for g in table.gaps],
        "expected": [_expected_json(a) for a in inputs],
        "values": table.columns.all_json(),
    }
    columns = [by_name[name] for name in SCORE_COLUMNS]  # a missing column fails here
    fields = {f.attname: f.column for f in AccountScore._meta.concrete_fields}
    rows = list(zip(*columns, strict=True))
    # best first, so that the ids follow the ranks (lists page by id)
    bulk_insert(
        AccountScore, [fields[name] for name in SCORE_COLUMNS], (rows[i] for i in table.order)
    )


def scoring_run_enqueue(
    *, model: ScoringModel | None = None, as_of: dt.date | None = None, user: User | None = None
) -> ScoringRun:
    """Queue a scoring run for the background worker (what the web button does)."""
    if user is not None:
        _require(user, "kam.manage_scoring")
    model = model or active_model()
    check_date(as_of, "as_of")
    run = ScoringRun.objects.create(
        model=model, as_of=as_of or timezone.localdate(), created_by=user
    )
    # The task module imports this one to execute the run: enqueuing our own task is a cycle
    # by design, so the task is imported when a run is queued.
    from .tasks import score_portfolio_task

    transaction.on_commit(lambda: score_portfolio_task.enqueue(run.pk))
    return run


@transaction.atomic
def scoring_run_schedule(*, now: dt.datetime | None = None) -> ScoringRun | None:
    """Queue a scheduled run when the last one is older than KAM_SCORING_EVERY_HOURS.

    Job workers call this every minute; the active model's row is locked first, so several
    workers on several machines queue at most one run. Returns the queued run, or None.
    """
    hours = getattr(settings, "KAM_SCORING_EVERY_HOURS", 24)
    if not hours:
        return None
    now = now or timezone.now()
    model = ScoringModel.objects.select_for_update().filter(status=ModelStatus.ACTIVE).first()
    if model is None or not Unit.objects.accounts().exists():
        return None
    # A running run whose worker stopped beating does not count: the reaper fails it.
    pending = live(
        ScoringRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]),
        running=RunStatus.RUNNING,
        now=now,
    )
    if pending.exists():
        return None
    last = ScoringRun.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and now - last < dt.timedelta(hours=hours):
        return None
    return scoring_run_enqueue(model=model)


# --------------------------------------------------------------------------------------------
# Tiers


@transaction.atomic
def account_tier_set(*, account: Unit, tier: str, user: User | None = None) -> Unit:
    """Set an account's tier (history kept by the unit's audit trail).

    The only writer of ``Unit.tier`` (decision 30): the unit services, API, forms and imports
    refuse a change of it, so key-account status follows the nomination workflow.
    """
    if tier not in Tier.values:
        raise DomainError(_("Unknown tier."), field="tier")
    account = _account(account)
    if user is not None:
        account._history_user = user
    account, _changed = update_fields(instance=account, fields={"tier"}, data={"tier": tier})
    return account


# --------------------------------------------------------------------------------------------
# Notifications


def _link(name: str, *args: object) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --------------------------------------------------------------------------------------------
# Nominations


def _event(
    nomination: Nomination,
    *,
    kind: str,
    actor: User | None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
) -> NominationEvent:
    return NominationEvent.objects.create(
        nomination=nomination,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note or "",
    )


def _begin(nomination: Nomination, step: str, user: User) -> tuple[Nomination, Transition]:
    """Lock the nomination and check that ``user`` may take ``step`` from its state now."""
    transition = NOMINATION_WORKFLOW[step]
    if not transition.permitted(user, nomination):
        if step == "approve" and nomination.nominated_by_id == user.pk:
            raise PermissionDenied(
                _("You nominated this account: another executive approves the nomination.")
            )
        raise PermissionDenied(_("You are not allowed to do this."))
    locked = Nomination.objects.select_for_update().get(pk=nomination.pk)
    return locked, NOMINATION_WORKFLOW.check(step, locked, user)


def _finish(
    nomination: Nomination, transition: Transition, user: User, *, note: str = ""
) -> Nomination:
    """Store the step's target status and write its event with the actor (same transaction)."""
    previous = nomination.status
    nomination.status = transition.target
    nomination.save()
    _event(
        nomination,
        kind=transition.event,
        actor=user,
        from_status=previous,
        to_status=transition.target,
        note=note,
    )
    return nomination


def _latest_score(account: Unit) -> AccountScore | None:
    return (
        AccountScore.objects.filter(
            account=account, run__status=RunStatus.DONE, run__model__status=ModelStatus.ACTIVE
        )
        .order_by("-run__as_of", "-run__created_at", "-run_id")
        .first()
    )


@transaction.atomic
def nomination_create(*, account: Unit, user: User, rationale: str) -> Nomination:
    """A KAM, sales manager or executive nominates an account for key-account status."""
    _require(user, "kam.nominate_account", account)
    account = _account(account)
    rationale = (rationale or "").strip()
    if not rationale:
        raise DomainError(_("Say why the account should become a key account."), field="rationale")
    if account.tier != Tier.TRANSACTIONAL:
        raise DomainError(_("The account is already a key account."), code="already_key")
    if Nomination.objects.filter(account=account, status=NominationStatus.NOMINATED).exists():
        raise DomainError(_("The account has already been nominated."), code="duplicate")
    score = _latest_score(account)
    nomination = Nomination.objects.create(
        account=account,
        status=NominationStatus.NOMINATED,
        score=score,
        scope=score.scope if score else Scope.LOCAL,
        nominated_by=user,
        rationale=rationale,
    )
    recommended = score is not None and score.recommendation == Recommendation.KEY_CANDIDATE
    if recommended:
        _event(nomination, kind=NominationEventKind.RECOMMENDED, actor=None)
    _event(
        nomination,
        kind=NominationEventKind.NOMINATED,
        actor=user,
        to_status=NominationStatus.NOMINATED,
        note=rationale,
    )
    executives = User.objects.filter(role="executive", is_active=True)
    notify(
        users=executives,
        message=gettext_lazy("%(who)s nominated %(account)s as a key account: %(why)s"),
        params={"who": str(user), "account": account.name, "why": rationale[:200]},
        link=_link("identification:nomination", nomination.pk),
    )
    return nomination


@transaction.atomic
def nomination_approve(
    *,
    nomination: Nomination,
    user: User,
    reason: str = "",
    effective_date: dt.date | None = None,
    scope: str | None = None,
    account_manager: User | None = None,
) -> Nomination:
    """An executive approves: the account becomes key/national/global (by scope) from the
    effective date, with a review due after the active model's review period.

    A key account always has a manager: ``account_manager`` (a KAM, sales manager or
    executive) becomes it; without one the account's present manager stays, and an account
    without any is refused (decision 45)."""
    nomination, step = _begin(nomination, "approve", user)
    if scope is not None and scope not in Scope.values:
        raise DomainError(_("Unknown scope."), field="scope")
    check_date(effective_date, "effective_date")
    _set_manager(nomination.account, account_manager, user)
    effective = effective_date or timezone.localdate()
    nomination.scope = scope or nomination.scope
    nomination.decided_by, nomination.decided_at = user, timezone.now()
    nomination.decision_reason = (reason or "").strip()
    nomination.effective_date = effective
    nomination.review_due = _review_due(effective)
    terms = _("Effective %(date)s, review due %(due)s.") % {
        "date": effective.isoformat(),
        "due": nomination.review_due.isoformat(),
    }
    _finish(
        nomination,
        step,
        user,
        note=" ".join(part for part in (nomination.decision_reason, terms) if part),
    )
    account_tier_set(account=nomination.account, tier=SCOPE_TIER[nomination.scope], user=user)
    _notify_decision(nomination, approved=True)
    return nomination


@transaction.atomic
def nomination_reject(*, nomination: Nomination, user: User, reason: str) -> Nomination:
    nomination, step = _begin(nomination, "reject", user)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason for the rejection."), field="reason")
    nomination.decided_by, nomination.decided_at = user, timezone.now()
    nomination.decision_reason = reason
    _finish(nomination, step, user, note=reason)
    _notify_decision(nomination, approved=False)
    return nomination


MANAGER_ROLES = ("kam", "sales_manager", "executive")


def _set_manager(account: Unit, manager: User | None, user: User) -> None:
    """Give the account being approved its manager, or refuse to leave it without one."""
    if manager is None:
        if account.account_manager_id is None:
            raise DomainError(
                _("Choose who manages the account: a key account needs an account manager."),
                field="account_manager",
                code="manager_required",
            )
        return
    if not (manager.is_active and manager.role in MANAGER_ROLES):
        raise DomainError(
            _(
                "The account manager must be an active key account manager, sales manager "
                "or executive."
            ),
            field="account_manager",
        )
    if account.account_manager_id != manager.pk:
        account = Unit.objects.select_for_update().get(pk=account.pk)
        account._history_user = user
        update_fields(
            instance=account, fields={"account_manager"}, data={"account_manager": manager}
        )
        notify(
            users=[manager],
            message=gettext_lazy("You now manage the key account %(account)s."),
            params={"account": account.name},
            link=_link("web:account", account.pk),
        )


def _notify_decision(nomination: Nomination, *, approved: bool) -> None:
    if nomination.nominated_by is None:
        return
    message = (
        gettext_lazy("%(who)s approved %(account)s as a key account.")
        if approved
        else gettext_lazy("%(who)s rejected the nomination of %(account)s: %(why)s")
    )
    notify(
        users=[nomination.nominated_by],
        message=message,
        params={
            "who": str(nomination.decided_by),
            "account": nomination.account.name,
            "why": nomination.decision_reason[:200],
        },
        link=_link("identification:nomination", nomination.pk),
    )


def _review_due(day: dt.date) -> dt.date:
    """The same day ``review_months`` (of the active model) later, or the month's last day."""
    model = ScoringModel.objects.filter(status=ModelStatus.ACTIVE).first() or ScoringModel()
    first = add_months(day.replace(day=1), model.review_months)
    last = add_months(first, 1) - dt.timedelta(days=1)
    return min(first + dt.timedelta(days=day.day - 1), last)


@transaction.atomic
def review_start(*, nomination: Nomination, user: User, note: str = "") -> Nomination:
    """Open the periodic review of a key account (its KAM, their manager or an executive)."""
    nomination, step = _begin(nomination, "review", user)
    return _finish(nomination, step, user, note=note)


@transaction.atomic
def review_keep(*, nomination: Nomination, user: User, note: str = "") -> Nomination:
    """An executive keeps the account after review; the next review is due after the active
    model's review period."""
    nomination, step = _begin(nomination, "keep", user)
    nomination.review_due = _review_due(timezone.localdate())
    return _finish(nomination, step, user, note=note)


@transaction.atomic
def demote(*, nomination: Nomination, user: User, reason: str) -> Nomination:
    """An executive demotes a key account: it goes back to transactional mode."""
    nomination, step = _begin(nomination, "demote", user)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason for the demotion."), field="reason")
    nomination.decided_by, nomination.decided_at = user, timezone.now()
    nomination.decision_reason = reason
    _finish(nomination, step, user, note=reason)
    account_tier_set(account=nomination.account, tier=Tier.TRANSACTIONAL, user=user)
    return nomination


# --------------------------------------------------------------------------------------------
# Key accounts without an in-app nomination (set by import, or before nominations existed)

TIER_SCOPE: dict[str, str] = {tier: scope for scope, tier in SCOPE_TIER.items()}
STANDING_STATUSES = (NominationStatus.KEY, NominationStatus.KEPT, NominationStatus.UNDER_REVIEW)


def key_account_standing(*, account: Unit) -> Nomination | None:
    """The nomination that holds the key account's status (key, kept or under review)."""
    return (
        Nomination.objects.filter(account=account, status__in=STANDING_STATUSES)
        .order_by("-created_at", "-pk")
        .first()
    )


def _standing_for(account: Unit) -> Nomination:
    """The account's standing nomination; for a key account that has none (its tier came
    from an import or from before nominations existed) one is recorded now, in state "key",
    so it can be reviewed and demoted like any other (decision 45)."""
    account = _account(account)
    if account.tier == Tier.TRANSACTIONAL:
        raise DomainError(_("The account is not a key account."), code="not_key")
    standing = key_account_standing(account=account)
    if standing is not None:
        return standing
    standing = Nomination.objects.create(
        account=account,
        status=NominationStatus.KEY,
        scope=TIER_SCOPE.get(account.tier, Scope.LOCAL),
        nominated_by=None,
        rationale="",
    )
    _event(
        standing,
        kind=NominationEventKind.APPROVED,
        actor=None,
        to_status=NominationStatus.KEY,
        note=_(
            "Recorded: a key account before nominations (its tier came from an import or earlier)."
        ),
    )
    return standing


KEY_ACCOUNT_STEPS = ("review", "keep", "demote")


@transaction.atomic
def key_account_step(*, account: Unit, user: User, step: str, text: str = "") -> Nomination:
    """Start the review of, keep or demote any key account, with or without a nomination made
    in the app (``text`` is the note, or for a demotion the reason)."""
    if step not in KEY_ACCOUNT_STEPS:
        raise DomainError(_("Unknown step."), field="step")
    standing = _standing_for(account)
    standing.account = account
    if step == "review":
        return review_start(nomination=standing, user=user, note=text)
    if step == "keep":
        return review_keep(nomination=standing, user=user, note=text)
    return demote(nomination=standing, user=user, reason=text)


# --------------------------------------------------------------------------------------------
# Backtest summaries


def backtest_summary(result: dict[str, Any]) -> dict[str, Any]:
    """What the dashboard shows of a backtest (``selectors.backtest``): per K the model's and
    the naive pick's revenue and growth capture, and their overlap."""
    return {
        "as_of": result["as_of"].isoformat(),
        "horizon_months": result["horizon_months"],
        "population": result["population"],
        "model": str(result["model"]),
        "results": [
            {
                "top": r["top"],
                "overlap": r["overlap"],
                **{
                    f"{pick}_{figure}": r["picks"][pick][figure]
                    for pick in ("model", "naive")
                    for figure in ("revenue_capture", "growth_capture")
                },
            }
            for r in result["results"]
        ],
    }


@transaction.atomic
def backtest_store(*, result: dict[str, Any]) -> SelectionBacktest:
    """Keep the summary of a selection backtest that was run (the ten newest are kept)."""
    row = SelectionBacktest.objects.create(
        as_of=result["as_of"],
        horizon_months=result["horizon_months"],
        model_version=result["model"].version,
        summary=backtest_summary(result),
    )
    old = SelectionBacktest.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)[10:]
    SelectionBacktest.objects.filter(pk__in=list(old)).delete()
    return row
