"""Key-account identification: scoring models, account inputs, scores, nominations (PRODUCT §3).

Every weight and threshold is configuration stored here (versioned), never a constant in code.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.core.models import Heartbeat, TimeStamped
from kam.core.validation import AmountInRange, date_in_range
from kam.customers.models import Unit

from . import engine
from .labels import shown


class ModelStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


class ScoringModel(TimeStamped):
    """A versioned scoring model. Exactly one is active; edits happen on a draft copy."""

    name = models.CharField(_("name"), max_length=120)
    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ModelStatus.choices, default=ModelStatus.DRAFT
    )
    description = models.TextField(_("description"), blank=True)
    min_score = models.FloatField(
        _("minimum score for a key candidate"),
        default=60,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    min_potential = models.FloatField(
        _("minimum purchasing-potential sub-score"),
        default=50,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    min_willingness = models.FloatField(
        _("minimum partnership willingness"),
        default=5,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    kam_capacity = models.PositiveSmallIntegerField(
        _("key accounts per KAM (default capacity)"), default=5
    )
    max_key_accounts = models.PositiveIntegerField(_("key accounts in total (warning)"), default=50)
    global_min_countries = models.PositiveSmallIntegerField(
        _("countries for a global account"), default=3
    )
    national_min_regions = models.PositiveSmallIntegerField(
        _("regions of one country for a national account"), default=3
    )
    peer_quantile = models.FloatField(
        _("peer wallet quantile"),
        default=0.8,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    peer_min_count = models.PositiveSmallIntegerField(
        _("peers needed for a wallet estimate"), default=10
    )
    constant_share = models.FloatField(
        _("share of accounts with one value that leaves a criterion out"),
        default=0.95,
        validators=[MinValueValidator(0.5), MaxValueValidator(1)],
        help_text=_(
            "A criterion whose value is the same for this share of the scored accounts (or of "
            "those with data) adds no information and is left out of the run; its weight goes "
            "to the other criteria of its group."
        ),
    )
    # Portfolio matrix (DOMAIN §4): relative strength S = 10 × (share weight · share of wallet +
    # position weight · supplier position + stage weight · relationship stage)
    matrix_share_weight = models.FloatField(
        _("matrix: weight of the share of wallet"),
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    matrix_position_weight = models.FloatField(
        _("matrix: weight of the supplier position"),
        default=0.3,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    matrix_stage_weight = models.FloatField(
        _("matrix: weight of the relationship stage"),
        default=0.2,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    matrix_attractiveness_cutoff = models.FloatField(
        _("matrix: high attractiveness from (0–10)"),
        default=5,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    matrix_strength_cutoff = models.FloatField(
        _("matrix: high relative strength from"),
        default=1,
        validators=[MinValueValidator(0)],
    )
    matrix_axis_min = models.FloatField(
        _("matrix: relative-strength axis from"), default=0.33, validators=[MinValueValidator(0)]
    )
    matrix_axis_max = models.FloatField(
        _("matrix: relative-strength axis to"), default=3, validators=[MinValueValidator(0)]
    )
    matrix_competitor_position = models.FloatField(
        _("matrix: position of a competitor (0–1)"),
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Used for the best competitor, whose supplier position is not known."),
    )
    review_months = models.PositiveSmallIntegerField(
        _("key-account review period (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)

    # The settings a draft edits and a draft copy carries over, in the order the form shows them.
    SETTINGS_FIELDS: ClassVar[tuple[str, ...]] = (
        "name",
        "description",
        "min_score",
        "min_potential",
        "min_willingness",
        "kam_capacity",
        "max_key_accounts",
        "global_min_countries",
        "national_min_regions",
        "peer_quantile",
        "peer_min_count",
        "constant_share",
        "matrix_share_weight",
        "matrix_position_weight",
        "matrix_stage_weight",
        "matrix_attractiveness_cutoff",
        "matrix_strength_cutoff",
        "matrix_axis_min",
        "matrix_axis_max",
        "matrix_competitor_position",
        "review_months",
    )

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="active"),
                name="scoring_model_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} v{self.version}"

    @property
    def label(self) -> str:
        """The name in the user's language when it is a seeded one (decision 56)."""
        return shown(self.name)

    @property
    def description_label(self) -> str:
        return shown(self.description)

    @property
    def is_editable(self) -> bool:
        return self.status == ModelStatus.DRAFT

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        weights = (self.matrix_share_weight, self.matrix_position_weight, self.matrix_stage_weight)
        if all(w is not None for w in weights) and abs(sum(weights) - 1) > 1e-6:
            errors["matrix_share_weight"] = _(
                "The three matrix weights must add up to 1 (now %(total)s)."
            ) % {"total": round(sum(weights), 6)}
        low, high = self.matrix_axis_min, self.matrix_axis_max
        if low is not None and high is not None and not 0 < low < high:
            errors["matrix_axis_max"] = _(
                "The relative-strength axis must run from a positive number to a larger one."
            )
        cutoff = self.matrix_strength_cutoff
        if not errors and None not in (cutoff, low, high) and not low <= cutoff <= high:
            errors["matrix_strength_cutoff"] = _(
                "The relative-strength cut-off must lie on the axis (%(low)s–%(high)s)."
            ) % {"low": low, "high": high}
        if errors:
            raise ValidationError(errors)


# The stored values of these choices are the scoring engine's vocabulary (engine.py, free of
# the ORM); the labels people read are given here.
class CriterionGroup(models.TextChoices):
    POTENTIAL = engine.POTENTIAL, _("Purchasing potential")
    COMPLEXITY = engine.COMPLEXITY, _("Buying complexity")
    RELATIONAL = engine.RELATIONAL, _("Relational orientation")
    STRATEGIC = engine.STRATEGIC, _("Strategic")


class DataSource(models.TextChoices):
    REVENUE_12M = engine.REVENUE_12M, _("Revenue, last 12 months (subtree)")
    WALLET = engine.WALLET, _("Wallet: manual estimate, else peer estimate")
    GROWTH = engine.GROWTH, _("Growth: last 12 vs prior 12 months")
    MARGIN = engine.MARGIN, _("Gross margin % (lines with cost)")
    DMU_SIZE = engine.DMU_SIZE, _("Decision-making unit size (contacts with a buying-centre role)")
    FUNCTIONS = engine.FUNCTIONS, _("Functional areas among contacts")
    OPERATING_UNITS = engine.OPERATING_UNITS, _("Units with revenue or contacts")
    GEO_SPREAD = engine.GEO_SPREAD, _("Geographic spread: regions + countries")
    BUYING_CRITERIA = engine.BUYING_CRITERIA, _("Buying criteria recorded")
    WILLINGNESS = engine.WILLINGNESS, _("Partnership willingness (assessed 0–10)")
    AGREEMENT_HORIZON = engine.AGREEMENT_HORIZON, _("Agreement horizon (months)")
    PURCHASE_CONTINUITY = engine.PURCHASE_CONTINUITY, _("Months with purchases in last 24 / 24")
    JOINT_INITIATIVES = engine.JOINT_INITIATIVES, _("Active joint initiatives")
    EXPECTED_REVENUE = (
        engine.EXPECTED_REVENUE,
        _("Expected revenue, next 12 months (learned from the sales history)"),
    )


class Normalisation(models.TextChoices):
    PERCENTILE = engine.PERCENTILE, _("Percentile rank in the scored population")
    CAPPED_LINEAR = engine.CAPPED_LINEAR, _("Capped linear (value / cap)")
    RUBRIC = engine.RUBRIC, _("Rubric 0–10 (value / 10)")


class Criterion(models.Model):
    model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("scoring model"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    group = models.CharField(_("group"), max_length=12, choices=CriterionGroup.choices)
    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("data source"), max_length=24, choices=DataSource.choices)
    normalisation = models.CharField(
        _("normalisation"),
        max_length=16,
        choices=Normalisation.choices,
        default=Normalisation.PERCENTILE,
    )
    cap = models.FloatField(_("cap"), null=True, blank=True, help_text=_("For capped linear."))
    weight = models.FloatField(_("weight"), default=0, validators=[MinValueValidator(0)])
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["model", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="criterion_model_key"),
            models.CheckConstraint(condition=models.Q(weight__gte=0), name="criterion_weight_pos"),
            models.CheckConstraint(
                condition=~models.Q(normalisation="capped_linear") | models.Q(cap__gt=0),
                name="criterion_capped_needs_cap",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.weight:g})"

    @property
    def label(self) -> str:
        """The name in the user's language when it is a seeded one (decision 56)."""
        return shown(self.name)

    @property
    def description_label(self) -> str:
        return shown(self.description)


class WalletConfidence(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class AccountAssessment(TimeStamped):
    """Judgement and manual inputs of one account (a top-level unit); empty means unknown."""

    account = models.OneToOneField(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="assessment"
    )
    willingness = models.PositiveSmallIntegerField(
        _("partnership willingness (0–10)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(10)],
    )
    agreement_horizon_months = models.PositiveSmallIntegerField(
        _("agreement horizon (months)"), null=True, blank=True
    )
    joint_initiatives = models.PositiveSmallIntegerField(
        _("active joint initiatives"), null=True, blank=True
    )
    buying_criteria_count = models.PositiveSmallIntegerField(
        _("buying criteria (count)"),
        null=True,
        blank=True,
        help_text=_("Used when no buying criteria are listed."),
    )
    wallet_estimate = models.DecimalField(
        _("wallet estimate"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[AmountInRange(18, 2)],
    )
    wallet_source = models.CharField(_("wallet source"), max_length=200, blank=True)
    wallet_confidence = models.CharField(
        _("wallet confidence"), max_length=8, choices=WalletConfidence.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("account assessment")
        verbose_name_plural = _("account assessments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(willingness__isnull=True) | models.Q(willingness__lte=10),
                name="assessment_willingness_0_10",
            ),
            models.CheckConstraint(
                condition=models.Q(wallet_estimate__isnull=True) | models.Q(wallet_estimate__gte=0),
                name="assessment_wallet_pos",
            ),
        ]

    def __str__(self) -> str:
        return str(self.account)


class BuyingCriterion(TimeStamped):
    """A criterion the customer buys on (price, quality, delivery…), recorded for an account."""

    account = models.ForeignKey(
        Unit,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="buying_criteria",
    )
    name = models.CharField(_("name"), max_length=120)
    importance = models.PositiveSmallIntegerField(
        _("importance (1–5)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )

    class Meta:
        verbose_name = _("buying criterion")
        verbose_name_plural = _("buying criteria")
        ordering = ["account", "-importance", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="buying_criterion_unique")
        ]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ScoringRun(Heartbeat):
    model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("scoring model"),
        on_delete=models.PROTECT,
        related_name="runs",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress %"), default=0, validators=[MaxValueValidator(100)]
    )
    as_of = models.DateField(_("as of"), validators=[date_in_range])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    accounts_count = models.PositiveIntegerField(_("accounts scored"), default=0)
    candidates_count = models.PositiveIntegerField(_("key candidates"), default=0)
    # accounts left out for bad stored data: [{"account_id", "name", "reason"}]
    skipped = models.JSONField(_("skipped accounts"), default=list, blank=True)
    # data-aware scoring (decision 84): the effective weights of the criteria taking part
    # (key → weight; empty on runs before it: the model's weights) and the criteria left out
    # (key → "no_data" or "constant")
    weights = models.JSONField(_("effective weights"), default=dict, blank=True)
    left_out = models.JSONField(_("criteria left out"), default=dict, blank=True)
    # the learned expected revenue's accuracy on the last held-back period (decision 86)
    forecast = models.JSONField(_("expected revenue model"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="scoring_run_progress_pct"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model} @ {self.as_of} ({self.get_status_display()})"


class Recommendation(models.TextChoices):
    KEY_CANDIDATE = engine.KEY_CANDIDATE, _("Key candidate")
    TRANSACTIONAL = engine.TRANSACTIONAL, _("Transactional")


class Scope(models.TextChoices):
    LOCAL = engine.LOCAL, _("Local")
    NATIONAL = engine.NATIONAL, _("National")
    GLOBAL = engine.GLOBAL, _("Global")


class AccountScore(models.Model):
    """One account's score in one run; it keeps the model version it was computed with."""

    run = models.ForeignKey(
        ScoringRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="scores"
    )
    account = models.ForeignKey(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="scores"
    )
    total = models.FloatField(_("score"))
    potential = models.FloatField(_("purchasing potential"), default=0)
    complexity = models.FloatField(_("buying complexity"), default=0)
    relational = models.FloatField(_("relational orientation"), default=0)
    strategic = models.FloatField(_("strategic"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"))
    recommendation = models.CharField(
        _("recommendation"), max_length=16, choices=Recommendation.choices
    )
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    completeness = models.FloatField(_("data completeness %"))
    countries = models.PositiveSmallIntegerField(_("countries"), default=0)
    regions = models.PositiveSmallIntegerField(_("regions in one country"), default=0)
    willingness = models.FloatField(_("partnership willingness"), null=True, blank=True)
    revenue_12m = models.DecimalField(
        _("revenue, 12 months"), max_digits=18, decimal_places=2, default=0
    )
    wallet = models.DecimalField(
        _("wallet"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    wallet_basis = models.CharField(_("wallet basis"), max_length=8, blank=True)
    share_of_wallet = models.FloatField(_("share of wallet"), null=True, blank=True)
    headroom = models.DecimalField(
        _("headroom"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    gaps = models.JSONField(_("data gaps"), default=list, blank=True)
    # the learned expected revenue of the next 12 months (decision 86):
    # {"value": amount or null, "basis": "learned" | "run_rate", "drivers": [[code, value], …]}
    expected = models.JSONField(_("expected revenue"), default=dict, blank=True)
    # criterion key → [raw value (null: a data gap), normalised value]; the names, groups and
    # weights are those of the run's model (a model is frozen once it has been active)
    values = models.JSONField(_("criterion values"), default=dict, blank=True)

    class Meta:
        verbose_name = _("account score")
        verbose_name_plural = _("account scores")
        ordering = ["run", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="account_score_unique")
        ]
        indexes = [models.Index(fields=["account", "run"], name="account_score_account")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.total:.1f}"

    @property
    def is_candidate(self) -> bool:
        return self.recommendation == Recommendation.KEY_CANDIDATE

    @cached_property
    def breakdown(self) -> dict[str, dict]:
        """Per criterion: name, group, raw, normalised, weight, contribution, gap."""
        return engine.breakdown_of(
            self.values, self.run.model.criteria.all(), self.run.weights or None
        )


class NominationStatus(models.TextChoices):
    """The states a nomination is stored in; its steps are ``workflows.NOMINATION_WORKFLOW``."""

    NOMINATED = "nominated", _("Nominated")
    REJECTED = "rejected", _("Rejected")
    KEY = "key", _("Key account")
    UNDER_REVIEW = "under_review", _("Under review")
    KEPT = "kept", _("Kept after review")
    DEMOTED = "demoted", _("Demoted")


# A nomination in one of these is the account's current one (at most one per account).
OPEN_NOMINATION_STATUSES = ["nominated", "key", "under_review", "kept"]


class NominationEventKind(models.TextChoices):
    """What happened: the score's recommendation, or a step of the nomination workflow."""

    RECOMMENDED = "recommended", _("Recommended by the score")
    NOMINATED = "nominated", _("Nominated")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    REVIEW_STARTED = "review_started", _("Review started")
    KEPT = "kept", _("Kept after review")
    DEMOTED = "demoted", _("Demoted")


class Nomination(TimeStamped):
    """An account's way to key-account status and its periodic reviews (DOMAIN §3.1)."""

    account = models.ForeignKey(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="nominations"
    )
    status = models.CharField(
        _("status"),
        max_length=14,
        choices=NominationStatus.choices,
        default=NominationStatus.NOMINATED,
    )
    score = models.ForeignKey(
        AccountScore,
        verbose_name=_("score"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nominations",
    )
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default="local")
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("nominated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nominations_made",
    )
    rationale = models.TextField(_("rationale"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nominations_decided",
    )
    decision_reason = models.TextField(_("decision reason"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    effective_date = models.DateField(
        _("effective"), null=True, blank=True, validators=[date_in_range]
    )
    review_due = models.DateField(
        _("review due"), null=True, blank=True, validators=[date_in_range]
    )

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status__in=OPEN_NOMINATION_STATUSES),
                name="nomination_one_open_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} — {self.get_status_display()}"


class NominationEvent(models.Model):
    nomination = models.ForeignKey(
        Nomination,
        verbose_name=_("nomination"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    kind = models.CharField(_("event"), max_length=16, choices=NominationEventKind.choices)
    # the status before and after; both empty for an event that changes no status
    from_status = models.CharField(
        _("from"), max_length=14, choices=NominationStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("to"), max_length=14, choices=NominationStatus.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("nomination event")
        verbose_name_plural = _("nomination events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.from_status or '—'} → {self.to_status or '—'}"


class AccountFacts(models.Model):
    """The data-backed scoring inputs of one account, valid from ``since`` until its next row.

    A timeline per top-level account (``identification.facts``): a new row starts wherever any
    figure changes, i.e. on the last day of a month (when the window of full months moves) and
    on the first and last days of positions. Scoring as of a day reads one row per account, the
    newest with ``since`` on or before that day, instead of every roll-up, position and unit.
    Computed from the roll-ups, positions and units; accounts whose data changed are listed in
    :class:`StaleAccount` and computed again before the next read.
    """

    account = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    since = models.DateField()
    # money in whole cents: exact on every database
    revenue_12m_cents = models.BigIntegerField(default=0)
    revenue_prior_12m_cents = models.BigIntegerField(default=0)
    cost_12m_cents = models.BigIntegerField(default=0)
    costed_12m_cents = models.BigIntegerField(default=0)
    purchase_months = models.PositiveSmallIntegerField(default=0)
    contacts = models.PositiveIntegerField(default=0)
    functions = models.PositiveSmallIntegerField(default=0)
    operating_units = models.PositiveIntegerField(default=0)
    countries = models.PositiveSmallIntegerField(default=0)
    regions = models.PositiveSmallIntegerField(default=0)
    region_total = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "since"], name="account_facts_since")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} from {self.since}"


class AccountSeries(models.Model):
    """The monthly sales history of one account, kept with its facts timeline.

    What the expected-revenue model learns from (``predict.History``): per month from
    ``first_month`` on, the account's net revenue in cents, the product lines and the units
    with a roll-up that month, each as an array of little-endian 64-bit integers (a month each;
    read with ``numpy.frombuffer``, so a run's read of 20,000 accounts costs no parsing).
    Computed with the facts (``facts.facts_refresh``) from the same roll-ups, for the same
    stale accounts, so a scoring run reads one row per account instead of aggregating every
    roll-up of 36 months (decision 120).
    """

    account = models.OneToOneField(
        Unit, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    first_month = models.DateField()
    revenue_cents = models.BinaryField()
    lines = models.BinaryField()
    units = models.BinaryField()

    def __str__(self) -> str:
        return f"{self.account_id} from {self.first_month}"


class StaleAccount(models.Model):
    """An account whose facts timeline must be computed again (its data changed).

    Keyed by the account's path, so that a write can list it without a query.
    """

    # "root" is the old name of the account: the field keeps it, because renaming the primary
    # key column rewrites the table and identification.facts reads and writes it by this name.
    root_path = models.CharField(max_length=16, primary_key=True)

    def __str__(self) -> str:
        return self.root_path


class SelectionBacktest(models.Model):
    """The summary of the latest runs of the selection backtest (``kam backtest`` and its page),
    so the executive dashboard can show the newest (the ten newest are kept)."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    as_of = models.DateField(_("cut-off"))
    horizon_months = models.PositiveSmallIntegerField(_("horizon (months)"))
    model_version = models.PositiveIntegerField(_("model version"))
    summary: models.JSONField[Any] = models.JSONField(_("summary"), default=dict)

    class Meta:
        verbose_name = _("selection backtest")
        verbose_name_plural = _("selection backtests")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"v{self.model_version} {self.as_of} +{self.horizon_months}m"
