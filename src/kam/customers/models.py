"""The customer organisation tree, contacts and their employment history (the org chart)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node

from kam.core.models import TimeStamped


class UnitKind(models.TextChoices):
    GROUP = "group", _("Group")
    COMPANY = "company", _("Company")
    DIVISION = "division", _("Division")
    FUNCTION = "function", _("Functional area")
    SITE = "site", _("Site")


class Tier(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transactional")
    KEY = "key", _("Key account")
    NATIONAL = "national", _("National account")
    GLOBAL = "global", _("Global account")


class Unit(MP_Node, TimeStamped):
    """A customer unit. A key account is a unit plus its subtree (materialised path)."""

    steplen = 5
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    node_order_by = None

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=UnitKind.choices)
    industry = models.CharField(_("industry"), max_length=100, blank=True, db_index=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, db_index=True, help_text=_("ISO 3166 code")
    )
    region = models.CharField(_("region"), max_length=120, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    turnover = models.DecimalField(
        _("turnover"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    tier = models.CharField(
        _("tier"), max_length=16, choices=Tier.choices, default=Tier.TRANSACTIONAL, db_index=True
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_units",
    )
    history = HistoricalRecords(excluded_fields=["path", "depth", "numchild"])

    class Meta:
        verbose_name = _("customer unit")
        verbose_name_plural = _("customer units")
        indexes = [
            models.Index(fields=["depth", "name"], name="unit_depth_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def root_path(self) -> str:
        return self.path[: self.steplen]

    @property
    def is_top_level(self) -> bool:
        return self.depth == 1


class CustomerFunction(models.TextChoices):
    MANAGEMENT = "management", _("General management")
    PURCHASING = "purchasing", _("Purchasing")
    PRODUCTION = "production", _("Production")
    ENGINEERING = "engineering", _("Engineering / R&D")
    QUALITY = "quality", _("Quality")
    LOGISTICS = "logistics", _("Logistics")
    FINANCE = "finance", _("Finance")
    IT = "it", _("IT")
    MARKETING = "marketing", _("Marketing and sales")
    LEGAL = "legal", _("Legal")
    OTHER = "other", _("Other")


class Seniority(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    MIDDLE = "middle", _("Middle management")
    SENIOR = "senior", _("Senior management")
    BOARD = "board", _("Board")


class Contact(TimeStamped):
    """A person at the customer. Where they work is their employment history."""

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Employment(TimeStamped):
    """A contact's position at a unit: title, function, seniority, dates and reports-to."""

    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="employments"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="employments"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    function = models.CharField(
        _("function"), max_length=20, choices=CustomerFunction.choices, default="other"
    )
    seniority = models.CharField(
        _("seniority"), max_length=12, choices=Seniority.choices, default="operational"
    )
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="direct_reports",
    )
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["unit", "end_date"], name="employment_unit_current")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="employment_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact} — {self.title or self.get_function_display()} @ {self.unit}"

    @property
    def is_current(self) -> bool:
        return self.end_date is None
