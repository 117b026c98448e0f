"""What each importable entity looks like: its columns, their types and their synonyms.

The canonical field names are the column names of an export, so an export re-imports as is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from kam.core.validation import amount_error, date_error

from . import formats
from .countries import country_code, suggest_country
from .formats import ImportFileError
from .mapping import ColumnMapping

# Header synonyms shared by every entity (normalised with formats.norm_header).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "id",
        "ext_id",
        "external_code",
        "код",
        "внешний_код",
        "внешний_id",
        "идентификатор",
    ),
    "name": ("наименование", "название"),
    "parent": (
        "parent_id",
        "parent_external_id",
        "parent_code",
        "родитель",
        "головная_организация",
        "входит_в",
    ),
    "kind": ("type", "unit_kind", "вид", "тип"),
    "industry": ("отрасль",),
    "country": ("страна",),
    "region": ("регион", "область"),
    "city": ("город",),
    "employees": ("headcount", "сотрудники", "численность", "число_сотрудников"),
    "turnover": ("revenue", "оборот", "выручка"),
    "account_manager": ("kam", "менеджер", "ответственный"),
    "first_name": ("firstname", "given_name", "имя"),
    "last_name": ("lastname", "surname", "family_name", "фамилия"),
    "email": ("e_mail", "mail", "почта", "электронная_почта"),
    "phone": ("telephone", "телефон"),
    "notes": ("note", "comment", "примечание", "комментарий"),
    "contact": ("contact_id", "contact_external_id", "контакт"),
    "unit": (
        "unit_id",
        "unit_external_id",
        "customer",
        "customer_id",
        "клиент",
        "подразделение",
        "контрагент",
    ),
    "title": ("job_title", "position", "должность"),
    "department": ("отдел",),
    "function": ("функция",),
    "seniority": ("level", "уровень"),
    "start_date": ("start", "from", "начало", "дата_начала"),
    "end_date": ("end", "to", "окончание", "дата_окончания"),
    "reports_to": ("manager_employment", "подчиняется"),
    "username": ("login", "user", "логин"),
    "role": ("роль",),
    "territory": ("территория",),
    "manager": ("руководитель",),
    "capacity": ("емкость", "capacity_key_accounts"),
    "language": ("lang", "язык"),
    "is_active": ("active", "активен"),
    "code": ("код", "external_id", "id"),
    "sku": ("артикул", "product_code", "код_товара", "external_id", "id"),
    "line": ("product_line", "line_code", "линейка", "товарная_линейка"),
    "date": ("transaction_date", "order_date", "дата", "дата_продажи"),
    "product": ("sku", "product_sku", "product_id", "товар", "артикул"),
    "quantity": ("qty", "количество", "кол_во"),
    "net_amount": ("amount", "net", "сумма", "сумма_без_ндс", "выручка"),
    "currency": ("валюта",),
    "cost": ("себестоимость", "cost_amount"),
    "product_line": ("line", "line_code", "товарная_линейка", "линейка"),
    "stage": ("этап", "стадия"),
    "amount": ("сумма",),
    "probability": ("вероятность", "probability_%"),
    "expected_close": ("close_date", "дата_закрытия"),
    "owner": ("владелец", "ответственный"),
    "type": ("вид", "тип"),
    "occurred_at": ("when", "date", "datetime", "дата", "когда"),
    "summary": ("subject", "тема", "кратко"),
    "outcome": ("result", "итог", "результат"),
    "initiated_by": ("initiator", "инициатор"),
    "participants": ("our_participants", "участники"),
    "contacts": ("their_contacts", "контакты"),
    "account": ("account_id", "account_external_id", "клиент", "unit"),
    "competitor": ("конкурент",),
    "share_pct": ("share", "share_%", "доля", "доля_%"),
    "as_of": ("date", "на_дату", "дата"),
    "since": ("date", "from", "с", "дата"),
    "position": ("status", "статус", "позиция"),
    "note": ("notes", "comment", "примечание"),
}

LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class Ref:
    """A column that names another object by one of its keys."""

    model: type[models.Model]
    lookup: str  # model field the file value is matched against, e.g. "external_id"
    attr: str  # attribute set on the imported object, e.g. "unit_id"
    what: str  # how the error names it, e.g. "unit"
    alt_lookup: str | None = None  # a second key tried when the first does not match
    create: bool = False  # unknown values are created (competitors by name)
    self_ref: bool = False  # may name a row of the same file (resolved after the upsert)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"  # text, int, decimal, date, datetime, choice, bool, country, list
    required: bool = False
    max_length: int | None = None
    places: int = 2
    max_digits: int = 16
    min_value: Any = None
    max_value: Any = None
    choices: type[models.TextChoices] | None = None
    ref: Ref | None = None
    export: str | None = None  # ORM path for the export (default: the field's own attr)
    synonyms: tuple[str, ...] = ()
    exported: bool = True  # False: read from files only (a line's exchange rate)

    def all_names(self) -> list[str]:
        return [self.name, *self.synonyms, *SYNONYMS.get(self.name, ())]

    def parse(self, raw: Any, options: formats.ParseOptions = formats.DEFAULT_OPTIONS) -> Any:
        """A cell's value as a Python value; None when empty; ValueError(reason) if bad.

        ``options.date_order`` is ``dmy`` or ``mdy`` here (``auto`` is decided per file first).
        """
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.required:
                raise ValueError(_("a value is required"))
            return None
        kind = self.kind
        if kind in ("int", "decimal"):
            value: int | Decimal
            if kind == "int":
                value = formats.parse_int(raw)
            else:
                value = formats.parse_decimal(
                    raw,
                    places=self.places,
                    max_digits=self.max_digits,
                    round_amounts=options.round_amounts,
                )
            if self.min_value is not None and value < self.min_value:
                raise ValueError(_("must be at least %s") % self.min_value)
            if self.max_value is not None and value > self.max_value:
                raise ValueError(_("must be at most %s") % self.max_value)
            message = None
            if kind == "decimal":
                message = amount_error(value, self.max_digits, self.places)
            if message:
                raise ValueError(message)
            return value
        if kind in ("date", "datetime"):
            order = "mdy" if options.date_order == "mdy" else "dmy"
            when = (
                formats.parse_date(raw, order)
                if kind == "date"
                else formats.parse_datetime(raw, order)
            )
            message = date_error(when)
            if message:
                raise ValueError(message)
            return when
        if kind == "bool":
            return formats.parse_bool(raw)
        text = formats.parse_text(formats.cell_text(raw))
        if kind == "choice":
            assert self.choices is not None  # a choice field names its choices
            return _parse_choice(self.choices, text)
        if kind == "country":
            code = country_code(text)
            if code is None:
                raise ValueError(country_error(text))
            return code
        if kind == "list":
            return [v.strip() for v in text.split(LIST_SEPARATOR) if v.strip()]
        if self.max_length and len(text) > self.max_length:
            raise ValueError(_("longer than %s characters") % self.max_length)
        return text


def country_error(text: str) -> str:
    """The row error of an unknown country, with the closest known one when there is one."""
    suggestion = suggest_country(text)
    if suggestion:
        return _("unknown country; did you mean %(suggestion)s?") % {"suggestion": suggestion}
    return _("unknown country (use an ISO 3166 code or the country's name)")


_CHOICE_CACHE: dict[type, dict[str, str]] = {}


def _parse_choice(choices: type[models.TextChoices], text: str) -> str:
    table = _CHOICE_CACHE.get(choices)
    if table is None:
        table = {}
        for value, label in choices.choices:
            table[value.lower()] = value
            table[str(label).lower()] = value
            for lang in ("en", "ru"):
                with translation.override(lang):
                    table[str(label).lower()] = value
        _CHOICE_CACHE[choices] = table
    found = table.get(text.lower().replace("ё", "е")) or table.get(text.lower())
    if found is None:
        raise ValueError(_("unknown value; expected one of: %s") % ", ".join(choices.values))
    return found


@dataclass
class Entity:
    """An importable entity; subclasses in ``importers`` add the write logic."""

    name: str
    model: type[models.Model]
    fields: list[Field]
    key: tuple[str, ...]  # model attrs that identify a row for the upsert
    label: str = ""
    defaults: dict[str, Any] = field(default_factory=dict)
    # normalised column names a file must not carry, with the reason (a whole-file error)
    refused: dict[str, str | Promise] = field(default_factory=dict)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def header_map(self) -> dict[str, str]:
        """Normalised column name → field name; earlier fields win a shared synonym."""
        result: dict[str, str] = {}
        for f in self.fields:
            result.setdefault(formats.norm_header(f.name), f.name)
        for f in self.fields:
            for name in f.all_names():
                result.setdefault(formats.norm_header(name), f.name)
        return result

    def attr(self, f: Field) -> str:
        return f.ref.attr if f.ref else f.name


@dataclass
class ColumnPlan:
    """How a file's columns feed an entity's fields (see :func:`plan_columns`)."""

    columns: dict[str, str]  # field → the file column (or "= value" of a constant) it comes from
    pairs: list[tuple[int, str]]  # (column index, field); one column may feed several fields
    constants: dict[str, str]  # field → the value of every row (no column in the file)
    unused: list[str]  # file columns that feed nothing
    warnings: list[str]  # a header close to a known field, which is probably misspelt

    @property
    def by_index(self) -> dict[int, str]:
        """Column index → the first field it feeds."""
        result: dict[int, str] = {}
        for index, name in self.pairs:
            result.setdefault(index, name)
        return result


def _target(entity: Entity, names: dict[str, str], wanted: str, column: str) -> str:
    fields = {f.name for f in entity.fields}
    target = wanted if wanted in fields else names.get(formats.norm_header(wanted))
    if target is None:
        raise ImportFileError(
            _(
                "The mapping sends column “%(column)s” to “%(field)s”, which is not a "
                "field of %(entity)s. Fields: %(fields)s."
            )
            % {
                "column": column,
                "field": wanted,
                "entity": entity.name,
                "fields": ", ".join(f.name for f in entity.fields),
            },
            code="mapping",
        )
    return target


def plan_columns(entity: Entity, header: list[str], mapping: Any = None) -> ColumnPlan:
    """Match file columns to fields: the mapping first, then names and synonyms.

    ``mapping`` is a :class:`~kam.dataio.mapping.ColumnMapping` or its raw form (a dict).
    Columns matching nothing are listed as unused, with a warning when one is close to a field
    no column feeds (``Quantiy`` → quantity); a missing required column (without a constant) is
    an error that names it.
    """
    cmap = ColumnMapping.from_raw(mapping)
    names = entity.header_map()
    columns: dict[str, str] = {}
    pairs: list[tuple[int, str]] = []
    unused: list[str] = []
    for index, header_name in enumerate(header):
        norm = formats.norm_header(header_name)
        if not norm:
            continue
        targets: list[str]
        if norm in cmap.columns:
            targets = [_target(entity, names, t, header_name) for t in cmap.columns[norm]]
            if not targets:
                continue  # mapped to "-": ignored on purpose
        else:
            if norm in entity.refused:
                raise ImportFileError(
                    _(
                        "Column “%(column)s”: %(reason)s Remove the column, or map it to “-” "
                        "to ignore it."
                    )
                    % {"column": header_name, "reason": entity.refused[norm]},
                    code="refused_column",
                )
            target = names.get(norm)
            targets = [target] if target else []
        fed = False
        for target in targets:
            if target not in columns:
                columns[target] = header_name
                pairs.append((index, target))
                fed = True
        if not fed:
            unused.append(header_name)
    constants: dict[str, str] = {}
    for wanted, value in cmap.constants.items():
        target = _target(entity, names, wanted, f"= {value}")
        if target not in columns:  # a column of the file wins over a constant
            constants[target] = value
            columns[target] = f"= {value}"
    missing = [f for f in entity.fields if f.required and f.name not in columns]
    if missing:
        raise ImportFileError(
            _("Missing required column: %(columns)s. Columns in the file: %(header)s.")
            % {
                "columns": ", ".join(
                    f"{f.name} ({_('or')} {', '.join(f.all_names()[1:4])})"
                    if len(f.all_names()) > 1
                    else f.name
                    for f in missing
                ),
                "header": ", ".join(h for h in header if h) or "—",
            },
            code="missing_column",
        )
    return ColumnPlan(
        columns=columns,
        pairs=pairs,
        constants=constants,
        unused=unused,
        warnings=_near_misses(entity, unused, set(columns)),
    )


def _near_misses(entity: Entity, unused: list[str], fed: set[str]) -> list[str]:
    """A warning for every unused column whose name is close to a field no column feeds."""
    if not unused:
        return []
    from rapidfuzz import fuzz, process

    candidates: dict[str, str] = {}
    for f in entity.fields:
        if f.name not in fed:
            for name in f.all_names():
                candidates.setdefault(formats.norm_header(name), f.name)
    warnings = []
    for column in unused:
        found = process.extractOne(
            formats.norm_header(column), list(candidates), scorer=fuzz.ratio, score_cutoff=80
        )
        if found:
            warnings.append(
                _(
                    "Column “%(column)s” is not imported: did you mean “%(field)s”? "
                    "Rename it or map it to %(field)s."
                )
                % {"column": column, "field": candidates[found[0]]}
            )
    return warnings


def resolve_columns(
    entity: Entity, header: list[str], mapping: Any = None
) -> tuple[dict[str, str], dict[int, str]]:
    """Field → column header, and column index → (first) field; see :func:`plan_columns`."""
    plan = plan_columns(entity, header, mapping)
    return plan.columns, plan.by_index


def export_value(f: Field, value: Any) -> Any:
    """A stored value as the exporter writes it (text cells still to be neutralised)."""
    if value is None:
        return ""
    if f.kind == "list":
        return LIST_SEPARATOR.join(sorted(value))
    if f.kind == "bool":
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
