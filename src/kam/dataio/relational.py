"""Import entities of the inputs nobody could enter before (issue 10): the relational scoring
inputs of an account (``assessments``) and the sales territories (``territories``).

They live apart from ``importers`` and are added to its entity lists by :func:`register` (called
from the app's ``ready``), so each entity is one module. Assessments are written through the
identification service, row by row: its checks and its history apply as on the page and in the
API (there are as many rows as accounts, not as transactions).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, CharField, OuterRef, Subquery
from django.utils.translation import gettext as _

from kam.customers.models import Unit
from kam.identification.models import AccountAssessment, BuyingCriterion, WalletConfidence
from kam.identification.services import ASSESSMENT_FIELDS, ASSESSMENT_MAX, assessment_save
from kam.people.models import Territory, User

from .entities import LIST_SEPARATOR, Entity, Field, Ref
from .importers import (
    ACCOUNT_REF,
    ENTITIES,
    ENTITY_NAMES,
    IMPORTERS,
    Importer,
    Progress,
    Row,
    chunks,
)


class _Joined(Aggregate):
    """The values of a group joined with the list separator (SQLite and PostgreSQL)."""

    function = "GROUP_CONCAT"
    template = f"%(function)s(%(expressions)s, '{LIST_SEPARATOR}')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra)


class ExportedEntity(Entity):
    """An entity whose export reads computed columns (see ``exporters._queryset``)."""

    def export_annotations(self) -> dict[str, Any]:
        criteria = (
            BuyingCriterion.objects.filter(account=OuterRef("account"))
            .order_by()
            .values("account")
            .annotate(joined=_Joined("name"))
            .values("joined")
        )
        return {"buying_criteria_list": Subquery(criteria)}


class AssessmentImporter(Importer):
    """One row per account; an empty cell leaves that input as it is."""

    entity = ExportedEntity(
        name="assessments",
        model=AccountAssessment,
        key=("account",),
        fields=[
            Field(
                "account",
                required=True,
                ref=ACCOUNT_REF,
                export="account__external_id",
                synonyms=("unit", "customer", "клиент", "контрагент"),
            ),
            Field(
                "willingness",
                kind="int",
                min_value=0,
                max_value=10,
                synonyms=("partnership_willingness", "готовность_к_партнерству"),
            ),
            Field(
                "agreement_horizon_months",
                kind="int",
                min_value=0,
                max_value=ASSESSMENT_MAX["agreement_horizon_months"],
                synonyms=("agreement_horizon", "horizon", "горизонт_соглашения"),
            ),
            Field(
                "joint_initiatives",
                kind="int",
                min_value=0,
                max_value=ASSESSMENT_MAX["joint_initiatives"],
                synonyms=("совместные_инициативы",),
            ),
            Field(
                "buying_criteria_count",
                kind="int",
                min_value=0,
                max_value=ASSESSMENT_MAX["buying_criteria_count"],
            ),
            Field(
                "buying_criteria",
                max_length=3000,
                export="buying_criteria_list",
                synonyms=("критерии_закупки",),
            ),
            Field(
                "wallet_estimate",
                kind="decimal",
                max_digits=18,
                min_value=0,
                synonyms=("wallet", "кошелек", "потенциал"),
            ),
            Field("wallet_source", max_length=200, synonyms=("источник_оценки",)),
            Field(
                "wallet_confidence",
                kind="choice",
                choices=WalletConfidence,
                synonyms=("confidence", "уверенность"),
            ),
            Field("note", max_length=5000),
        ],
    )

    def validate(self, rows: list[Row]) -> None:
        super().validate(rows)
        ids = {r.attrs.get("account_id") for r in self.ok_rows(rows)} - {None}
        accounts: set[int] = set()
        for part in chunks(sorted(ids)):
            accounts.update(
                Unit.objects.accounts().filter(pk__in=part).values_list("pk", flat=True)
            )
        for row in self.ok_rows(rows):
            if row.attrs.get("account_id") not in accounts:
                self.error(
                    row,
                    "account",
                    _("a sub-unit: only an account (a unit without a parent) is assessed"),
                )

    @staticmethod
    def criteria_of(row: Row) -> list[str] | None:
        if "buying_criteria" not in row.values or row.values["buying_criteria"] is None:
            return None  # an empty cell leaves the list as it is
        text = row.values["buying_criteria"]
        return [n.strip() for n in text.split(LIST_SEPARATOR) if n.strip()]

    def write(self, rows: list[Row], progress: Progress | None = None) -> None:
        ids = [row.attrs["account_id"] for row in rows]
        current: dict[int, AccountAssessment] = {}
        criteria: dict[int, set[str]] = {}
        for part in chunks(ids):
            current.update(
                {a.account_id: a for a in AccountAssessment.objects.filter(account_id__in=part)}
            )
            for account_id, name in BuyingCriterion.objects.filter(account_id__in=part).values_list(
                "account_id", "name"
            ):
                criteria.setdefault(account_id, set()).add(name)
        accounts = {}
        for part in chunks(ids):
            accounts.update(Unit.objects.in_bulk(part))
        for done, row in enumerate(rows, 1):
            account_id = row.attrs["account_id"]
            fields = {
                name: row.values[name]
                for name in ASSESSMENT_FIELDS
                if name in row.values and row.values[name] is not None
            }
            names = self.criteria_of(row)
            before = current.get(account_id)
            same_fields = before is not None and all(
                getattr(before, k) == v for k, v in fields.items()
            )
            same_criteria = names is None or {n.casefold() for n in names} == {
                n.casefold() for n in criteria.get(account_id, set())
            }
            if same_fields and same_criteria:
                self.report.unchanged += 1
                continue
            assessment_save(
                account=accounts[account_id], user=None, fields=fields, buying_criteria=names
            )
            if before is None:
                self.report.created += 1
            else:
                self.report.updated += 1
            if progress and done % 1000 == 0:
                progress(done, len(rows))


class TerritoryImporter(Importer):
    """Sales territories by their code (external id), else by name."""

    entity = Entity(
        name="territories",
        model=Territory,
        key=("external_id",),
        fields=[
            Field(
                "external_id",
                required=True,
                max_length=64,
                synonyms=("code", "territory_code", "код_территории"),
            ),
            Field("name", required=True, max_length=120),
            Field("country", required=True, kind="country"),
            Field("region", max_length=120, synonyms=("regions", "регионы")),
            Field(
                "manager",
                ref=Ref(User, "username", "manager_id", "user"),
                export="manager__username",
            ),
        ],
    )

    def check_duplicates(self, rows: list[Row]) -> None:
        super().check_duplicates(rows)
        first: dict[tuple, int] = {}
        for row in rows:
            key = (row.values.get("country"), row.values.get("region") or "")
            if key[0] is None:
                continue
            if key in first:
                self.error(
                    row,
                    "region",
                    _("the same country and region as line %s") % first[key],
                )
            else:
                first[key] = row.line

    def find_existing(self, rows: list[Row]) -> dict[tuple, Any]:
        """By code first; a territory without a code is matched by its country and region."""
        found = super().find_existing(rows)
        by_place = {
            (t.country, t.region): t for t in Territory.objects.filter(external_id__isnull=True)
        }
        for row in rows:
            key = self.db_key(row)
            if key not in found:
                place = (str(row.attrs.get("country") or ""), str(row.attrs.get("region") or ""))
                if place in by_place:
                    found[key] = by_place[place]
        return found


NEW_IMPORTERS: tuple[type[Importer], ...] = (AssessmentImporter, TerritoryImporter)


def register() -> None:
    """Add the entities of this module to the import and export lists (once)."""
    for cls in NEW_IMPORTERS:
        name = cls.entity.name
        if name in IMPORTERS:
            continue
        IMPORTERS[name] = cls
        ENTITIES[name] = cls.entity
        ENTITY_NAMES.append(name)
