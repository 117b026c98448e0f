"""Tables of the account profile: what the customer told us about their aims and buying."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.core.models import TimeStamped
from kam.core.validation import date_in_range
from kam.customers.models import Contact, Unit

GOAL_TEXT_MAX = 2000
BUYING_PROCESS_MAX = 10000


class GoalKind(models.TextChoices):
    STRATEGY = "strategy", _("Strategy")
    GOAL = "goal", _("Goal")
    INITIATIVE = "initiative", _("Initiative")


class CustomerGoal(TimeStamped):
    """The customer's strategy, a goal or an initiative of theirs, as one of their people told
    us, and whether the customer confirmed it (DOMAIN §8)."""

    account = models.ForeignKey(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="customer_goals"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=GoalKind.choices)
    text = models.TextField(_("text"), max_length=GOAL_TEXT_MAX)
    source_contact = models.ForeignKey(
        Contact,
        verbose_name=_("told us"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The customer's person who told us."),
    )
    confirmed = models.BooleanField(_("confirmed by the customer"), default=False)
    confirmed_on = models.DateField(
        _("confirmed on"), null=True, blank=True, validators=[date_in_range]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        app_label = "planning"
        verbose_name = _("customer goal")
        verbose_name_plural = _("customer goals")
        ordering = ["account", "kind", "pk"]
        indexes = [models.Index(fields=["account", "kind"], name="customer_goal_account_kind")]

    def __str__(self) -> str:
        return self.text[:80]


class BuyingProcess(TimeStamped):
    """How the account buys: steps, who decides, cycles and tenders (one text per account)."""

    account = models.OneToOneField(
        Unit, verbose_name=_("account"), on_delete=models.CASCADE, related_name="buying_process"
    )
    text = models.TextField(_("buying process"), max_length=BUYING_PROCESS_MAX, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        app_label = "planning"
        verbose_name = _("buying process")
        verbose_name_plural = _("buying processes")

    def __str__(self) -> str:
        return self.text[:80]
