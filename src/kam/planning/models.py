"""Tables of the account profile and the account plan."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.core.validation import AmountInRange
from kam.customers.models import Unit
from kam.sales.models import Competitor, ProductLine


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
