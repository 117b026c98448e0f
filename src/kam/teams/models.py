"""Account teams: who of ours serves each key account, in which role and with what share of
their time (PRODUCT §6, DOMAIN §9)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.core.models import TimeStamped
from kam.core.validation import date_in_range
from kam.customers.models import Unit


class TeamRole(models.TextChoices):
    KAM_LEAD = "kam_lead", _("KAM lead")
    EXECUTIVE_SPONSOR = "executive_sponsor", _("Executive sponsor")
    FIELD_REP = "field_rep", _("Field rep")
    SERVICE = "service", _("Service")
    LOGISTICS = "logistics", _("Logistics")
    TECHNICAL = "technical", _("Technical")
    FINANCE = "finance", _("Finance")
    MARKETING = "marketing", _("Marketing")


# Roles filled by specialists of the supplier's functions (DOMAIN §10, condition 3: "specialists
# per account team").
SPECIALIST_ROLES = (
    TeamRole.SERVICE,
    TeamRole.LOGISTICS,
    TeamRole.TECHNICAL,
    TeamRole.FINANCE,
    TeamRole.MARKETING,
)


class TeamMemberQuerySet(models.QuerySet["TeamMember"]):
    def active(self, on: dt.date | None = None) -> TeamMemberQuerySet:
        """Memberships running on ``on`` (today by default): started on or before it, and not
        left on or before it (``end`` is the day the person left: no longer on the team)."""
        day = on or dt.date.today()
        return self.filter(Q(start__lte=day), Q(end__isnull=True) | Q(end__gt=day))


class TeamMember(TimeStamped):
    """One person of ours on one account's team, in one role, for a period.

    A person may hold several roles on one team (a KAM lead who is also the technical contact);
    a role ends by its end date, so the history of who served the account stays.
    """

    account = models.ForeignKey(
        Unit,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="team_members",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="team_memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=TeamRole.choices)
    # a field rep serves a unit (site) of the account or a region of it
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The unit or site this person serves, when not the whole account."),
    )
    region = models.CharField(_("region"), max_length=120, blank=True)
    allocation = models.PositiveSmallIntegerField(
        _("allocation %"),
        default=10,
        help_text=_("Share of this person's working time given to the account (0–100)."),
    )
    start = models.DateField(_("from"), default=dt.date.today, validators=[date_in_range])
    # the day the person left the team (not on it any more from that day)
    end = models.DateField(_("left on"), null=True, blank=True, validators=[date_in_range])
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    objects = TeamMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["account", "role", "user"]
        indexes = [
            models.Index(fields=["account", "end"], name="team_account_end"),
            models.Index(fields=["user", "end"], name="team_user_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(allocation__lte=100), name="team_allocation_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="team_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"

    def is_active(self, on: dt.date | None = None) -> bool:
        day = on or dt.date.today()
        return self.start <= day and (self.end is None or self.end > day)
