"""Writes about customer units, contacts and their employment."""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from django.db import connection, transaction
from django.db.models import Field, Max
from django.utils.translation import gettext as _
from treebeard.exceptions import InvalidMoveToDescendant

from kam.core.bulk import insert_values
from kam.core.countries import iso_alpha2
from kam.core.errors import CycleError, DomainError
from kam.core.permissions import require_employment_change, require_employment_create
from kam.core.services import UNSET, Unset, model_update
from kam.core.validation import check_date, check_fields

from .models import (
    Contact,
    CustomerFunction,
    Employment,
    Seniority,
    Tier,
    Unit,
    account_path,
    child_number,
    child_path,
    parent_path_of,
    path_depth,
)
from .signals import accounts_changed, unit_moved

if TYPE_CHECKING:
    from kam.people.models import User

UNIT_FIELDS = set(Unit.DETAIL_FIELDS)  # tier: only through nominations (decision 30)


def _tier_unchanged(fields: dict[str, Any], current: str) -> None:
    """Drop ``tier`` from ``fields`` when it repeats ``current``; refuse any change of it.

    Key-account status changes only through an approved nomination (decision 30): the
    identification services are its only writer. A client that sends back the tier it read
    (an export re-imported, a GET body PATCHed) is not refused.
    """
    if "tier" not in fields:
        return
    tier = fields.pop("tier")
    if tier in (None, "") or tier == current:
        return
    raise DomainError(
        _(
            "Key-account status (tier) changes only through an approved nomination: "
            "nominate the account, and an executive decides."
        ),
        field="tier",
        code="tier_by_nomination",
    )


def _clean_unit_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - UNIT_FIELDS
    if unknown:
        raise DomainError(_("Unknown unit fields: %s") % ", ".join(sorted(unknown)))
    if "name" in fields and not (fields["name"] or "").strip():
        raise DomainError(_("A unit needs a name."), field="name")
    if fields.get("country"):
        country = fields["country"].strip().upper()
        if len(country) != 2 or not country.isalpha() or country not in iso_alpha2():
            raise DomainError(_("Country must be a two-letter ISO code."), field="country")
        fields["country"] = country
    return fields


def _check_coordinates(fields: Mapping[str, object]) -> None:
    """Latitude −90..90 and longitude −180..180 degrees, when given."""
    for name, limit in (("latitude", 90), ("longitude", 180)):
        value = fields.get(name)
        if value is None or value == "":
            continue
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = float("nan")
        if not -limit <= number <= limit:
            raise DomainError(
                _("%(field)s must be between -%(limit)s and %(limit)s degrees.")
                % {"field": name, "limit": limit},
                field=name,
            )


def _check_account_fields(unit_is_account: bool, fields: Mapping[str, object]) -> None:
    """Refuse what only an account can have: an account manager (decision 23)."""
    _check_coordinates(fields)
    if unit_is_account:
        return
    if fields.get("account_manager") is not None:
        raise DomainError(
            _(
                "Only an account (a unit without a parent) has an account manager: "
                "its sub-units are managed by the account's manager."
            ),
            field="account_manager",
        )


@transaction.atomic
def unit_create(*, parent: Unit | None = None, **fields: Any) -> Unit:
    """A new unit; it starts transactional (a key tier comes from a nomination only)."""
    _tier_unchanged(fields, Tier.TRANSACTIONAL)
    fields = _clean_unit_fields(fields)
    _check_account_fields(parent is None, fields)
    if parent is None:
        created: Unit = Unit.objects.add_root(create_kwargs=fields)
        return created
    parent = Unit.objects.get(pk=parent.pk)  # fresh path and child count
    created = Unit.objects.add_child(parent, create_kwargs=fields)
    return created


def unit_version(unit: Unit) -> str:
    """A token that changes with every save: forms send it back to detect concurrent edits."""
    return unit.updated_at.isoformat() if unit.updated_at else ""


@transaction.atomic
def unit_update(*, unit: Unit, expected_version: str | None = None, **fields: Any) -> Unit:
    """Change a unit's data. With ``expected_version``, refuse when someone saved in between.

    The tier is not among the data: ``kam.identification.services.account_tier_set`` writes it.
    """
    _tier_unchanged(fields, unit.tier)
    fields = _clean_unit_fields(fields)
    _check_account_fields(unit.is_account, fields)
    if expected_version is not None:
        current = Unit.objects.select_for_update().get(pk=unit.pk)
        if unit_version(current) != expected_version:
            raise DomainError(
                _(
                    "Someone else changed this customer while you were editing. "
                    "Reload the page to see their changes."
                ),
                code="conflict",
            )
    # only the changed columns: readers of the tree (scoring facts) tell what changed
    unit, _changed = model_update(instance=unit, fields=UNIT_FIELDS, data=fields)
    return unit


@transaction.atomic
def unit_move(*, unit: Unit, new_parent: Unit | None) -> Unit:
    """Move a unit with its subtree under another parent (or make it an account of its own).

    A unit cannot be moved under itself or one of its own descendants (that is a cycle). A unit
    that becomes a sub-unit joins the new parent's account: its own account manager is cleared,
    as the account's manager now manages it, and a key account must be demoted first
    (decisions 23 and 24: only an account has a manager and a tier).
    """
    unit = Unit.objects.get(pk=unit.pk)
    old_account_id = unit.account.pk
    if new_parent is not None:
        new_parent = Unit.objects.get(pk=new_parent.pk)
        if new_parent.pk == unit.pk or new_parent.path.startswith(unit.path):
            raise CycleError(_("A unit cannot be placed under itself or its own sub-unit."))
        if unit.tier != Tier.TRANSACTIONAL:
            raise DomainError(
                _(
                    "A key account cannot become a sub-unit: demote it first, or nominate "
                    "the account it joins."
                ),
                field="tier",
            )
        if unit.account_manager_id is not None:
            unit.account_manager = None
            unit.save(update_fields=["account_manager", "updated_at"])
        try:
            Unit.objects.move(unit, new_parent, pos="last-child")
        except InvalidMoveToDescendant as exc:  # pragma: no cover - checked above
            raise CycleError(str(exc)) from exc
    elif not unit.is_account:
        Unit.objects.move(unit, Unit.objects.accounts().last(), pos="last-sibling")
    unit = Unit.objects.get(pk=unit.pk)
    new_account_id = unit.account.pk
    unit_moved.send(
        sender=Unit, unit=unit, old_account_id=old_account_id, new_account_id=new_account_id
    )
    return unit


@transaction.atomic
def unit_change(
    *,
    unit: Unit,
    fields: Mapping[str, Any],
    new_parent: Unit | None | Literal[Unset.UNSET] = UNSET,
    expected_version: str | None = None,
) -> Unit:
    """Change a unit's data and, given ``new_parent``, move it: all of it, or nothing.

    One edit of a unit (an API PATCH, a form) is one call: a refused move (a cycle) or a
    version conflict leaves the other fields unsaved too.
    """
    if fields or expected_version is not None:
        unit = unit_update(unit=unit, expected_version=expected_version, **fields)
    if new_parent is not UNSET:
        unit = unit_move(unit=unit, new_parent=new_parent)
    return unit


@transaction.atomic
def contact_create(
    *,
    unit: Unit | None = None,
    title: str = "",
    function: str = "other",
    seniority: str = "operational",
    start_date: dt.date | None = None,
    **fields: Any,
) -> Contact:
    if not (fields.get("first_name") or "").strip() and not (fields.get("last_name") or "").strip():
        raise DomainError(_("A contact needs a name."), field="last_name")
    check_date(start_date, "start_date")
    contact = Contact.objects.create(**fields)
    if unit is not None:
        Employment.objects.create(
            contact=contact,
            unit=unit,
            title=title,
            function=function,
            seniority=seniority,
            start_date=start_date,
        )
    return contact


@transaction.atomic
def contact_move(
    *,
    contact: Contact,
    to_unit: Unit,
    on: dt.date,
    title: str = "",
    function: str | None = None,
    seniority: str | None = None,
) -> Employment:
    """The contact leaves their current positions and starts at ``to_unit`` on ``on``.

    The history stays: earlier employments keep their unit, title and dates.
    """
    check_date(on, "on")
    current = list(contact.employments.filter(end_date__isnull=True))
    for emp in current:
        if emp.start_date and emp.start_date > on:
            raise DomainError(
                _("The move date is before the start of the current position."), field="on"
            )
        emp.end_date = on
        emp.save(update_fields=["end_date", "updated_at"])
    last = current[0] if current else None
    return Employment.objects.create(
        contact=contact,
        unit=to_unit,
        title=title or (last.title if last else ""),
        function=function or (last.function if last else "other"),
        seniority=seniority or (last.seniority if last else "operational"),
        start_date=on,
    )


@transaction.atomic
def employment_set_reports_to(*, employment: Employment, manager: Employment | None) -> Employment:
    """Set whom a position reports to, rejecting loops in the customer's org chart."""
    node = manager
    while node is not None:
        if node.pk == employment.pk:
            raise CycleError(_("That would make a reporting loop."), field="reports_to")
        node = node.reports_to
    employment.reports_to = manager
    employment.save(update_fields=["reports_to", "updated_at"])
    return employment


# --- Added for the REST API: delete a unit, update/delete contacts, write employments. ---

CONTACT_FIELDS = {"first_name", "last_name", "email", "phone", "notes", "external_id"}
EMPLOYMENT_FIELDS = {
    "title",
    "department",
    "function",
    "seniority",
    "start_date",
    "end_date",
    "external_id",
}


@transaction.atomic
def unit_delete(*, unit: Unit) -> None:
    """Delete a unit with its whole subtree (refused by the database while sales refer to it)."""
    Unit.objects.filter(pk=unit.pk).delete()


@transaction.atomic
def contact_update(*, contact: Contact, **fields: Any) -> Contact:
    contact, _changed = model_update(
        instance=contact, fields=CONTACT_FIELDS, data=fields, validate=_check_contact
    )
    return contact


def _check_contact(contact: Contact) -> None:
    if not (contact.first_name or "").strip() and not (contact.last_name or "").strip():
        raise DomainError(_("A contact needs a name."), field="last_name")


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    contact.delete()


def _check_employment(employment: Employment) -> None:
    if employment.function not in CustomerFunction.values:
        raise DomainError(_("Unknown function."), field="function")
    if employment.seniority not in Seniority.values:
        raise DomainError(_("Unknown seniority."), field="seniority")
    check_fields(employment, {"start_date", "end_date"})
    if (
        employment.start_date
        and employment.end_date
        and employment.end_date < employment.start_date
    ):
        raise DomainError(_("The end date is before the start date."), field="end_date")


@transaction.atomic
def employment_create(
    *,
    actor: User,
    contact: Contact,
    unit: Unit,
    reports_to: Employment | None = None,
    **fields: Any,
) -> Employment:
    """Place ``contact`` at ``unit``: ``actor`` needs the right to change both (decision 22)."""
    require_employment_create(actor, contact=contact, unit=unit)
    unknown = set(fields) - EMPLOYMENT_FIELDS
    if unknown:
        raise DomainError(_("Unknown employment fields: %s") % ", ".join(sorted(unknown)))
    employment = Employment(contact=contact, unit=unit, **fields)
    _check_employment(employment)
    employment.save()
    if reports_to is not None:
        employment_set_reports_to(employment=employment, manager=reports_to)
    return employment


@transaction.atomic
def employment_update(
    *, actor: User, employment: Employment, unit: Unit | None = None, **fields: Any
) -> Employment:
    """Change a position's fields (and unit); whom it reports to is set separately.

    A new unit or date changes where the person works, so it needs ``actor``'s right to change
    the contact as they stand before the change (decision 96), besides the units'."""
    require_employment_change(actor, employment, unit=unit, fields=fields)
    return _employment_write(employment=employment, unit=unit, **fields)


def _employment_write(
    *, employment: Employment, unit: Unit | None = None, **fields: Any
) -> Employment:
    data = {**fields, "unit": unit} if unit is not None else fields
    employment, _changed = model_update(
        instance=employment,
        fields={*EMPLOYMENT_FIELDS, "unit"},
        data=data,
        validate=_check_employment,
    )
    return employment


@transaction.atomic
def employment_change(
    *,
    actor: User,
    employment: Employment,
    fields: Mapping[str, Any],
    unit: Unit | None = None,
    reports_to: Employment | None | Literal[Unset.UNSET] = UNSET,
) -> Employment:
    """Change a position and, given ``reports_to``, whom it reports to: all of it, or nothing.

    A refused manager (a reporting loop) leaves the other fields unsaved too; the rights are
    those of :func:`employment_update`.
    """
    employment = employment_update(actor=actor, employment=employment, unit=unit, **fields)
    if reports_to is not UNSET:
        employment = employment_set_reports_to(employment=employment, manager=reports_to)
    return employment


@transaction.atomic
def employment_delete(*, employment: Employment) -> None:
    employment.delete()


# --------------------------------------------------------------------------------------------
# Bulk creation (the import): one tree level at a time, paths computed in memory


# the columns a level's rows fill, in this order; the tree columns follow
_LEVEL_COLUMNS = tuple(
    (name, f.attname, f.get_default())
    for name in Unit.DETAIL_FIELDS
    if isinstance(f := Unit._meta.get_field(name), Field)
)


@transaction.atomic
def units_create_level(
    *,
    items: Sequence[tuple[int | None, dict[str, Any]]],
    batch_size: int = 2000,
    announce: bool = True,
) -> list[tuple[int, str]]:
    """Create many units of one tree level: ``items`` are (parent id or None, fields), the
    fields as :func:`unit_create` takes them; returns each new unit's (id, path), in order.

    The same checks as :func:`unit_create`, but a fixed number of queries per level whatever its
    size: each parent's next free child number is read once, the paths are computed in memory,
    the rows are inserted in batches as plain tuples (with their creation entry in the history,
    no model instance per row) and the parents' child counts updated together. The accounts
    concerned are marked for the scoring facts, the health and the kept figures
    (``accounts_changed``); a caller that writes several levels in one transaction may pass
    ``announce=False`` and send the signal once for all of them.
    """
    if not items:
        return []
    prepared: list[tuple[int | None, dict[str, Any]]] = []
    for parent_id, given in items:
        fields = dict(given)
        _tier_unchanged(fields, Tier.TRANSACTIONAL)
        fields = _clean_unit_fields(fields)
        _check_account_fields(parent_id is None, fields)
        manager = fields.get("account_manager")
        if manager is not None:
            fields["account_manager"] = manager.pk
        prepared.append((parent_id, fields))
    parent_ids = sorted({p for p, _f in prepared if p is not None})
    # each parent's path and child count as stored now (rows, not model instances)
    parent_path: dict[int, str] = {}
    parent_children: dict[int, int] = {}
    for start in range(0, len(parent_ids), 900):
        for pk, path, numchild in Unit.objects.filter(
            pk__in=parent_ids[start : start + 900]
        ).values_list("pk", "path", "numchild"):
            parent_path[pk], parent_children[pk] = path, numchild
    # the highest child number in use under each parent ("" for the accounts)
    used: dict[str, int] = defaultdict(int)
    if any(p is None for p, _f in prepared):
        top = Unit.objects.accounts().aggregate(m=Max("path"))["m"]
        used[""] = child_number(top) if top else 0
    paths = sorted(set(parent_path.values()))
    for start in range(0, len(paths), 900):
        part = paths[start : start + 900]
        rows = (
            Unit.objects.annotate(parent=parent_path_of("path"))
            .filter(parent__in=part, depth=path_depth(part[0]) + 1)
            .values("parent")
            .annotate(m=Max("path"))
            .values_list("parent", "m")
        )
        if len({path_depth(p) for p in part}) > 1:  # parents of one level share their depth
            raise DomainError(_("The units of one level must have parents of one level."))
        for parent_path_value, last in rows:
            used[parent_path_value] = child_number(last)
    # one tuple per unit: the given fields (the model's default for a field not given, as a
    # new instance has it), then path, depth and child count
    present = {name for _p, fields in prepared for name in fields}
    columns = [c for c in _LEVEL_COLUMNS if c[0] in present]
    names = [name for name, _attname, _default in columns]
    pick = operator.itemgetter(*names)
    values: list[tuple[Any, ...]] = []
    new_paths: list[str] = []
    added: dict[int, int] = defaultdict(int)
    for parent_id, fields in prepared:
        base = parent_path[parent_id] if parent_id is not None else ""
        used[base] += 1
        path = child_path(base, used[base])
        if len(fields) == len(names):
            row = pick(fields)
            if len(names) == 1:
                row = (row,)
        else:
            row = tuple(fields.get(name, default) for name, _attname, default in columns)
        values.append((*row, path, path_depth(path), 0))
        new_paths.append(path)
        if parent_id is not None:
            added[parent_id] += 1
    ids = insert_values(
        Unit,
        [*(attname for _n, attname, _d in columns), "path", "depth", "numchild"],
        values,
        key="path",
        history=True,
        batch_size=batch_size,
    )
    table = connection.ops.quote_name(Unit._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET numchild = %s WHERE id = %s",  # noqa: S608 - model metadata
            [(parent_children[pk] + n, pk) for pk, n in added.items()],
        )
    if announce:
        accounts_changed.send(sender=Unit, paths=sorted({account_path(p) for p in new_paths}))
    return list(zip(ids, new_paths, strict=True))
