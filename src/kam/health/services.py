"""Every write of health: stale marks, refresh, history, sentiment, profiles, backtest results."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.core.validation import check_date
from kam.customers.models import Tier, Unit, account_path, account_path_of
from kam.people.models import User

from . import engine, selectors
from .models import (
    COMPONENTS,
    AccountHealth,
    BacktestResult,
    Combine,
    Grade,
    HealthMonth,
    HealthProfile,
    HealthProfileVersion,
    ProfileRule,
    Sentiment,
    StaleHealth,
    VersionStatus,
)

_CHUNK = 2000

# Sent by :func:`health_refresh` after it kept new figures in bulk (bypassing model signals),
# inside its transaction, for the layers above (the dashboard). Arguments: accounts (a count).
health_written = Signal()


# --------------------------------------------------------------------------------------------
# Stale marks and refresh


def health_mark_stale(*, paths: Iterable[str] = (), unit_ids: Iterable[int] = ()) -> None:
    """List the accounts of these units (by path or id) for :func:`health_refresh`; called by
    the signal receivers in the writer's own transaction."""
    stale = {account_path(p) for p in paths if p}
    ids = sorted({i for i in unit_ids if i is not None})
    for start in range(0, len(ids), _CHUNK):
        units = Unit.objects.filter(pk__in=ids[start : start + _CHUNK]).annotate(
            of_account=account_path_of("path")
        )
        stale.update(units.values_list("of_account", flat=True))
    if stale:
        StaleHealth.objects.bulk_create(
            [StaleHealth(account_path=p) for p in sorted(stale)],
            ignore_conflicts=True,
            batch_size=_CHUNK,
        )


def _d(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 1)))


def _store(results: dict[int, engine.Result], as_of: dt.date) -> None:
    """Keep the current figures and this month's history row; trend against three months ago."""
    if not results:
        return
    month = as_of.replace(day=1)
    three_back = engine.month_starts(as_of, 4)[-1]
    before: dict[int, Decimal] = {}
    kept: dict[int, tuple[str, str, dt.datetime | None]] = {}
    ids = list(results)
    for start in range(0, len(ids), _CHUNK):
        before.update(
            HealthMonth.objects.filter(
                account_id__in=ids[start : start + _CHUNK], month=three_back
            ).values_list("account_id", "score")
        )
        for pk, grade, previous, changed in AccountHealth.objects.filter(
            account_id__in=ids[start : start + _CHUNK]
        ).values_list("account_id", "grade", "previous_grade", "grade_changed_at"):
            kept[pk] = (grade, previous, changed)
    now = timezone.now()
    current = []
    months = []
    for pk, r in results.items():
        score = _d(r.score)
        assert score is not None
        trend = score - before[pk] if pk in before else None
        grade_was, previous, changed_at = kept.get(pk, (r.grade, "", None))
        if grade_was != r.grade:  # a change of grade: kept for "what changed" (decision 105)
            previous, changed_at = grade_was, now
        current.append(
            AccountHealth(
                account_id=pk,
                as_of=as_of,
                score=score,
                grade=r.grade,
                components=r.components,
                version_id=r.version_id,
                trend=trend,
                computed_at=now,
                previous_grade=previous,
                grade_changed_at=changed_at,
            )
        )
        months.append(
            HealthMonth(
                account_id=pk, month=month, score=score, grade=r.grade, components=r.components
            )
        )
    AccountHealth.objects.bulk_create(
        current,
        update_conflicts=True,
        unique_fields=["account"],
        update_fields=[
            "as_of",
            "score",
            "grade",
            "components",
            "version",
            "trend",
            "computed_at",
            "previous_grade",
            "grade_changed_at",
        ],
        batch_size=500,
    )
    HealthMonth.objects.bulk_create(
        months,
        update_conflicts=True,
        unique_fields=["account", "month"],
        update_fields=["score", "grade", "components"],
        batch_size=500,
    )


@transaction.atomic
def health_refresh(*, everything: bool = False, as_of: dt.date | None = None) -> int:
    """Compute the stale accounts' health again (every account's with ``everything``).

    The marks are taken first in this transaction, so a write committed meanwhile marks its
    account again. Returns the number of accounts computed.
    """
    as_of = as_of or timezone.localdate()
    if everything:
        StaleHealth.objects.all().delete()
        ids: list[int] | None = None
    else:
        paths = sorted(StaleHealth.objects.values_list("account_path", flat=True))
        if not paths:
            return 0
        ids = []
        for start in range(0, len(paths), _CHUNK):
            part = paths[start : start + _CHUNK]
            StaleHealth.objects.filter(account_path__in=part).delete()
            ids.extend(Unit.objects.accounts().filter(path__in=part).values_list("pk", flat=True))
        if not ids:
            return 0
    return _keep_current(engine.compute(ids, as_of, selectors.params_for), as_of)


def _keep_current(results: dict[int, engine.Result], as_of: dt.date) -> int:
    _store(results, as_of)
    if results:
        health_written.send(sender=AccountHealth, accounts=len(results))
    return len(results)


@transaction.atomic
def health_history_build(*, months: int = 12, as_of: dt.date | None = None) -> int:
    """Fill the monthly history: each account's health at the end of each of the last
    ``months`` full months, then the current figures. Returns the rows written.

    Every month end and ``as_of`` are computed in one reading of the data
    (``engine.compute_days``), not one reading each."""
    if not 1 <= months <= 60:
        raise DomainError(_("Give between 1 and 60 months of history."), field="months")
    as_of = as_of or timezone.localdate()
    ends = {
        first: first.replace(day=calendar.monthrange(first.year, first.month)[1])
        for first in reversed(engine.month_starts(as_of, months + 1)[1:])
    }
    StaleHealth.objects.all().delete()  # taken before reading, as health_refresh does
    computed = engine.compute_days(None, [*ends.values(), as_of], selectors.params_for)
    written = 0
    for first, month_end in ends.items():
        results = computed[month_end]
        HealthMonth.objects.bulk_create(
            [
                HealthMonth(
                    account_id=pk,
                    month=first,
                    score=Decimal(str(round(r.score, 1))),
                    grade=r.grade,
                    components=r.components,
                )
                for pk, r in results.items()
            ],
            update_conflicts=True,
            unique_fields=["account", "month"],
            update_fields=["score", "grade", "components"],
            batch_size=500,
        )
        written += len(results)
    return written + _keep_current(computed[as_of], as_of)


def health_nightly_due(*, now: dt.datetime | None = None) -> bool:
    """Whether the nightly recompute (time decay) is due: the kept figures are of an earlier
    day than today (``KAM_HEALTH_NIGHTLY`` off turns it off)."""
    if not getattr(settings, "KAM_HEALTH_NIGHTLY", True):
        return False
    today = timezone.localdate(now or timezone.now())
    oldest = AccountHealth.objects.order_by("as_of").values_list("as_of", flat=True).first()
    if oldest is None:
        return bool(Unit.objects.accounts().exists())
    return bool(oldest < today)


# --------------------------------------------------------------------------------------------
# Sentiment


@transaction.atomic
def sentiment_record(
    *, account: Unit, grade: str, on: dt.date | None = None, note: str = "", user: User | None
) -> Sentiment:
    """Keep the KAM's own reading of the relationship beside the computed score."""
    if not account.is_account:
        raise DomainError(_("Sentiment is recorded for an account, not one of its units."))
    if grade not in Grade.values:
        raise DomainError(_("Choose good, fair or poor."), field="grade")
    on = on or timezone.localdate()
    check_date(on, "on")
    if on > timezone.localdate():
        raise DomainError(_("A sentiment cannot be dated in the future."), field="on")
    if len(note) > 500:
        raise DomainError(_("The note is longer than 500 characters."), field="note")
    return Sentiment.objects.create(account=account, grade=grade, on=on, note=note, author=user)


# --------------------------------------------------------------------------------------------
# Profiles


def _validate_version(fields: dict[str, Any]) -> None:
    weights = fields.get("weights")
    if weights is not None:
        if not isinstance(weights, dict) or set(weights) - set(COMPONENTS):
            raise DomainError(_("Weights are given per component."), field="weights")
        try:
            values = [float(weights.get(k, 0) or 0) for k in COMPONENTS]
        except (TypeError, ValueError):
            raise DomainError(_("Each weight is a number."), field="weights") from None
        if any(v < 0 or v > 100 for v in values) or sum(values) <= 0:
            raise DomainError(
                _("Each weight is between 0 and 100 and at least one is above 0."),
                field="weights",
            )
    if "combine" in fields and fields["combine"] not in Combine.values:
        raise DomainError(_("Unknown way to combine the components."), field="combine")
    good = fields.get("good_from")
    fair = fields.get("fair_from")
    if good is not None and fair is not None and not 0 <= fair < good <= 100:
        raise DomainError(_("The fair band starts below the good band."), field="fair_from")
    for name, low, high in (
        ("frequency_norm", 0.1, 100),
        ("depth_target", 1, 50),
        ("our_side_target", 1, 20),
        ("recency_half_life", 1, 730),
    ):
        value = fields.get(name)
        if value is not None and not low <= float(value) <= high:
            raise DomainError(_("%(low)s to %(high)s.") % {"low": low, "high": high}, field=name)


@transaction.atomic
def profile_create(
    *, code: str, name: str, description: str = "", user: User | None = None
) -> HealthProfile:
    """A new profile with a first draft version of the documented defaults."""
    if not code or not name:
        raise DomainError(_("A profile needs a code and a name."), field="name")
    if HealthProfile.objects.filter(code=code).exists():
        raise DomainError(_("A profile with this code exists already."), field="code")
    profile = HealthProfile.objects.create(code=code, name=name, description=description)
    HealthProfileVersion.objects.create(profile=profile, number=1, created_by=user)
    return profile


@transaction.atomic
def profile_version_draft(
    *, profile: HealthProfile, user: User | None = None
) -> HealthProfileVersion:
    """A draft copy of the profile's newest version (the existing draft if there is one)."""
    existing = profile.versions.filter(status=VersionStatus.DRAFT).first()
    if existing is not None:
        return existing
    source = profile.versions.order_by("-number").first()
    number = (source.number if source else 0) + 1
    draft = HealthProfileVersion(profile=profile, number=number, created_by=user)
    if source is not None:
        for name in (
            "combine",
            "weights",
            "frequency_norm",
            "depth_target",
            "our_side_target",
            "recency_half_life",
            "good_from",
            "fair_from",
        ):
            setattr(draft, name, getattr(source, name))
    draft.save()
    return draft


VERSION_FIELDS = (
    "combine",
    "weights",
    "frequency_norm",
    "depth_target",
    "our_side_target",
    "recency_half_life",
    "good_from",
    "fair_from",
    "note",
)


@transaction.atomic
def profile_version_update(*, version: HealthProfileVersion, **fields: Any) -> HealthProfileVersion:
    """Change a draft version (an active or retired version is never edited)."""
    version = HealthProfileVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise DomainError(_("Only a draft version can be changed; make a draft first."))
    unknown = set(fields) - set(VERSION_FIELDS)
    if unknown:
        raise DomainError(_("Unknown field."), field=sorted(unknown)[0])
    merged = {n: getattr(version, n) for n in VERSION_FIELDS} | fields
    _validate_version(merged)
    if "weights" in fields:
        fields["weights"] = {k: float(fields["weights"].get(k, 0) or 0) for k in COMPONENTS}
    for name, value in fields.items():
        setattr(version, name, value)
    version.save()
    return version


@transaction.atomic
def profile_version_activate(
    *, version: HealthProfileVersion, user: User | None = None
) -> HealthProfileVersion:
    """Make a draft the profile's active version (the previous one retires) and mark every
    account stale so the next refresh judges them by it."""
    version = HealthProfileVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise DomainError(_("Only a draft version can be activated."))
    _validate_version({n: getattr(version, n) for n in VERSION_FIELDS})
    HealthProfileVersion.objects.filter(
        profile_id=version.profile_id, status=VersionStatus.ACTIVE
    ).update(status=VersionStatus.RETIRED)
    version.status = VersionStatus.ACTIVE
    version.save(update_fields=["status", "updated_at"])
    _mark_all_stale()
    return version


def _mark_all_stale() -> None:
    health_mark_stale(paths=Unit.objects.accounts().values_list("path", flat=True))


@transaction.atomic
def profile_rule_add(
    *, profile: HealthProfile, tier: str = "", quadrant: str = "", position: int = 10
) -> ProfileRule:
    """Assign the profile to the accounts of a tier and/or a portfolio quadrant."""
    if not tier and not quadrant:
        raise DomainError(_("A rule names a tier, a quadrant or both."), field="tier")
    if tier and tier not in Tier.values:
        raise DomainError(_("Unknown tier."), field="tier")
    if quadrant and quadrant not in {"strategic", "star", "status", "streamline"}:
        raise DomainError(_("Unknown quadrant."), field="quadrant")
    if not 0 <= position <= 1000:
        raise DomainError(_("The position is between 0 and 1000."), field="position")
    rule = ProfileRule.objects.create(
        profile=profile, tier=tier, quadrant=quadrant, position=position
    )
    _mark_all_stale()
    return rule


@transaction.atomic
def profile_rule_delete(*, rule: ProfileRule) -> None:
    rule.delete()
    _mark_all_stale()


# --------------------------------------------------------------------------------------------
# Backtest


@transaction.atomic
def backtest_store(
    *, as_of: dt.date, horizon_months: int, result: dict[str, Any]
) -> BacktestResult:
    """Keep a backtest's result (the ten newest are kept)."""
    row = BacktestResult.objects.create(as_of=as_of, horizon_months=horizon_months, result=result)
    old = BacktestResult.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)[10:]
    BacktestResult.objects.filter(pk__in=list(old)).delete()
    return row
