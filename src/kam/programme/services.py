"""Writes of the KAM programme: campaigns, answers, reminders, statements (one transaction each)."""

from __future__ import annotations

import datetime as dt
import logging
import pickle  # noqa: S403 - our own figures, written and read by this module only
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.core.permissions import has_role_rule
from kam.core.services import model_update
from kam.core.validation import check_date
from kam.people.models import User
from kam.people.services import notify

from . import dashboard, selectors
from .models import (
    Campaign,
    CampaignStatus,
    Condition,
    DashboardChange,
    DashboardSnapshot,
    Group,
    ProgrammeChange,
    ProgrammeSnapshot,
    Response,
    Statement,
)

MAX_COMMENT = 500
DELETE_CHUNK = 500  # marks deleted per statement: keeps every IN list short on SQLite


def _check_executive(actor: User) -> None:
    if not has_role_rule(actor, "kam.run_assessment"):
        raise DomainError(_("Only executives run assessment campaigns."), code="forbidden")


def campaign_open(
    *,
    actor: User,
    name: str,
    period_start: dt.date,
    period_end: dt.date,
    groups: Sequence[str],
    notify_respondents: bool = True,
) -> Campaign:
    """An executive opens a campaign: the active statements go to the chosen groups, who are
    notified."""
    _check_executive(actor)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the campaign a name."), field="name")
    check_date(period_start, field="period_start")
    check_date(period_end, field="period_end")
    if period_end < period_start:
        raise DomainError(_("The period ends before it starts."), field="period_end")
    chosen = list(dict.fromkeys(groups))
    unknown = [g for g in chosen if g not in Group.values]
    if unknown:
        raise DomainError(
            _("Unknown respondent group: %(group)s.") % {"group": ", ".join(unknown)},
            field="groups",
        )
    if not chosen:
        raise DomainError(_("Choose at least one respondent group."), field="groups")
    statements = list(Statement.objects.filter(active=True))
    missing = set(Condition.values) - {s.condition for s in statements}
    if missing:
        raise DomainError(
            _("Every condition needs an active statement; none for condition %(c)s.")
            % {"c": ", ".join(str(c) for c in sorted(missing))}
        )
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name[:120],
            period_start=period_start,
            period_end=period_end,
            groups=chosen,
            opened_by=actor,
        )
        campaign.statements.set(statements)
        if notify_respondents:
            notify(
                users=respondents(campaign=campaign),
                message=gettext_lazy("A programme assessment is open: %(name)s. Please answer."),
                params={"name": campaign.name},
                link=reverse("programme:respond", args=[campaign.pk]),
            )
    return campaign


def respondents(*, campaign: Campaign) -> list[User]:
    """Active users whose role is one of the campaign's groups."""
    return list(User.objects.filter(is_active=True, role__in=campaign.groups).order_by("pk"))


def responses_submit(
    *, campaign: Campaign, respondent: User, answers: Mapping[int, tuple[int | None, str]]
) -> int:
    """Write (or change) the respondent's answers: statement id -> (1–5 or None, comment).

    A None answer clears it. The whole set is checked before anything is written."""
    if campaign.status != CampaignStatus.OPEN:
        raise DomainError(_("This campaign is closed."), code="closed")
    if respondent.role not in campaign.groups:
        raise DomainError(_("Your group is not asked in this campaign."), code="forbidden")
    allowed = set(campaign.statements.values_list("pk", flat=True))
    clean: dict[int, tuple[int | None, str]] = {}
    for statement_id, (answer, comment) in answers.items():
        if statement_id not in allowed:
            raise DomainError(
                _("Statement %(id)s is not part of this campaign.") % {"id": statement_id},
                field="answers",
            )
        if answer is not None and (not isinstance(answer, int) or not 1 <= answer <= 5):
            raise DomainError(_("An answer is a whole number from 1 to 5."), field="answers")
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT:
            raise DomainError(
                _("A comment has at most %(n)d characters.") % {"n": MAX_COMMENT},
                field="answers",
            )
        clean[statement_id] = (answer, comment)
    written = 0
    with transaction.atomic():
        mine = {
            r.statement_id: r
            for r in Response.objects.select_for_update().filter(
                campaign=campaign, respondent=respondent, statement_id__in=list(clean)
            )
        }
        for statement_id, (answer, comment) in clean.items():
            found = mine.get(statement_id)
            if answer is None:
                if found is not None:
                    found.delete()
                continue
            if found is None:
                Response.objects.create(
                    campaign=campaign,
                    statement_id=statement_id,
                    respondent=respondent,
                    group=respondent.role,
                    answer=answer,
                    comment=comment,
                )
            else:
                found.answer, found.comment, found.group = answer, comment, respondent.role
                found.save(update_fields=["answer", "comment", "group", "answered_at"])
            written += 1
    return written


def campaign_close(*, campaign: Campaign, actor: User) -> Campaign:
    _check_executive(actor)
    if campaign.status == CampaignStatus.CLOSED:
        raise DomainError(_("This campaign is already closed."), code="closed")
    with transaction.atomic():
        campaign.status = CampaignStatus.CLOSED
        campaign.closed_at = timezone.now()
        campaign.save(update_fields=["status", "closed_at"])
    return campaign


def campaign_remind(*, campaign: Campaign, actor: User | None = None) -> int:
    """Notify the respondents who have not answered every statement yet; returns how many.

    ``actor`` None: the reminder job (``kam programme_remind``)."""
    if actor is not None:
        _check_executive(actor)
    if campaign.status != CampaignStatus.OPEN:
        raise DomainError(_("This campaign is closed."), code="closed")
    total = campaign.statements.count()
    done = set(
        Response.objects.filter(campaign=campaign)
        .order_by()
        .values("respondent_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=total)
        .values_list("respondent_id", flat=True)
    )
    late = [u for u in respondents(campaign=campaign) if u.pk not in done]
    with transaction.atomic():
        sent = notify(
            users=late,
            message=gettext_lazy(
                "Reminder: the programme assessment %(name)s waits for your answers."
            ),
            params={"name": campaign.name},
            link=reverse("programme:respond", args=[campaign.pk]),
        )
        Campaign.objects.filter(pk=campaign.pk).update(reminded_at=timezone.now())
    return sent


def campaigns_remind_due(*, today: dt.date | None = None) -> int:
    """The reminder job: remind every open campaign whose period has begun (reminders at most
    once a day per campaign)."""
    today = today or timezone.localdate()
    sent = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.OPEN, period_start__lte=today):
        if campaign.reminded_at and timezone.localdate(campaign.reminded_at) >= today:
            continue
        sent += campaign_remind(campaign=campaign)
    return sent


MAX_STATEMENT = 300
MAX_POSITION = 32767


def _clean_statement(data: dict[str, Any]) -> dict[str, Any]:
    """Strip the texts and check every given field before anything is written."""
    for name in ("text_en", "text_ru"):
        if name in data:
            data[name] = (data[name] or "").strip()
            if len(data[name]) > MAX_STATEMENT:
                raise DomainError(
                    _("A statement has at most %(n)d characters.") % {"n": MAX_STATEMENT},
                    field=name,
                )
    if "text_en" in data and not data["text_en"]:
        raise DomainError(_("A statement needs its English text."), field="text_en")
    if "position" in data:
        position = data["position"]
        if not isinstance(position, int) or isinstance(position, bool):
            raise DomainError(_("The position is a whole number."), field="position")
        if not 0 <= position <= MAX_POSITION:
            raise DomainError(
                _("The position is between 0 and %(n)d.") % {"n": MAX_POSITION}, field="position"
            )
    if "active" in data and not isinstance(data["active"], bool):
        raise DomainError(_("Active is yes or no."), field="active")
    return data


def statement_create(
    *,
    actor: User,
    condition: int,
    text_en: str,
    text_ru: str = "",
    position: int | None = None,
) -> Statement:
    """An executive adds a statement to a condition (last in its list unless a position is
    given); it is asked from the next campaign on."""
    _check_executive(actor)
    if condition not in Condition.values:
        raise DomainError(
            _("Unknown condition: %(c)s.") % {"c": condition}, field="condition", code="invalid"
        )
    data = _clean_statement(
        {"text_en": text_en, "text_ru": text_ru}
        | ({"position": position} if position is not None else {})
    )
    with transaction.atomic():
        if "position" not in data:
            last = (
                Statement.objects.filter(condition=condition)
                .order_by("-position")
                .values_list("position", flat=True)
                .first()
            )
            data["position"] = min((last or 0) + 1, MAX_POSITION)
        return Statement.objects.create(condition=condition, **data)


def statement_update(*, statement: Statement, actor: User, data: dict[str, Any]) -> Statement:
    """Edit a statement (text in English or Russian, position, active). A running or past
    campaign keeps its set of statements (decision 89); retiring the last active statement of a
    condition is refused, since a campaign asks about every condition."""
    _check_executive(actor)
    data = _clean_statement(dict(data))
    with transaction.atomic():
        if data.get("active") is False and statement.active:
            others = (
                Statement.objects.select_for_update()
                .filter(condition=statement.condition, active=True)
                .exclude(pk=statement.pk)
            )
            if not others.exists():
                raise DomainError(
                    _(
                        "This is the last active statement of its condition; add another one "
                        "before you retire it."
                    ),
                    field="active",
                    code="conflict",
                )
        updated, _changed = model_update(
            instance=statement, fields=("text_en", "text_ru", "position", "active"), data=data
        )
    return updated


def statement_retire(*, statement: Statement, actor: User) -> Statement:
    """Retire a statement: no new campaign asks it; answers already given stay."""
    return statement_update(statement=statement, actor=actor, data={"active": False})


def statement_restore(*, statement: Statement, actor: User) -> Statement:
    """Bring a retired statement back for the next campaigns."""
    return statement_update(statement=statement, actor=actor, data={"active": True})


def group_choices(groups: Iterable[str]) -> list[str]:
    return [g for g in Group.values if g in set(groups)]


# --- The executive dashboard (decision 92) ------------------------------------------------------


def dashboard_mark_stale() -> None:
    """Mark the kept dashboard stale: append one :class:`DashboardChange` (decision 95). The
    writes that change its inputs call this in their own transaction (``signals.py``); an insert
    never waits for another writer's mark."""
    DashboardChange.objects.create()
    # the programme overview reads the same inputs (decision 124)
    ProgrammeChange.objects.create()


def dashboard_refresh(*, as_of: dt.date | None = None) -> DashboardSnapshot:
    """Compute the dashboard again and keep it. The marks seen before computing are deleted
    after it, so a write committed meanwhile leaves its mark and the figures stay stale."""
    as_of = as_of or timezone.localdate()
    seen = list(DashboardChange.objects.values_list("pk", flat=True))
    try:
        payload = dashboard.compute(as_of=as_of)
    except BaseException:
        # free the claim at once: the next reader computes instead of showing old figures
        DashboardSnapshot.objects.filter(name="portfolio").update(refreshing_since=None)
        raise
    with transaction.atomic():
        snapshot, _created = DashboardSnapshot.objects.update_or_create(
            name="portfolio",
            defaults={
                "payload": payload,
                "as_of": as_of,
                "computed_at": timezone.now(),
                "refreshing_since": None,
            },
        )
        for start in range(0, len(seen), DELETE_CHUNK):
            DashboardChange.objects.filter(pk__in=seen[start : start + DELETE_CHUNK]).delete()
    snapshot.__dict__["pending"] = DashboardChange.objects.exclude(pk__in=seen).exists()
    return snapshot


def _kept() -> DashboardSnapshot | None:
    """The kept snapshot with whether a change is pending, in one query."""
    return (
        DashboardSnapshot.objects.filter(name="portfolio")
        .annotate(pending=Exists(DashboardChange.objects.all()))
        .first()
    )


# How long a claim to recompute the dashboard holds. A reader's claim queues the computation for
# the job worker; when no worker has done it after this (none runs, or it died while computing),
# the next reader takes the claim over and computes itself.
DASHBOARD_LEASE = dt.timedelta(minutes=2)


def _claim_refresh(snapshot: DashboardSnapshot) -> str | None:
    """Claim the recomputation of the kept dashboard in one UPDATE, so that of the requests that
    find it stale at the same time exactly one gets it: ``"new"`` when nobody held it,
    ``"taken over"`` when the claim held was older than ``DASHBOARD_LEASE``, else ``None``.
    A claim the row was read with that is still within its lease costs no query."""
    now = timezone.now()
    expired = now - DASHBOARD_LEASE
    held = snapshot.refreshing_since
    if held is not None and held >= expired:
        return None
    kept = DashboardSnapshot.objects.filter(pk=snapshot.pk)
    if held is None:
        return (
            "new"
            if kept.filter(refreshing_since__isnull=True).update(refreshing_since=now)
            else None
        )
    taken = kept.filter(refreshing_since__lt=expired).update(refreshing_since=now)
    return "taken over" if taken else None


def _is_current(snapshot: DashboardSnapshot | None, as_of: dt.date) -> bool:
    return snapshot is not None and not snapshot.stale and snapshot.as_of == as_of


def dashboard_current(*, as_of: dt.date | None = None) -> DashboardSnapshot:
    """The kept dashboard (one query when it is current). When it is stale or of an earlier day,
    the first reader to see it so queues its recomputation for the job worker, and every reader
    gets the kept figures marked ``updating`` until the worker has kept new ones (decision 135).
    A reader computes itself only when nothing is kept yet, or when a claim has waited longer
    than ``DASHBOARD_LEASE`` (no worker took the job)."""
    as_of = as_of or timezone.localdate()
    snapshot = _kept()
    if snapshot is None:
        return dashboard_refresh(as_of=as_of)
    if _is_current(snapshot, as_of):
        return snapshot
    claim = _claim_refresh(snapshot)
    if claim == "taken over":
        return dashboard_refresh(as_of=as_of)
    if claim == "new":
        from .tasks import dashboard_refresh_task  # deferred: the task module imports this one

        dashboard_refresh_task.enqueue()
    snapshot.__dict__["updating"] = True
    return snapshot


def dashboard_refresh_queued() -> bool:
    """The job worker's step for a reader's claim: recompute the kept dashboard unless it is
    current already (the scheduler's step got there first). Returns whether it computed."""
    today = timezone.localdate()
    snapshot = _kept()
    if _is_current(snapshot, today):
        DashboardSnapshot.objects.filter(name="portfolio").update(refreshing_since=None)
        return False
    dashboard_refresh(as_of=today)
    return True


def dashboard_nightly(*, now: dt.datetime | None = None) -> bool:
    """The scheduler's step: recompute the dashboard when it is stale or of an earlier day
    (the week of "what changed" moves on, and bulk writers may bypass its marks), unless a
    reader's claim is being served by the queued job. Returns whether it was recomputed."""
    today = timezone.localdate(now or timezone.now())
    snapshot = _kept()
    if _is_current(snapshot, today):
        return False
    if snapshot is not None and _claim_refresh(snapshot) is None:
        return False
    dashboard_refresh(as_of=today)
    return True


# --- The programme overview, kept for a few minutes (decision 124) -----------------------------

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgrammeFigures:
    """The overview's indicators and risks (``selectors.indicators``, ``selectors.risks``) and
    when they were computed."""

    indicators: list[selectors.Indicator]
    risks: dict[str, Any]
    computed_at: dt.datetime

    @property
    def figures(self) -> tuple[list[selectors.Indicator], dict[str, Any]]:
        return self.indicators, self.risks


# How long a computed overview is shown without being computed again. Writes that mark the
# dashboard mark it too; inputs they do not mark (an interaction logged, a visit) show within
# this time, and "Recompute now" shows them at once.
PROGRAMME_KEEP = dt.timedelta(minutes=10)


def programme_refresh(*, as_of: dt.date | None = None) -> ProgrammeFigures:
    """Compute the overview's indicators and risks again, in the active language, and keep
    them; marks older than the keeping time are removed."""
    as_of = as_of or timezone.localdate()
    started = timezone.now()
    figures = (selectors.indicators(as_of=as_of), selectors.risks(as_of=as_of))
    with transaction.atomic():
        snapshot, _created = ProgrammeSnapshot.objects.update_or_create(
            language=get_language() or "en",
            defaults={
                "as_of": as_of,
                "payload": pickle.dumps(figures),
                "started_at": started,
                "computed_at": timezone.now(),
            },
        )
        ProgrammeChange.objects.filter(at__lt=started - 2 * PROGRAMME_KEEP).delete()
    return ProgrammeFigures(*figures, computed_at=snapshot.computed_at)


def _kept_programme(as_of: dt.date) -> ProgrammeSnapshot | None:
    """The active language's snapshot of ``as_of`` if it is current (one query)."""
    kept = (
        ProgrammeSnapshot.objects.filter(
            language=get_language() or "en",
            as_of=as_of,
            computed_at__gte=timezone.now() - PROGRAMME_KEEP,
        )
        .annotate(changed=Exists(ProgrammeChange.objects.filter(at__gte=OuterRef("started_at"))))
        .first()
    )
    return kept if kept is not None and not getattr(kept, "changed", True) else None


def programme_refresh_due() -> int:
    """The worker's step: compute the overview of each language whose snapshot is no longer
    current, so that a reader rarely waits for it. Returns the languages computed."""
    today, done = timezone.localdate(), 0
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            if _kept_programme(today) is None:
                programme_refresh(as_of=today)
                done += 1
    return done


def programme_current(*, as_of: dt.date | None = None) -> ProgrammeFigures:
    """The kept overview of the active language, computed first when it is missing, of
    another day, older than ``PROGRAMME_KEEP`` or older than a write that marked it (one query
    when it is current)."""
    today = timezone.localdate()
    as_of = as_of or today
    if as_of != today:
        return programme_refresh(as_of=as_of)
    kept = _kept_programme(as_of)
    if kept is not None:
        try:
            found, risks = pickle.loads(bytes(kept.payload))  # noqa: S301
        except Exception:  # a payload of older code: compute it again
            log.warning("The kept programme overview could not be read; computing it again")
        else:
            return ProgrammeFigures(found, risks, computed_at=kept.computed_at)
    return programme_refresh(as_of=as_of)
