"""Field coordination: the responsible rep of each unit, the visit cadence, visits and the
rep's calendar feed token (PRODUCT §7, DOMAIN §9)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from kam.core.models import TimeStamped
from kam.core.validation import date_in_range
from kam.customers.models import Tier, Unit, UnitKind
from kam.interactions.models import Interaction
from kam.planning.models import Action


class FieldAssignment(TimeStamped):
    """The field rep responsible for one unit, for a period. One current row per unit
    (``end`` empty); a change of rep ends the current row, so the history stays (decision 69)."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="field_assignments"
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("field rep"),
        on_delete=models.PROTECT,
        related_name="field_assignments",
    )
    start = models.DateField(_("from"), default=dt.date.today, validators=[date_in_range])
    end = models.DateField(_("until"), null=True, blank=True, validators=[date_in_range])
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("field assignment")
        verbose_name_plural = _("field assignments")
        ordering = ["unit", "-start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(end__isnull=True), name="field_one_current_rep"
            ),
        ]
        indexes = [models.Index(fields=["rep", "end"], name="field_assignment_rep_end")]

    def __str__(self) -> str:
        return f"{self.unit} — {self.rep}"


class VisitCadence(TimeStamped):
    """How often a unit of a kind is visited when its account has a tier (stored
    configuration, DESIGN "Configuration, not constants"). No row: the unit is not visited."""

    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    kind = models.CharField(_("unit kind"), max_length=12, choices=UnitKind.choices)
    interval_days = models.PositiveSmallIntegerField(
        _("every (days)"), help_text=_("Days between two visits (1–365).")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit cadence")
        verbose_name_plural = _("visit cadences")
        ordering = ["tier", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "kind"], name="field_cadence_tier_kind"),
            models.CheckConstraint(
                condition=Q(interval_days__gte=1, interval_days__lte=365),
                name="field_cadence_interval_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} / {self.get_kind_display()}: {self.interval_days}"


class VisitStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("visit status", "Planned")
    DONE = "done", pgettext_lazy("visit status", "Done")
    MISSED = "missed", pgettext_lazy("visit status", "Missed")
    CANCELLED = "cancelled", pgettext_lazy("visit status", "Cancelled")


class Visit(TimeStamped):
    """A planned visit of a rep to a unit; checking in marks it done. A planned visit whose day
    has passed without a check-in is missed."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="field_visits"
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("field rep"),
        on_delete=models.PROTECT,
        related_name="field_visits",
    )
    planned_on = models.DateField(_("planned for"), validators=[date_in_range])
    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    action = models.ForeignKey(
        Action,
        verbose_name=_("plan action"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="field_visits",
    )
    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="field_visits",
    )
    generated = models.BooleanField(_("from the cadence"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["planned_on", "pk"]
        indexes = [
            models.Index(fields=["rep", "planned_on"], name="field_visit_rep_day"),
            models.Index(fields=["unit", "planned_on"], name="field_visit_unit_day"),
            models.Index(fields=["status", "planned_on"], name="field_visit_status_day"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.planned_on}"

    def is_missed(self, today: dt.date | None = None) -> bool:
        day = today or dt.date.today()
        return self.status == VisitStatus.MISSED or (
            self.status == VisitStatus.PLANNED and self.planned_on < day
        )


def new_token() -> str:
    return secrets.token_urlsafe(32)


class FeedToken(TimeStamped):
    """The secret of a rep's personal calendar feed URL; revoking replaces it (the old URL
    then answers 404)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="field_feed_token",
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)

    class Meta:
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self) -> str:
        return str(self.user)
