"""Tables of the buying centre: roles, placeholders, our links, stage (DOMAIN §5, §7).

Who is who:
- ``account`` fields always point at a top-level customer unit (an account, see
  ``customers.Unit.account``); ``unit`` fields may point at any unit of that account.
- "their" people are ``customers.Contact`` rows, "our" people are users.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from kam.core.models import TimeStamped
from kam.core.validation import date_in_range
from kam.customers.models import Contact, CustomerFunction, Unit
from kam.sales.models import Opportunity


class BuyingRoleKind(models.TextChoices):
    """The roles of the buying centre (DOMAIN §5): a contact may hold several."""

    INITIATOR = "initiator", pgettext_lazy("buying role", "Initiator")
    USER = "user", pgettext_lazy("buying role", "User")
    INFLUENCER = "influencer", pgettext_lazy("buying role", "Influencer")
    DECIDER = "decider", pgettext_lazy("buying role", "Decider")
    APPROVER = "approver", pgettext_lazy("buying role", "Approver")
    BUYER = "buyer", pgettext_lazy("buying role", "Buyer")
    GATEKEEPER = "gatekeeper", pgettext_lazy("buying role", "Gatekeeper")


class Attitude(models.TextChoices):
    """How a contact stands towards us, best first."""

    CHAMPION = "champion", pgettext_lazy("attitude", "Champion")
    SUPPORTER = "supporter", pgettext_lazy("attitude", "Supporter")
    NEUTRAL = "neutral", pgettext_lazy("attitude", "Neutral")
    CRITIC = "critic", pgettext_lazy("attitude", "Critic")
    OPPONENT = "opponent", pgettext_lazy("attitude", "Opponent")


class DecisionOrientation(models.TextChoices):
    """What a contact weighs most when deciding (decision record 48)."""

    PRICE = "price", pgettext_lazy("decision orientation", "Price and cost")
    QUALITY = "quality", pgettext_lazy("decision orientation", "Quality and technology")
    SERVICE = "service", pgettext_lazy("decision orientation", "Service and reliability")
    RISK = "risk", pgettext_lazy("decision orientation", "Risk avoidance")
    INNOVATION = "innovation", pgettext_lazy("decision orientation", "Innovation and growth")
    RELATIONSHIP = "relationship", pgettext_lazy("decision orientation", "Relationship and trust")


class OpportunityRoleKind(models.TextChoices):
    """Optional roles of a contact on one opportunity (DOMAIN §5)."""

    ECONOMIC = "economic", pgettext_lazy("opportunity role", "Economic buyer")
    TECHNICAL = "technical", pgettext_lazy("opportunity role", "Technical buyer")
    USER_BUYER = "user_buyer", pgettext_lazy("opportunity role", "User buyer")
    COACH = "coach", pgettext_lazy("opportunity role", "Coach")


class LinkLevel(models.IntegerChoices):
    """Relationship level of one of our people with one of theirs, as judged by our person."""

    NONE = 0, pgettext_lazy("link level", "None")
    AWARE = 1, pgettext_lazy("link level", "Aware")
    WORKING = 2, pgettext_lazy("link level", "Working")
    TRUSTED = 3, pgettext_lazy("link level", "Trusted")
    ADVISOR = 4, pgettext_lazy("link level", "Advisor")


class SharingLevel(models.IntegerChoices):
    """Information the customer shares with us (DOMAIN §7)."""

    NONE = 0, pgettext_lazy("information sharing", "None")
    ORDERS = 1, pgettext_lazy("information sharing", "Orders")
    FORECASTS = 2, pgettext_lazy("information sharing", "Forecasts")
    PLANS = 3, pgettext_lazy("information sharing", "Plans and costs")
    STRATEGY = 4, pgettext_lazy("information sharing", "Strategy and open books")


class Stage(models.TextChoices):
    """Relationship development stage (DOMAIN §7), in the order of progress.

    ``uncoupling`` is last but is not "beyond" synergistic: the metric registry ranks it
    below ``pre`` (decision record 50).
    """

    PRE = "pre", pgettext_lazy("relationship stage", "Pre-KAM")
    EARLY = "early", pgettext_lazy("relationship stage", "Early")
    MID = "mid", pgettext_lazy("relationship stage", "Mid")
    PARTNERSHIP = "partnership", pgettext_lazy("relationship stage", "Partnership")
    SYNERGISTIC = "synergistic", pgettext_lazy("relationship stage", "Synergistic")
    UNCOUPLING = "uncoupling", pgettext_lazy("relationship stage", "Uncoupling")


def default_type_weights() -> dict[str, float]:
    """Weight of one interaction by type for the activity strength (DOMAIN §5, ours)."""
    return {
        "meeting": 3.0,
        "visit": 3.0,
        "workshop": 3.0,
        "review": 4.0,
        "executive": 5.0,
        "call": 1.0,
        "email": 0.5,
        "service": 1.0,
    }


def default_required_roles() -> list[str]:
    """Required roles of role coverage: decider, buyer, ≥1 influencer, ≥1 user, a champion."""
    return ["decider", "buyer", "influencer", "user", "champion"]


def default_stage_rules() -> dict[str, float]:
    """Thresholds of the stage rules (DOMAIN §7); ``min_present`` is the share of a rule's
    inputs that must have data for the rule to match (decision record 50)."""
    return {
        "uncoupling_revenue_drop_pct": 30.0,
        "synergistic_min_functions": 5.0,
        "partnership_agreement_months": 24.0,
        "partnership_min_sharing": 3.0,
        "partnership_min_functions": 4.0,
        "partnership_min_wallet_pct": 50.0,
        "mid_min_wallet_pct": 25.0,
        "mid_min_functions": 3.0,
        "early_max_functions": 2.0,
        "min_present": 0.5,
    }


def default_strength_bands() -> list[float]:
    """Lower strength bounds of judged levels 1..4 (decision record 49)."""
    return [0.5, 2.0, 5.0, 10.0]


class RelationshipSettings(TimeStamped):
    """The configurable defaults of DOMAIN §5 and §7 (one row; versioned by its history).

    Read through ``selectors.relationship_settings()``, which creates the row with the
    documented defaults when it is missing.
    """

    type_weights = models.JSONField(_("interaction type weights"), default=default_type_weights)
    half_life_days = models.PositiveSmallIntegerField(
        _("half-life of activity strength (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    strength_bands = models.JSONField(
        _("strength from which a link counts as aware, working, trusted, advisor"),
        default=default_strength_bands,
    )
    disagreement_gap = models.PositiveSmallIntegerField(
        _("levels between judgement and activity that raise the flag"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    coverage_window_days = models.PositiveSmallIntegerField(
        _("window of contact coverage (days)"), default=180
    )
    coverage_multiple_max = models.PositiveSmallIntegerField(
        _("most interactions counted as multiple (more is in depth)"), default=5
    )
    required_roles = models.JSONField(_("required roles"), default=default_required_roles)
    spof_share = models.DecimalField(
        _("single point of failure: share of ties through one person"),
        max_digits=4,
        decimal_places=2,
        default=0.6,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    bowtie_min_k = models.DecimalField(
        _("bow-tie: lowest KAM centrality"), max_digits=4, decimal_places=2, default=0.7
    )
    bowtie_max_functions = models.PositiveSmallIntegerField(
        _("bow-tie: most customer functions reached"), default=2
    )
    diamond_max_k = models.DecimalField(
        _("diamond: highest KAM centrality"), max_digits=4, decimal_places=2, default=0.5
    )
    diamond_min_functions = models.PositiveSmallIntegerField(
        _("diamond: fewest customer functions reached"), default=4
    )
    decider_silence_days = models.PositiveSmallIntegerField(
        _("gap: decider not contacted for (days)"), default=60
    )
    stage_rules = models.JSONField(_("stage rule thresholds"), default=default_stage_rules)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("relationship settings")
        verbose_name_plural = _("relationship settings")

    def __str__(self) -> str:
        return str(_("relationship settings"))


class ContactStance(TimeStamped):
    """Where one contact stands in one account's buying centre: attitude, influence, orientation.

    A contact holds a stance per account (a person may sit in two customers' buying centres
    over a career); their roles there are :class:`BuyingRole` rows.
    """

    account = models.ForeignKey(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="stances"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="stances"
    )
    attitude = models.CharField(
        _("attitude"), max_length=12, choices=Attitude.choices, default=Attitude.NEUTRAL
    )
    # 1 (little) … 5 (decisive)
    influence = models.PositiveSmallIntegerField(
        _("influence"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    orientation = models.CharField(
        _("decision orientation"), max_length=12, choices=DecisionOrientation.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stance in the buying centre")
        verbose_name_plural = _("stances in the buying centre")
        constraints = [
            models.UniqueConstraint(fields=["account", "contact"], name="stance_account_contact"),
            models.CheckConstraint(
                condition=models.Q(influence__gte=1) & models.Q(influence__lte=5),
                name="stance_influence_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "attitude"], name="stance_account_attitude"),
            # "champions of ours at other accounts" probes each of an account's people: only
            # the champions' rows, so a probe of someone who is none reads one small page
            # (decision 131)
            models.Index(
                fields=["contact", "account"],
                name="stance_champion_contact",
                condition=models.Q(attitude="champion"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}@{self.account_id}: {self.attitude}"


class BuyingRole(TimeStamped):
    """One buying-centre role held by a contact at an account (several rows for several roles)."""

    account = models.ForeignKey(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="buying_roles"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="buying_roles"
    )
    role = models.CharField(_("role"), max_length=12, choices=BuyingRoleKind.choices)
    # the placeholder this role came from, when it was filled (blank when entered directly)
    from_placeholder = models.ForeignKey(
        "Placeholder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("buying role")
        verbose_name_plural = _("buying roles")
        ordering = ["account_id", "contact_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "contact", "role"], name="buying_role_unique"
            )
        ]
        indexes = [models.Index(fields=["account", "role"], name="buying_role_account_role")]

    def __str__(self) -> str:
        return f"{self.contact_id}@{self.account_id}: {self.role}"


class OpportunityRole(TimeStamped):
    """A contact's role on one opportunity (economic, technical, user buyer, coach)."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="contact_roles",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="opportunity_roles",
    )
    role = models.CharField(_("role"), max_length=12, choices=OpportunityRoleKind.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("opportunity role")
        verbose_name_plural = _("opportunity roles")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "contact", "role"], name="opportunity_role_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}@{self.opportunity_id}: {self.role}"


class Placeholder(TimeStamped):
    """A buying-centre role whose person we do not know yet ("no decider known at the Berlin site").

    Open while ``filled_by`` is empty; ``services.placeholder_fill`` gives its role to a contact
    (a :class:`BuyingRole` row) and records who filled it and when.
    """

    account = models.ForeignKey(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="placeholders"
    )
    # the unit of the account where the person is expected (blank: anywhere in the account)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="placeholders_here",
    )
    role = models.CharField(_("role"), max_length=12, choices=BuyingRoleKind.choices)
    function = models.CharField(
        _("function"), max_length=20, choices=CustomerFunction.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    filled_by = models.ForeignKey(
        Contact,
        verbose_name=_("filled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="filled_placeholders",
    )
    filled_at = models.DateTimeField(_("filled"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("placeholder")
        verbose_name_plural = _("placeholders")
        ordering = ["account_id", "role", "id"]
        indexes = [models.Index(fields=["account", "filled_by"], name="placeholder_account_open")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.role} ({self.note})"

    @property
    def is_open(self) -> bool:
        return self.filled_by_id is None


class OurLink(TimeStamped):
    """How well one of our people knows one of theirs, as judged by our person (level 0–4)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our person"),
        on_delete=models.CASCADE,
        related_name="contact_links",
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="our_links"
    )
    level = models.PositiveSmallIntegerField(
        _("relationship level"), choices=LinkLevel.choices, default=LinkLevel.NONE
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("our link")
        verbose_name_plural = _("our links")
        constraints = [
            models.UniqueConstraint(fields=["user", "contact"], name="our_link_unique"),
            models.CheckConstraint(condition=models.Q(level__lte=4), name="our_link_level_0_4"),
        ]
        indexes = [models.Index(fields=["contact", "level"], name="our_link_contact")]

    def __str__(self) -> str:
        return f"{self.user_id}→{self.contact_id}: {self.level}"


class LinkStrength(models.Model):
    """Activity strength of our person × their contact, kept (DOMAIN §5, decision record 49).

    ``strength`` = Σ weight(type) · 2^(−age in days / half-life) over the interactions both
    took part in, with ages counted to ``as_of``. Decay is multiplicative, so the strength on a
    later day d is ``strength · 2^(−(d − as_of) / half-life)`` without recomputation; a write
    of an interaction marks its pairs in :class:`StaleLink` and ``services.strengths_refresh``
    recomputes only those. ``disagrees`` is set when the judged level (``OurLink``) and the
    level the strength stands for differ by ``RelationshipSettings.disagreement_gap`` or more.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="link_strengths")
    strength = models.FloatField(_("activity strength"), default=0.0)
    as_of = models.DateField(_("computed as of"))
    interactions = models.PositiveIntegerField(_("shared interactions"), default=0)
    last_interaction = models.DateField(_("last shared interaction"), null=True, blank=True)
    # the level 0–4 the strength stands for on ``as_of`` (bands of RelationshipSettings)
    activity_level = models.PositiveSmallIntegerField(_("activity level"), default=0)
    disagrees = models.BooleanField(_("judgement and activity disagree"), default=False)

    class Meta:
        verbose_name = _("link strength")
        verbose_name_plural = _("link strengths")
        constraints = [
            models.UniqueConstraint(fields=["user", "contact"], name="link_strength_unique")
        ]
        indexes = [models.Index(fields=["contact"], name="link_strength_contact")]

    def __str__(self) -> str:
        return f"{self.user_id}→{self.contact_id}: {self.strength:.2f}"


class StaleLink(models.Model):
    """A pair (our person × their contact) whose :class:`LinkStrength` must be computed again.

    Written by the interaction signals in the writer's own transaction.
    """

    user_id = models.IntegerField()
    contact_id = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "contact_id"], name="stale_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}→{self.contact_id}"


class InformationSharing(models.Model):
    """The information-sharing level of an account from a date on (DOMAIN §7).

    The newest row is the current level; older rows are its history.
    """

    account = models.ForeignKey(
        Unit,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="information_sharing",
    )
    level = models.PositiveSmallIntegerField(_("information sharing"), choices=SharingLevel.choices)
    since = models.DateField(_("since"), validators=[date_in_range])
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("information-sharing level")
        verbose_name_plural = _("information-sharing levels")
        ordering = ["-since", "-recorded_at"]
        indexes = [models.Index(fields=["account", "-since"], name="sharing_account_since")]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__lte=4), name="sharing_level_0_4")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.level} ({self.since})"


class StageAssessment(models.Model):
    """A KAM's decision on an account's relationship stage (DOMAIN §7); rows are its history.

    Each row keeps the stage the rules suggested at the time (``suggested``, ``evidence``,
    ``confidence``) and the stage the KAM set (``confirmed``); ``override_reason`` is required
    when they differ. The newest row is the account's confirmed stage.
    ``evidence`` = ``{"rule": stage, "inputs": [{"name", "value", "present", "met"}, …]}``.
    """

    account = models.ForeignKey(
        Unit,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="stage_assessments",
    )
    suggested = models.CharField(_("suggested stage"), max_length=12, choices=Stage.choices)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    # share of the matched rule's inputs that had data, 0–1
    confidence = models.DecimalField(
        _("confidence"),
        max_digits=4,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    confirmed = models.CharField(_("confirmed stage"), max_length=12, choices=Stage.choices)
    override_reason = models.TextField(_("reason for the override"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), db_index=True)

    class Meta:
        verbose_name = _("stage assessment")
        verbose_name_plural = _("stage assessments")
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["account", "-decided_at"], name="stage_account_decided")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.confirmed} ({self.decided_at:%Y-%m-%d})"

    @property
    def is_override(self) -> bool:
        return self.confirmed != self.suggested

    def evidence_inputs(self) -> list[dict[str, Any]]:
        inputs = self.evidence.get("inputs", []) if isinstance(self.evidence, dict) else []
        return list(inputs)


class AccountFigures(models.Model):
    """The coverage matrix (by role and by function), its figures and the map's clustered
    overview of one account, kept for one day (decision 106).

    ``payload`` (the matrix and its figures) and ``overview`` hold facts without names or
    labels (``heatmap.account_figures``); the pages and the API add those when they read them.
    Writes of the inputs append a :class:`StaleFigures` mark in their own transaction; a read
    uses the kept facts while they are of today and unmarked, else computes, keeps and returns
    them; the worker refreshes marked and older rows (``services.figures_refresh_due``).
    """

    account = models.OneToOneField(
        Unit,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="relationship_figures",
    )
    as_of = models.DateField(_("computed as of"))
    payload: models.JSONField[Any] = models.JSONField(_("figures"), default=dict)
    # apart, so that a read of the matrix does not parse the overview's thousands of edges
    overview: models.JSONField[Any] = models.JSONField(default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("kept coverage figures")
        verbose_name_plural = _("kept coverage figures")

    def __str__(self) -> str:
        return f"{self.account_id} {self.as_of}"


class StaleFigures(models.Model):
    """One write that changed an input of the kept figures of the account at ``root_path``.

    Appended, never updated, so that writers never wait for each other; a refresh deletes the
    marks it saw before computing, so a mark written meanwhile survives (as decision 95).
    """

    root_path = models.CharField(max_length=255)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["root_path"], name="stale_figures_path")]

    def __str__(self) -> str:
        return f"{self.root_path} {self.at}"
