"""Writes of account teams: add a member, change a membership, end it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.core.services import model_update
from kam.core.validation import check_date
from kam.customers.models import Unit
from kam.people.models import User

from .models import TeamMember, TeamRole

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
