"""Relationship health (DOMAIN §6): profiles with versioned weights, the kept score of each
account and its monthly history, the KAM's own sentiment beside it, and backtest results."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.models import TimeStamped
from kam.core.validation import date_in_range
from kam.customers.models import Tier, Unit

# The six components of DOMAIN §6, in the order the page shows them.
COMPONENTS = ("frequency", "continuity", "breadth", "depth", "our_side", "recency")
DEFAULT_WEIGHTS = {
    "frequency": 25,
    "continuity": 20,
    "breadth": 20,
    "depth": 10,
    "our_side": 10,
    "recency": 15,
}
COMPONENT_LABELS = {
    "frequency": _("Frequency"),
    "continuity": _("Continuity"),
    "breadth": _("Breadth (buying centre)"),
    "depth": _("Depth (seniority)"),
    "our_side": _("Our-side breadth"),
    "recency": _("Recency (deciders)"),
}


def default_weights() -> dict[str, int]:
    return dict(DEFAULT_WEIGHTS)


class Grade(models.TextChoices):
    """Health grades, worst first (the order of a level metric)."""

    POOR = "poor", pgettext_lazy("health grade", "Poor")
    FAIR = "fair", pgettext_lazy("health grade", "Fair")
    GOOD = "good", pgettext_lazy("health grade", "Good")


GRADE_RANK = {Grade.POOR.value: 0, Grade.FAIR.value: 1, Grade.GOOD.value: 2}


class Combine(models.TextChoices):
    WEIGHTED = "weighted", _("Weighted average")
    WORST_WINS = "worst_wins", _("Worst wins (any poor component makes the account poor)")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("profile version", "Draft")
    ACTIVE = "active", pgettext_lazy("profile version", "Active")
    RETIRED = "retired", pgettext_lazy("profile version", "Retired")


class HealthProfile(TimeStamped):
    """A segment's way of judging health (e.g. national vs global accounts)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(
        _("default profile"),
        default=False,
        help_text=_("Used for accounts that no assignment rule matches."),
    )

    class Meta:
        verbose_name = _("health profile")
        verbose_name_plural = _("health profiles")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="health_one_default_profile",
            )
        ]

    def __str__(self) -> str:
        return self.name


class HealthProfileVersion(TimeStamped):
    """The weights, norms and grade bands of a profile; one active version per profile."""

    profile = models.ForeignKey(
        HealthProfile, on_delete=models.CASCADE, related_name="versions", verbose_name=_("profile")
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    combine = models.CharField(
        _("combination"), max_length=12, choices=Combine.choices, default=Combine.WEIGHTED
    )
    weights = models.JSONField(_("weights"), default=default_weights)
    frequency_norm = models.DecimalField(
        _("interactions per month that count as full frequency"),
        max_digits=5,
        decimal_places=2,
        default=4,
        validators=[MinValueValidator(0.1), MaxValueValidator(100)],
    )
    depth_target = models.PositiveSmallIntegerField(
        _("senior or board contacts for full depth"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    our_side_target = models.PositiveSmallIntegerField(
        _("our functions for full our-side breadth"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    recency_half_life = models.PositiveSmallIntegerField(
        _("recency half-life (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    good_from = models.PositiveSmallIntegerField(
        _("good from"), default=60, validators=[MaxValueValidator(100)]
    )
    fair_from = models.PositiveSmallIntegerField(
        _("fair from"), default=40, validators=[MaxValueValidator(100)]
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("health profile version")
        verbose_name_plural = _("health profile versions")
        ordering = ["profile_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "number"], name="health_version_number"),
            models.UniqueConstraint(
                fields=["profile"],
                condition=models.Q(status="active"),
                name="health_one_active_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile} v{self.number}"

    def grade_of(self, score: float) -> str:
        if score >= self.good_from:
            return Grade.GOOD.value
        if score >= self.fair_from:
            return Grade.FAIR.value
        return Grade.POOR.value


class ProfileRule(TimeStamped):
    """Which accounts a profile judges: by tier (scope) or by portfolio quadrant; the rule with
    the lowest position that matches wins, else the default profile."""

    position = models.PositiveSmallIntegerField(_("position"), default=10)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, blank=True)
    quadrant = models.CharField(
        _("portfolio quadrant"),
        max_length=12,
        blank=True,
        choices=[
            ("strategic", _("Strategic")),
            ("star", _("Star")),
            ("status", _("Status")),
            ("streamline", _("Streamline")),
        ],
    )
    profile = models.ForeignKey(
        HealthProfile, on_delete=models.CASCADE, related_name="rules", verbose_name=_("profile")
    )

    class Meta:
        verbose_name = _("profile assignment rule")
        verbose_name_plural = _("profile assignment rules")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}: {self.tier or '*'} / {self.quadrant or '*'} → {self.profile_id}"

    def matches(self, tier: str, quadrant: str | None) -> bool:
        return (not self.tier or self.tier == tier) and (
            not self.quadrant or self.quadrant == quadrant
        )


class AccountHealth(models.Model):
    """The kept current health of an account (recomputed when stale and nightly)."""

    account = models.OneToOneField(
        Unit, on_delete=models.CASCADE, related_name="health", verbose_name=_("account")
    )
    as_of = models.DateField(_("as of"))
    score = models.DecimalField(_("health score"), max_digits=5, decimal_places=1)
    grade = models.CharField(_("grade"), max_length=8, choices=Grade.choices, db_index=True)
    components: models.JSONField[Any] = models.JSONField(_("components"), default=dict)
    version = models.ForeignKey(
        HealthProfileVersion,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("profile version"),
    )
    trend = models.DecimalField(
        _("trend (points against three months ago)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
    )
    computed_at = models.DateTimeField(_("computed"), auto_now=True)
    # the grade before the last change of grade and when it changed (decision 105: the inbox's
    # "what changed since my last visit" reads them); empty until the grade first changes
    previous_grade = models.CharField(
        _("previous grade"), max_length=8, choices=Grade.choices, blank=True
    )
    grade_changed_at = models.DateTimeField(_("grade changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("account health")
        verbose_name_plural = _("account health")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.score} ({self.grade})"


class HealthMonth(models.Model):
    """An account's health at the end of a month (the current month: as of its last refresh)."""

    account = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="health_months", verbose_name=_("account")
    )
    month = models.DateField(_("month"))
    score = models.DecimalField(_("health score"), max_digits=5, decimal_places=1)
    grade = models.CharField(_("grade"), max_length=8, choices=Grade.choices)
    components: models.JSONField[Any] = models.JSONField(_("components"), default=dict)

    class Meta:
        verbose_name = _("monthly health")
        verbose_name_plural = _("monthly health")
        ordering = ["account_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="health_month_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m}: {self.score}"


class StaleHealth(models.Model):
    """An account whose kept health must be computed again (its interactions, roles or team
    changed). Keyed by the account's path so a writer can list it without a query."""

    account_path = models.CharField(max_length=16, primary_key=True)

    def __str__(self) -> str:
        return self.account_path


class Sentiment(TimeStamped):
    """The KAM's own reading of the relationship, kept beside the score and never mixed in."""

    account = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="sentiments", verbose_name=_("account")
    )
    grade = models.CharField(_("sentiment"), max_length=8, choices=Grade.choices)
    on = models.DateField(_("date"), validators=[date_in_range])
    note = models.CharField(_("note"), max_length=500, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )

    class Meta:
        verbose_name = _("sentiment")
        verbose_name_plural = _("sentiments")
        ordering = ["account_id", "-on", "-pk"]
        indexes = [models.Index(fields=["account", "-on"], name="health_sentiment_latest")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.on}: {self.grade}"


class BacktestResult(models.Model):
    """The latest runs of ``kam health-backtest`` (the page shows the newest)."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    as_of = models.DateField(_("as of"))
    horizon_months = models.PositiveSmallIntegerField(_("horizon (months)"))
    result: models.JSONField[Any] = models.JSONField(_("result"), default=dict)

    class Meta:
        verbose_name = _("health backtest")
        verbose_name_plural = _("health backtests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.as_of} +{self.horizon_months}m"
