"""Tables of the account profile and the account plan (PRODUCT §4, DOMAIN §8).

A plan belongs to one account and one period. Its sections are rows of their own (customer
objectives, SWOT items, strategies, risks, our objectives, actions) so that each can be edited
in place; ``AccountPlan.revision`` goes up with every edit of the plan or of any of its sections,
which is what an edit form or an API write carries back (optimistic concurrency, decision 41).
Each approval keeps a :class:`PlanVersion` with a snapshot of the whole plan.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from kam.core.models import TimeStamped
from kam.core.validation import AmountInRange, date_in_range
from kam.customers.models import Contact, Unit
from kam.interactions.models import Interaction
from kam.sales.models import Competitor, ProductLine

# Objective values: money, per cent, counts; 15 significant digits keep them exact everywhere.
VALUE_DIGITS, VALUE_PLACES = 15, 2


class PlanStatus(models.TextChoices):
    """The states a plan is stored in; its steps are ``workflows.PLAN_WORKFLOW``."""

    DRAFT = "draft", pgettext_lazy("plan status", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("plan status", "Submitted")
    APPROVED = "approved", pgettext_lazy("plan status", "Approved")
    REVIEW_DUE = "review_due", pgettext_lazy("plan status", "Review due")


class PlanEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    SUBMITTED = "submitted", pgettext_lazy("plan event", "Submitted")
    APPROVED = "approved", pgettext_lazy("plan event", "Approved")
    REJECTED = "rejected", pgettext_lazy("plan event", "Rejected")
    REVIEW_DUE = "review_due", pgettext_lazy("plan event", "Review due")
    REVIEWED = "reviewed", pgettext_lazy("plan event", "Review recorded")
    REOPENED = "reopened", pgettext_lazy("plan event", "Reopened for changes")


class AccountPlan(TimeStamped):
    """The plan of one account for one period: mission, sections, objectives and actions."""

    account = models.ForeignKey(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="plans"
    )
    period_start = models.DateField(_("period start"), validators=[date_in_range])
    period_end = models.DateField(_("period end"), validators=[date_in_range])
    mission = models.TextField(_("mission for the account"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    # Goes up by one with every change of the plan or of one of its sections (decision 41).
    revision = models.PositiveIntegerField(_("revision"), default=1)
    review_cadence_months = models.PositiveSmallIntegerField(_("review every (months)"), default=3)
    next_review_due = models.DateField(
        _("next review due"), null=True, blank=True, validators=[date_in_range]
    )
    # The relationship stage the plan aims at (from the quadrant's template), blank when none.
    target_stage = models.CharField(_("target stage"), max_length=16, blank=True)
    quadrant = models.CharField(_("portfolio quadrant"), max_length=12, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans_created",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["revision"])

    # What the plan form edits, in its order.
    DETAIL_FIELDS = ("period_start", "period_end", "mission", "review_cadence_months")

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period_start"], name="plan_one_per_account_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="plan_period_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_review_due"], name="plan_status_review")]

    def __str__(self) -> str:
        return f"{self.account} {self.period_start:%Y-%m}–{self.period_end:%Y-%m}"


class CustomerObjective(models.Model):
    """A goal or initiative of the customer as we heard it: who told us, did they confirm it."""

    plan = models.ForeignKey(
        AccountPlan, on_delete=models.CASCADE, related_name="customer_objectives"
    )
    text = models.TextField(_("customer's goal or initiative"))
    told_by = models.CharField(_("who told us"), max_length=200, blank=True)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed = models.BooleanField(_("confirmed by the customer"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("customer objective")
        verbose_name_plural = _("customer objectives")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class SwotKind(models.TextChoices):
    STRENGTH = "strength", _("Strength")
    WEAKNESS = "weakness", _("Weakness")
    OPPORTUNITY = "opportunity", pgettext_lazy("SWOT", "Opportunity")
    THREAT = "threat", _("Threat")


class SwotItem(models.Model):
    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="swot_items")
    kind = models.CharField(_("kind"), max_length=12, choices=SwotKind.choices)
    text = models.TextField(_("text"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("SWOT item")
        verbose_name_plural = _("SWOT items")
        ordering = ["kind", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text[:60]}"


class Strategy(models.Model):
    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="strategies")
    text = models.TextField(_("strategy"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class Risk(models.Model):
    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="risks")
    text = models.TextField(_("risk"))
    mitigation = models.TextField(_("mitigation"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class Objective(models.Model):
    """Our objective: a metric (from the registry) or a manual measure, a target, a deadline.

    With a ``metric_key`` the current value is computed live from the data; without one it is
    the latest :class:`ObjectiveUpdate` (kept in ``current_value``). A level metric has a
    ``target_level`` instead of a ``target_value``.
    """

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(_("title"), max_length=200)
    metric_key = models.CharField(
        _("metric"),
        max_length=64,
        blank=True,
        help_text=_("A metric computed from the data; blank for an objective updated by hand."),
    )
    baseline = models.DecimalField(
        _("baseline"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        null=True,
        blank=True,
        validators=[AmountInRange(VALUE_DIGITS, VALUE_PLACES)],
    )
    baseline_level = models.CharField(_("baseline level"), max_length=32, blank=True)
    target_value = models.DecimalField(
        _("target"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        null=True,
        blank=True,
        validators=[AmountInRange(VALUE_DIGITS, VALUE_PLACES)],
    )
    target_level = models.CharField(_("target level"), max_length=32, blank=True)
    deadline = models.DateField(_("deadline"), validators=[date_in_range])
    # The latest manual value (manual objectives): kept from the newest ObjectiveUpdate.
    current_value = models.DecimalField(
        _("current value"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        null=True,
        blank=True,
        validators=[AmountInRange(VALUE_DIGITS, VALUE_PLACES)],
    )
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class ObjectiveUpdate(models.Model):
    """A value of a manual objective on a date, with a note and its author."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="updates")
    date = models.DateField(_("date"), validators=[date_in_range])
    value = models.DecimalField(
        _("value"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        validators=[AmountInRange(VALUE_DIGITS, VALUE_PLACES)],
    )
    note = models.TextField(_("note"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("objective update")
        verbose_name_plural = _("objective updates")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date}: {self.value}"


class ActionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("action status", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("action status", "In progress")
    DONE = "done", pgettext_lazy("action status", "Done")
    CANCELLED = "cancelled", pgettext_lazy("action status", "Cancelled")


OPEN_ACTION_STATUSES = [ActionStatus.OPEN.value, ActionStatus.IN_PROGRESS.value]


class Action(TimeStamped):
    """Something one person (anyone in the company) does for the plan, by a date."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="plan_actions",
    )
    due_date = models.DateField(_("due"), validators=[date_in_range])
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_actions",
        help_text=_("A unit of the account (the account itself when blank)."),
    )
    objective = models.ForeignKey(
        Objective,
        verbose_name=_("objective"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("completed by the interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_actions",
    )
    history = HistoricalRecords()

    # What the action form edits; an action's owner may change only OWNER_FIELDS.
    DETAIL_FIELDS = ("title", "owner", "due_date", "status", "unit", "objective", "note")
    OWNER_FIELDS = ("status", "note")

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="action_owner_status_due"),
            models.Index(fields=["plan", "status", "due_date"], name="action_plan_status_due"),
        ]

    def __str__(self) -> str:
        return self.title


class ReviewOutcome(models.TextChoices):
    CONFIRMED = "confirmed", _("Plan confirmed, continue")
    REVISE = "revise", _("Plan to be revised")


class PlanReview(models.Model):
    """The record of a periodic review of an approved plan."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="reviews")
    date = models.DateField(_("date"), validators=[date_in_range])
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=ReviewOutcome.choices)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan review")
        verbose_name_plural = _("plan reviews")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.date}: {self.outcome}"


class PlanEvent(models.Model):
    """A step of the plan workflow with its actor (written in the step's transaction)."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    kind = models.CharField(_("event"), max_length=12, choices=PlanEventKind.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=PlanStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=PlanStatus.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("plan event")
        verbose_name_plural = _("plan events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.from_status or '—'} → {self.to_status or '—'}"


class PlanVersion(models.Model):
    """The plan as it was approved: a self-contained snapshot (``snapshot.plan_snapshot``)."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    approved_at = models.DateTimeField(_("approved"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    snapshot = models.JSONField(_("snapshot"))

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.number}"


class Quadrant(models.TextChoices):
    """The portfolio quadrants of DOMAIN §4 (the codes identification's matrix uses)."""

    STRATEGIC = "strategic", pgettext_lazy("portfolio quadrant", "Strategic")
    STAR = "star", pgettext_lazy("portfolio quadrant", "Star")
    STATUS = "status", pgettext_lazy("portfolio quadrant", "Status")
    STREAMLINE = "streamline", pgettext_lazy("portfolio quadrant", "Streamline")


class PlanTemplate(TimeStamped):
    """What a new plan for an account in ``quadrant`` starts with (stored configuration)."""

    quadrant = models.CharField(
        _("portfolio quadrant"), max_length=12, choices=Quadrant.choices, unique=True
    )
    policy = models.TextField(_("policy"), blank=True)
    mission = models.TextField(_("mission to start from"), blank=True)
    target_stage = models.CharField(_("target stage"), max_length=16, blank=True)
    review_cadence_months = models.PositiveSmallIntegerField(_("review every (months)"), default=3)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("plan template")
        verbose_name_plural = _("plan templates")
        ordering = ["quadrant"]

    def __str__(self) -> str:
        return str(self.get_quadrant_display())


class TargetRule(models.TextChoices):
    """How a template objective's target follows from the account's current value."""

    GROW_PERCENT = "grow_percent", _("grow by a percentage of the current value")
    ADD = "add", _("add an amount to the current value")
    AT_LEAST = "at_least", _("reach at least a value")
    KEEP = "keep", _("keep the current value")
    LEVEL = "level", _("reach a level")


class PlanTemplateObjective(models.Model):
    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(_("title"), max_length=200)
    metric_key = models.CharField(_("metric"), max_length=64)
    rule = models.CharField(_("target rule"), max_length=12, choices=TargetRule.choices)
    amount = models.DecimalField(
        _("amount"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        null=True,
        blank=True,
        validators=[AmountInRange(VALUE_DIGITS, VALUE_PLACES)],
    )
    level = models.CharField(_("level"), max_length=32, blank=True)
    months = models.PositiveSmallIntegerField(
        _("deadline (months after the period start)"), default=12
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("template objective")
        verbose_name_plural = _("template objectives")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


# --- White space (decision 46) ---------------------------------------------------------------


class WhiteSpaceStatus(models.TextChoices):
    OURS = "ours", _("Ours")
    COMPETITOR = "competitor", _("Competitor")
    NOT_BOUGHT = "not_bought", _("Not bought")
    OPPORTUNITY = "opportunity", _("Open opportunity")
    BLOCKED = "blocked", _("Blocked")


class WhiteSpaceCell(models.Model):
    """One cell of an account's white space: a unit of the account × a product line.

    Account-level, not per plan version (a plan shows the current matrix). A missing cell reads
    as "not bought" with no potential. Current revenue is computed from the monthly roll-ups,
    never stored. ``edited`` marks a cell a person changed: the pre-fill never overwrites it.
    """

    account = models.ForeignKey(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="white_space"
    )
    product_line = models.ForeignKey(
        ProductLine, verbose_name=_("product line"), on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=WhiteSpaceStatus.choices,
        default=WhiteSpaceStatus.NOT_BOUGHT,
    )
    competitor = models.ForeignKey(
        Competitor,
        verbose_name=_("competitor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    potential = models.DecimalField(
        _("potential"),
        max_digits=16,
        decimal_places=2,
        default=0,
        validators=[AmountInRange(16, 2)],
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    edited = models.BooleanField(_("edited by a person"), default=False)
    # moved on by every person's edit (compare-and-set, decision 100); a missing cell is 0
    revision = models.PositiveIntegerField(_("revision"), default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("white space cell")
        verbose_name_plural = _("white space cells")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "product_line"], name="white_space_cell_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(potential__gte=0), name="white_space_potential"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "product_line"], name="white_space_account_line")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.product_line_id}: {self.status}"


# the account profile's tables live in their own module (kam.planning.profile)
from .profile.models import BuyingProcess, CustomerGoal, GoalKind  # noqa: E402, F401
