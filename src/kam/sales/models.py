"""Products, transactions and their monthly roll-ups, opportunities, competitors, positions."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kam.core.models import TimeStamped
from kam.core.validation import AmountInRange, amount_limit, date_in_range
from kam.customers.models import Unit


def reporting_currency() -> str:
    """The configured reporting currency (``KAM_CURRENCY``): a line without a currency is in it."""
    return str(settings.KAM_CURRENCY)


class ProductLine(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    line = models.ForeignKey(
        ProductLine,
        verbose_name=_("product line"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _out_of_range(name: str, max_digits: int, decimal_places: int) -> models.Q:
    limit = amount_limit(max_digits, decimal_places)
    return models.Q(**{f"{name}__gt": limit}) | models.Q(**{f"{name}__lt": -limit})


# Lines whose stored amounts do not fit their columns (``selectors.transactions_unreadable_q``
# says why they can exist); indexed by unit where they exist, so a list checks for them without
# reading its lines (decision 128). The digits are the columns' below (a test compares them).
UNREADABLE_TRANSACTION = (
    _out_of_range("net_amount", 16, 2)
    | _out_of_range("quantity", 14, 3)
    | _out_of_range("cost", 16, 2)
)


class Transaction(models.Model):
    """One sales line, written once. Amounts are in the reporting currency (KAM_CURRENCY)."""

    date = models.DateField(_("date"), validators=[date_in_range])
    # Indexed by (unit, date) below; a separate unit index would only slow bulk loads.
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="transactions"
    )
    product_line = models.ForeignKey(
        ProductLine,
        verbose_name=_("product line"),
        on_delete=models.PROTECT,
        related_name="transactions",
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=14,
        decimal_places=3,
        default=0,
        validators=[AmountInRange(14, 3)],
    )
    net_amount = models.DecimalField(
        _("net amount"), max_digits=16, decimal_places=2, validators=[AmountInRange(16, 2)]
    )
    currency = models.CharField(_("currency"), max_length=3, default=reporting_currency)
    cost = models.DecimalField(
        _("cost"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[AmountInRange(16, 2)],
    )
    # Unique through a constraint, not unique=True: on PostgreSQL that would add a second
    # (pattern-ops) index, and each index slows the bulk load of millions of lines.
    external_id = models.CharField(_("external id"), max_length=64, null=True, blank=True)
    # The line as the source system wrote it, before conversion to the reporting currency
    # (empty for lines entered before conversion existed or typed in the reporting currency).
    original_amount = models.DecimalField(
        _("original amount"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[AmountInRange(16, 2)],
    )
    original_currency = models.CharField(_("original currency"), max_length=3, blank=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        indexes = [
            models.Index(fields=["unit", "date"], name="transaction_unit_date"),
            # empty but for lines written before the range checks (or by hand) on SQLite
            models.Index(
                fields=["unit"], condition=UNREADABLE_TRANSACTION, name="transaction_unreadable"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="transaction_external_id_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.unit_id} {self.net_amount}"


class CurrencyRate(models.Model):
    """How much one unit of ``currency`` is in the reporting currency, from ``valid_from`` up to
    ``valid_to`` (open when empty). Imported transaction lines in ``currency`` are converted
    with the rate valid on their date; the latest start wins where ranges overlap."""

    currency = models.CharField(_("currency"), max_length=3)
    valid_from = models.DateField(_("valid from"), validators=[date_in_range])
    valid_to = models.DateField(_("valid to"), null=True, blank=True, validators=[date_in_range])
    rate = models.DecimalField(
        _("rate to the reporting currency"),
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(0), AmountInRange(18, 8)],
    )

    class Meta:
        verbose_name = _("currency rate")
        verbose_name_plural = _("currency rates")
        ordering = ["currency", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="currency_rate_start")
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.valid_from}: {self.rate}"


class MonthlyRollup(models.Model):
    """Sum of transactions per unit × product line × month, kept in step with every write.

    ``account`` is the account of ``unit`` so that account figures are one indexed query.
    """

    # The column keeps its first name, root_id: renaming it would rewrite the largest derived
    # table (millions of rows) for a name, and raw SQL (fast path, facts) uses the column.
    account = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="+", db_column="root_id"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="rollups")
    product_line = models.ForeignKey(ProductLine, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    net_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    quantity = models.DecimalField(max_digits=18, decimal_places=3, default=0)
    cost = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    costed_amount = models.DecimalField(
        max_digits=18,
        decimal_places=2,
        default=0,
        help_text="net amount of the lines that carry a cost (for margin %)",
    )
    lines = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "product_line", "month"], name="rollup_unit_line_month"
            )
        ]
        # Covers the account revenue subquery (account, month → net amount) and the account's
        # revenue by line and month (its profile's chart) without table reads: the portfolio's
        # default order at 100k units and the account page depend on it.
        indexes = [
            models.Index(
                fields=["account", "month", "product_line", "net_amount"],
                name="rollup_root_month_line_amt",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.product_line_id}/{self.month:%Y-%m}: {self.net_amount}"


class AccountRevenue(models.Model):
    """An account's sums over the last 12 full months and the 12 before them, kept for the
    window they cover (decisions 111 and 114): the portfolio sorts every account by the
    revenue, the modes page adds them up by group.

    ``month`` is the first day after the window (``full_months_end``). Writers of roll-ups
    mark the accounts they changed (``month`` emptied, in their own transaction, by the
    ``accounts_changed`` receiver); a row whose window is not today's is stale. The portfolio
    refreshes a few stale accounts before it reads, and reads the live sums when many are
    stale; the worker refreshes them all.
    """

    account = models.OneToOneField(
        Unit, primary_key=True, on_delete=models.CASCADE, related_name="kept_revenue"
    )
    month = models.DateField(null=True)
    revenue_12m = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    prior_12m = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    cost_12m = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    costed_12m = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # the gross margin's inputs in each quarter of the last nine full months, oldest first,
    # over the roll-ups with a costed amount (the programme's margin erosion, decision 123)
    costed_q1 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    costed_q2 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    costed_q3 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    cost_q1 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    cost_q2 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    cost_q3 = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        indexes = [models.Index(fields=["month"], name="kept_revenue_month")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month}: {self.revenue_12m}"


class KeptDiscount(models.Model):
    """Whether an account's kept list-price sums (``KeptDiscountMonth``) are current (decision
    122): the metric ``sales.discount_pct`` adds them up instead of reading a year of raw sales.

    Writers of sales mark the accounts they changed (``accounts_changed``), a list price or a
    currency rate marks every account; a refresh recomputes the marked ones. Accounts with a row
    are kept: key accounts (the worker adds them) and accounts asked for one by one."""

    account = models.OneToOneField(
        Unit, primary_key=True, on_delete=models.CASCADE, related_name="kept_discount"
    )
    current = models.BooleanField(default=False)
    computed_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["current"], name="kept_discount_current")]

    def __str__(self) -> str:
        return f"{self.account_id} {'current' if self.current else 'stale'}"


class KeptDiscountMonth(models.Model):
    """One account's sales of one month whose product had a list price on the sale's day: their
    net amount and their quantity at that list price (in the reporting currency)."""

    account = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    net_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    listed_amount = models.DecimalField(max_digits=20, decimal_places=4, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="kept_discount_month")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m}: {self.net_amount}/{self.listed_amount}"


class OpportunityStage(models.TextChoices):
    QUALIFY = "qualify", _("Qualify")
    DEVELOP = "develop", _("Develop")
    PROPOSE = "propose", _("Propose")
    NEGOTIATE = "negotiate", _("Negotiate")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Opportunity(TimeStamped):
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="opportunities"
    )
    product_line = models.ForeignKey(
        ProductLine,
        verbose_name=_("product line"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
        help_text=_("Optional; its product line is then the opportunity's line."),
    )
    name = models.CharField(_("name"), max_length=200)
    engaged_on = models.DateField(
        _("engaged on"),
        null=True,
        blank=True,
        validators=[date_in_range],
        help_text=_("When the opportunity was opened (its creation date in the CRM)."),
    )
    stage = models.CharField(
        _("stage"), max_length=12, choices=OpportunityStage.choices, default="qualify"
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=16,
        decimal_places=2,
        default=0,
        validators=[AmountInRange(16, 2)],
    )
    probability = models.PositiveSmallIntegerField(
        _("probability %"), default=10, validators=[MaxValueValidator(100)]
    )
    expected_close = models.DateField(
        _("expected close"), null=True, blank=True, validators=[date_in_range]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["expected_close"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="opportunity_probability_pct"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Competitor(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CompetitorShare(TimeStamped):
    """A competitor's estimated share of an account's spend on a product line."""

    account = models.ForeignKey(
        Unit,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="competitor_shares",
    )
    product_line = models.ForeignKey(
        ProductLine, verbose_name=_("product line"), on_delete=models.CASCADE
    )
    competitor = models.ForeignKey(
        Competitor,
        verbose_name=_("competitor"),
        on_delete=models.CASCADE,
        related_name="shares",
    )
    share_pct = models.DecimalField(
        _("share %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    as_of = models.DateField(_("as of"), validators=[date_in_range])
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("competitor share")
        verbose_name_plural = _("competitor shares")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "product_line", "competitor"], name="competitor_share_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(share_pct__gte=0) & models.Q(share_pct__lte=100),
                name="competitor_share_pct",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competitor_id} {self.share_pct}%"


class SupplierPositionLevel(models.TextChoices):
    NOT_APPROVED = "not_approved", _("Not approved")
    APPROVED = "approved", _("Approved")
    PREFERRED = "preferred", _("Preferred")
    PRIMARY = "primary", _("Primary")
    SOLE = "sole", _("Sole")
    STRATEGIC = "strategic", _("Strategic partner")


POSITION_ORDER = [level.value for level in SupplierPositionLevel]


class SupplierPosition(models.Model):
    """Our supplier status at an account from a date on; the newest row is the current one."""

    account = models.ForeignKey(
        Unit,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="supplier_positions",
    )
    position = models.CharField(_("position"), max_length=16, choices=SupplierPositionLevel.choices)
    since = models.DateField(_("since"), validators=[date_in_range])
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supplier position")
        verbose_name_plural = _("supplier positions")
        ordering = ["-since", "-recorded_at"]
        indexes = [models.Index(fields=["account", "-since"], name="position_account_since")]

    def __str__(self) -> str:
        return f"{self.get_position_display()} ({self.since})"


class CostCategory(models.TextChoices):
    LOGISTICS = "logistics", _("Logistics")
    SERVICE = "service", _("Service hours and field service")
    SPECIAL_TERMS = "special_terms", _("Special terms")
    OTHER = "other", _("Other")


class CostToServe(TimeStamped):
    """What serving a customer unit cost in one month, by category, in the reporting currency.

    One row per unit, month and category; ``month`` is the first day of the month. The account
    metric ``sales.cost_to_serve`` sums an account's subtree over the last 12 full months.
    """

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="costs_to_serve"
    )
    month = models.DateField(_("month"), validators=[date_in_range])
    category = models.CharField(_("category"), max_length=16, choices=CostCategory.choices)
    amount = models.DecimalField(
        _("amount"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(0), AmountInRange(16, 2)],
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cost to serve")
        verbose_name_plural = _("costs to serve")
        ordering = ["-month", "unit_id", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "category"], name="cost_to_serve_unit_month_category"
            )
        ]
        indexes = [models.Index(fields=["month"], name="cost_to_serve_month")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.category}: {self.amount}"


class ListPrice(models.Model):
    """A product's list price per unit from ``valid_from`` on (until the next row's start).

    The sales metric ``sales.discount_pct`` compares each sale with the list price valid on its
    date (decision 105: a price per unit over a product mix is no discount)."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="list_prices"
    )
    valid_from = models.DateField(_("valid from"), validators=[date_in_range])
    price = models.DecimalField(
        _("list price per unit"),
        max_digits=16,
        decimal_places=4,
        validators=[MinValueValidator(0), AmountInRange(16, 4)],
    )
    currency = models.CharField(_("currency"), max_length=3, default=reporting_currency)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("list price")
        verbose_name_plural = _("list prices")
        ordering = ["product_id", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["product", "valid_from"], name="list_price_start")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.valid_from}: {self.price} {self.currency}"
