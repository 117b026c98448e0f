"""Writes of account teams: add a member, change a membership, end it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.errors import DomainError
from kam.core.permissions import visible_units
from kam.core.services import model_update
from kam.core.validation import check_date
from kam.customers.models import Unit
from kam.people.models import Function, User
from kam.people.services import notify
from kam.planning.models import Action, Objective

from .models import (
    FeedNote,
    FunctionHead,
    RequestComment,
    RequestEvent,
    RequestEventKind,
    ResourceRequest,
    TeamMember,
    TeamRole,
)
from .workflows import REQUEST_WORKFLOW

EDITABLE = ("role", "unit", "region", "allocation", "start", "end", "note")


def _check(member: TeamMember) -> None:
    """The rules of one membership; raises a DomainError naming the field."""
    if member.role not in TeamRole.values:
        raise DomainError(_("Unknown team role."), field="role")
    if not member.account.is_account:
        raise DomainError(
            _("A team belongs to an account, not to one of its units."), field="account"
        )
    user = member.user
    if not (user.is_active and user.role):
        raise DomainError(
            _("%(user)s has no role in the KAM programme and cannot be on a team.")
            % {"user": user},
            field="user",
        )
    if member.allocation is None or not 0 <= member.allocation <= 100:
        raise DomainError(
            _("Allocation is a share of time between 0 and 100 %."), field="allocation"
        )
    check_date(member.start, "start")
    if member.end is not None:
        check_date(member.end, "end")
        if member.end < member.start:
            raise DomainError(_("A membership cannot end before it starts."), field="end")
    if member.unit is not None and member.unit.account_path != member.account.path:
        raise DomainError(_("The unit is not part of this account."), field="unit")
    overlapping = TeamMember.objects.filter(
        account_id=member.account_id, user_id=member.user_id, role=member.role
    ).exclude(pk=member.pk)
    if member.end is not None:
        overlapping = overlapping.filter(start__lt=member.end)
    overlapping = overlapping.exclude(end__lte=member.start)
    if overlapping.exists():
        raise DomainError(
            _("%(user)s already holds this role on this team for part of that period.")
            % {"user": user},
            field="role",
        )


@transaction.atomic
def team_member_add(
    *,
    account: Unit,
    user: User,
    role: str,
    allocation: int = 10,
    unit: Unit | None = None,
    region: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    note: str = "",
    actor: User | None = None,
) -> TeamMember:
    """Put ``user`` on ``account``'s team in ``role``."""
    member = TeamMember(
        account=account,
        user=user,
        role=role,
        allocation=allocation,
        unit=unit,
        region=region,
        start=start or dt.date.today(),
        end=end,
        note=note,
    )
    _check(member)
    if actor is not None:
        member._history_user = actor  # type: ignore[attr-defined]
    member.save()
    return member


@transaction.atomic
def team_member_update(
    *, member: TeamMember, data: dict[str, Any], actor: User | None = None
) -> TeamMember:
    """Change the given fields of a membership (role, unit, region, allocation, dates, note)."""
    if actor is not None:
        member._history_user = actor  # type: ignore[attr-defined]
    member, _changed = model_update(instance=member, fields=EDITABLE, data=data, validate=_check)
    return member


@transaction.atomic
def team_member_end(
    *, member: TeamMember, end: dt.date | None = None, actor: User | None = None
) -> TeamMember:
    """The person leaves the team on ``end`` (today by default: off the team from now on); the
    row stays as history."""
    day = end or dt.date.today()
    if member.end is not None and member.end <= day:
        raise DomainError(_("This membership has already ended."), field="end")
    return team_member_update(member=member, data={"end": max(day, member.start)}, actor=actor)


# --- Resource requests, comments, feed notes (issue 14) ----------------------------------------

MENTION = re.compile(r"(?<![\w@])@([\w.+-]*\w)")


def _request_link(request: ResourceRequest) -> str:
    return reverse("teams:request", args=[request.pk])


def function_head(function: str) -> User | None:
    head = FunctionHead.objects.filter(function=function).select_related("user").first()
    return head.user if head else None


def plan_target(*, account: Unit, ref: str) -> tuple[Action | None, Objective | None]:
    """The plan action or objective that ``ref`` ("action:123", "objective:7") names, checked
    to exist and to belong to a plan of ``account``; ``(None, None)`` for an empty ``ref``."""
    if not ref:
        return None, None
    match = re.fullmatch(r"(action|objective):(\d+)", ref)
    if match is None:
        raise DomainError(
            _("A plan reference looks like “action:123” or “objective:7”."),
            field="plan_action_ref",
        )
    kind, pk = match.group(1), int(match.group(2))
    action = objective = None
    if kind == "action":
        action = Action.objects.filter(pk=pk, plan__account=account).first()
    else:
        objective = Objective.objects.filter(pk=pk, plan__account=account).first()
    if action is None and objective is None:
        raise DomainError(
            _("No such plan action or objective on this account's plans."),
            field="plan_action_ref",
        )
    return action, objective


@transaction.atomic
def request_create(
    *,
    account: Unit,
    requester: User,
    function: str,
    what: str,
    needed_by: dt.date,
    unit: Unit | None = None,
    plan_action_ref: str = "",
) -> ResourceRequest:
    """File a resource request with one of our functions; its head is notified."""
    account = account.account
    if function not in Function.values:
        raise DomainError(_("Unknown function."), field="function")
    what = (what or "").strip()
    if not what:
        raise DomainError(_("Say what is needed."), field="what")
    check_date(needed_by, "needed_by")
    if unit is not None and unit.account_path != account.path:
        raise DomainError(_("The unit is not part of this account."), field="unit")
    plan_action_ref = (plan_action_ref or "").strip()
    action, objective = plan_target(account=account, ref=plan_action_ref)
    now = timezone.now()
    request = ResourceRequest.objects.create(
        account=account,
        unit=unit,
        requester=requester,
        function=function,
        what=what,
        needed_by=needed_by,
        plan_action_ref=plan_action_ref,
        plan_action=action,
        plan_objective=objective,
        opened_at=now,
    )
    RequestEvent.objects.create(
        request=request, kind=RequestEventKind.OPENED, actor=requester, at=now
    )
    head = function_head(function)
    if head is not None and head.pk != requester.pk:
        notify(
            users=[head],
            message=gettext_lazy("%(user)s asks %(function)s for help on %(account)s."),
            params={
                "user": str(requester),
                "function": request.get_function_display(),
                "account": account.name,
            },
            link=_request_link(request),
        )
    return request


@transaction.atomic
def request_step(
    *,
    request: ResourceRequest,
    step: str,
    actor: User,
    assignee: User | None = None,
    reason: str = "",
) -> ResourceRequest:
    """Take one step of the request workflow (the table in ``workflows``), write its event row
    with the actor and notify the other side."""
    if step not in REQUEST_WORKFLOW.transitions:
        raise DomainError(_("Unknown step."), field="step")
    request = ResourceRequest.objects.select_for_update().get(pk=request.pk)
    transition = REQUEST_WORKFLOW.check(step, request, actor)
    now = timezone.now()
    note = ""
    if step == "accept":
        if assignee is None:
            raise DomainError(_("Choose who will do it."), field="assignee")
        if not (assignee.is_active and assignee.role):
            raise DomainError(
                _("%(user)s has no role in the KAM programme.") % {"user": assignee},
                field="assignee",
            )
        request.assignee = assignee
        request.accepted_at = now
        note = str(assignee)
    elif step == "decline":
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(_("Say why the request is declined."), field="reason")
        request.decline_reason = reason[:500]
        request.closed_at = now
        note = reason[:500]
    elif step == "done":
        request.done_at = now
        request.closed_at = now
    elif step == "withdraw":
        request.closed_at = now
    request.status = transition.target
    request._history_user = actor  # type: ignore[attr-defined]
    request.save()
    RequestEvent.objects.create(
        request=request, kind=transition.event, actor=actor, at=now, note=note
    )
    _notify_step(request, step, actor)
    return request


def _notify_step(request: ResourceRequest, step: str, actor: User) -> None:
    params = {
        "user": str(actor),
        "function": request.get_function_display(),
        "account": request.account.name,
        "what": request.what[:80],
        "reason": request.decline_reason,
    }
    messages = {
        "accept": gettext_lazy(
            "%(user)s accepted your request to %(function)s on %(account)s: %(what)s"
        ),
        "decline": gettext_lazy(
            "%(user)s declined your request to %(function)s on %(account)s: %(reason)s"
        ),
        "done": gettext_lazy("%(user)s marked done your request on %(account)s: %(what)s"),
    }
    if step not in messages:
        return
    users = {request.requester_id: request.requester}
    if step == "accept" and request.assignee is not None:
        users[request.assignee.pk] = request.assignee
    users.pop(actor.pk, None)
    if users:
        notify(
            users=list(users.values()),
            message=messages[step],
            params=params,
            link=_request_link(request),
        )


@transaction.atomic
def request_comment_add(*, request: ResourceRequest, author: User, text: str) -> RequestComment:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("A comment cannot be empty."), field="text")
    if len(text) > 4000:
        raise DomainError(_("A comment is at most 4000 characters."), field="text")
    return RequestComment.objects.create(request=request, author=author, text=text)


def mentioned_users(*, text: str, account: Unit, author: User | None = None) -> list[User]:
    """The people ``@username`` names in ``text`` who may see ``account`` (restricted
    visibility: nobody who cannot see it is told about it)."""
    names = {m.rstrip(".") for m in MENTION.findall(text)}
    if not names:
        return []
    found = User.objects.filter(username__in=names, is_active=True).exclude(role="")
    if author is not None:
        found = found.exclude(pk=author.pk)
    return [u for u in found if visible_units(u, Unit.objects.filter(pk=account.pk)).exists()]


@transaction.atomic
def feed_note_add(*, account: Unit, author: User, text: str, unit: Unit | None = None) -> FeedNote:
    """Write a note in the account's feed; each ``@username`` who may see the account is
    notified in the app (and by e-mail when ``KAM_EMAIL_NOTIFICATIONS`` is on)."""
    account = account.account
    text = (text or "").strip()
    if not text:
        raise DomainError(_("A note cannot be empty."), field="text")
    if len(text) > 4000:
        raise DomainError(_("A note is at most 4000 characters."), field="text")
    if unit is not None and unit.account_path != account.path:
        raise DomainError(_("The unit is not part of this account."), field="unit")
    note = FeedNote.objects.create(account=account, author=author, text=text, unit=unit)
    users = mentioned_users(text=text, account=account, author=author)
    if users:
        link = reverse("teams:feed", args=[account.pk])
        notify(
            users=users,
            message=gettext_lazy("%(user)s mentioned you on %(account)s: %(text)s"),
            params={"user": str(author), "account": account.name, "text": text[:200]},
            link=link,
        )
        if getattr(settings, "KAM_EMAIL_NOTIFICATIONS", False):
            subject = f"{author} — {account.name}"
            body = f"{text}\n\n{link}"
            # one message per person, so nobody sees the others' addresses
            messages = tuple((subject, body, None, [u.email]) for u in users if u.email)
            transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return note
