"""Reads of the customer tree and contacts; each is a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db.models import Field, Q, QuerySet

from kam.core.filters import filter_queryset
from kam.people.models import User

from .filters import PositionFilter, UnitFilter
from .models import Contact, Employment, Unit, ancestor_paths, subtree_q

if TYPE_CHECKING:
    from django.contrib.auth.models import _User  # the configured user model (django-stubs)


def unit_subtree(*, unit: Unit) -> QuerySet[Unit]:
    """The unit and its descendants, in tree order, in one query."""
    units: QuerySet[Unit] = Unit.objects.subtree(unit).order_by("path")
    return units


def unit_ancestors(*, unit: Unit) -> list[Unit]:
    """The chain from the account down to the unit's parent (one query)."""
    return list(Unit.objects.filter(path__in=ancestor_paths(unit.path)).order_by("depth"))


#: what the account page's contacts table shows of a position: the rows carry these columns
#: only (a page of 50 positions read five whole rows each, the units' and contacts' widest)
POSITION_COLUMNS = (
    "contact__first_name",
    "contact__last_name",
    "unit__name",
    "title",
    "function",
    "seniority",
    "reports_to__contact__first_name",
    "reports_to__contact__last_name",
)


def account_current_positions(*, unit: Unit) -> QuerySet[Employment]:
    """Current positions of contacts anywhere in the account's subtree, with the columns the
    account page shows (``POSITION_COLUMNS``)."""
    return (
        Employment.objects.filter(subtree_q(unit, "unit__"), end_date__isnull=True)
        .select_related("contact", "unit", "reports_to__contact")
        .only(*POSITION_COLUMNS)
        .order_by("unit__path", "contact__last_name", "contact__first_name")
    )


class FieldChange(TypedDict):
    field: str
    old: Any
    new: Any


class UnitChange(TypedDict):
    """One entry of a unit's audit trail."""

    when: dt.datetime
    who: _User | None
    type: str
    fields: list[FieldChange]


def unit_history(*, unit: Unit, limit: int = 100) -> list[UnitChange]:
    """The unit's audit trail, newest first: who changed which fields from what to what."""
    records = list(
        unit.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    changes: list[UnitChange] = []
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if len(changes) == limit:
            break
        fields: list[FieldChange] = []
        if older is not None and newer.history_type == "~":
            delta = newer.diff_against(older)
            fields = [
                {
                    "field": str(
                        cast("Field[Any, Any]", Unit._meta.get_field(c.field)).verbose_name
                    ),
                    "old": c.old,
                    "new": c.new,
                }
                for c in delta.changes
            ]
        changes.append(
            {
                "when": newer.history_date,
                "who": newer.history_user,
                "type": newer.get_history_type_display(),
                "fields": fields,
            }
        )
    return changes


def unit_list(
    *, filters: Mapping[str, Any] | None = None, accounts_only: bool = False
) -> QuerySet[Unit]:
    """Units matching the list filters (:class:`UnitFilter`; unordered, the caller pages them).

    The portfolio page (``accounts_only``) and ``GET /units`` both read this, so they agree.
    """
    qs: QuerySet[Unit] = Unit.objects.accounts() if accounts_only else Unit.objects.all()
    return filter_queryset(UnitFilter, filters, qs)


def unit_parents_attach(*, units: list[Unit]) -> list[Unit]:
    """Set ``parent_id`` / ``parent_external_id`` on each of ``units`` with one query."""
    paths = {u.parent_path for u in units if u.parent_path}
    parents = (
        {
            path: (pk, ext)
            for path, pk, ext in Unit.objects.filter(path__in=paths).values_list(
                "path", "pk", "external_id"
            )
        }
        if paths
        else {}
    )
    for unit in units:
        unit.parent_id, unit.parent_external_id = parents.get(unit.parent_path or "", (None, None))
    return units


def contact_list(*, q: str | None = None, unit: int | None = None) -> QuerySet[Contact]:
    """Contacts whose name or e-mail contains ``q``, working now in ``unit`` or below it."""
    qs = Contact.objects.all()
    if q:
        qs = qs.filter(
            Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q)
        )
    if unit:
        found = Unit.objects.filter(pk=unit).first()
        if found is None:
            return Contact.objects.none()
        qs = qs.filter(
            pk__in=Employment.objects.filter(
                subtree_q(found, "unit__"), end_date__isnull=True
            ).values("contact_id")
        )
    return qs


def employment_list(
    *, contact: int | None = None, unit: int | None = None, current: bool | None = None
) -> QuerySet[Employment]:
    """Positions of ``contact``, in ``unit`` or below it; ``current`` = without an end date."""
    qs = Employment.objects.all()
    if contact:
        qs = qs.filter(contact_id=contact)
    if unit:
        found = Unit.objects.filter(pk=unit).first()
        if found is None:
            return Employment.objects.none()
        qs = qs.filter(subtree_q(found, "unit__"))
    if current is not None:
        qs = qs.filter(end_date__isnull=current)
    return qs


def account_field_values(*, field: str) -> list[tuple[str, str]]:
    """The distinct non-empty values of a field among the accounts, as select choices."""
    values = (
        Unit.objects.accounts()
        .exclude(**{field: ""})
        .order_by(field)
        .values_list(field, flat=True)
        .distinct()
    )
    return [(v, v) for v in values]


def account_manager_choices() -> list[tuple[str, str]]:
    """The people who manage at least one account, as select choices (id, name): one query."""
    managers = User.objects.filter(
        pk__in=Unit.objects.accounts().exclude(account_manager=None).values("account_manager_id")
    ).order_by("last_name", "first_name", "username")
    return [(str(u.pk), str(u)) for u in managers]


def account_position_list(
    *, unit: Unit, filters: Mapping[str, Any] | None = None
) -> QuerySet[Employment]:
    """Current positions in the unit's subtree matching :class:`PositionFilter` (the account
    page's contacts: paged and searched by name, title or function)."""
    return filter_queryset(PositionFilter, filters, account_current_positions(unit=unit))


def contact_positions(*, contact: Contact) -> QuerySet[Employment]:
    """Every position of a contact, current first, with its unit (one query)."""
    return (
        Employment.objects.filter(contact=contact)
        .select_related("unit", "reports_to__contact")
        .order_by("end_date", "-start_date", "pk")
    )
