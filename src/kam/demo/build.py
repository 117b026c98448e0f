"""The demo data generator: a deterministic, realistic customer portfolio at any scale.

``demo_build(scale=..., seed=...)`` writes territories, our staff (with six easy demo logins),
customer groups → companies → divisions / functional areas → sites, products, 36 months of
transactions with their monthly roll-ups, contacts with employment history and reports-to links,
interactions with account-specific patterns (intense multi-threaded, single-threaded "bow-tie",
neglected), opportunities, competitors with shares and supplier positions with history.

Speed and scale:

- One ``random.Random`` per stage, seeded from ``seed`` and the stage name, and a fixed ``today``:
  the same seed gives the same data.
- Materialised paths are computed here (5-character base-36 steps, as treebeard does) and the
  units are bulk-inserted; ``depth`` and ``numchild`` are set, so the tree is valid.
- The monthly roll-ups are summed in memory per customer group while its transactions are
  generated (exact Decimal sums, the same rows ``rollups_rebuild()`` would write) and inserted
  with them.
- Transactions and roll-ups, the bulk of a large build, are inserted as plain tuples
  (``executemany`` on SQLite, ``COPY`` on PostgreSQL) without a model instance per row.
- Everything else is bulk-inserted in batches. Transactions, contacts, employments and
  interactions are generated group by group and flushed every few thousand rows, so memory stays
  flat at any scale (only light per-unit and per-group records are kept).
- Rows of audited models (units, contacts, employments, interactions, opportunities, competitor
  shares, assessments) get their creation entry in the audit history, written in bulk with them
  (``bulk_create_with_history``), so a later change shows its before and after (a tier change
  on approval: transactional → key). Transactions and roll-ups have no history (decision 4).
- The whole build runs in one database transaction.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.bulk import create_with_history
from kam.core.db import bulk_insert, sqlite_pragma
from kam.core.errors import DomainError
from kam.core.periods import add_months
from kam.customers.models import Contact, Employment, Unit, child_path, path_depth
from kam.demo.alerts import make_alerts
from kam.demo.capture import make_capture_contacts
from kam.demo.costs import make_costs_and_prices
from kam.demo.currency import make_currency_rates, month_rates, plan_currency_rates
from kam.demo.dashboard import make_selection_backtest
from kam.demo.field import build_field
from kam.demo.health import make_health
from kam.demo.planning import make_plans
from kam.demo.profile import make_profile
from kam.demo.programme import make_programme
from kam.demo.relationships import relationships_build, relationships_reset
from kam.demo.teams import build_teams
from kam.demo.whitespace import make_white_space
from kam.identification.facts import facts_refresh
from kam.identification.models import (
    AccountAssessment,
    AccountFacts,
    BuyingCriterion,
    StaleAccount,
)
from kam.interactions.models import Interaction
from kam.people.models import Territory, User
from kam.sales.models import (
    Competitor,
    CompetitorShare,
    CostToServe,
    ListPrice,
    MonthlyRollup,
    Opportunity,
    Product,
    ProductLine,
    SupplierPosition,
    Transaction,
    reporting_currency,
)
from kam.sales.services import account_revenue_refresh
from kam.teams.models import FunctionHead

from .inputs import enrich_inputs

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # dev-only package: types only

DEMO_PASSWORD = "openkam-demo"
DEMO_PREFIX = "demo:"  # external ids of the generated staff and territories
BATCH = 5000
BUILD_CACHE_KIB = 1024 * 1024  # SQLite's page cache during the build: 1 GiB
MONTHS = 36
ZERO = Decimal("0.00")

# ---------------------------------------------------------------------------------------------
# Scales


@dataclass(frozen=True)
class Scale:
    groups: int
    transactions: int
    contacts: int
    interactions: int
    reps_per_territory: int
    specialists_per_function: int
    max_companies: int  # subsidiaries of the largest group


SCALES: dict[str, Scale] = {
    "tiny": Scale(12, 3_000, 240, 700, 1, 1, 4),
    "small": Scale(345, 200_000, 8_000, 20_000, 1, 2, 25),
    "medium": Scale(4_100, 2_000_000, 80_000, 200_000, 2, 6, 40),
    "large": Scale(20_800, 10_000_000, 1_000_000, 2_000_000, 3, 20, 60),
}

# ---------------------------------------------------------------------------------------------
# Demo logins


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    look_first: StrOrPromise


DEMO_LOGINS = [
    DemoLogin(
        "executive",
        "executive",
        gettext_lazy("Identification: scores, the portfolio matrix and nominations to approve."),
    ),
    DemoLogin(
        "kam",
        "kam",
        gettext_lazy(
            "Portfolio, sorted by revenue: your key accounts — one multi-threaded, one "
            "single-threaded (bow-tie), one neglected — with their tree, contacts and chart."
        ),
    ),
    DemoLogin(
        "sales_manager",
        "manager",
        gettext_lazy("The accounts of the key account managers who report to you; edit them."),
    ),
    DemoLogin(
        "field_rep",
        "rep",
        gettext_lazy("Any account page: the recent interactions, yours among them."),
    ),
    DemoLogin(
        "specialist",
        "specialist",
        gettext_lazy("Any account page: contacts and revenue by product line (read only)."),
    ),
    DemoLogin(
        "admin",
        "admin",
        gettext_lazy("Data: imports and exports; Administration: users and roles; scoring models."),
    ),
]

BUYING_CRITERIA = [
    gettext_lazy("Price"),
    gettext_lazy("Quality"),
    gettext_lazy("Delivery reliability"),
    gettext_lazy("Technical support"),
    gettext_lazy("Product range"),
    gettext_lazy("Payment terms"),
    gettext_lazy("Sustainability"),
    gettext_lazy("Innovation"),
]

# What the summary counts are called.
COUNT_LABELS = {
    "territories": gettext_lazy("Territories"),
    "users": gettext_lazy("Our people"),
    "units": gettext_lazy("Customer units"),
    "key_accounts": gettext_lazy("Key accounts"),
    "product_lines": gettext_lazy("Product lines"),
    "products": gettext_lazy("Products"),
    "transactions": gettext_lazy("Transactions"),
    "rollups": gettext_lazy("Monthly roll-ups"),
    "contacts": gettext_lazy("Contacts"),
    "employments": gettext_lazy("Employments"),
    "moved_contacts": gettext_lazy("Contacts who changed employer"),
    "interactions": gettext_lazy("Interactions"),
    "competitors": gettext_lazy("Competitors"),
    "opportunities": gettext_lazy("Opportunities"),
    "competitor_shares": gettext_lazy("Competitor shares"),
    "supplier_positions": gettext_lazy("Supplier positions"),
    "assessments": gettext_lazy("Account assessments"),
}

# ---------------------------------------------------------------------------------------------
# Reference data (generated data, not interface text: kept in English)

REGIONS: dict[str, list[tuple[str, list[str]]]] = {
    "DE": [
        ("Bavaria", ["Munich", "Nuremberg", "Augsburg"]),
        ("Baden-Württemberg", ["Stuttgart", "Mannheim", "Karlsruhe"]),
        ("North Rhine-Westphalia", ["Cologne", "Düsseldorf", "Dortmund"]),
        ("Hesse", ["Frankfurt", "Kassel"]),
        ("Lower Saxony", ["Hanover", "Wolfsburg", "Brunswick"]),
        ("Saxony", ["Leipzig", "Dresden", "Chemnitz"]),
    ],
    "FR": [
        ("Île-de-France", ["Paris", "Versailles"]),
        ("Auvergne-Rhône-Alpes", ["Lyon", "Grenoble", "Clermont-Ferrand"]),
        ("Hauts-de-France", ["Lille", "Amiens"]),
        ("Occitanie", ["Toulouse", "Montpellier"]),
        ("Grand Est", ["Strasbourg", "Metz", "Reims"]),
    ],
    "GB": [
        ("London", ["London"]),
        ("South East", ["Reading", "Southampton", "Oxford"]),
        ("North West", ["Manchester", "Liverpool"]),
        ("Midlands", ["Birmingham", "Nottingham", "Derby"]),
        ("Scotland", ["Glasgow", "Edinburgh", "Aberdeen"]),
    ],
    "PL": [
        ("Masovia", ["Warsaw", "Radom"]),
        ("Silesia", ["Katowice", "Gliwice"]),
        ("Greater Poland", ["Poznań", "Kalisz"]),
        ("Lesser Poland", ["Kraków", "Tarnów"]),
    ],
    "IT": [
        ("Lombardy", ["Milan", "Bergamo", "Brescia"]),
        ("Piedmont", ["Turin", "Novara"]),
        ("Veneto", ["Venice", "Verona", "Padua"]),
        ("Emilia-Romagna", ["Bologna", "Modena", "Parma"]),
        ("Lazio", ["Rome", "Latina"]),
    ],
    "ES": [
        ("Madrid", ["Madrid", "Alcalá de Henares"]),
        ("Catalonia", ["Barcelona", "Tarragona"]),
        ("Valencia", ["Valencia", "Alicante"]),
        ("Andalusia", ["Seville", "Málaga"]),
        ("Basque Country", ["Bilbao", "San Sebastián"]),
    ],
    "NL": [
        ("North Holland", ["Amsterdam", "Haarlem"]),
        ("South Holland", ["Rotterdam", "The Hague"]),
        ("North Brabant", ["Eindhoven", "Tilburg"]),
        ("Utrecht", ["Utrecht", "Amersfoort"]),
    ],
    "SE": [
        ("Stockholm", ["Stockholm", "Södertälje"]),
        ("Västra Götaland", ["Gothenburg", "Borås"]),
        ("Skåne", ["Malmö", "Helsingborg"]),
    ],
    "RU": [
        ("Moscow", ["Moscow", "Zelenograd"]),
        ("Saint Petersburg", ["Saint Petersburg", "Kolpino"]),
        ("Sverdlovsk", ["Yekaterinburg", "Nizhny Tagil"]),
        ("Tatarstan", ["Kazan", "Naberezhnye Chelny"]),
        ("Novosibirsk", ["Novosibirsk", "Berdsk"]),
    ],
    "US": [
        ("California", ["Los Angeles", "San Jose", "San Diego"]),
        ("Texas", ["Houston", "Dallas", "Austin"]),
        ("Illinois", ["Chicago", "Peoria"]),
        ("Ohio", ["Columbus", "Cleveland", "Cincinnati"]),
        ("New York", ["New York", "Buffalo"]),
        ("Michigan", ["Detroit", "Grand Rapids"]),
    ],
}
COUNTRY_NAMES = {
    "DE": "Germany", "FR": "France", "GB": "United Kingdom", "PL": "Poland", "IT": "Italy",
    "ES": "Spain", "NL": "Netherlands", "SE": "Sweden", "RU": "Russia", "US": "United States",
}  # fmt: skip
COUNTRY_WEIGHTS = {
    "DE": 24, "FR": 12, "GB": 10, "PL": 8, "IT": 10, "ES": 7, "NL": 6, "SE": 4, "RU": 8, "US": 11,
}  # fmt: skip
LEGAL = {
    "DE": "GmbH", "FR": "SAS", "GB": "Ltd", "PL": "Sp. z o.o.", "IT": "S.p.A.", "ES": "S.A.",
    "NL": "B.V.", "SE": "AB", "RU": "LLC", "US": "Inc.",
}  # fmt: skip
TLD = {
    "DE": "de", "FR": "fr", "GB": "co.uk", "PL": "pl", "IT": "it", "ES": "es", "NL": "nl",
    "SE": "se", "RU": "ru", "US": "com",
}  # fmt: skip
PHONE = {
    "DE": "+49", "FR": "+33", "GB": "+44", "PL": "+48", "IT": "+39", "ES": "+34", "NL": "+31",
    "SE": "+46", "RU": "+7", "US": "+1",
}  # fmt: skip
FIRST_NAMES = {
    "DE": ["Anna", "Lukas", "Sophie", "Felix", "Julia", "Jonas", "Katrin", "Matthias", "Lena",
           "Stefan", "Sabine", "Tobias"],
    "FR": ["Camille", "Louis", "Chloé", "Hugo", "Léa", "Julien", "Manon", "Nicolas", "Inès",
           "Antoine"],
    "GB": ["Oliver", "Emma", "Harry", "Charlotte", "George", "Amelia", "James", "Sophie",
           "William", "Grace"],
    "PL": ["Anna", "Piotr", "Katarzyna", "Tomasz", "Agnieszka", "Marcin", "Magdalena", "Paweł",
           "Joanna", "Krzysztof"],
    "IT": ["Giulia", "Marco", "Francesca", "Luca", "Chiara", "Andrea", "Sara", "Matteo",
           "Elena", "Davide"],
    "ES": ["Lucía", "Javier", "María", "Carlos", "Laura", "Pablo", "Marta", "Alejandro",
           "Elena", "Diego"],
    "NL": ["Daan", "Emma", "Sem", "Julia", "Lars", "Sanne", "Thijs", "Lotte", "Bram", "Eva"],
    "SE": ["Erik", "Anna", "Lars", "Maria", "Johan", "Karin", "Anders", "Emma", "Nils", "Sara"],
    "RU": ["Alexei", "Olga", "Dmitry", "Natalia", "Sergei", "Elena", "Ivan", "Anna", "Mikhail",
           "Tatiana"],
    "US": ["Michael", "Jennifer", "David", "Jessica", "Robert", "Ashley", "John", "Emily",
           "Daniel", "Sarah"],
}  # fmt: skip
LAST_NAMES = {
    "DE": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Hoffmann", "Koch", "Richter", "Wolf"],
    "FR": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
           "Leroy", "Moreau"],
    "GB": ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
           "Evans", "Walker"],
    "PL": ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński",
           "Szymański", "Dąbrowski", "Kozłowski"],
    "IT": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
           "Marino", "Greco"],
    "ES": ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
           "Pérez", "Gómez", "Ruiz"],
    "NL": ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit",
           "Meijer", "de Boer", "Mulder"],
    "SE": ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
           "Persson", "Svensson", "Gustafsson"],
    "RU": ["Ivanov", "Smirnov", "Kuznetsov", "Popov", "Vasiliev", "Petrov", "Sokolov",
           "Mikhailov", "Novikov", "Fedorov"],
    "US": ["Miller", "Davis", "Garcia", "Rodriguez", "Martinez", "Anderson", "Thomas", "Moore",
           "Jackson", "White"],
}  # fmt: skip
STEM_A = ["Al", "Ber", "Cor", "Dan", "El", "Fal", "Gra", "Hel", "Ist", "Kor", "Lin", "Mar",
          "Nor", "Ost", "Pra", "Ros", "Sel", "Tor", "Ul", "Ver", "Wes", "Zan", "Bal",
          "Cas"]  # fmt: skip
STEM_B = ["da", "tex", "mar", "berg", "lux", "vent", "tron", "dal", "wick", "sen", "ford",
          "ria", "nova", "tek", "lan", "stad", "mont", "gard", "ion", "vik"]  # fmt: skip
INDUSTRIES: dict[str, dict[str, list[str]]] = {
    "Automotive": {
        "divisions": ["Powertrain", "Body & Chassis", "Interiors", "Aftermarket"],
        "sites": ["Plant", "Assembly Plant", "Parts Centre"],
    },
    "Chemicals": {
        "divisions": ["Coatings", "Polymers", "Specialty Chemicals", "Agro"],
        "sites": ["Works", "Plant", "Terminal"],
    },
    "Food": {
        "divisions": ["Dairy", "Bakery", "Beverages", "Frozen Foods"],
        "sites": ["Factory", "Bottling Plant", "Distribution Centre"],
    },
    "Machinery": {
        "divisions": ["Machine Tools", "Packaging Machines", "Service", "Automation"],
        "sites": ["Plant", "Workshop", "Service Centre"],
    },
    "Retail": {
        "divisions": ["Grocery", "Home & Garden", "E-commerce", "Fashion"],
        "sites": ["Store", "Hypermarket", "Distribution Centre"],
    },
    "Pharma": {
        "divisions": ["Generics", "Consumer Health", "Biologics", "Animal Health"],
        "sites": ["Plant", "Laboratory", "Packaging Site"],
    },
    "Construction": {
        "divisions": ["Building", "Civil Engineering", "Materials", "Facility Services"],
        "sites": ["Depot", "Quarry", "Precast Plant"],
    },
    "Energy": {
        "divisions": ["Generation", "Grid", "Renewables", "Trading"],
        "sites": ["Power Station", "Substation", "Wind Farm"],
    },
    "Logistics": {
        "divisions": ["Road Freight", "Contract Logistics", "Air & Sea", "Parcel"],
        "sites": ["Hub", "Warehouse", "Cross-dock"],
    },
    "Electronics": {
        "divisions": ["Components", "Consumer Devices", "Industrial Electronics", "Semiconductors"],
        "sites": ["Fab", "Assembly Plant", "Test Centre"],
    },
}
FUNCTION_AREAS = [
    ("Purchasing", "purchasing"),
    ("Engineering", "engineering"),
    ("Logistics", "logistics"),
    ("Quality", "quality"),
    ("Maintenance", "production"),
    ("Finance", "finance"),
]
PRODUCT_LINES = [
    ("FAST", "Fasteners", ["Hex bolt M8", "Hex bolt M12", "Lock nut", "Washer set", "Anchor",
                           "Rivet pack", "Threaded rod", "Screw assortment", "Stud bolt",
                           "Spring pin"]),
    ("HYD", "Hydraulics", ["Gear pump", "Piston pump", "Valve block", "Cylinder 50",
                           "Cylinder 80", "Hose assembly", "Filter element", "Accumulator",
                           "Pressure switch", "Coupling"]),
    ("DRIVE", "Drives & Motors", ["Servo motor", "Gear motor", "Frequency inverter",
                                  "Planetary gearbox", "Brake motor", "Linear actuator",
                                  "Encoder", "Drive controller", "Belt drive", "Spindle"]),
    ("SAFE", "Safety Equipment", ["Safety gloves", "Helmet", "Goggles", "Ear protection",
                                  "Harness", "Safety shoes", "Respirator", "Light curtain",
                                  "Emergency stop", "First-aid kit"]),
    ("LUB", "Lubricants", ["Gear oil", "Hydraulic oil", "Grease cartridge", "Cutting fluid",
                           "Chain spray", "Food-grade oil", "Compressor oil", "Release agent",
                           "Cleaner", "Anti-seize paste"]),
    ("AUTO", "Automation", ["PLC", "HMI panel", "Sensor kit", "Safety relay", "Vision camera",
                            "Remote I/O", "Industrial switch", "Gateway", "Robot gripper",
                            "Cable set"]),
    ("SERV", "Services", ["Maintenance contract", "Installation", "Training day", "Audit",
                          "Repair", "Spare-parts pool", "Condition monitoring", "Calibration",
                          "Hotline", "Retrofit"]),
]  # fmt: skip
COMPETITORS = ["Axtron Industrial", "Bremer & Co", "Castell Supply", "Dufour Industries",
               "Eastgate Components", "Fennmark", "Granvik Solutions", "Helios Trading",
               "Iberna Técnica", "Jadeport Systems"]  # fmt: skip
# A year of B2B demand: slow August and December, strong March and October.
SEASON = [0.95, 1.0, 1.12, 1.05, 1.02, 1.0, 0.92, 0.75, 1.05, 1.12, 1.08, 0.82]
CUSTOMER_FUNCTIONS = [
    ("purchasing", 3.0, ["Purchasing Manager", "Category Manager", "Strategic Buyer"],
     ["Buyer", "Purchasing Assistant"]),
    ("production", 2.0, ["Production Manager", "Operations Manager"],
     ["Shift Supervisor", "Production Planner"]),
    ("engineering", 2.0, ["Engineering Manager", "R&D Manager"],
     ["Design Engineer", "Process Engineer"]),
    ("quality", 1.2, ["Quality Manager"], ["Quality Engineer", "Inspector"]),
    ("logistics", 1.2, ["Logistics Manager", "Supply Chain Manager"],
     ["Logistics Coordinator", "Warehouse Lead"]),
    ("finance", 0.9, ["Finance Manager", "Controller"], ["Accountant", "Accounts Payable Clerk"]),
    ("it", 0.6, ["IT Manager"], ["System Administrator"]),
    ("marketing", 0.6, ["Marketing Manager", "Sales Manager"], ["Product Manager"]),
    ("legal", 0.3, ["Legal Counsel"], ["Contract Manager"]),
]  # fmt: skip
INTERACTION_SUMMARIES = {
    "meeting": ["Project status meeting", "Demand planning meeting", "Specification alignment"],
    "call": ["Delivery follow-up", "Price query", "Order clarification", "Check-in call"],
    "email": ["Quote sent", "Technical documentation shared", "Forecast update"],
    "visit": ["Site visit", "Plant tour and line audit", "Visit to the purchasing team"],
    "review": ["Quarterly business review", "Annual performance review"],
    "executive": ["Executive sponsor meeting", "Strategy dinner with the board"],
    "workshop": ["Joint cost-reduction workshop", "Innovation workshop", "Value-stream workshop"],
    "service": ["Service case: defective batch", "Service case: late delivery", "Warranty claim"],
}
OPPORTUNITY_KINDS = ["framework agreement", "line conversion", "new plant equipment",
                     "retrofit project", "annual tender", "pilot", "expansion"]  # fmt: skip
STAGE_PROBABILITY = {
    "qualify": 10, "develop": 25, "propose": 50, "negotiate": 75, "won": 100, "lost": 0,
}  # fmt: skip
STAGE_WEIGHTS = [20, 18, 15, 10, 22, 15]
POSITION_LEVELS = ["not_approved", "approved", "preferred", "primary", "sole", "strategic"]
SPECIALIST_FUNCTIONS = ["service", "logistics", "technical", "finance", "marketing"]


def _ascii(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text)
    return "".join(c for c in norm if c.isalnum() and ord(c) < 128).lower()


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


# ---------------------------------------------------------------------------------------------
# In-memory specs (light: kept for all units and groups, even at the large scale)


class UnitSpec:
    __slots__ = ("path", "name", "kind", "country", "region", "city", "employees", "turnover",
                 "group", "parent", "pk", "numchild", "industry")  # fmt: skip
    path: str
    name: str
    kind: str
    country: str
    region: str
    city: str
    employees: int | None
    turnover: Decimal | None
    group: int  # index of its GroupSpec
    parent: int | None  # index of the parent unit in the generator's list
    pk: int  # set when the tree is written, the first stage
    numchild: int
    industry: str

    def __init__(self, **kw: Any) -> None:
        self.numchild = 0
        for k, v in kw.items():
            setattr(self, k, v)


@dataclass
class GroupSpec:
    index: int
    weight: float
    industry: str
    stem: str
    country: str
    first_unit: int = 0
    last_unit: int = 0  # exclusive
    tier: str = "transactional"
    manager: str | None = None  # username of the KAM
    pattern: str = "regular"
    mix: list[float] = field(default_factory=list)
    growth: float = 0.0
    regions: dict = field(default_factory=dict)  # country -> regions it may have units in


@dataclass
class DemoSummary:
    counts: dict[str, int]
    seconds: float
    # (stage label, wall seconds, CPU seconds of this process: the figure that does not depend
    # on what else the machine runs; the database's own work is in it on SQLite only)
    phases: list[tuple[str, float, float]] = field(default_factory=list)


class Reporter:
    """Progress sink; the command shows it with rich, tests ignore it."""

    def stage(self, label: str, total: int | None) -> None:  # pragma: no cover - trivial
        pass

    def advance(self, n: int = 1) -> None:  # pragma: no cover - trivial
        pass


class _PhaseTimer(Reporter):
    """Passes the progress on and times each stage (from its ``stage()`` call to the next)."""

    def __init__(self, inner: Reporter):
        self.inner = inner
        self.phases: list[tuple[str, float, float]] = []
        self._label: str | None = None
        self._since = time.monotonic()
        self._cpu = time.process_time()

    def stage(self, label: str, total: int | None) -> None:
        self.finish()
        self._label, self._since, self._cpu = str(label), time.monotonic(), time.process_time()
        self.inner.stage(label, total)

    def advance(self, n: int = 1) -> None:
        self.inner.advance(n)

    def finish(self) -> None:
        if self._label is not None:
            wall, cpu = time.monotonic() - self._since, time.process_time() - self._cpu
            self.phases.append((self._label, wall, cpu))
            self._label = None


# ---------------------------------------------------------------------------------------------
# Public services


def demo_has_data() -> bool:
    return Unit.objects.exists() or Transaction.objects.exists()


@transaction.atomic
def demo_reset() -> None:
    """Delete the customer, sales and interaction data and the generated staff and territories.

    Users that the demo did not create are kept (the six demo logins are removed too).
    """
    relationships_reset()
    Interaction.participants.through.objects.all()._raw_delete(Interaction.objects.db)
    for model in (AccountFacts, StaleAccount):
        model.objects.all()._raw_delete(model.objects.db)
    Interaction.contacts.through.objects.all()._raw_delete(Interaction.objects.db)
    for data_model in (MonthlyRollup, Transaction, Interaction, CompetitorShare,
                       SupplierPosition, Opportunity, CostToServe, ListPrice):  # fmt: skip
        data_model.objects.all()._raw_delete(data_model.objects.db)
    Employment.objects.update(reports_to=None)
    Employment.objects.all()._raw_delete(Employment.objects.db)
    Contact.objects.all()._raw_delete(Contact.objects.db)
    # treebeard's queryset delete builds one OR term per root; Django's plain delete suffices
    # here because every unit goes.
    QuerySet.delete(Unit.objects.all())
    Product.objects.all().delete()
    ProductLine.objects.all().delete()
    Competitor.objects.all().delete()
    demo_names = [d.username for d in DEMO_LOGINS]
    # function heads are not account data: they go with the demo people they name
    FunctionHead.objects.filter(
        Q(user__external_id__startswith=DEMO_PREFIX) | Q(user__username__in=demo_names)
    ).delete()
    User.objects.filter(external_id__startswith=DEMO_PREFIX).update(manager=None)
    User.objects.filter(external_id__startswith=DEMO_PREFIX).delete()
    User.objects.filter(username__in=demo_names).delete()
    Territory.objects.filter(external_id__startswith=DEMO_PREFIX).delete()


def analyze_tables() -> None:
    """Let PostgreSQL's planner see the rows just written (no-op on SQLite).

    Its plans rest on each table's statistics; a table filled in bulk still carries the counts
    autovacuum saw before (often none), and with those the planner picks nested loops that take
    minutes once the table holds thousands of rows (the buying-centre page of a freshly built
    demo did). ``ANALYZE`` may run inside the open transaction and samples its own new rows."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def demo_build(
    *,
    scale: str = "tiny",
    seed: int = 1,
    today: dt.date | None = None,
    reporter: Reporter | None = None,
) -> DemoSummary:
    """Build the demo portfolio into an empty database (see the module docstring)."""
    if scale not in SCALES:
        raise DomainError(_("Unknown scale: %(scale)s.") % {"scale": scale}, field="scale")
    if demo_has_data():
        raise DomainError(_("The database already holds customer data."))
    started = time.monotonic()
    timer = _PhaseTimer(reporter or Reporter())
    builder = _Builder(SCALES[scale], seed, today or dt.date.today(), timer)
    # SQLite's page cache for the build: it writes millions of rows into tables with several
    # indexes inside one transaction, and with the default 2 MB every index insert re-read
    # its pages (PostgreSQL's buffers are the server's own setting)
    with transaction.atomic(), sqlite_pragma("main.cache_size", -BUILD_CACHE_KIB):
        counts = builder.run()
        timer.stage(_("Saving to the database"), None)
    timer.finish()
    return DemoSummary(counts=counts, seconds=time.monotonic() - started, phases=timer.phases)


# ---------------------------------------------------------------------------------------------
# The builder


class _Builder:
    def __init__(self, scale: Scale, seed: int, today: dt.date, reporter: Reporter):
        self.scale = scale
        self.seed = seed
        self.today = today
        self.rep = reporter
        self.counts: dict[str, int] = defaultdict(int)
        self.units: list[UnitSpec] = []
        self.groups: list[GroupSpec] = []
        self.users: dict[str, User] = {}  # username -> user
        self.reps_by_territory: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.manager_by_country: dict[str, int] = {}
        self.kam_ids: dict[str, int] = {}
        self.specialists: list[int] = []
        self.executives: list[int] = []
        self.first_month = add_months(today.replace(day=1), -(MONTHS - 1))

    def rng(self, stage: str) -> random.Random:
        return random.Random(f"openkam-demo:{self.seed}:{stage}")

    def run(self) -> dict[str, int]:
        self.rep.stage(_("Customer tree"), None)
        self.plan_units()
        self.rep.stage(_("Territories and staff"), None)
        self.make_territories_and_staff()
        self.plan_accounts()
        self.write_units()
        self.rep.stage(_("Products"), None)
        self.make_products()
        self.rep.stage(_("Transactions and monthly roll-ups"), self.scale.transactions)
        self.make_transactions()
        self.rep.stage(_("Contacts and interactions"), len(self.groups))
        self.make_contacts_and_interactions()
        self.rep.stage(_("Opportunities, competitors and supplier positions"), len(self.groups))
        self.make_opportunities_competition_positions()
        analyze_tables()  # the steps below read what was just written
        enrich_inputs(self)  # products and dates of opportunities, territory managers
        self.rep.stage(_("Account assessments"), None)
        self.make_assessments()
        relationships_build(self)
        self.rep.stage(_("Account teams"), None)
        self.counts["team_members"] = build_teams(seed=self.seed, today=self.today)
        self.rep.stage(_("Account plans"), None)
        make_plans(self)
        make_profile(self)
        make_currency_rates(self)
        self.rep.stage(_("Costs to serve and list prices"), None)
        self.counts.update(make_costs_and_prices(self))
        make_capture_contacts(today=self.today)
        self.rep.stage(_("Account facts for scoring"), None)
        facts_refresh(everything=True)
        self.counts["account_facts"] = AccountFacts.objects.count()
        self.rep.stage(_("White space of the key accounts"), None)
        self.counts["white_space_cells"] = make_white_space(self.rng("white space"), self.today)
        self.rep.stage(_("Field work"), None)
        self.counts["field_visits"] = build_field(seed=self.seed, today=self.today)
        self.rep.stage(_("Relationship health"), None)
        self.counts.update(make_health(self))
        self.rep.stage(_("Alerts"), None)
        self.counts.update(make_alerts(self))
        self.rep.stage(_("Programme assessment campaigns"), None)
        self.counts["assessment_answers"] = make_programme(self)
        self.counts.update(make_selection_backtest(self))
        self.counts["kept_account_revenue"] = account_revenue_refresh(today=self.today)
        analyze_tables()  # the first pages read with a plan made for these tables
        return dict(self.counts)

    # -- customer tree ------------------------------------------------------------------------

    def plan_units(self) -> None:
        rng = self._urng = self.rng("units")
        n = self.scale.groups
        countries = list(COUNTRY_WEIGHTS)
        cweights = list(COUNTRY_WEIGHTS.values())
        industries = list(INDUSTRIES)
        # Zipf-like sizes by rank: a few customers are very large (Pareto), most are small.
        weights = [(k + 1) ** -1.3 * rng.lognormvariate(0, 0.15) for k in range(n)]
        smallest = min(weights)
        for k in range(n):
            p = k / n  # 0 = the largest customer
            home = rng.choices(countries, cweights)[0]
            stem = rng.choice(STEM_A) + rng.choice(STEM_B)
            if rng.random() < 0.3:
                stem += rng.choice(STEM_B)
            g = GroupSpec(
                index=k, weight=weights[k], industry=rng.choice(industries),
                stem=stem.capitalize(), country=home,
            )  # fmt: skip
            g.first_unit = len(self.units)
            self._plan_group(rng, g, p, weights[k] / smallest, weights[k] / weights[0])
            g.last_unit = len(self.units)
            self.groups.append(g)

    def _plan_group(
        self, rng: random.Random, g: GroupSpec, p: float, rel: float, top: float
    ) -> None:
        """Plan one customer: ``p`` is its rank share (0 = largest), ``rel`` its size relative
        to the smallest customer and ``top`` relative to the largest."""
        countries = list(COUNTRY_WEIGHTS)
        employees = max(8, int(30 * rel**0.75 * rng.lognormvariate(0, 0.4)))
        turnover = employees * 180_000 * rng.lognormvariate(0, 0.35)
        region, cities = rng.choice(REGIONS[g.country])
        industry = INDUSTRIES[g.industry]
        standalone = p > 0.3 and rng.random() < 0.65
        account_index = len(self.units)
        account = UnitSpec(
            path=child_path(None, g.index + 1), kind="company" if standalone else "group",
            name=f"{g.stem} {LEGAL[g.country]}" if standalone else f"{g.stem} Group",
            country=g.country, region=region, city=rng.choice(cities), employees=employees,
            turnover=_money(turnover), group=g.index, parent=None, industry=g.industry,
        )  # fmt: skip
        self.units.append(account)
        if standalone:
            for _i in range(rng.choice([0, 1, 1, 2, 2, 3])):
                self._add_site(rng, account_index, g, g.country, employees)
            return
        # Spread: the largest groups work in several countries, many in several regions.
        # Reach: the largest groups are spread over countries (global) or over the regions of
        # one country (national); the others stay in one or two regions of a country or two.
        others = [c for c in countries if c != g.country]
        if p < 0.1:
            reach = rng.choices(["global", "national", "local"], [45, 35, 20])[0]
        elif p < 0.3:
            reach = rng.choices(["national", "local"], [30, 70])[0]
        else:
            reach = "local"
        spread = [g.country]
        if reach == "global":
            spread += rng.sample(others, rng.randint(2, 5))
        elif rng.random() < (0.5 if p < 0.3 else 0.1):
            spread += rng.sample(others, 1)
        g.regions = {
            c: REGIONS[c] if reach != "local" else rng.sample(REGIONS[c], rng.randint(1, 2))
            for c in spread
        }
        hq, hq_cities = rng.choice(g.regions[g.country])
        account.region, account.city = hq, rng.choice(hq_cities)
        n_companies = round(self.scale.max_companies * top**0.7 * rng.uniform(0.6, 1.4))
        n_companies = max(1, n_companies, len(spread))
        share = employees / n_companies
        for i in range(n_companies):
            country = spread[i % len(spread)]
            cregion, ccities = rng.choice(g.regions[country])
            industry_word = g.industry if i == 0 else rng.choice(industry["divisions"])
            c_emp = max(5, int(share * rng.lognormvariate(0, 0.5)))
            c_index = self._add(
                account_index, g, kind="company", country=country, region=cregion,
                city=rng.choice(ccities), employees=c_emp,
                name=f"{g.stem} {industry_word} {LEGAL[country]}",
            )  # fmt: skip
            parents = [c_index]
            if p < 0.15:
                for div in rng.sample(industry["divisions"], rng.choice([0, 1, 1, 2, 3])):
                    parents.append(
                        self._add(
                            c_index,
                            g,
                            kind="division",
                            country=country,
                            region=cregion,
                            city=self.units[c_index].city,
                            employees=c_emp // 4,
                            name=f"{g.stem} {div}",
                        )  # fmt: skip
                    )
                for fname, _code in rng.sample(FUNCTION_AREAS, rng.choice([0, 0, 1, 2])):
                    self._add(
                        c_index, g, kind="function", country=country, region=cregion,
                        city=self.units[c_index].city, employees=None,
                        name=f"{g.stem} {fname}",
                    )  # fmt: skip
            n_sites = rng.choice([0, 1, 1, 2, 2, 3]) + (1 if p < 0.05 else 0)
            for _s in range(n_sites):
                self._add_site(rng, rng.choice(parents), g, country, c_emp)

    def _add_site(
        self, rng: random.Random, parent: int, g: GroupSpec, country: str, emp: int
    ) -> int:
        region, cities = rng.choice(g.regions.get(country) or REGIONS[country])
        city = rng.choice(cities)
        kind_word = rng.choice(INDUSTRIES[g.industry]["sites"])
        return self._add(
            parent, g, kind="site", country=country, region=region, city=city,
            employees=max(3, int(emp / 3 * rng.lognormvariate(0, 0.5))),
            name=f"{g.stem} {city} {kind_word}",
        )  # fmt: skip

    def _add(self, parent: int, g: GroupSpec, *, employees, **kw) -> int:
        up = self.units[parent]
        up.numchild += 1
        turnover = None
        if employees is not None:
            turnover = _money(employees * 180_000 * self._urng.lognormvariate(0, 0.35))
        self.units.append(
            UnitSpec(
                path=child_path(up.path, up.numchild),
                group=g.index,
                parent=parent,
                employees=employees,
                turnover=turnover,
                industry=g.industry,
                **kw,
            )  # fmt: skip
        )
        return len(self.units) - 1

    # -- our people ---------------------------------------------------------------------------

    def make_territories_and_staff(self) -> None:
        rng = self.rng("staff")
        territories = []
        for country, regions in REGIONS.items():
            territories.append(
                Territory(
                    name=COUNTRY_NAMES[country],
                    country=country,
                    region="",
                    external_id=f"{DEMO_PREFIX}{country}",
                )  # fmt: skip
            )
            for i, (region, _cities) in enumerate(regions, start=1):
                territories.append(
                    Territory(
                        name=f"{COUNTRY_NAMES[country]} – {region}",
                        country=country,
                        region=region,
                        external_id=f"{DEMO_PREFIX}{country}-{i}",
                    )  # fmt: skip
                )
        Territory.objects.bulk_create(territories)
        terr = {(t.country, t.region): t for t in Territory.objects.filter(
            external_id__startswith=DEMO_PREFIX)}  # fmt: skip
        self.counts["territories"] = len(terr)

        n_key = self._key_count()
        self.demo_hash = make_password(DEMO_PASSWORD)
        self.unusable = make_password(None)
        serial = iter(range(1, 10**9))

        def person(role, function, territory=None, manager=None, username=None, capacity=5,
                   title_country="GB", **extra) -> User:  # fmt: skip
            first = rng.choice(FIRST_NAMES[title_country])
            last = rng.choice(LAST_NAMES[title_country])
            n = next(serial)
            uname = username or f"{_ascii(first)}.{_ascii(last)}{n}"
            user = User(
                username=uname, first_name=first, last_name=last, role=role, function=function,
                territory=territory, manager=manager, capacity=capacity,
                email=f"{uname}@openkam.example",
                password=self.demo_hash if username else self.unusable,
                external_id=f"{DEMO_PREFIX}user:{n:05d}", **extra,
            )  # fmt: skip
            user.pk = taken.get(uname)
            user.save()
            self.users[uname] = user
            self.counts["users"] += 1
            return user

        # A demo login name already taken (say, an ``admin`` made by createsuperuser) is taken
        # over: it becomes the demo login with the demo password.
        taken = dict(
            User.objects.filter(username__in=[d.username for d in DEMO_LOGINS]).values_list(
                "username", "pk"
            )
        )
        ceo = person("executive", "management", title_country="DE")
        director = person("executive", "management", manager=ceo, username="executive",
                          title_country="DE")  # fmt: skip
        person("executive", "service", manager=ceo, title_country="GB")
        self.executives = [ceo.pk, director.pk]
        # The `rep` works in the German region with the most customer sites.
        sites: defaultdict[str, int] = defaultdict(int)  # region -> customer sites
        for u in self.units:
            if u.kind == "site" and u.country == "DE":
                sites[u.region] += 1
        rep_region = max(REGIONS["DE"], key=lambda r: (sites[r[0]], r[0] == "Bavaria"))[0]
        for country, regions in REGIONS.items():
            manager = person(
                "sales_manager", "sales", territory=terr[(country, "")], manager=director,
                username="manager" if country == "DE" else None, title_country=country,
            )  # fmt: skip
            self.manager_by_country[country] = manager.pk
            for region, _cities in regions:
                for i in range(self.scale.reps_per_territory):
                    is_demo = country == "DE" and region == rep_region and i == 0
                    rep = person(
                        "field_rep", "sales", territory=terr[(country, region)],
                        manager=manager, username="rep" if is_demo else None,
                        title_country=country,
                    )  # fmt: skip
                    self.reps_by_territory[(country, region)].append(rep.pk)
        # Key account managers: capacity 4–6; `kam` reports to `manager`, the others to the
        # director of the KAM programme.
        kam = person("kam", "sales", manager=self.users["manager"], username="kam", capacity=6,
                     title_country="DE")  # fmt: skip
        self.kam_ids["kam"] = kam.pk
        remaining = max(0, n_key - 3)
        while remaining > 0 or len(self.kam_ids) < 2:
            cap = rng.randint(4, 6)
            other = person("kam", "sales", manager=director, capacity=cap,
                           title_country=rng.choice(list(REGIONS)))  # fmt: skip
            self.kam_ids[other.username] = other.pk
            remaining -= cap - 1  # keep one slot free for growth
        for function in SPECIALIST_FUNCTIONS:
            for i in range(self.scale.specialists_per_function):
                demo = function == "service" and i == 0
                spec = person("specialist", function, manager=ceo,
                              username="specialist" if demo else None,
                              title_country=rng.choice(list(REGIONS)))  # fmt: skip
                self.specialists.append(spec.pk)
        person("admin", "management", username="admin", is_staff=True, is_superuser=True)

    def _key_count(self) -> int:
        return max(4, round(0.05 * len(self.groups)))

    def plan_accounts(self) -> None:
        """The biggest ~5% of groups are key accounts; tier by spread; KAMs; patterns."""
        rng = self.rng("accounts")
        by_size = sorted(self.groups, key=lambda g: -g.weight)
        key = by_size[: self._key_count()]
        kams = [name for name in self.kam_ids if name != "kam"]
        load = dict.fromkeys(kams, 0)
        caps = {name: self.users[name].capacity for name in kams}
        for i, g in enumerate(key):
            units = self.units[g.first_unit : g.last_unit]
            countries = {u.country for u in units}
            regions = defaultdict(set)
            for u in units:
                regions[u.country].add(u.region)
            if len(countries) >= 3:
                g.tier = "global"
            elif max(len(r) for r in regions.values()) >= 3:
                g.tier = "national"
            else:
                g.tier = "key"
            if i < 3:
                g.manager = "kam"
                g.pattern = ["intense", "bowtie", "neglected"][i]
            else:
                free = [k for k in kams if load[k] < caps[k]] or kams
                g.manager = min(free, key=lambda k: (load[k], k))
                load[g.manager] += 1
                g.pattern = rng.choices(["intense", "bowtie", "neglected"], [75, 15, 10])[0]
        for g in by_size[len(key) :]:
            g.pattern = rng.choices(
                ["regular", "sparse", "bowtie", "neglected", "none"], [40, 28, 10, 12, 10]
            )[0]
        n_lines = len(PRODUCT_LINES)
        for g in self.groups:
            buys = rng.randint(2, n_lines) if g.tier != "transactional" else rng.randint(1, 5)
            chosen = set(rng.sample(range(n_lines), buys))
            g.mix = [rng.gammavariate(0.8, 1.0) if i in chosen else 0.0 for i in range(n_lines)]
            g.growth = rng.uniform(-0.15, 0.25)
        self.key_groups = key

    def write_units(self) -> None:
        am = {g.index: self.users[g.manager].pk for g in self.groups if g.manager}
        tier = {g.index: g.tier for g in self.groups}
        batch: list[Unit] = []
        for i, u in enumerate(self.units):
            is_account = u.parent is None
            batch.append(
                Unit(
                    path=u.path,
                    depth=path_depth(u.path),
                    numchild=u.numchild,
                    name=u.name,
                    kind=u.kind,
                    industry=u.industry,
                    country=u.country,
                    region=u.region,
                    city=u.city,
                    employees=u.employees,
                    turnover=u.turnover,
                    external_id=f"U{i + 1:06d}",
                    tier=tier[u.group] if is_account else "transactional",
                    account_manager_id=am.get(u.group) if is_account else None,
                )  # fmt: skip
            )
            if len(batch) >= BATCH:
                create_with_history(Unit, batch, batch_size=BATCH)
                batch = []
        create_with_history(Unit, batch, batch_size=BATCH)
        ids = dict(Unit.objects.values_list("path", "pk"))
        for u in self.units:
            u.pk = ids[u.path]
        self.counts["units"] = len(self.units)
        self.counts["key_accounts"] = len(am)

    # -- products and transactions ------------------------------------------------------------

    def make_products(self) -> None:
        rng = self.rng("products")
        lines = ProductLine.objects.bulk_create(
            [ProductLine(code=code, name=name) for code, name, _p in PRODUCT_LINES]
        )
        products = []
        for line, (code, _name, names) in zip(lines, PRODUCT_LINES, strict=True):
            for i, pname in enumerate(names, start=1):
                products.append(Product(line=line, sku=f"{code}-{i:03d}", name=pname))
        Product.objects.bulk_create(products)
        line_pk = dict(ProductLine.objects.values_list("code", "pk"))
        self.line_pks = [line_pk[code] for code, _n, _p in PRODUCT_LINES]
        self.products: list[list[tuple[int, float]]] = [[] for _ in PRODUCT_LINES]
        index = {pk: i for i, pk in enumerate(self.line_pks)}
        for pk, line_id in Product.objects.order_by("sku").values_list("pk", "line_id"):
            price = round(rng.lognormvariate(math.log(80), 1.0), 2)
            self.products[index[line_id]].append((pk, price))
        self.counts["product_lines"] = len(lines)
        self.counts["products"] = len(products)

    def _months(self) -> list[tuple[dt.date, int]]:
        out = []
        for i in range(MONTHS):
            first = add_months(self.first_month, i)
            days = calendar.monthrange(first.year, first.month)[1]
            if first.year == self.today.year and first.month == self.today.month:
                days = self.today.day
            out.append((first, days))
        return out

    def make_transactions(self) -> None:
        rng = self.rng("transactions")
        months = self._months()
        total_w = sum(g.weight for g in self.groups)
        count_w = [g.weight**0.55 for g in self.groups]
        total_cw = sum(count_w)
        target = self.scale.transactions
        avg_line = 2_500.0
        sigma = 0.8
        mean_ln = math.exp(sigma**2 / 2)
        currency = reporting_currency()
        # lines of customers outside the euro area keep their amount in their own currency
        planned = plan_currency_rates(self, months[0][0], months[-1][0])
        foreign = month_rates(planned, months)
        cent = Decimal("0.01")
        batch: list[tuple] = []
        rollups: list[tuple] = []
        written = 0
        for g, cw in zip(self.groups, count_w, strict=True):
            n = max(3, round(target * cw / total_cw))
            revenue = target * avg_line * g.weight / total_w
            per_line = revenue / n / mean_ln
            billing = [
                (u.pk, 3.0 if u.kind == "company" else 1.5)
                for u in self.units[g.first_unit : g.last_unit]
                if u.kind in ("company", "site")
            ]
            unit_ids = [b[0] for b in billing]
            country = {u.pk: u.country for u in self.units[g.first_unit : g.last_unit]}
            unit_cw = _cum([b[1] * rng.uniform(0.3, 1.7) for b in billing])
            month_cw = _cum(
                [
                    SEASON[m.month - 1] * (1 + g.growth) ** (i / 12) * days / 30
                    for i, (m, days) in enumerate(months)
                ]  # fmt: skip
            )
            line_cw = _cum(g.mix)
            month_picks = rng.choices(range(MONTHS), cum_weights=month_cw, k=n)
            unit_picks = rng.choices(unit_ids, cum_weights=unit_cw, k=n)
            line_picks = rng.choices(range(len(g.mix)), cum_weights=line_cw, k=n)
            margin = rng.uniform(0.18, 0.38)
            # The group's roll-ups are summed here, exactly as the database would (Decimals),
            # and written with its transactions: no second pass over millions of rows.
            sums: dict[tuple[int, int, int], list] = {}
            for mi, unit_id, li in zip(month_picks, unit_picks, line_picks, strict=True):
                first, days = months[mi]
                product_id, price = rng.choice(self.products[li])
                amount = per_line * rng.lognormvariate(0, sigma)
                cost = None
                if rng.random() >= 0.1:
                    cost = _money(amount * (1 - margin) * rng.uniform(0.9, 1.1))
                net = _money(amount)
                qty = Decimal(f"{max(1.0, amount / price):.3f}")
                own = foreign[mi].get(country[unit_id])
                original = (own[0], (net / own[1]).quantize(cent)) if own else (currency, net)
                batch.append(
                    (first.replace(day=rng.randint(1, days)), unit_id, product_id,
                     self.line_pks[li], qty, net, currency, cost, *original)  # TX_COLUMNS
                )  # fmt: skip
                acc = sums.get((unit_id, li, mi))
                if acc is None:
                    acc = sums[(unit_id, li, mi)] = [ZERO, ZERO, ZERO, ZERO, 0]
                acc[0] += net
                acc[1] += qty
                if cost is not None:
                    acc[2] += cost
                    acc[3] += net
                acc[4] += 1
            account_id = self.units[g.first_unit].pk
            rollups.extend(
                (account_id, unit_id, self.line_pks[li], months[mi][0], *a)  # ROLLUP_COLUMNS
                for (unit_id, li, mi), a in sums.items()
            )
            if len(batch) >= 20_000:
                written += self._flush(Transaction, batch)
                self._flush(MonthlyRollup, rollups)
                batch, rollups = [], []
        written += self._flush(Transaction, batch)
        self._flush(MonthlyRollup, rollups)
        self.counts["transactions"] = written

    def _flush(self, model, batch: list) -> int:
        _insert_plain(model, TX_COLUMNS if model is Transaction else ROLLUP_COLUMNS, batch)
        if model is Transaction:
            self.rep.advance(len(batch))
        else:
            self.counts["rollups"] += len(batch)
        return len(batch)

    # -- contacts and interactions ------------------------------------------------------------

    def make_contacts_and_interactions(self) -> None:
        rng = self.rng("contacts")
        irng = self.rng("interactions")
        all_companies = [i for i, u in enumerate(self.units) if u.kind == "company"]
        total_units = len(self.units)
        target = self.scale.contacts
        w_sum = sum((g.last_unit - g.first_unit) * g.weight**0.15 for g in self.groups)
        # Interactions: a rate per month by pattern, scaled to the target count.
        rates = {"intense": 8.0, "bowtie": 1.5, "regular": 1.0, "sparse": 0.3,
                 "neglected": 1.0, "none": 0.0}  # fmt: skip
        expected = sum(rates[g.pattern] * (18 if g.pattern == "neglected" else MONTHS)
                       for g in self.groups)  # fmt: skip
        self.i_factor = self.scale.interactions / expected if expected else 0
        serial = 0
        chunk: list[GroupSpec] = []
        size = 0
        for g in self.groups:
            chunk.append(g)
            size += g.last_unit - g.first_unit
            if size >= 400:
                serial = self._contacts_chunk(rng, irng, chunk, serial, target, w_sum,
                                              all_companies, total_units)  # fmt: skip
                chunk, size = [], 0
        if chunk:
            self._contacts_chunk(rng, irng, chunk, serial, target, w_sum, all_companies,
                                 total_units)  # fmt: skip

    def _contacts_chunk(self, rng, irng, groups, serial, target, w_sum, companies, total_units):
        today = self.today
        people: list[tuple] = []  # (group, unit index, level, function, seniority, title)
        for g in groups:
            n_units = g.last_unit - g.first_unit
            n = max(1, round(target * n_units * g.weight**0.15 / w_sum))
            idx = list(range(g.first_unit, g.last_unit))
            kind_w = {"group": 1.0, "company": 3.0, "division": 2.0, "function": 2.0,
                      "site": 1.2}  # fmt: skip
            per_unit = defaultdict(int)
            per_unit[g.first_unit] = min(n, 2)  # the head of the account, the buyer
            for i in rng.choices(idx, [kind_w[self.units[i].kind] for i in idx],
                                 k=max(0, n - 2)):  # fmt: skip
                per_unit[i] += 1
            for ui in sorted(per_unit):
                u = self.units[ui]
                k = per_unit[ui]
                people.append((g, ui, 0, *self._head(u)))
                k -= 1
                if ui == g.first_unit and k > 0:  # the buyer: the relationship's anchor
                    people.append((g, ui, 1, "purchasing", "middle", "Head of Purchasing"))
                    k -= 1
                for _j in range(k):
                    fn, _w, mids, ops = rng.choices(
                        CUSTOMER_FUNCTIONS, [f[1] for f in CUSTOMER_FUNCTIONS]
                    )[0]
                    if rng.random() < 0.35:
                        people.append((g, ui, 1, fn, "middle", rng.choice(mids)))
                    else:
                        people.append((g, ui, 2, fn, "operational", rng.choice(ops)))
        # Contacts
        contacts = []
        for g, ui, _lvl, _fn, _sen, _title in people:
            serial += 1
            u = self.units[ui]
            first = rng.choice(FIRST_NAMES[u.country])
            last = rng.choice(LAST_NAMES[u.country])
            contacts.append(
                Contact(
                    first_name=first,
                    last_name=last,
                    email=f"{_ascii(first)}.{_ascii(last)}@{g.stem.lower()}.{TLD[u.country]}",
                    phone=f"{PHONE[u.country]} {rng.randint(100, 999)} {rng.randint(1000, 99999)}",
                    external_id=f"C{serial:07d}",
                )  # fmt: skip
            )
        create_with_history(Contact, contacts, batch_size=BATCH)
        self.counts["contacts"] += len(contacts)
        # Employments: heads first (by depth) so that reports-to can point at them, then middle
        # managers, then operational staff. Reports-to stays inside a company.
        head_emp: dict[int | None, int] = {}  # unit index -> employment id of its head
        middle_emp: dict[int, list[int]] = defaultdict(list)
        # group -> (contact, fn, unit index)
        emp_of: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
        order = sorted(
            range(len(people)), key=lambda i: (people[i][2], len(self.units[people[i][1]].path))
        )
        current_key = None
        pending: list[tuple[int, Employment]] = []
        ended: list[Employment] = []

        def flush():
            if not pending:
                return
            create_with_history(Employment, [e for _i, e in pending], batch_size=BATCH)
            for i, e in pending:
                _g, ui, lvl, fn, _s, _t = people[i]
                if lvl == 0:
                    head_emp[ui] = e.pk
                elif lvl == 1:
                    middle_emp[ui].append(e.pk)
            self.counts["employments"] += len(pending)
            pending.clear()

        for i in order:
            g, ui, lvl, fn, sen, title = people[i]
            u = self.units[ui]
            depth = path_depth(u.path)
            key = (lvl, depth if lvl == 0 else 0)
            if key != current_key:
                flush()
                current_key = key
            if lvl == 0:
                boss = None
                if u.kind not in ("company", "group") and u.parent is not None:
                    boss = head_emp.get(u.parent) or head_emp.get(self._company_of(ui))
            elif lvl == 1:
                boss = head_emp.get(ui)
            else:
                boss = rng.choice(middle_emp[ui]) if middle_emp.get(ui) else head_emp.get(ui)
            start = today - dt.timedelta(days=rng.randint(60, 15 * 365))
            contact = contacts[i]
            pending.append(
                (
                    i,
                    Employment(
                        contact_id=contact.pk,
                        unit_id=u.pk,
                        title=title,
                        department=fn.capitalize(),
                        function=fn,
                        seniority=sen,
                        start_date=start,
                        reports_to_id=boss,
                    ),
                )  # fmt: skip
            )
            emp_of[g.index].append((contact.pk, fn, ui))
            if rng.random() < 0.06 and companies:  # moved here from another company
                prev = self.units[rng.choice(companies)]
                if prev.pk != u.pk:
                    end = start - dt.timedelta(days=rng.randint(1, 90))
                    ended.append(
                        Employment(
                            contact_id=contact.pk,
                            unit_id=prev.pk,
                            title=rng.choice(CUSTOMER_FUNCTIONS[0][3]),
                            department="Purchasing",
                            function="purchasing",
                            seniority="operational",
                            start_date=end - dt.timedelta(days=rng.randint(200, 2500)),
                            end_date=end,
                        )  # fmt: skip
                    )
        flush()
        create_with_history(Employment, ended, batch_size=BATCH)
        self.counts["employments"] += len(ended)
        self.counts["moved_contacts"] += len(ended)
        self._interactions_chunk(irng, groups, emp_of)
        self.rep.advance(len(groups))
        return serial

    def _head(self, u: UnitSpec) -> tuple[str, str, str]:
        if u.kind == "group":
            return ("management", "board", "Chief Executive Officer")
        if u.kind == "company":
            return ("management", "board", "Managing Director")
        if u.kind == "division":
            return ("management", "senior", f"Head of {u.name.split(' ', 1)[-1]}")
        if u.kind == "function":
            area = u.name.split(" ", 1)[-1]
            code = dict(FUNCTION_AREAS).get(area, "other")
            return (code, "senior", f"Head of {area}")
        return ("production", "middle", "Site Manager")

    def _company_of(self, ui: int | None) -> int | None:
        while ui is not None:
            u = self.units[ui]
            if u.kind == "company":
                return ui
            ui = u.parent
        return None

    def _team(self, g: GroupSpec) -> tuple[int, list[int]]:
        """The owner of the relationship and the rest of our people who work with it."""
        account = self.units[g.first_unit]
        reps = self.reps_by_territory.get((account.country, account.region)) or [
            self.manager_by_country[account.country]
        ]
        owner = self.users[g.manager].pk if g.manager else reps[g.index % len(reps)]
        team = [owner]
        if g.manager:
            team += reps[:1] + [self.manager_by_country[account.country], self.executives[1]]
            team += [s for j, s in enumerate(self.specialists) if (j + g.index) % 3 == 0][:5]
            for u in self.units[g.first_unit : g.last_unit]:
                team += self.reps_by_territory.get((u.country, u.region), [])[:1]
        return owner, list(dict.fromkeys(team))

    def _interactions_chunk(self, rng, groups, emp_of) -> None:
        tz = dt.UTC
        today = self.today
        start = self.first_month
        items: list[tuple[Interaction, list[int], list[int]]] = []
        for g in groups:
            if g.pattern == "none" or not emp_of[g.index]:
                continue
            owner, team = self._team(g)
            contacts = emp_of[g.index]
            buyers = [c for c in contacts if c[1] == "purchasing"] or contacts
            buyer = buyers[0]
            rate = {"intense": 8.0, "bowtie": 1.5, "regular": 1.0, "sparse": 0.3,
                    "neglected": 1.0}[g.pattern] * self.i_factor  # fmt: skip
            if g.pattern == "neglected":
                end = today - dt.timedelta(days=rng.randint(200, 420))
                begin = max(start, end - dt.timedelta(days=540))
            else:
                end, begin = today, start
            span = (end - begin).days
            if g.pattern == "intense":  # every month, many threads
                when = []
                for m in range(MONTHS):
                    first = add_months(start, m)
                    k = max(1, round(rate * rng.uniform(0.6, 1.4)))
                    when += [first + dt.timedelta(days=rng.randint(0, 27)) for _ in range(k)]
                when = [d for d in when if d <= today]
            else:
                k = max(2, round(rate * span / 30 * rng.uniform(0.6, 1.4)))
                when = [begin + dt.timedelta(days=rng.randint(0, span)) for _ in range(k)]
            for day in when:
                if g.pattern == "intense":
                    kind = rng.choices(
                        ["meeting", "call", "email", "visit", "review", "executive",
                         "workshop", "service"], [20, 20, 18, 14, 8, 4, 6, 10])[0]  # fmt: skip
                    ours = [owner] + rng.sample(team[1:], min(len(team) - 1, rng.randint(0, 3)))
                    theirs = rng.sample(contacts, min(len(contacts), rng.randint(1, 4)))
                elif g.pattern == "bowtie":
                    kind = rng.choice(["call", "email", "visit", "meeting"])
                    ours, theirs = [owner], [buyer]
                else:
                    kind = rng.choices(["call", "email", "visit", "meeting", "service"],
                                       [30, 25, 25, 10, 10])[0]  # fmt: skip
                    ours = [owner]
                    if self.specialists and rng.random() < 0.15:
                        ours.append(self.specialists[rng.randrange(len(self.specialists))])
                    theirs = rng.sample(contacts, min(len(contacts), rng.randint(1, 2)))
                unit_index = theirs[0][2]
                at = dt.datetime.combine(day, dt.time(rng.randint(7, 17), rng.choice([0, 30])),
                                         tzinfo=tz)  # fmt: skip
                items.append(
                    (
                        Interaction(
                            type=kind,
                            occurred_at=at,
                            unit_id=self.units[unit_index].pk,
                            summary=rng.choice(INTERACTION_SUMMARIES[kind]),
                            initiated_by="customer" if rng.random() < 0.3 else "us",
                            created_by_id=owner,
                        ),
                        ours,
                        [c[0] for c in theirs],
                    )
                )
            if len(items) >= BATCH:
                self._write_interactions(items)
                items = []
        self._write_interactions(items)

    def _write_interactions(self, items) -> None:
        if not items:
            return
        create_with_history(Interaction, [i[0] for i in items], batch_size=BATCH)
        _insert_plain(Interaction.participants.through, ("interaction_id", "user_id"),
                      [(i.pk, u) for i, us, _c in items for u in us])  # fmt: skip
        _insert_plain(Interaction.contacts.through, ("interaction_id", "contact_id"),
                      [(i.pk, c) for i, _u, cs in items for c in cs])  # fmt: skip
        self.counts["interactions"] += len(items)

    # -- opportunities, competitors, supplier positions ---------------------------------------

    def make_assessments(self) -> None:
        """KAM judgement for the larger half of the groups: willingness, agreement, initiatives.

        Key accounts mostly want a partnership; some large transactional customers do too (the
        ones scoring should surface as key candidates); others are large but unwilling.
        """
        rng = self.rng("assessments")
        ranked = sorted(self.groups, key=lambda g: -g.weight)
        assessed = ranked[: max(1, len(ranked) // 2)]
        rows: list[AccountAssessment] = []
        criteria: list[BuyingCriterion] = []
        total_w = sum(g.weight for g in self.groups) or 1.0
        revenue_total = self.scale.transactions * 2_500.0
        for g in assessed:
            key = g.tier != "transactional"
            annual = revenue_total * g.weight / total_w / 3
            estimated = key or rng.random() < 0.4
            willing = rng.randint(6, 10) if key else rng.choice([2, 3, 4, 5, 6, 7, 8, 9])
            rows.append(
                AccountAssessment(
                    account_id=self.units[g.first_unit].pk,
                    willingness=willing,
                    agreement_horizon_months=rng.choice(
                        [12, 24, 36, 48] if key else [0, 6, 12, 24]
                    ),
                    joint_initiatives=rng.randint(1, 3) if key else rng.choice([0, 0, 0, 1]),
                    wallet_estimate=(
                        Decimal(round(annual * rng.uniform(1.2, 4.0), 2)) if estimated else None
                    ),
                    wallet_source=_("Purchasing budget named by the customer") if estimated else "",
                    wallet_confidence=rng.choice(["medium", "high"]) if estimated else "",
                    note=_("Demo assessment"),
                )
            )
            for name in rng.sample(
                BUYING_CRITERIA, rng.randint(2, 6) if key else rng.randint(0, 3)
            ):
                criteria.append(
                    BuyingCriterion(
                        account_id=self.units[g.first_unit].pk,
                        name=str(name),
                        importance=rng.randint(1, 5),
                    )
                )
        create_with_history(AccountAssessment, rows, batch_size=2000)
        BuyingCriterion.objects.bulk_create(criteria, batch_size=2000)
        self.counts["assessments"] = len(rows)

    def make_opportunities_competition_positions(self) -> None:
        rng = self.rng("opportunities")
        today = self.today
        names = COMPETITORS[: rng.randint(6, 10)]
        comps = Competitor.objects.bulk_create([Competitor(name=n) for n in names])
        comp_ids = [c.pk for c in comps]
        self.counts["competitors"] = len(comp_ids)
        total_w = sum(g.weight for g in self.groups)
        revenue_total = self.scale.transactions * 2_500.0
        ranked = sorted(self.groups, key=lambda g: -g.weight)
        top = {g.index for g in ranked[: max(1, len(ranked) * 3 // 10)]}
        half = {g.index for g in ranked[: max(1, len(ranked) // 2)]}
        stages = list(STAGE_PROBABILITY)
        opps: list[Opportunity] = []
        shares: list[CompetitorShare] = []
        positions: list[SupplierPosition] = []
        serial = 0
        for g in self.groups:
            account = self.units[g.first_unit]
            owner, _team = self._team(g)
            annual = revenue_total * g.weight / total_w / 3
            key = g.tier != "transactional"
            n_opps = rng.randint(4, 9) if key else rng.choice([0, 0, 1, 1, 2, 3])
            companies = [u for u in self.units[g.first_unit : g.last_unit]
                         if u.kind in ("group", "company")]  # fmt: skip
            bought = [i for i, w in enumerate(g.mix) if w > 0]
            for _k in range(n_opps):
                serial += 1
                stage = rng.choices(stages, STAGE_WEIGHTS)[0]
                li = rng.choice(range(len(PRODUCT_LINES)))
                if stage in ("won", "lost"):
                    close = today - dt.timedelta(days=rng.randint(5, 700))
                else:
                    close = today + dt.timedelta(days=rng.randint(10, 300))
                opps.append(
                    Opportunity(
                        unit_id=rng.choice(companies).pk,
                        product_line_id=self.line_pks[li],
                        name=f"{PRODUCT_LINES[li][1]} {rng.choice(OPPORTUNITY_KINDS)} {close.year}",
                        stage=stage,
                        probability=STAGE_PROBABILITY[stage],
                        amount=_money(max(2_000.0, annual * rng.lognormvariate(-2, 0.8))),
                        expected_close=close,
                        owner_id=owner,
                        external_id=f"O{serial:07d}",
                    )  # fmt: skip
                )
            if g.index in top or key:
                as_of = today - dt.timedelta(days=rng.randint(0, 300))
                for li in bought:
                    ours = rng.uniform(15, 70)
                    rivals = rng.sample(comp_ids, rng.randint(1, 3))
                    cuts = sorted(rng.uniform(0, 100 - ours) for _ in rivals)
                    prev = 0.0
                    for cid, cut in zip(rivals, cuts, strict=True):
                        shares.append(
                            CompetitorShare(
                                account_id=account.pk,
                                product_line_id=self.line_pks[li],
                                competitor_id=cid,
                                share_pct=_money(cut - prev),
                                as_of=as_of,
                            )  # fmt: skip
                        )
                        prev = cut
            if g.index in half or key:
                level = rng.randint(0, 2)
                steps = rng.randint(1, 4 if key else 2)
                since = today - dt.timedelta(days=rng.randint(900, 1800))
                for _s in range(steps):
                    positions.append(
                        SupplierPosition(
                            account_id=account.pk,
                            position=POSITION_LEVELS[level],
                            since=since,
                            recorded_by_id=owner,
                            note="",
                        )  # fmt: skip
                    )
                    up = rng.random() < (0.85 if key else 0.6)
                    level = min(5, level + 1) if up else max(0, level - 1)
                    since = since + dt.timedelta(days=rng.randint(120, 400))
                    if since > today:
                        break
            if len(opps) + len(shares) + len(positions) >= BATCH:
                self._write_commercial(opps, shares, positions)
                opps, shares, positions = [], [], []
            self.rep.advance(1)
        self._write_commercial(opps, shares, positions)

    def _write_commercial(self, opps, shares, positions) -> None:
        create_with_history(Opportunity, opps, batch_size=BATCH)
        create_with_history(CompetitorShare, shares, batch_size=BATCH)
        SupplierPosition.objects.bulk_create(positions, batch_size=BATCH)
        self.counts["opportunities"] += len(opps)
        self.counts["competitor_shares"] += len(shares)
        self.counts["supplier_positions"] += len(positions)


# A line is written in the reporting currency as its original (the currency stage then gives
# the lines of foreign customers theirs): setting it afterwards rewrote 10M rows (60 s, large).
TX_COLUMNS = ("date", "unit_id", "product_id", "product_line_id", "quantity", "net_amount",
              "currency", "cost", "original_currency", "original_amount")  # fmt: skip
ROLLUP_COLUMNS = ("account_id", "unit_id", "product_line_id", "month", "net_amount", "quantity",
                  "cost", "costed_amount", "lines")  # fmt: skip


def _insert_plain(model: Any, attnames: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows given as tuples of these attributes, without a model instance per row (the
    build's hot path): ``core.db.bulk_insert`` with the attributes' columns."""
    if rows:
        by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
        bulk_insert(model, [by_attname[a] for a in attnames], rows)


def _cum(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


__all__ = [
    "COUNT_LABELS",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "SCALES",
    "DemoSummary",
    "Reporter",
    "demo_build",
    "demo_has_data",
    "demo_reset",
]
