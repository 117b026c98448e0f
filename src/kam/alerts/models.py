"""The alert store (PRODUCT §8, DOMAIN §6): alerts, their events, thresholds, inbox state.

An alert is what a rule found about an account (:mod:`kam.alerts.rules`); its ``key`` says what
it is about (rule kind, account and subject), and at most one alert with a given key is open
(open, acknowledged or snoozed) at a time: a partial unique constraint, on top of the engine's
upsert (decision 80).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kam.core.models import TimeStamped
from kam.customers.models import Unit

from .rules import rules


class AlertStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("alert status", "Open")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("alert status", "Acknowledged")
    SNOOZED = "snoozed", pgettext_lazy("alert status", "Snoozed")
    RESOLVED = "resolved", pgettext_lazy("alert status", "Resolved")


# The statuses in which an alert still stands (its key is taken).
LIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SNOOZED)


class AlertEventKind(models.TextChoices):
    OPENED = "opened", pgettext_lazy("alert event", "Raised")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("alert event", "Acknowledged")
    SNOOZED = "snoozed", pgettext_lazy("alert event", "Snoozed")
    WOKE = "woke", pgettext_lazy("alert event", "Snooze ended")
    RESOLVED = "resolved", pgettext_lazy("alert event", "Resolved")
    CLEARED = "cleared", pgettext_lazy("alert event", "Resolved: the condition cleared")


class DigestFrequency(models.TextChoices):
    NONE = "none", pgettext_lazy("digest", "No e-mail")
    DAILY = "daily", pgettext_lazy("digest", "Daily")
    WEEKLY = "weekly", pgettext_lazy("digest", "Weekly")


class AlertSettings(TimeStamped):
    """The alert thresholds of DOMAIN §6 that no other app keeps (one row, versioned by the
    row's own ``updated_at``). "No contact with a decider" reads the relationships settings'
    ``decider_silence_days``, the one figure the relationship gaps also use."""

    champion_replacement_days = models.PositiveSmallIntegerField(
        _("champion left: days to find a replacement"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    revenue_drop_pct = models.DecimalField(
        _("revenue fell by at least (%) against the prior 12 months"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(20),
        validators=[MinValueValidator(Decimal(1)), MaxValueValidator(Decimal(100))],
    )
    big_order_amount = models.DecimalField(
        _("a big order: net amount from (reporting currency)"),
        max_digits=16,
        decimal_places=2,
        default=Decimal(50000),
        validators=[MinValueValidator(Decimal(0))],
    )
    last_refresh_on = models.DateField(_("last nightly refresh"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")

    def __str__(self) -> str:
        return gettext("alert settings")


class Alert(TimeStamped):
    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    account = models.ForeignKey(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="alerts"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="unit_alerts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    # an English message id with %(name)s placeholders, translated when shown (decision 56)
    reason = models.CharField(_("reason"), max_length=300)
    params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    key = models.CharField(_("key"), max_length=120)
    raised_on = models.DateField(_("raised on"), default=timezone.localdate)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(status__in=["open", "acknowledged", "snoozed"]),
                name="alert_key_unique_while_live",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="snoozed") | models.Q(snoozed_until__isnull=False),
                name="alert_snoozed_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="alert_account_status"),
            models.Index(fields=["owner", "status"], name="alert_owner_status"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """The reason in the current language with its parameters filled in."""
        template = gettext(self.reason)
        rule = rules.get(self.kind)
        params = dict(self.params or {})
        try:
            return template % (rule.shown_params(params) if rule else params)
        except (KeyError, TypeError, ValueError):
            return template

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    def evidence_items(self) -> list[tuple[str, Any]]:
        return sorted((str(k), v) for k, v in (self.evidence or {}).items())


class AlertEvent(models.Model):
    """One step of an alert with who took it (no actor: the engine)."""

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=12, choices=AlertEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["alert", "at"], name="alert_event_when")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.alert_id}"


class InboxState(models.Model):
    """Per user: when they last looked at their inbox (for "what changed since my last visit")
    and which e-mail digest they want."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="inbox_state",
    )
    seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    since = models.DateTimeField(_("changes shown since"), null=True, blank=True)
    digest = models.CharField(
        _("e-mail digest"),
        max_length=8,
        choices=DigestFrequency.choices,
        default=DigestFrequency.NONE,
    )
    digest_sent_at = models.DateTimeField(_("last digest sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox state")
        verbose_name_plural = _("inbox states")

    def __str__(self) -> str:
        return str(self.user)
