"""The interaction log: who of ours met whom of theirs, where, when, with what outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.core.models import TimeStamped
from kam.core.validation import date_in_range
from kam.customers.models import Contact, Unit


class InteractionType(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", _("Visit")
    REVIEW = "review", _("Business review")
    EXECUTIVE = "executive", _("Executive meeting")
    WORKSHOP = "workshop", _("Workshop")
    SERVICE = "service", _("Service case")


class Initiator(models.TextChoices):
    US = "us", _("We")
    CUSTOMER = "customer", _("Customer")


class Source(models.TextChoices):
    """How an interaction reached the log."""

    TYPED = "typed", _("typed in")
    IMPORT = "import", _("file import")
    CALENDAR = "calendar", _("calendar file")
    MAIL = "mail", _("e-mail file")


class Interaction(TimeStamped):
    type = models.CharField(_("type"), max_length=12, choices=InteractionType.choices)
    occurred_at = models.DateTimeField(_("when"), db_index=True, validators=[date_in_range])
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="interactions"
    )
    summary = models.CharField(_("summary"), max_length=300)
    outcome = models.TextField(_("outcome"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.TYPED
    )
    initiated_by = models.CharField(
        _("initiated by"), max_length=10, choices=Initiator.choices, default=Initiator.US
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our participants"),
        related_name="interactions",
        blank=True,
    )
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("their contacts"), related_name="interactions", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    history = HistoricalRecords(m2m_fields=[participants, contacts])

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["unit", "-occurred_at"], name="interaction_unit_when")]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.summary}"


def capture_upload_to(upload: CaptureUpload, filename: str) -> str:
    return f"capture/{upload.created_by_id or 0}/{filename}"


class CaptureUpload(TimeStamped):
    """A calendar or mail file a user uploaded, kept between its preview and its import."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to=capture_upload_to, max_length=300)
    filename = models.CharField(_("file name"), max_length=200)
    since = models.DateTimeField(_("from"))
    until = models.DateTimeField(_("until"))
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)
    created = models.PositiveIntegerField(_("interactions written"), default=0)

    class Meta:
        verbose_name = _("captured file")
        verbose_name_plural = _("captured files")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename
