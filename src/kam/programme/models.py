"""Assessment campaigns of the KAM programme (Hise & Reid's six conditions, DOMAIN §10) and the
programme's stored configuration (thresholds of DOMAIN §10 and §11)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from kam.core.validation import date_in_range


class Condition(models.IntegerChoices):
    """Hise & Reid (1994): six conditions without which key account management fails."""

    INTEGRATED = 1, _("Integrated into the company's overall sales")
    SUPPORT = 2, _("Top management understands and supports it")
    COMMUNICATION = 3, _("Clear lines between sales and service units")
    GOALS = 4, _("Goals and missions are set")
    COORDINATION = 5, _("KAMs and field reps work in coordination")
    DEFINITION = 6, _("Key accounts are clearly defined and identified")


class Group(models.TextChoices):
    """Respondent groups: a respondent answers in the group of their role."""

    EXECUTIVE = "executive", _("Executives")
    KAM = "kam", _("Key account managers")
    SALES_MANAGER = "sales_manager", _("Sales managers")
    FIELD_REP = "field_rep", _("Field sales reps")


class Statement(models.Model):
    """A survey statement about one condition, in English and Russian (editable)."""

    condition = models.PositiveSmallIntegerField(_("condition"), choices=Condition.choices)
    text_en = models.CharField(_("statement (English)"), max_length=300)
    text_ru = models.CharField(_("statement (Russian)"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["condition", "position", "pk"]
        verbose_name = _("assessment statement")
        verbose_name_plural = _("assessment statements")

    def __str__(self) -> str:
        return self.text_en

    def text(self, language: str) -> str:
        return self.text_ru if language.startswith("ru") and self.text_ru else self.text_en


class CampaignStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("campaign", "Open")
    CLOSED = "closed", pgettext_lazy("campaign", "Closed")


class Campaign(models.Model):
    """An assessment: the statements active when it opened go to the chosen respondent groups."""

    name = models.CharField(_("name"), max_length=120)
    period_start = models.DateField(_("period start"), validators=[date_in_range])
    period_end = models.DateField(_("period end"), validators=[date_in_range])
    groups = models.JSONField(_("respondent groups"), default=list)
    statements = models.ManyToManyField(Statement, related_name="campaigns", blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[statements])

    class Meta:
        ordering = ["-period_end", "-pk"]
        verbose_name = _("assessment campaign")
        verbose_name_plural = _("assessment campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="campaign_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Response(models.Model):
    """One respondent's answer to one statement of a campaign (1–5, optional comment)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="responses")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="responses")
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessment_responses"
    )
    group = models.CharField(_("respondent group"), max_length=16, choices=Group.choices)
    answer = models.PositiveSmallIntegerField(
        _("answer"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    answered_at = models.DateTimeField(_("answered at"), auto_now=True)

    class Meta:
        ordering = ["campaign", "statement__condition", "statement__position", "pk"]
        verbose_name = _("assessment answer")
        verbose_name_plural = _("assessment answers")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "statement", "respondent"], name="one_answer_per_statement"
            ),
            models.CheckConstraint(
                condition=models.Q(answer__gte=1, answer__lte=5), name="answer_one_to_five"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.statement_id}/{self.respondent_id}: {self.answer}"


class ProgrammeSettings(models.Model):
    """The thresholds of DOMAIN §10 and §11, one stored row (defaults when there is none)."""

    min_group_size = models.PositiveSmallIntegerField(
        _("minimum respondents before a group's results show"),
        default=3,
        validators=[MinValueValidator(1)],
    )
    weak_below = models.PositiveSmallIntegerField(
        _("a condition is weak below this score"), default=60
    )
    gap_flag = models.PositiveSmallIntegerField(
        _("flag a gap between groups from (points)"), default=20
    )
    dependence_warn = models.DecimalField(
        # xgettext:no-python-format
        _("dependence: warn above (% of revenue)"),
        max_digits=5,
        decimal_places=2,
        default=10,
    )
    dependence_alert = models.DecimalField(
        # xgettext:no-python-format
        _("dependence: alert above (% of revenue)"),
        max_digits=5,
        decimal_places=2,
        default=20,
    )
    concentration_top5_alert = models.DecimalField(
        # xgettext:no-python-format
        _("concentration: alert when the top 5 accounts bring more than (% of revenue)"),
        max_digits=5,
        decimal_places=2,
        default=50,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    concentration_hhi_warn = models.PositiveSmallIntegerField(
        _("concentration: warn when the Herfindahl index is above"),
        default=1500,
        validators=[MaxValueValidator(10000)],
    )
    concentration_hhi_alert = models.PositiveSmallIntegerField(
        _("concentration: alert when the Herfindahl index is above"),
        default=2500,
        validators=[MaxValueValidator(10000)],
    )
    risk_alert_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner of the programme's risk alerts (an executive)"),
        help_text=_("Empty: the first active executive."),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    nomination_wait_days = models.PositiveSmallIntegerField(
        _("a nomination waits too long after (days)"), default=30
    )
    key_revenue_target = models.PositiveSmallIntegerField(
        _("target share of revenue in key accounts (%)"), default=50
    )
    specialists_target = models.DecimalField(
        _("target specialists per key account team"), max_digits=4, decimal_places=1, default=2
    )
    sponsor_contacts_target = models.DecimalField(
        _("target sponsor interactions per key account per quarter"),
        max_digits=4,
        decimal_places=1,
        default=1,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("programme settings")
        verbose_name_plural = _("programme settings")

    def __str__(self) -> str:
        return str(_("programme settings"))

    @classmethod
    def current(cls) -> ProgrammeSettings:
        found = cls.objects.order_by("-pk").first()
        return found if found is not None else cls()


class DashboardSnapshot(models.Model):
    """The executive dashboard's figures, kept (decisions 92 and 95): one row, recomputed by
    ``services.dashboard_refresh`` when a write has left a :class:`DashboardChange` since the
    last computation, or when it is of an earlier day."""

    name = models.CharField(_("name"), max_length=20, unique=True, default="portfolio")
    as_of = models.DateField(_("as of"), null=True, blank=True)
    payload: models.JSONField[Any] = models.JSONField(_("figures"), default=dict)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    # set by the one reader that queued the recomputation of stale figures for the job worker
    # (decision 135; every reader shows these meanwhile); cleared when new figures are kept,
    # taken over once older than a lease
    refreshing_since = models.DateTimeField(_("recomputing since"), null=True, blank=True)

    class Meta:
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")

    def __str__(self) -> str:
        return f"{self.name} {self.as_of}"

    @property
    def stale(self) -> bool:
        """Whether a write changed an input since the figures were computed (read with the
        row when the selector annotated ``pending``, else one query)."""
        pending = self.__dict__.get("pending")
        return DashboardChange.objects.exists() if pending is None else bool(pending)

    @property
    def updating(self) -> bool:
        """Whether these figures are stale or of an earlier day and the job worker is computing
        them again (shown while it does, decision 135)."""
        return bool(self.__dict__.get("updating", False))


class DashboardChange(models.Model):
    """One write that changed an input of the dashboard, appended in the writer's transaction.

    Writers only ever insert, so no two writers wait for each other (an UPDATE of one flag row
    would hold that row until the first writer commits); a refresh deletes the marks it saw
    before it computed, so a mark committed meanwhile survives and keeps the figures stale.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dashboard change")
        verbose_name_plural = _("dashboard changes")

    def __str__(self) -> str:
        return f"{self.pk} {self.at}"


class ProgrammeSnapshot(models.Model):
    """The programme overview's indicators and risks, kept per language for a few minutes
    (decision 124): computed from every account, they took seconds at 100k units. ``payload``
    is the pickled ``(indicators, risks)`` of ``selectors``; its texts are in ``language``."""

    language = models.CharField(_("language"), max_length=10, unique=True)
    as_of = models.DateField(_("as of"))
    payload = models.BinaryField(_("figures"))
    started_at = models.DateTimeField(_("computation started"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("programme snapshot")
        verbose_name_plural = _("programme snapshots")

    def __str__(self) -> str:
        return f"{self.language} {self.computed_at}"


class ProgrammeChange(models.Model):
    """One write that changed an input of the programme overview, appended in the writer's
    transaction with the dashboard's mark; a snapshot computed before it is stale."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("programme change")
        verbose_name_plural = _("programme changes")

    def __str__(self) -> str:
        return f"{self.pk} {self.at}"
