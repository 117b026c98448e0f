"""The customer organisation tree, contacts and their employment history (the org chart)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models.expressions import Combinable
from django.db.models.functions import Length, Substr
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from kam.core.models import TimeStamped
from kam.core.validation import AmountInRange, date_in_range


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


# --- Tree and account arithmetic --------------------------------------------------------------
# The one place that knows how a unit's path is built. An *account* is a top-level unit (depth 1)
# with its whole subtree; the account of any unit is the first step of its path. Other modules
# call these helpers and the queryset methods below instead of slicing paths or testing depth.

STEPLEN = 5
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ACCOUNT_DEPTH = 1
# Up to this many accounts, their units are found by one path range each (of_account_paths).
PATH_RANGES_MAX = 50


def account_path(path: str) -> str:
    """The path of the account (top-level unit) that the unit at ``path`` belongs to."""
    return path[:STEPLEN]


def parent_path(path: str) -> str | None:
    """The path of the unit's parent, or None for an account."""
    return path[:-STEPLEN] if len(path) > STEPLEN else None


def ancestor_paths(path: str) -> list[str]:
    """Paths from the account down to the unit's parent (excluding the unit itself)."""
    return [path[: STEPLEN * d] for d in range(1, len(path) // STEPLEN)]


def path_depth(path: str) -> int:
    return len(path) // STEPLEN


@lru_cache(maxsize=2**16)  # an import computes the same child numbers under every parent
def path_step(n: int) -> str:
    """The tree's encoding of the n-th child (1-based): n in base 36, STEPLEN characters."""
    out = []
    for _i in range(STEPLEN):
        n, r = divmod(n, len(ALPHABET))
        out.append(ALPHABET[r])
    if n:
        raise ValueError("too many children for one parent")
    return "".join(reversed(out))


def child_number(path: str) -> int:
    """The 1-based child number of the unit at ``path`` among its siblings (path_step reversed)."""
    return int(path[-STEPLEN:], len(ALPHABET))


def child_path(parent: str | None, n: int) -> str:
    """The path of the n-th child (1-based) of the unit at ``parent`` (None: the n-th account)."""
    return (parent or "") + path_step(n)


def account_path_sql(column: str) -> str:
    """SQL (SQLite and PostgreSQL) for the account path of a unit path column."""
    return f"substr({column}, 1, {STEPLEN})"


def account_path_of(path: str | Combinable) -> Substr:
    """ORM expression: the account path of a path column or expression (e.g. ``OuterRef``)."""
    return Substr(path, 1, STEPLEN)


def parent_path_of(path: str | Combinable) -> Substr:
    """ORM expression: the parent path of a path column or expression (empty for an account)."""
    return Substr(path, 1, Length(path) - STEPLEN)


def is_account_sql(table: str) -> str:
    """SQL condition (SQLite and PostgreSQL): the unit row of ``table`` (an alias) is an account."""
    return f"{table}.depth = {ACCOUNT_DEPTH}"


class UnitQuerySet(MP_NodeQuerySet):
    def accounts(self) -> UnitQuerySet:
        """Top-level units only: the accounts."""
        return self.filter(depth=ACCOUNT_DEPTH)

    def subtree(self, unit: Unit) -> UnitQuerySet:
        """The unit and everything below it (one condition on the path index's range)."""
        return self.filter(subtree_q(unit))

    def in_account(self, account: Unit) -> UnitQuerySet:
        """Every unit of the account that ``account`` (or any of its units) belongs to (one
        condition on the path index's range)."""
        return self.filter(path_subtree_q(account.account_path))

    def in_account_hashed(self, account: Unit) -> UnitQuerySet:
        """``in_account`` for a query that joins every person or row of the account (the
        buying centre's members, its positions, its champions). PostgreSQL estimates the path
        range with its LIKE test at about one unit whatever the account's size, and plans such
        joins as a probe per row; by the indexed account path (decision 130) it knows the size
        and hashes the rows once (decision 131). SQLite keeps the range (it binds the
        expression's numbers as parameters, so its index does not apply there). A query that
        wants the newest few rows of a big table keeps ``in_account``: with the size known,
        PostgreSQL walks the table's date index and filters, which can read far more."""
        if connections[self.db].vendor == "postgresql":
            return self.alias(_own_account_path=account_path_of("path")).filter(
                _own_account_path=account.account_path
            )
        return self.in_account(account)

    def of_account_paths(self, paths: Iterable[str]) -> UnitQuerySet:
        """The units of the accounts at ``paths`` (one condition): by the path index's range
        of each account when they are few; by each unit's account path when they are more
        (SQLite bounds an expression's depth; decision 113)."""
        wanted = sorted(set(paths))
        if not wanted:
            return self.none()
        if len(wanted) <= PATH_RANGES_MAX:
            below = models.Q()
            for path in wanted:
                below |= _below_q(path, "")
            return self.filter(below)
        return self.alias(_own_account_path=account_path_of("path")).filter(
            _own_account_path__in=wanted
        )

    def sub_units(self) -> UnitQuerySet:
        """Units below an account (everything that is not an account itself)."""
        return self.filter(depth__gt=ACCOUNT_DEPTH)

    def within(self, units: models.QuerySet[Unit]) -> UnitQuerySet:
        """The units of this queryset that lie in the subtree of one of ``units`` (the units
        themselves included; one query to read ``units``' paths, one indexed range each)."""
        below = models.Q(pk__in=[])
        for path in units.order_by().values_list("path", flat=True):
            below |= _below_q(path, "")
        return self.filter(below)

    def accounts_of(self) -> UnitQuerySet:
        """The accounts that the units of this queryset belong to (one query with a subquery)."""
        paths = self.order_by().annotate(_account_path=account_path_of("path"))
        return Unit.objects.filter(path__in=paths.values("_account_path"))

    def in_accounts_of(self, units: models.QuerySet[Unit]) -> UnitQuerySet:
        """The units of this queryset that belong to an account of one of ``units`` (one query
        with a subquery; ``units`` may be any filtered unit queryset)."""
        paths = units.order_by().annotate(_account_path=account_path_of("path"))
        return self.alias(_own_account_path=account_path_of("path")).filter(
            _own_account_path__in=paths.values("_account_path")
        )

    def account_ids(self) -> dict[int, int]:
        """``{unit id: id of its account}`` for the units of this queryset (two queries)."""
        paths = dict(self.order_by().values_list("pk", "path"))
        accounts = dict(
            Unit.objects.filter(path__in={account_path(p) for p in paths.values()}).values_list(
                "path", "pk"
            )
        )
        return {pk: accounts[account_path(path)] for pk, path in paths.items()}


class UnitManager(MP_NodeManager.from_queryset(UnitQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> UnitQuerySet:
        return UnitQuerySet(self.model, using=self._db).order_by("path")


PATH_MAX = 255  # treebeard's path column


def _below_q(path: str, prefix: str) -> models.Q:
    """``path`` and every path that starts with it, as an index range plus the prefix test.

    ``LIKE 'p%'`` alone scans every unit: SQLite's LIKE is case-insensitive (no index use) and
    PostgreSQL uses a plain index for it only under the C collation. The range
    ``p <= path <= p + 'ZZZ…'`` holds every path below ``p`` (the alphabet ends with Z, in byte
    order and in the usual collations alike), so both databases search the path's unique index
    and keep the LIKE as an exact filter (docs/performance.md).
    """
    top = path + ALPHABET[-1] * (PATH_MAX - len(path))
    return models.Q(
        **{
            f"{prefix}path__gte": path,
            f"{prefix}path__lte": top,
            f"{prefix}path__startswith": path,
        }
    )


def subtree_q(unit: Unit, prefix: str = "") -> models.Q:
    """A filter for ``unit`` and everything below it, for a relation named by ``prefix``."""
    return _below_q(unit.path, prefix)


def path_subtree_q(path: str, prefix: str = "") -> models.Q:
    """A filter for the unit at ``path`` and everything below it (the path's index range)."""
    return _below_q(path, prefix)


def account_q(account: Unit, prefix: str = "") -> models.Q:
    """A filter for every unit of ``account``'s account, for a relation named by ``prefix``."""
    return _below_q(account.account_path, prefix)


class Unit(MP_Node, TimeStamped):
    """A customer unit. An account is a top-level unit plus its subtree (materialised path)."""

    steplen = STEPLEN
    alphabet = ALPHABET
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
        _("turnover"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[AmountInRange(18, 2)],
    )
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    # where a site is, for the field reps' visit routes (optional; WGS 84 degrees)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    tier = models.CharField(
        _("tier"),
        max_length=16,
        choices=Tier.choices,
        default=Tier.TRANSACTIONAL,
        db_index=True,
        help_text=_("Only an account (a unit without a parent) can be a key account."),
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_units",
        help_text=_(
            "The key account manager of the whole account. Only an account (a unit without a "
            "parent) has one; its sub-units are managed by the account's manager."
        ),
    )
    history = HistoricalRecords(excluded_fields=["path", "depth", "numchild"])

    objects = UnitManager()

    # What a person edits about a unit, in the order the edit form shows it. The unit services
    # also take ``tier``, which no form offers (decision 19).
    DETAIL_FIELDS: ClassVar[tuple[str, ...]] = (
        "name",
        "kind",
        "industry",
        "country",
        "region",
        "city",
        "employees",
        "turnover",
        "external_id",
        "latitude",
        "longitude",
        "account_manager",
    )

    class Meta:
        verbose_name = _("customer unit")
        verbose_name_plural = _("customer units")
        indexes = [
            # each unit's account path: PostgreSQL keeps statistics on an indexed expression,
            # so "the units of these 500 accounts" (of_account_paths, in_accounts_of) is
            # estimated at its real size and searched by this index, and the interactions of
            # those units through their own index, not a year of everyone's (decision 130)
            models.Index(account_path_of("path"), name="unit_account_path"),
            # the accounts by name, and the portfolio's columns with them: its page reads every
            # account to sort by revenue, from this index alone (decision 121)
            models.Index(
                fields=[
                    "depth",
                    "name",
                    "path",
                    "industry",
                    "country",
                    "employees",
                    "tier",
                    "account_manager",
                ],
                name="unit_depth_name_list",
            ),
            # the accounts' ids alone (decision 143): which accounts lack kept revenue, on
            # every portfolio view, read them; PostgreSQL read every unit for them otherwise
            models.Index(fields=["id"], condition=models.Q(depth=1), name="unit_account_ids"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def account_path(self) -> str:
        return account_path(self.path)

    @property
    def is_account(self) -> bool:
        """True for a top-level unit: an account of its own."""
        return self.depth == ACCOUNT_DEPTH

    @property
    def account(self) -> Unit:
        """The account this unit belongs to (itself for an account; one query otherwise).

        The account's manager comes with it: it is what callers of ``account`` usually need.
        """
        if self.is_account:
            return self
        cached = getattr(self, "_account_cache", None)
        if cached is None:
            cached = Unit.objects.select_related("account_manager").get(path=self.account_path)
            self._account_cache = cached
        return cached

    @property
    def parent_path(self) -> str | None:
        return parent_path(self.path)


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
    start_date = models.DateField(_("start"), null=True, blank=True, validators=[date_in_range])
    end_date = models.DateField(_("end"), null=True, blank=True, validators=[date_in_range])
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
