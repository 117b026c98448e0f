"""Our people: users with job role, function, territory, reporting line and capacity."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    EXECUTIVE = "executive", _("Executive")
    KAM = "kam", _("Key account manager")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    FIELD_REP = "field_rep", _("Field sales rep")
    SPECIALIST = "specialist", _("Specialist")
    ADMIN = "admin", _("Administrator")


class Function(models.TextChoices):
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Service")
    LOGISTICS = "logistics", _("Logistics")
    TECHNICAL = "technical", _("Technical")
    FINANCE = "finance", _("Finance")
    MARKETING = "marketing", _("Marketing")
    MANAGEMENT = "management", _("Management")


class Territory(models.Model):
    """A sales territory: a country and optionally a region within it."""

    name = models.CharField(_("name"), max_length=120)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code"))
    region = models.CharField(_("region"), max_length=120, blank=True)
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    manager = models.ForeignKey(
        "User",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_territories",
        help_text=_("Who leads sales in this territory."),
    )

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["country", "region", "name"]
        constraints = [
            models.UniqueConstraint(fields=["country", "region"], name="territory_country_region")
        ]

    def __str__(self) -> str:
        return self.name


class KamUserManager(UserManager["User"]):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """A superuser administers OpenKAM too (``kam createsuperuser``): without a role every
        page would refuse them (decision 55)."""
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person of ours. A user without a role is not staff of the KAM programme: no access."""

    objects = KamUserManager()  # type: ignore[misc]

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    function = models.CharField(
        _("function"), max_length=20, choices=Function.choices, default=Function.SALES
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity (key accounts)"),
        default=5,
        help_text=_("How many key accounts this person can manage."),
    )
    language = models.CharField(
        _("language"), max_length=8, blank=True, help_text=_("Interface language")
    )
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_internal(self) -> bool:
        return bool(self.is_active and self.role)


class Notification(models.Model):
    """An in-app notice for one user, written by any app through ``people.services.notify``.

    The table keeps its first name (it was born in identification): moving a model between
    apps changes only Django's state, not the database.
    """

    user = models.ForeignKey(
        "people.User",
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    text = models.CharField(_("text"), max_length=500)
    link = models.CharField(_("link"), max_length=300, blank=True)
    read = models.BooleanField(_("read"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        db_table = "identification_notification"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read"], name="notification_user_read")]

    def __str__(self) -> str:
        return self.text
