"""Account teams: who of ours serves each key account, in which role and with what share of
their time (PRODUCT §6, DOMAIN §9)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.core.models import TimeStamped
from kam.core.validation import date_in_range
from kam.customers.models import Unit
from kam.people.models import Function


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


# --- Resource requests and the coordination feed (PRODUCT §6, DOMAIN §9) -----------------------


class FunctionHead(TimeStamped):
    """Who manages each function of ours: the person who accepts, assigns or declines the
    resource requests asked of it (stored configuration, edited in the Django admin; decision 65).
    """

    function = models.CharField(_("function"), max_length=20, choices=Function.choices, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.PROTECT,
        related_name="functions_headed",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("function head")
        verbose_name_plural = _("function heads")
        ordering = ["function"]

    def __str__(self) -> str:
        return f"{self.get_function_display()} — {self.user}"


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CLOSED_STATUSES = (RequestStatus.DONE, RequestStatus.DECLINED, RequestStatus.WITHDRAWN)


class ResourceRequest(TimeStamped):
    """A team member asks one of our functions for help on an account."""

    account = models.ForeignKey(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="resource_requests"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        related_name="resource_requests_made",
    )
    function = models.CharField(_("function asked"), max_length=20, choices=Function.choices)
    what = models.TextField(_("what is needed"), max_length=2000)
    needed_by = models.DateField(_("needed by"), validators=[date_in_range])
    # a plan action or objective of the account ("action:123", "objective:7"), checked when
    # filed and kept as the foreign key below (decision 103; requests filed before it keep
    # their unchecked text)
    plan_action_ref = models.CharField(_("plan action or objective"), max_length=40, blank=True)
    plan_action = models.ForeignKey(
        "planning.Action",
        verbose_name=_("plan action"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resource_requests",
    )
    plan_objective = models.ForeignKey(
        "planning.Objective",
        verbose_name=_("plan objective"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resource_requests",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resource_requests_assigned",
    )
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("resource request")
        verbose_name_plural = _("resource requests")
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "status"], name="request_account_status"),
            models.Index(fields=["function", "status"], name="request_function_status"),
            models.Index(fields=["status", "needed_by"], name="request_status_needed"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_function_display()}: {self.what[:60]}"

    @property
    def is_overdue(self) -> bool:
        """Needed by a day that has passed and not done (nor declined or withdrawn)."""
        return (
            self.status
            in (
                RequestStatus.OPEN,
                RequestStatus.ACCEPTED,
            )
            and self.needed_by < timezone.localdate()
        )

    @property
    def days_to_mobilise(self) -> float | None:
        """Accepted − opened, in days (None until accepted)."""
        if self.accepted_at is None:
            return None
        return (self.accepted_at - self.opened_at).total_seconds() / 86400

    @property
    def days_to_done(self) -> float | None:
        if self.done_at is None:
            return None
        return (self.done_at - self.opened_at).total_seconds() / 86400

    @property
    def done_on_time(self) -> bool | None:
        if self.done_at is None:
            return None
        return timezone.localdate(self.done_at) <= self.needed_by


class RequestEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    DONE = "done", _("Done")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RequestEvent(models.Model):
    """One step of a request, with who took it (the request's audit trail and feed rows)."""

    request = models.ForeignKey(
        ResourceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=12, choices=RequestEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["request", "at"], name="request_event_when")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.request_id}"


class RequestComment(models.Model):
    request = models.ForeignKey(
        ResourceRequest,
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT
    )
    text = models.TextField(_("comment"), max_length=4000)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("request comment")
        verbose_name_plural = _("request comments")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class FeedNote(models.Model):
    """A note in an account's coordination feed; ``@username`` in it notifies that person."""

    account = models.ForeignKey(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="feed_notes"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT
    )
    text = models.TextField(_("note"), max_length=4000)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("feed note")
        verbose_name_plural = _("feed notes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["account", "-at"], name="feednote_account_when")]

    def __str__(self) -> str:
        return self.text[:60]
