"""Writes of alerts: the engine (refresh), the workflow steps, the inbox visit, the digest.

The engine is the only writer of new alerts: it asks every registered rule (only key accounts
for an intensity rule), keeps one live alert per finding key (an upsert, backed by the partial
unique constraint), wakes snoozed alerts whose date has come, and resolves, with an event that
says so, every live alert whose condition is gone (decision 80).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.errors import DomainError
from kam.core.validation import check_date
from kam.customers.models import Tier, Unit
from kam.people.models import User
from kam.people.services import notify

from .models import (
    LIVE_STATUSES,
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertSettings,
    AlertStatus,
    DigestFrequency,
    InboxState,
)
from .rules import AlertRule, Finding, rules
from .selectors import digest_alerts, digest_recipients
from .signals import alerts_written
from .workflows import ALERT_WORKFLOW

CHUNK = 1000  # accounts per rule call: keeps every IN list short on SQLite
VISIT_GAP = dt.timedelta(minutes=30)  # requests closer than this are one visit
FIRST_VISIT_LOOKBACK = dt.timedelta(days=7)


@dataclass
class RefreshResult:
    accounts: int = 0
    raised: int = 0
    updated: int = 0
    woke: int = 0
    cleared: int = 0


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe copy (dates, decimals as strings) so that a stored value compares equal."""
    out: dict[str, Any] = json.loads(json.dumps(dict(value), cls=DjangoJSONEncoder))
    return out


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i : i + CHUNK])


def _findings(
    all_ids: Sequence[int], key_ids: Sequence[int], as_of: dt.date
) -> dict[str, tuple[AlertRule, Finding]]:
    found: dict[str, tuple[AlertRule, Finding]] = {}
    for rule in rules.all():
        ids = key_ids if rule.intensity else all_ids
        for chunk in [list(ids)] if rule.whole_company else _chunks(ids):
            allowed = set(chunk)
            for finding in rule.evaluate(chunk, as_of):
                if finding.account_id in allowed:  # an intensity rule never reaches past key
                    found[rule.key_of(finding)] = (rule, finding)
    return found


def alerts_refresh(
    *,
    account_ids: Sequence[int] | None = None,
    as_of: dt.date | None = None,
    notify_owners: bool = True,
) -> RefreshResult:
    """Evaluate every registered rule on the accounts (all of them by default) and bring the
    store in line: raise new alerts, refresh the evidence of live ones, wake snoozed ones whose
    date has come, resolve those whose condition cleared. One transaction; a bounded number of
    queries per rule and per thousand accounts."""
    as_of = as_of or timezone.localdate()
    accounts = Unit.objects.accounts()
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
    rows = list(accounts.order_by("pk").values_list("pk", "tier", "account_manager_id"))
    all_ids = [pk for pk, _t, _m in rows]
    key_ids = [pk for pk, tier, _m in rows if tier != Tier.TRANSACTIONAL]
    owners = {pk: manager for pk, _t, manager in rows}
    result = RefreshResult(accounts=len(rows))
    found = _findings(all_ids, key_ids, as_of)
    unit_owners = rules.unit_owners(sorted({f.unit_id for _r, f in found.values() if f.unit_id}))

    def owner_of(f: Finding) -> int | None:
        """The owner the rule named, else the sales manager for a field unit's finding, else
        the account's KAM (DOMAIN §6)."""
        if f.owner_id is not None:
            return f.owner_id
        if f.unit_id is not None and f.unit_id in unit_owners:
            return unit_owners[f.unit_id]
        return owners.get(f.account_id)

    kinds = [r.kind for r in rules.all()]
    now = timezone.now()
    with transaction.atomic():
        live_qs = Alert.objects.select_for_update().filter(status__in=LIVE_STATUSES, kind__in=kinds)
        if account_ids is not None:
            live_qs = live_qs.filter(account_id__in=all_ids)
        live = {a.key: a for a in live_qs}
        new: list[Alert] = []
        changed: list[Alert] = []
        events: list[AlertEvent] = []
        for key, (_rule, f) in found.items():
            params, evidence = _plain(f.params), _plain(f.evidence)
            alert = live.pop(key, None)
            if alert is None:
                new.append(
                    Alert(
                        kind=_rule.kind,
                        account_id=f.account_id,
                        unit_id=f.unit_id,
                        owner_id=owner_of(f),
                        reason=f.reason[:300],
                        params=params,
                        evidence=evidence,
                        link=f.link[:300],
                        key=key,
                        raised_on=as_of,
                    )
                )
                continue
            before = (alert.reason, alert.params, alert.evidence, alert.link, alert.owner_id)
            alert.reason, alert.params, alert.evidence = f.reason[:300], params, evidence
            alert.link, alert.owner_id = f.link[:300], owner_of(f)
            woke = (
                alert.status == AlertStatus.SNOOZED
                and alert.snoozed_until is not None
                and alert.snoozed_until <= as_of
            )
            if woke:
                alert.status, alert.snoozed_until = AlertStatus.OPEN, None
                events.append(AlertEvent(alert=alert, kind=AlertEventKind.WOKE, at=now))
                result.woke += 1
            if woke or before != (
                alert.reason,
                alert.params,
                alert.evidence,
                alert.link,
                alert.owner_id,
            ):
                alert.updated_at = now
                changed.append(alert)
                result.updated += 0 if woke else 1
        cleared_note = _("The condition cleared on %(day)s.") % {"day": as_of.isoformat()}
        for alert in live.values():
            alert.status, alert.resolved_at, alert.snoozed_until = AlertStatus.RESOLVED, now, None
            alert.updated_at = now
            changed.append(alert)
            events.append(
                AlertEvent(alert=alert, kind=AlertEventKind.CLEARED, at=now, note=cleared_note)
            )
            result.cleared += 1
        if changed:
            Alert.objects.bulk_update(
                changed,
                [
                    "reason",
                    "params",
                    "evidence",
                    "link",
                    "owner",
                    "status",
                    "snoozed_until",
                    "resolved_at",
                    "updated_at",
                ],
                batch_size=500,
            )
        created = Alert.objects.bulk_create(new, batch_size=500)
        events.extend(AlertEvent(alert=a, kind=AlertEventKind.OPENED, at=now) for a in created)
        AlertEvent.objects.bulk_create(events, batch_size=500)
        result.raised = len(created)
        if changed or created:
            alerts_written.send(
                sender=Alert, raised=len(created), updated=result.updated, cleared=result.cleared
            )
        if notify_owners and created:
            _notify_owners(created)
    return result


def _notify_owners(created: Sequence[Alert]) -> None:
    per_owner: dict[int, int] = defaultdict(int)
    for alert in created:
        if alert.owner_id is not None:
            per_owner[alert.owner_id] += 1
    link = reverse("web:my_accounts")
    for user in User.objects.filter(pk__in=list(per_owner), is_active=True):
        notify(
            users=[user],
            message=gettext_lazy("%(count)s new alerts on your accounts"),
            params={"count": per_owner[user.pk]},
            link=link,
        )


def alerts_refresh_account(*, account: Unit, as_of: dt.date | None = None) -> RefreshResult:
    """Refresh the alerts of one account (after a write that may change them)."""
    return alerts_refresh(account_ids=[account.account.pk], as_of=as_of)


def alert_step(
    *,
    alert: Alert,
    step: str,
    actor: User,
    note: str = "",
    until: dt.date | None = None,
) -> Alert:
    """Take one step of the alert workflow (acknowledge, snooze until a date, resolve with a
    note) and write its event row with the actor, in one transaction."""
    if step not in ALERT_WORKFLOW.transitions:
        raise DomainError(_("Unknown step."), field="step")
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError(_("The note is longer than 500 characters."), field="note")
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("account").get(pk=alert.pk)
        transition = ALERT_WORKFLOW.check(step, alert, actor)
        now = timezone.now()
        event_note = note
        if step == "snooze":
            if until is None:
                raise DomainError(_("Choose the day the alert comes back."), field="until")
            check_date(until, "until")
            if until <= timezone.localdate():
                raise DomainError(_("The alert can only be snoozed to a later day."), field="until")
            alert.snoozed_until = until
            event_note = (note + " " if note else "") + "→ " + until.isoformat()
        elif step == "resolve":
            if not note:
                raise DomainError(_("Say how the alert was resolved."), field="note")
            alert.resolved_at, alert.snoozed_until = now, None
        else:
            alert.snoozed_until = None
        alert.status = transition.target
        if note:
            alert.note = note
        alert.save(update_fields=["status", "snoozed_until", "resolved_at", "note", "updated_at"])
        AlertEvent.objects.create(
            alert=alert, kind=transition.event, actor=actor, at=now, note=event_note[:500]
        )
    return alert


def inbox_visit(*, user: User, now: dt.datetime | None = None) -> InboxState:
    """Record a look at the inbox; returns the state whose ``since`` is the start of "what
    changed since my last visit" (requests within half an hour are one visit)."""
    now = now or timezone.now()
    with transaction.atomic():
        state, _created = InboxState.objects.select_for_update().get_or_create(user=user)
        if state.seen_at is None:
            state.since = now - FIRST_VISIT_LOOKBACK
        elif now - state.seen_at > VISIT_GAP:
            state.since = state.seen_at
        state.seen_at = now
        state.save(update_fields=["seen_at", "since"])
    return state


def inbox_digest_set(*, user: User, digest: str) -> InboxState:
    if digest not in DigestFrequency.values:
        raise DomainError(_("Choose daily, weekly or no e-mail."), field="digest")
    with transaction.atomic():
        state, _created = InboxState.objects.select_for_update().get_or_create(user=user)
        state.digest = digest
        state.save(update_fields=["digest"])
    return state


def digests_send(*, frequency: str, now: dt.datetime | None = None, force: bool = False) -> int:
    """E-mail each user who asked for a ``frequency`` digest the alerts raised on their accounts
    since their last digest (through Django's e-mail settings); returns how many were sent.
    A user is skipped until a day (a week) has passed since their last digest, unless
    ``force``; nobody gets an empty digest."""
    if frequency not in (DigestFrequency.DAILY, DigestFrequency.WEEKLY):
        raise DomainError(_("Choose daily or weekly."), field="frequency")
    now = now or timezone.now()
    gap = dt.timedelta(days=1 if frequency == DigestFrequency.DAILY else 7)
    sent = 0
    for state in digest_recipients(frequency=frequency):
        last = state.digest_sent_at
        if not force and last is not None and now - last < gap - dt.timedelta(hours=1):
            continue
        user = state.user
        content = digest_alerts(user=user, since=last or now - gap)
        if not content["new"]:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("OpenKAM: %(count)s new alerts on your accounts") % {
                "count": len(content["new"])
            }
            body = render_to_string(
                "alerts/digest.txt",
                {"user": user, "frequency": frequency, **content},
            )
        send_mail(subject, body, None, [user.email])
        InboxState.objects.filter(pk=state.pk).update(digest_sent_at=now)
        sent += 1
    return sent


def alerts_nightly(*, now: dt.datetime | None = None) -> RefreshResult | None:
    """The scheduler's step: once a day, refresh every account's alerts and send the digests
    that are due (a no-op when today's run is done)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    conf = AlertSettings.objects.order_by("pk").first() or AlertSettings.objects.create()
    if conf.last_refresh_on is not None and conf.last_refresh_on >= today:
        return None
    result = alerts_refresh(as_of=today)
    AlertSettings.objects.filter(pk=conf.pk).update(last_refresh_on=today)
    digests_send(frequency=DigestFrequency.DAILY, now=now)
    digests_send(frequency=DigestFrequency.WEEKLY, now=now)
    return result
