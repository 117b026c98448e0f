"""The row-by-row import engine for every entity except transactions (see ``fastpath``).

Flow: read the whole file into parsed rows → validate (types, required values, duplicates in the
file, references, cycles) → only then write, in one database transaction. Upserts compare the
stored values and touch only rows that really change, so importing a file twice changes nothing.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from kam.core.errors import DomainError
from kam.core.models import TimeStamped
from kam.core.services import model_assign
from kam.customers.models import (
    Contact,
    CustomerFunction,
    Employment,
    Seniority,
    Unit,
    UnitKind,
    account_path,
    parent_path,
)
from kam.customers.services import unit_create, unit_move, unit_update, units_create_level
from kam.customers.signals import accounts_changed
from kam.field.models import FieldAssignment, Visit, VisitStatus
from kam.field.services import assignment_set
from kam.interactions.models import Initiator, Interaction, InteractionType
from kam.interactions.signals import interactions_bulk_written
from kam.people.models import Function, Role, Territory, User
from kam.relationships.models import (
    Attitude,
    BuyingRole,
    BuyingRoleKind,
    ContactStance,
    DecisionOrientation,
    OurLink,
)
from kam.relationships.signals import (
    figures_mark_stale,
    interactions_mark_stale,
    links_mark_stale,
)
from kam.sales import discounts as sales_discounts
from kam.sales import services as sales_services
from kam.sales.models import (
    Competitor,
    CompetitorShare,
    CostCategory,
    CostToServe,
    CurrencyRate,
    ListPrice,
    Opportunity,
    OpportunityStage,
    Product,
    ProductLine,
    SupplierPosition,
    SupplierPositionLevel,
    Transaction,
    reporting_currency,
)
from kam.teams.models import TeamMember, TeamRole
from kam.teams.services import team_member_add, team_member_update

from . import formats
from .entities import Entity, Field, Ref
from .mapping import closest
from .report import ImportReport

Progress = Callable[[int, int | None], None]
SUGGEST_LIMIT = 200  # distinct unknown values a suggestion is looked for
SUGGEST_CANDIDATES = 200_000  # known values a suggestion is picked from
IN_CHUNK = 900  # SQLite's default limit of bound parameters is 999
BATCH = 5000


@dataclass
class Row:
    line: int
    values: dict[str, Any]  # field name → parsed value (only columns present in the file)
    cells: dict[str, Any]  # field name → the cell as read, for error messages
    attrs: dict[str, Any] = field(default_factory=dict)  # model attr → value to store
    obj: models.Model | None = None


def chunks(seq: Iterable, size: int = IN_CHUNK):
    seq = list(seq)
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def fetch_map(model: type[models.Model], lookup: str, values: Iterable) -> dict[Any, int]:
    values = {v for v in values if v not in (None, "")}
    result: dict[Any, int] = {}
    for part in chunks(values):
        result.update(
            model._default_manager.filter(**{f"{lookup}__in": part}).values_list(lookup, "pk")
        )
    return result


def find_cycle(start: Any, parent_of: Callable[[Any], Any]) -> list | None:
    """The cycle through ``start`` when following parents comes back to it, else None."""
    seen = [start]
    node = parent_of(start)
    steps = 0
    while node is not None and steps < 100000:
        if node == start:
            return [*seen, start]
        if node in seen:
            return None  # a cycle further up, reported on its own members
        seen.append(node)
        node = parent_of(node)
        steps += 1
    return None


class Importer:
    """Generic upsert of one entity; subclasses override the hooks."""

    entity: Entity

    def __init__(self, report: ImportReport, columns: dict[str, str]):
        self.report = report
        self.columns = columns  # field name → column header in the file

    # -- validation -----------------------------------------------------------------------

    def error(self, row: Row, field_name: str, reason: str, value: Any = None) -> None:
        column = self.columns.get(field_name, field_name)
        if value is None:
            value = row.cells.get(field_name, "")
        self.report.add_error(row.line, column, formats.cell_text(value), reason)

    def ok_rows(self, rows: list[Row]) -> list[Row]:
        return [r for r in rows if not self.report.is_bad(r.line)]

    def present(self, name: str) -> bool:
        return name in self.columns

    def validate(self, rows: list[Row]) -> None:
        for row in rows:
            self.check_row(row)
        self.check_duplicates(rows)
        self.resolve(rows)
        self.check_self_cycles(rows)

    def check_row(self, row: Row) -> None:
        """Checks across the columns of one row."""

    def key_of(self, row: Row) -> tuple:
        return tuple(row.values.get(name) for name in self.entity.key)

    def check_duplicates(self, rows: list[Row]) -> None:
        first: dict[tuple, int] = {}
        key_field = self.entity.key[-1]
        for row in rows:
            key = self.key_of(row)
            if any(v is None for v in key):
                continue
            if key in first:
                self.error(
                    row,
                    key_field,
                    _("duplicate of line %s in this file") % first[key],
                )
            else:
                first[key] = row.line

    def resolve(self, rows: list[Row]) -> None:
        """Turn referenced keys into ids, report unknown ones, fill ``row.attrs``."""
        for f in self.entity.fields:
            if not self.present(f.name):
                continue
            if f.ref is None:
                for row in rows:
                    if f.name in row.values:
                        row.attrs[f.name] = self.store_value(f, row.values[f.name])
                continue
            ref = f.ref
            values = set()
            for row in rows:
                v = row.values.get(f.name)
                values.update(v if isinstance(v, list) else [v])
            found = fetch_map(ref.model, ref.lookup, values)
            if ref.alt_lookup:
                found.update(fetch_map(ref.model, ref.alt_lookup, values - set(found)))
            in_file = set()
            if ref.self_ref:
                in_file = {row.values.get(self.entity.key[0]) for row in self.ok_rows(rows)}
            for row in rows:
                v = row.values.get(f.name)
                if v is None:
                    row.attrs[ref.attr] = [] if f.kind == "list" else None
                    continue
                missing = [
                    x
                    for x in (v if isinstance(v, list) else [v])
                    if x not in found and x not in in_file
                ]
                if missing and not ref.create:
                    self.error(
                        row,
                        f.name,
                        self.unknown_reference(ref.model, ref.lookup, ref.what, missing),
                    )
                    continue
                if ref.self_ref:
                    continue  # set after the upsert, when every row of the file has an id
                if f.kind == "list":
                    row.attrs[ref.attr] = sorted(found[x] for x in v)
                else:
                    row.attrs[ref.attr] = found.get(v, ("new", v))

    def unknown_reference(
        self, model: type[models.Model], lookup: str, what: str, missing: list[str]
    ) -> str:
        """The row error of unknown references, with the closest known value when there is
        one ("unknown product: SKU-1O1; did you mean SKU-101?")."""
        message = _("unknown %(what)s: %(value)s") % {"what": what, "value": ", ".join(missing)}
        close = [c for c in (self.closest_known(model, lookup, v) for v in missing) if c]
        if close:
            message += "; " + _("did you mean %s?") % ", ".join(close)
        return message

    def closest_known(self, model: type[models.Model], lookup: str, value: Any) -> str | None:
        """The stored ``lookup`` value most like ``value`` (first SUGGEST_LIMIT misses only)."""
        cache = self.__dict__.setdefault("_known", {})
        asked = self.__dict__.setdefault("_asked", {})
        if value in asked:
            return asked[value]
        if len(asked) >= SUGGEST_LIMIT:
            return None
        key = (model, lookup)
        if key not in cache:
            cache[key] = [
                str(v)
                for v in model._default_manager.exclude(**{f"{lookup}__isnull": True}).values_list(
                    lookup, flat=True
                )[:SUGGEST_CANDIDATES]
                if v
            ]
        asked[value] = closest(value, cache[key])
        return asked[value]

    def store_value(self, f: Field, value: Any) -> Any:
        if value is None and f.kind in ("text", "choice", "country"):
            return ""
        return value

    def check_self_cycles(self, rows: list[Row]) -> None:
        for f in self.entity.fields:
            if not (f.ref and f.ref.self_ref and self.present(f.name)):
                continue
            key_name = self.entity.key[0]
            fk_name = f.ref.attr.removesuffix("_id")
            graph = dict(
                self.entity.model._default_manager.exclude(**{f"{key_name}__isnull": True})
                .filter(**{f"{fk_name}__isnull": False})
                .values_list(key_name, f"{fk_name}__{f.ref.lookup}")
            )
            for row in self.ok_rows(rows):
                graph[row.values.get(key_name)] = row.values.get(f.name)
            for row in self.ok_rows(rows):
                cycle = find_cycle(row.values.get(key_name), graph.get)
                if cycle:
                    self.error(
                        row,
                        f.name,
                        _("this makes a cycle: %s") % " → ".join(map(str, cycle)),
                    )

    # -- writing --------------------------------------------------------------------------

    def find_existing(self, rows: list[Row]) -> dict[tuple, models.Model]:
        attrs = [self.entity.attr(self.entity.field(name)) for name in self.entity.key]
        first = attrs[0]
        values = {row.attrs.get(first) for row in rows}
        found: dict[tuple, models.Model] = {}
        for part in chunks(v for v in values if v is not None and not isinstance(v, tuple)):
            for obj in self.entity.model._default_manager.filter(**{f"{first}__in": part}):
                found.setdefault(tuple(getattr(obj, a) for a in attrs), obj)
        return found

    def db_key(self, row: Row) -> tuple:
        return tuple(row.attrs.get(self.entity.attr(self.entity.field(n))) for n in self.entity.key)

    def prepare_write(self, rows: list[Row]) -> None:
        """Last steps before the upsert (e.g. create referenced competitors)."""

    def new_object(self, row: Row) -> models.Model:
        return self.entity.model(**{**self.entity.defaults, **row.attrs})

    def write(self, rows: list[Row], progress: Progress | None = None) -> None:
        self.prepare_write(rows)
        existing = self.find_existing(rows)
        to_create: list[models.Model] = []
        to_update: list[models.Model] = []
        changed: set[str] = set()
        has_history = hasattr(self.entity.model, "history")
        m2m = self.m2m_attrs()
        for row in rows:
            obj = existing.get(self.db_key(row))
            plain = {k: v for k, v in row.attrs.items() if k not in m2m}
            if obj is None:
                row.obj = self.new_object(row.__class__(row.line, row.values, row.cells, plain))
                to_create.append(row.obj)
                self.report.created += 1
                continue
            row.obj = obj
            diff = model_assign(instance=obj, data=plain)
            if diff:
                changed.update(diff)
                to_update.append(obj)
                self.report.updated += 1
            else:
                row.obj.__dict__["_kam_unchanged"] = True
        for part in chunks(to_create, BATCH):
            if has_history:
                bulk_create_with_history(part, self.entity.model, batch_size=BATCH)
            else:
                self.entity.model._default_manager.bulk_create(part, batch_size=BATCH)
        if to_update:
            fields = sorted(changed)
            if "updated_at" in {f.name for f in self.entity.model._meta.fields}:
                fields.append("updated_at")
                from django.utils import timezone

                now = timezone.now()
                for obj in to_update:
                    cast(TimeStamped, obj).updated_at = now  # checked above: it has the column
            for part in chunks(to_update, BATCH):
                if has_history:
                    bulk_update_with_history(part, self.entity.model, fields, batch_size=BATCH)
                else:
                    self.entity.model._default_manager.bulk_update(part, fields, batch_size=BATCH)
        self.after_upsert(rows)
        self.write_self_refs(rows)
        self.write_m2m(rows)
        # a row is unchanged when neither its fields nor its links changed
        self.report.unchanged += sum(1 for r in rows if r.obj.__dict__.pop("_kam_unchanged", False))

    def mark_changed(self, row: Row) -> None:
        if row.obj.__dict__.pop("_kam_unchanged", False):
            self.report.updated += 1

    def after_upsert(self, rows: list[Row]) -> None:
        pass

    def write_self_refs(self, rows: list[Row]) -> None:
        for f in self.entity.fields:
            if not (f.ref and f.ref.self_ref and self.present(f.name)):
                continue
            ids = fetch_map(self.entity.model, f.ref.lookup, (r.values.get(f.name) for r in rows))
            changed: list[models.Model] = []
            for row in rows:
                if row.obj is None:  # every row is written by now
                    continue
                wanted = ids.get(row.values.get(f.name))
                if getattr(row.obj, f.ref.attr) != wanted:
                    setattr(row.obj, f.ref.attr, wanted)
                    changed.append(row.obj)
                    self.mark_changed(row)
            if changed:
                if hasattr(self.entity.model, "history"):
                    bulk_update_with_history(changed, self.entity.model, [f.ref.attr])
                else:
                    self.entity.model._default_manager.bulk_update(changed, [f.ref.attr])

    def m2m_attrs(self) -> set[str]:
        return set()

    def write_m2m(self, rows: list[Row]) -> None:
        pass


# --- entities --------------------------------------------------------------------------------

UNIT_REF = Ref(Unit, "external_id", "unit_id", "unit")
ACCOUNT_REF = Ref(Unit, "external_id", "account_id", "unit")
USER_REF = Ref(User, "username", "owner_id", "user")
LINE_REF = Ref(ProductLine, "code", "product_line_id", "product line")


class UnitImporter(Importer):
    entity = Entity(
        name="units",
        model=Unit,
        key=("external_id",),
        fields=[
            Field(
                "external_id",
                required=True,
                max_length=64,
                synonyms=("customerid", "customer_id", "код_клиента"),
            ),
            Field(
                "name",
                required=True,
                max_length=200,
                synonyms=("companyname", "company_name", "company", "клиент", "организация"),
            ),
            Field("kind", kind="choice", choices=UnitKind),
            Field("parent", max_length=64, export="parent_external_id"),
            Field("industry", max_length=100),
            Field("country", kind="country"),
            Field("region", max_length=120),
            Field("city", max_length=120),
            Field("employees", kind="int", min_value=0, max_value=2**31 - 1),
            Field("turnover", kind="decimal", max_digits=18, min_value=0),
            Field("latitude", kind="decimal", places=5, max_digits=8, min_value=-90, max_value=90),
            Field(
                "longitude", kind="decimal", places=5, max_digits=8, min_value=-180, max_value=180
            ),
            Field(
                "account_manager",
                ref=Ref(User, "username", "account_manager_id", "user"),
                export="account_manager__username",
            ),
        ],
        defaults={"kind": UnitKind.COMPANY},
        # decision 30: key-account status changes only through an approved nomination
        refused={
            name: gettext_lazy(
                "key-account status (tier) is not imported: it changes only through an "
                "approved nomination."
            )
            for name in ("tier", "уровень")
        },
    )

    # new units are inserted a tree level at a time; False: one by one through unit_create
    bulk = True

    def __init__(self, report: ImportReport, columns: dict[str, str]):
        super().__init__(report, columns)
        self.new_accounts: set[str] = set()  # account paths of the units created in bulk

    def validate(self, rows: list[Row]) -> None:
        for row in rows:
            self.check_row(row)
        self.check_duplicates(rows)
        self.resolve(rows)
        self.check_tree(rows)

    def check_tree(self, rows: list[Row]) -> None:
        # The tree after the import: parents from the database, overridden by the file.
        db = list(Unit.objects.values_list("pk", "path", "external_id"))
        by_path = {path: (pk, ext) for pk, path, ext in db}
        self.db_ids = {ext: pk for pk, _p, ext in db if ext}
        parent_of: dict[Any, Any] = {}
        for _pk, path, ext in db:
            node = ext or ("#", _pk)
            parent = parent_path(path)
            if parent is not None:
                ppk, pext = by_path[parent]
                parent_of[node] = pext or ("#", ppk)
        in_file = {row.values.get("external_id"): row for row in self.ok_rows(rows)}
        if self.present("parent"):
            known: list[str] = []
            suggested = 0
            for row in rows:
                parent = row.values.get("parent")
                ext = row.values.get("external_id")
                if parent and parent not in in_file and parent not in self.db_ids:
                    message = _("unknown parent unit: %s") % parent
                    if not known:
                        known = [*self.db_ids, *(k for k in in_file if k)]
                    suggested += 1
                    close = closest(parent, known) if suggested <= SUGGEST_LIMIT else None
                    if close:
                        message += "; " + _("did you mean %s?") % close
                    self.error(row, "parent", message)
                elif parent and parent == ext:
                    self.error(row, "parent", _("a unit cannot be its own parent"))
                elif ext in in_file:
                    parent_of[ext] = parent or None
        for row in self.ok_rows(rows):
            cycle = find_cycle(row.values.get("external_id"), parent_of.get)
            if cycle:
                self.error(
                    row,
                    "parent",
                    _("parent cycle: %s") % " → ".join(map(str, cycle)),
                    value=row.values.get("parent"),
                )
            elif (
                row.attrs.get("account_manager_id") is not None
                and parent_of.get(row.values.get("external_id")) is not None
            ):
                # decision 23: only an account has an account manager
                self.error(
                    row,
                    "account_manager",
                    _("only an account (a unit without a parent) has an account manager"),
                )
        self.parent_of = parent_of

    def write(self, rows: list[Row], progress: Progress | None = None) -> None:
        # A row whose parent row was rejected cannot be placed: skip it too.
        in_file = {row.values["external_id"]: row for row in rows}
        bad_exts = set()
        changed = True
        while changed:
            changed = False
            for ext, row in list(in_file.items()):
                parent = row.values.get("parent") if self.present("parent") else None
                if parent and parent not in in_file and parent not in self.db_ids:
                    self.report.skipped += 1
                    self.report.add_error(
                        row.line,
                        self.columns.get("parent", "parent"),
                        parent,
                        _("the parent row was rejected"),
                    )
                    bad_exts.add(ext)
                    del in_file[ext]
                    changed = True

        # parents first: order by depth in the final tree (each row's depth walked once)
        def depth(ext: Any) -> int:
            n, node = 0, ext
            while (node := self.parent_of.get(node)) is not None:
                n += 1
            return n

        depths = {ext: depth(ext) for ext in in_file}
        ordered = sorted(in_file.values(), key=lambda r: depths[r.values["external_id"]])
        users: dict[int, User] = {}
        manager_ids = {r.attrs.get("account_manager_id") for r in ordered} - {None}
        if manager_ids:
            users = User.objects.in_bulk(manager_ids)
        existing: dict[str, Unit] = {}
        for part in chunks(r.values["external_id"] for r in ordered):
            existing.update({u.external_id: u for u in Unit.objects.filter(external_id__in=part)})
        # Level by level (parents first): the new units of a level in bulk, with their paths
        # computed in memory; then the existing ones of that level one by one (moves, changes).
        levels: dict[int, list[Row]] = defaultdict(list)
        for row in ordered:
            levels[depths[row.values["external_id"]]].append(row)
        made: dict[str, int] = {}  # external id → id of the units created so far
        done = 0
        for level in sorted(levels):
            level_rows = levels[level]
            new_rows = [r for r in level_rows if r.values["external_id"] not in existing]
            if new_rows:
                self.create_level(new_rows, users, made)
            for row in level_rows:
                if row.values["external_id"] in existing:
                    self.update_existing(row, existing[row.values["external_id"]], users)
            done += len(level_rows)
            if progress:
                progress(done, len(ordered))
        if self.bulk and self.new_accounts:
            # every level's new units, once: one mark per account for the scoring facts, the
            # health and the kept figures (units_create_level was told not to announce)
            accounts_changed.send(sender=Unit, paths=sorted(self.new_accounts))

    def unit_fields(self, row: Row, users: dict[int, User]) -> dict[str, Any]:
        fields = {k: v for k, v in row.attrs.items() if k != "parent"}
        if "account_manager_id" in fields:
            mid = fields.pop("account_manager_id")
            fields["account_manager"] = users.get(mid)
        return fields

    def create_level(self, rows: list[Row], users: dict[int, User], made: dict[str, int]) -> None:
        parent_exts = {r.values.get("parent") for r in rows} - {None, ""}
        parents = {ext: made[ext] for ext in parent_exts if ext in made}
        for part in chunks(sorted(parent_exts - set(parents))):
            parents.update(
                Unit.objects.filter(external_id__in=part).values_list("external_id", "pk")
            )
        items: list[tuple[int | None, dict[str, Any]]] = []
        for row in rows:
            create = {**self.entity.defaults, **self.unit_fields(row, users)}
            if not create.get("kind"):
                create["kind"] = self.entity.defaults["kind"]
            parent_ext = row.values.get("parent")
            items.append((parents[parent_ext] if parent_ext else None, create))
        try:
            if self.bulk:
                created = units_create_level(items=items, announce=False)
                self.new_accounts.update(account_path(path) for _pk, path in created)
            else:  # the unit-by-unit path, kept to compare with (bench, property test)
                created = [
                    (unit.pk, unit.path)
                    for unit in (
                        unit_create(
                            parent=Unit(pk=parent_id) if parent_id is not None else None,
                            **fields,
                        )
                        for parent_id, fields in items
                    )
                ]
        except DomainError as exc:
            # a rule of the tree broke while writing: the whole file is refused
            raise DomainError(
                _("Lines %(first)s–%(last)s: %(message)s")
                % {"first": rows[0].line, "last": rows[-1].line, "message": exc.message}
            ) from exc
        for row, (pk, _path) in zip(rows, created, strict=True):
            made[row.values["external_id"]] = pk
        self.report.created += len(created)

    def update_existing(self, row: Row, unit: Unit, users: dict[int, User]) -> None:
        fields = self.unit_fields(row, users)
        try:
            touched = False
            if self.present("parent"):
                unit = Unit.objects.get(pk=unit.pk)
                current = Unit.objects.get_parent(unit)
                want = row.values.get("parent") or None
                if (current.external_id if current else None) != want or (
                    current is not None and want is None
                ):
                    target = Unit.objects.get(external_id=want) if want else None
                    unit = unit_move(unit=unit, new_parent=target)
                    touched = True
            if "kind" in fields and not fields["kind"]:
                fields["kind"] = unit.kind
            diff = {k: v for k, v in fields.items() if getattr(unit, k) != v}
            if diff:
                unit_update(unit=unit, **diff)
                touched = True
            if touched:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        except DomainError as exc:
            # a rule of the tree broke while writing: the whole file is refused
            raise DomainError(
                _("Line %(line)s: %(message)s") % {"line": row.line, "message": exc.message}
            ) from exc


class ContactImporter(Importer):
    entity = Entity(
        name="contacts",
        model=Contact,
        key=("external_id",),
        fields=[
            Field("external_id", required=True, max_length=64),
            Field("first_name", max_length=100),
            Field("last_name", max_length=100),
            Field("email", max_length=254),
            Field("phone", max_length=50),
            Field("notes"),
        ],
    )

    def check_row(self, row: Row) -> None:
        if not (row.values.get("first_name") or row.values.get("last_name")):
            self.error(row, "last_name", _("a contact needs a first or last name"))
        email = row.values.get("email")
        if email and ("@" not in email or " " in email.strip()):
            self.error(row, "email", _("not an e-mail address"))


class EmploymentImporter(Importer):
    entity = Entity(
        name="employments",
        model=Employment,
        key=("external_id",),
        fields=[
            Field("external_id", required=True, max_length=64),
            Field(
                "contact",
                required=True,
                ref=Ref(Contact, "external_id", "contact_id", "contact"),
                export="contact__external_id",
            ),
            Field("unit", required=True, ref=UNIT_REF, export="unit__external_id"),
            Field("title", max_length=200),
            Field("department", max_length=200),
            Field("function", kind="choice", choices=CustomerFunction),
            Field("seniority", kind="choice", choices=Seniority),
            Field("start_date", kind="date"),
            Field("end_date", kind="date"),
            Field(
                "reports_to",
                ref=Ref(Employment, "external_id", "reports_to_id", "employment", self_ref=True),
                export="reports_to__external_id",
            ),
        ],
    )

    def check_row(self, row: Row) -> None:
        start, end = row.values.get("start_date"), row.values.get("end_date")
        if start and end and end < start:
            self.error(row, "end_date", _("the end is before the start"))

    def after_upsert(self, rows: list[Row]) -> None:
        # bulk writes send no model signals: list the accounts whose positions changed
        units: set[int | None] = set()
        for row in rows:
            obj = row.obj
            if obj is None or obj.__dict__.get("_kam_unchanged"):
                continue
            units.update((cast(Employment, obj).unit_id, obj.__dict__.get("_facts_unit_id")))
        units.discard(None)
        if units:
            accounts_changed.send(sender=Employment, unit_ids=units)

    def store_value(self, f: Field, value: Any) -> Any:
        if value is None and f.name == "function":
            return CustomerFunction.OTHER
        if value is None and f.name == "seniority":
            return Seniority.OPERATIONAL
        return super().store_value(f, value)


class UserImporter(Importer):
    entity = Entity(
        name="users",
        model=User,
        key=("username",),
        fields=[
            Field("username", required=True, max_length=150),
            Field("external_id", max_length=64),
            Field("first_name", max_length=150),
            Field("last_name", max_length=150),
            Field("email", max_length=254),
            Field("role", kind="choice", choices=Role),
            Field("function", kind="choice", choices=Function),
            Field(
                "territory",
                ref=Ref(Territory, "external_id", "territory_id", "territory", alt_lookup="name"),
                export="territory_key",
            ),
            Field(
                "manager",
                ref=Ref(User, "username", "manager_id", "user", self_ref=True),
                export="manager__username",
            ),
            Field("capacity", kind="int", min_value=0, max_value=32767),
            Field("language", max_length=8),
            Field("is_active", kind="bool"),
        ],
    )

    def store_value(self, f: Field, value: Any) -> Any:
        if f.name == "external_id":
            return value or None
        if value is None and f.name == "function":
            return Function.SALES
        if value is None and f.name == "capacity":
            return 5
        if value is None and f.name == "is_active":
            return True
        return super().store_value(f, value)

    def check_duplicates(self, rows: list[Row]) -> None:
        super().check_duplicates(rows)
        first: dict[str, int] = {}
        for row in rows:
            ext = row.values.get("external_id")
            if ext:
                if ext in first:
                    self.error(
                        row, "external_id", _("duplicate of line %s in this file") % first[ext]
                    )
                else:
                    first[ext] = row.line

    def find_existing(self, rows: list[Row]) -> dict[tuple, models.Model]:
        """Match by external id first (a renamed login), else by username."""
        by_ext = {}
        exts = [r.values.get("external_id") for r in rows if r.values.get("external_id")]
        for part in chunks(exts):
            by_ext.update({u.external_id: u for u in User.objects.filter(external_id__in=part)})
        by_name = {}
        for part in chunks(r.values["username"] for r in rows):
            by_name.update({u.username: u for u in User.objects.filter(username__in=part)})
        result: dict[tuple[Any, ...], models.Model] = {}
        for row in rows:
            user = by_ext.get(row.values.get("external_id")) or by_name.get(row.values["username"])
            if user is not None:
                result[self.db_key(row)] = user
        return result

    def new_object(self, row: Row) -> models.Model:
        user = cast(User, super().new_object(row))
        user.set_unusable_password()
        return user


class ProductLineImporter(Importer):
    entity = Entity(
        name="product-lines",
        model=ProductLine,
        key=("code",),
        fields=[
            Field("code", required=True, max_length=32),
            Field("name", required=True, max_length=120),
        ],
    )


class ProductImporter(Importer):
    entity = Entity(
        name="products",
        model=Product,
        key=("sku",),
        fields=[
            Field("sku", required=True, max_length=64),
            Field("name", required=True, max_length=200),
            Field(
                "line",
                required=True,
                ref=Ref(ProductLine, "code", "line_id", "product line"),
                export="line__code",
            ),
        ],
    )


class OpportunityImporter(Importer):
    entity = Entity(
        name="opportunities",
        model=Opportunity,
        key=("external_id",),
        fields=[
            Field("external_id", required=True, max_length=64),
            Field("name", required=True, max_length=200),
            Field("unit", required=True, ref=UNIT_REF, export="unit__external_id"),
            Field("product_line", ref=LINE_REF, export="product_line__code"),
            Field("stage", kind="choice", choices=OpportunityStage),
            Field("amount", kind="decimal", max_digits=16),
            Field("probability", kind="int", min_value=0, max_value=100),
            Field("expected_close", kind="date"),
            Field("owner", ref=USER_REF, export="owner__username"),
            Field(
                "product",
                ref=Ref(Product, "sku", "product_id", "product"),
                export="product__sku",
                synonyms=("sku", "product_sku", "товар", "артикул"),
            ),
            Field(
                "engaged_on",
                kind="date",
                synonyms=("created", "created_date", "createddate", "open_date", "дата_создания"),
            ),
        ],
    )

    def resolve(self, rows: list[Row]) -> None:
        """A product names its line; a line that contradicts it is a row error."""
        super().resolve(rows)
        if not self.present("product"):
            return
        ids = {r.attrs.get("product_id") for r in rows} - {None}
        lines: dict[Any, int] = {}
        for part in chunks(ids):
            lines.update(Product.objects.filter(pk__in=part).values_list("pk", "line_id"))
        for row in self.ok_rows(rows):
            line = lines.get(row.attrs.get("product_id"))
            if line is None:
                continue
            if row.values.get("product_line") is None:
                row.attrs["product_line_id"] = line
            elif row.attrs.get("product_line_id") != line:
                self.error(row, "product", _("the product belongs to another product line"))

    def check_row(self, row: Row) -> None:
        engaged, close = row.values.get("engaged_on"), row.values.get("expected_close")
        if engaged and close and engaged > close:
            self.error(row, "expected_close", _("the expected close is before the engagement date"))

    def store_value(self, f: Field, value: Any) -> Any:
        if value is None and f.name == "stage":
            return OpportunityStage.QUALIFY
        if value is None and f.name == "amount":
            return 0
        if value is None and f.name == "probability":
            return 10
        return super().store_value(f, value)


class InteractionImporter(Importer):
    entity = Entity(
        name="interactions",
        model=Interaction,
        key=("external_id",),
        fields=[
            Field("external_id", required=True, max_length=64),
            Field("type", required=True, kind="choice", choices=InteractionType),
            Field("occurred_at", required=True, kind="datetime"),
            Field("unit", required=True, ref=UNIT_REF, export="unit__external_id"),
            Field("summary", required=True, max_length=300),
            Field("outcome"),
            Field("initiated_by", kind="choice", choices=Initiator),
            Field("participants", kind="list", ref=Ref(User, "username", "participants", "user")),
            Field("contacts", kind="list", ref=Ref(Contact, "external_id", "contacts", "contact")),
        ],
    )

    def store_value(self, f: Field, value: Any) -> Any:
        if value is None and f.name == "initiated_by":
            return Initiator.US
        return super().store_value(f, value)

    def m2m_attrs(self) -> set[str]:
        return {"participants", "contacts"}

    def write_m2m(self, rows: list[Row]) -> None:
        # link strengths (relationships): the pairs before and after the change are stale
        interactions_mark_stale(r.obj.pk for r in rows if r.obj is not None)
        for name, other in (("participants", "user_id"), ("contacts", "contact_id")):
            if not self.present(name):
                continue
            through = getattr(Interaction, name).through
            ids = [r.obj.pk for r in rows if r.obj is not None]  # every row is written by now
            current: dict[int, set[int]] = defaultdict(set)
            for part in chunks(ids):
                for iid, oid in through.objects.filter(interaction_id__in=part).values_list(
                    "interaction_id", other
                ):
                    current[iid].add(oid)
            add, remove = [], []
            for row in rows:
                if row.obj is None:
                    continue
                want = set(row.attrs.get(name) or [])
                have = current.get(row.obj.pk, set())
                if want != have:
                    self.mark_changed(row)
                    add += [through(interaction_id=row.obj.pk, **{other: o}) for o in want - have]
                    remove += [(row.obj.pk, o) for o in have - want]
            through.objects.bulk_create(add, batch_size=BATCH)
            for iid, oid in remove:
                through.objects.filter(interaction_id=iid, **{other: oid}).delete()
        # after the change: link strengths and health of every layer above, like a capture
        interactions_bulk_written.send(
            sender=type(self), interaction_ids=[r.obj.pk for r in rows if r.obj is not None]
        )


class _AccountMemberImporter(Importer):
    """Rows of an account's buying centre: the unit must be an account (a top-level unit) and
    the contact must hold or have held a position there."""

    def validate(self, rows: list[Row]) -> None:
        super().validate(rows)
        ok = [r for r in self.ok_rows(rows) if isinstance(r.attrs.get("account_id"), int)]
        accounts = set()
        for part in chunks({r.attrs["account_id"] for r in ok}):
            accounts.update(
                Unit.objects.accounts().filter(pk__in=part).values_list("pk", flat=True)
            )
        members: set[tuple[int, int]] = set()
        contacts = {r.attrs.get("contact_id") for r in ok}
        for part in chunks(c for c in contacts if isinstance(c, int)):
            for contact_id, unit_id in Employment.objects.filter(contact_id__in=part).values_list(
                "contact_id", "unit_id"
            ):
                members.add((contact_id, unit_id))
        unit_ids = {u for _c, u in members}
        account_of: dict[int, int] = {}
        for part in chunks(unit_ids):
            account_of.update(Unit.objects.filter(pk__in=part).account_ids())
        at_account = {(c, account_of.get(u)) for c, u in members}
        for row in ok:
            if row.attrs["account_id"] not in accounts:
                self.error(row, "account", _("not an account (a unit without a parent)"))
            elif (row.attrs.get("contact_id"), row.attrs["account_id"]) not in at_account:
                self.error(row, "contact", _("has no position at this account"))

    def after_upsert(self, rows: list[Row]) -> None:
        # bulk writes send no model signals: the accounts' kept coverage figures are stale
        figures_mark_stale(
            unit_ids={cast(Any, r.obj).account_id for r in rows if r.obj is not None}
        )


CONTACT_REF = Ref(Contact, "external_id", "contact_id", "contact")


class BuyingRoleImporter(_AccountMemberImporter):
    entity = Entity(
        name="buying-roles",
        model=BuyingRole,
        key=("account", "contact", "role"),
        fields=[
            Field("account", required=True, ref=ACCOUNT_REF, export="account__external_id"),
            Field("contact", required=True, ref=CONTACT_REF, export="contact__external_id"),
            Field("role", required=True, kind="choice", choices=BuyingRoleKind),
        ],
    )


class ContactStanceImporter(_AccountMemberImporter):
    entity = Entity(
        name="buying-centre",
        model=ContactStance,
        key=("account", "contact"),
        fields=[
            Field("account", required=True, ref=ACCOUNT_REF, export="account__external_id"),
            Field("contact", required=True, ref=CONTACT_REF, export="contact__external_id"),
            Field("attitude", kind="choice", choices=Attitude),
            Field("influence", kind="int", min_value=1, max_value=5),
            Field("orientation", kind="choice", choices=DecisionOrientation),
            Field("note", max_length=300),
        ],
    )

    def store_value(self, f: Field, value: Any) -> Any:
        if value is None and f.name == "attitude":
            return Attitude.NEUTRAL
        if value is None and f.name == "influence":
            return 3
        return super().store_value(f, value)


class OurLinkImporter(Importer):
    entity = Entity(
        name="our-links",
        model=OurLink,
        key=("user", "contact"),
        fields=[
            Field(
                "user",
                required=True,
                ref=Ref(User, "username", "user_id", "user"),
                export="user__username",
            ),
            Field("contact", required=True, ref=CONTACT_REF, export="contact__external_id"),
            Field("level", required=True, kind="int", min_value=0, max_value=4),
            Field("note", max_length=300),
        ],
    )

    def after_upsert(self, rows: list[Row]) -> None:
        # the disagreement flag compares the judged level with the activity: compute it again
        links = [cast(OurLink, r.obj) for r in rows if r.obj is not None]
        links_mark_stale((link.user_id, link.contact_id) for link in links)
        # the judged levels are on the map and in the coverage matrix of the contacts' accounts
        figures_mark_stale(contact_ids={link.contact_id for link in links})


class CompetitorShareImporter(Importer):
    entity = Entity(
        name="competitor-shares",
        model=CompetitorShare,
        key=("account", "product_line", "competitor"),
        fields=[
            Field("account", required=True, ref=ACCOUNT_REF, export="account__external_id"),
            Field("product_line", required=True, ref=LINE_REF, export="product_line__code"),
            Field(
                "competitor",
                required=True,
                max_length=200,
                ref=Ref(Competitor, "name", "competitor_id", "competitor", create=True),
                export="competitor__name",
            ),
            Field(
                "share_pct", required=True, kind="decimal", max_digits=5, min_value=0, max_value=100
            ),
            Field("as_of", required=True, kind="date"),
        ],
    )

    def prepare_write(self, rows: list[Row]) -> None:
        new = {
            r.attrs["competitor_id"][1]
            for r in rows
            if isinstance(r.attrs.get("competitor_id"), tuple)
        }
        ids = {}
        for name in sorted(new):
            ids[name] = Competitor.objects.get_or_create(name=name)[0].pk
        for row in rows:
            value = row.attrs.get("competitor_id")
            if isinstance(value, tuple):
                row.attrs["competitor_id"] = ids[value[1]]


class SupplierPositionImporter(Importer):
    entity = Entity(
        name="supplier-positions",
        model=SupplierPosition,
        key=("account", "since"),
        fields=[
            Field("account", required=True, ref=ACCOUNT_REF, export="account__external_id"),
            Field("since", required=True, kind="date"),
            Field("position", required=True, kind="choice", choices=SupplierPositionLevel),
            Field("note", max_length=300),
        ],
    )


class TeamMemberImporter(Importer):
    """Account team memberships, written through the teams services (their rules apply: a
    role of ours, allocation 0–100, the unit inside the account, no overlapping period)."""

    entity = Entity(
        name="team-members",
        model=TeamMember,
        key=("account", "user", "role", "start"),
        fields=[
            Field("account", required=True, ref=ACCOUNT_REF, export="account__external_id"),
            Field(
                "user",
                required=True,
                ref=Ref(User, "username", "user_id", "user", alt_lookup="email"),
                export="user__username",
                synonyms=("person", "username", "сотрудник"),
            ),
            Field("role", required=True, kind="choice", choices=TeamRole, synonyms=("роль",)),
            Field("unit", ref=UNIT_REF, export="unit__external_id"),
            Field("region", max_length=120),
            Field(
                "allocation", kind="int", min_value=0, max_value=100, synonyms=("allocation_pct",)
            ),
            Field("start", required=True, kind="date", synonyms=("from", "since")),
            Field("end", kind="date", synonyms=("until", "left_on")),
            Field("note", max_length=300),
        ],
    )

    def write(self, rows: list[Row], progress: Progress | None = None) -> None:
        existing = self.find_existing(rows)
        accounts = Unit.objects.in_bulk({r.attrs["account_id"] for r in rows})
        users = User.objects.in_bulk({r.attrs["user_id"] for r in rows})
        units = Unit.objects.in_bulk({r.attrs["unit_id"] for r in rows if r.attrs.get("unit_id")})
        for row in rows:
            data = {
                name: row.attrs[name]
                for name in ("region", "allocation", "end", "note")
                if self.present(name) and name in row.attrs
            }
            if self.present("unit"):
                data["unit"] = units.get(row.attrs.get("unit_id") or 0)
            if data.get("allocation") is None:
                data.pop("allocation", None)
            try:
                member = existing.get(self.db_key(row))
                if member is None:
                    team_member_add(
                        account=accounts[row.attrs["account_id"]],
                        user=users[row.attrs["user_id"]],
                        role=row.attrs["role"],
                        start=row.attrs["start"],
                        **data,
                    )
                    self.report.created += 1
                else:
                    changed = model_assign(instance=copy.copy(member), data=data)
                    if changed:
                        team_member_update(member=cast(TeamMember, member), data=data)
                        self.report.updated += 1
                    else:
                        self.report.unchanged += 1
            except DomainError as exc:
                raise DomainError(
                    _("Line %(line)s: %(message)s") % {"line": row.line, "message": exc.message},
                    field=exc.field,
                    code=exc.code,
                ) from exc


class FieldAssignmentImporter(Importer):
    """Responsible field reps of units, written through the field services (a rep of ours with
    the field rep role; the current rep of a unit ends on the new row's start)."""

    entity = Entity(
        name="field-assignments",
        model=FieldAssignment,
        key=("unit", "rep", "start"),
        fields=[
            Field("unit", required=True, ref=UNIT_REF, export="unit__external_id"),
            Field(
                "rep",
                required=True,
                ref=Ref(User, "username", "rep_id", "user", alt_lookup="email"),
                export="rep__username",
                synonyms=("field_rep", "username", "представитель"),
            ),
            Field("start", required=True, kind="date", synonyms=("from", "since")),
        ],
    )

    def write(self, rows: list[Row], progress: Progress | None = None) -> None:
        existing = self.find_existing(rows)
        units = Unit.objects.in_bulk({r.attrs["unit_id"] for r in rows})
        users = User.objects.in_bulk({r.attrs["rep_id"] for r in rows})
        for row in rows:
            if existing.get(self.db_key(row)) is not None:
                self.report.unchanged += 1
                continue
            try:
                changed = assignment_set(
                    units=[units[row.attrs["unit_id"]]],
                    rep=users[row.attrs["rep_id"]],
                    actor=None,
                    on=row.attrs["start"],
                )
            except DomainError as exc:
                raise DomainError(
                    _("Line %(line)s: %(message)s") % {"line": row.line, "message": exc.message},
                    field=exc.field,
                    code=exc.code,
                ) from exc
            if changed:
                self.report.created += 1
            else:
                self.report.unchanged += 1


class VisitImporter(Importer):
    """Visits of field reps (planned, done, missed or cancelled), keyed by unit, rep and day."""

    entity = Entity(
        name="visits",
        model=Visit,
        key=("unit", "rep", "planned_on"),
        fields=[
            Field("unit", required=True, ref=UNIT_REF, export="unit__external_id"),
            Field(
                "rep",
                required=True,
                ref=Ref(User, "username", "rep_id", "user", alt_lookup="email"),
                export="rep__username",
                synonyms=("field_rep", "username", "представитель"),
            ),
            Field("planned_on", required=True, kind="date", synonyms=("date", "day", "дата")),
            Field("status", kind="choice", choices=VisitStatus, synonyms=("статус",)),
            Field("note", max_length=300),
        ],
        defaults={"status": VisitStatus.PLANNED},
    )


TRANSACTION_ENTITY = Entity(
    name="transactions",
    model=Transaction,
    key=("external_id",),
    fields=[
        Field(
            "external_id",
            required=True,
            max_length=64,
            synonyms=("transaction_id", "line_id", "номер", "номер_строки"),
        ),
        Field("date", required=True, kind="date"),
        Field("unit", required=True, ref=UNIT_REF, export="unit__external_id"),
        Field(
            "product",
            required=True,
            ref=Ref(Product, "sku", "product_id", "product"),
            export="product__sku",
        ),
        Field("quantity", kind="decimal", places=3, max_digits=14),
        Field("net_amount", required=True, kind="decimal", max_digits=16),
        Field("currency", max_length=3),
        Field("cost", kind="decimal", max_digits=16),
        # in another currency than the reporting one, the line is converted with this rate or
        # the rate of the currency-rates table valid on its date (decision 59)
        Field(
            "rate",
            kind="decimal",
            places=8,
            max_digits=18,
            exported=False,
            synonyms=("exchange_rate", "fx_rate", "курс", "курс_валюты"),
        ),
        # the line as the source wrote it (an export carries them, so it re-imports exactly)
        Field("original_amount", kind="decimal", max_digits=16),
        Field("original_currency", max_length=3),
    ],
)


class CurrencyRateImporter(Importer):
    entity = Entity(
        name="currency-rates",
        model=CurrencyRate,
        key=("currency", "valid_from"),
        fields=[
            Field("currency", required=True, max_length=3),
            Field("valid_from", required=True, kind="date", synonyms=("from", "с", "date")),
            Field("valid_to", kind="date", synonyms=("to", "по", "until")),
            Field(
                "rate",
                required=True,
                kind="decimal",
                places=8,
                max_digits=18,
                synonyms=("exchange_rate", "курс"),
            ),
        ],
    )

    def check_row(self, row: Row) -> None:
        """The checks of the rates service, one row at a time (decision 99)."""
        values = row.values
        if any(values.get(name) is None for name in ("currency", "valid_from", "rate")):
            return  # a missing or unreadable required cell is already a row error
        try:
            checked = sales_services.currency_rate_fields(
                currency=values["currency"],
                valid_from=values["valid_from"],
                valid_to=values.get("valid_to"),
                rate=values["rate"],
            )
        except DomainError as exc:
            self.error(row, exc.field or "currency", exc.message)
        else:
            values["currency"] = checked["currency"]

    def validate(self, rows: list[Row]) -> None:
        super().validate(rows)
        self.check_overlaps(self.ok_rows(rows))

    def check_overlaps(self, rows: list[Row]) -> None:
        """No two ranges of a currency overlap, the file's rows and the stored ones together
        (a row replaces the stored rate with its currency and start)."""
        by_currency: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            by_currency[row.values["currency"]].append(row)
        stored = CurrencyRate.objects.filter(currency__in=list(by_currency))
        for currency, mine in by_currency.items():
            starts = {row.values["valid_from"] for row in mine}
            ranges: list[sales_services.RateRange] = [
                (row, row.values["valid_from"], row.values.get("valid_to")) for row in mine
            ]
            ranges += [
                (rate, rate.valid_from, rate.valid_to)
                for rate in stored
                if rate.currency == currency and rate.valid_from not in starts
            ]
            for key, other in sales_services.rate_overlaps(ranges):
                row = key if isinstance(key, Row) else other
                if not isinstance(row, Row):
                    continue  # two stored rates: not this file's doing
                if isinstance(other, Row) and other is not row:
                    reason = _("overlaps the range of line %s") % other.line
                else:
                    peer = other if row is key else key
                    end = peer.valid_to.isoformat() if peer.valid_to else "…"
                    reason = _("overlaps the stored rate valid %(start)s – %(end)s") % {
                        "start": peer.valid_from.isoformat(),
                        "end": end,
                    }
                self.error(row, "valid_from", reason)

    def after_upsert(self, rows: list[Row]) -> None:
        # the kept list-price sums of every account may change (decision 122)
        sales_discounts.discounts_mark_stale(everything=True)


class CostToServeImporter(Importer):
    """Costs to serve per unit, month and category (issue 17): the checks of the page and the
    API (``cost_to_serve_fields``), one row at a time; a month is stored as its first day."""

    entity = Entity(
        name="costs-to-serve",
        model=CostToServe,
        key=("unit", "month", "category"),
        fields=[
            Field("unit", required=True, ref=UNIT_REF, export="unit__external_id"),
            Field("month", required=True, kind="date", synonyms=("period", "месяц")),
            Field(
                "category",
                required=True,
                kind="choice",
                choices=CostCategory,
                synonyms=("cost_category", "категория"),
            ),
            Field(
                "amount",
                required=True,
                kind="decimal",
                min_value=0,
                synonyms=("cost", "сумма", "затраты"),
            ),
            Field("note", max_length=300),
        ],
    )

    def check_row(self, row: Row) -> None:
        month = row.values.get("month")
        if month is not None:
            row.values["month"] = month.replace(day=1)


class ListPriceImporter(Importer):
    """List prices per product from a day on (decision 105); the checks of the price list's
    service (``list_price_fields``), the currency upper-cased, empty: the reporting one."""

    entity = Entity(
        name="list-prices",
        model=ListPrice,
        key=("product", "valid_from"),
        fields=[
            Field(
                "product",
                required=True,
                ref=Ref(Product, "sku", "product_id", "product"),
                export="product__sku",
                synonyms=("sku", "артикул"),
            ),
            Field("valid_from", required=True, kind="date", synonyms=("from", "с", "date")),
            Field(
                "price",
                required=True,
                kind="decimal",
                places=4,
                max_digits=16,
                min_value=0,
                synonyms=("list_price", "цена"),
            ),
            Field("currency", max_length=3, synonyms=("валюта",)),
        ],
    )

    def check_row(self, row: Row) -> None:
        price = row.values.get("price")
        if price is not None and price <= 0:
            self.error(row, "price", _("A list price must be more than 0."))
        currency = (row.values.get("currency") or "").strip().upper()
        if currency and not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
            self.error(
                row, "currency", _("The currency must be a three-letter ISO 4217 code, e.g. USD.")
            )
        row.values["currency"] = currency or reporting_currency()

    def after_upsert(self, rows: list[Row]) -> None:
        # the kept list-price sums of every account may change (decision 122)
        sales_discounts.discounts_mark_stale(everything=True)


IMPORTERS: dict[str, type[Importer]] = {
    cls.entity.name: cls
    for cls in (
        UnitImporter,
        ContactImporter,
        EmploymentImporter,
        UserImporter,
        ProductLineImporter,
        ProductImporter,
        OpportunityImporter,
        InteractionImporter,
        CompetitorShareImporter,
        SupplierPositionImporter,
        BuyingRoleImporter,
        ContactStanceImporter,
        OurLinkImporter,
        TeamMemberImporter,
        FieldAssignmentImporter,
        VisitImporter,
        CurrencyRateImporter,
        CostToServeImporter,
        ListPriceImporter,
    )
}

ENTITIES: dict[str, Entity] = {
    **{name: cls.entity for name, cls in IMPORTERS.items()},
    "transactions": TRANSACTION_ENTITY,
}
ENTITY_NAMES = [
    "units",
    "contacts",
    "employments",
    "users",
    "product-lines",
    "products",
    "transactions",
    "opportunities",
    "interactions",
    "competitor-shares",
    "supplier-positions",
    "buying-roles",
    "buying-centre",
    "our-links",
    "team-members",
    "field-assignments",
    "visits",
    "currency-rates",
    "costs-to-serve",
    "list-prices",
]
