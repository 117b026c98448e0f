"""Reads of the customer tree and contacts; each is a bounded number of queries."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Employment, Unit


def subtree_q(unit: Unit, prefix: str = "") -> Q:
    """A filter for ``unit`` and everything below it (one indexed prefix condition)."""
    return Q(**{f"{prefix}path__startswith": unit.path})


def unit_subtree(*, unit: Unit) -> QuerySet[Unit]:
    """The unit and its descendants, in tree order, in one query."""
    return Unit.objects.filter(subtree_q(unit)).order_by("path")


def unit_root(*, unit: Unit) -> Unit:
    if unit.depth == 1:
        return unit
    return Unit.objects.get(path=unit.root_path)


def unit_ancestors(*, unit: Unit) -> list[Unit]:
    """The chain from the top-level unit down to the unit's parent (one query)."""
    step = Unit.steplen
    paths = [unit.path[: step * d] for d in range(1, unit.depth)]
    return list(Unit.objects.filter(path__in=paths).order_by("depth"))


def account_current_positions(*, unit: Unit) -> QuerySet[Employment]:
    """Current positions of contacts anywhere in the account's subtree."""
    return (
        Employment.objects.filter(subtree_q(unit, "unit__"), end_date__isnull=True)
        .select_related("contact", "unit", "reports_to__contact")
        .order_by("unit__path", "contact__last_name", "contact__first_name")
    )


def unit_history(*, unit: Unit, limit: int = 100) -> list[dict]:
    """The unit's audit trail, newest first: who changed which fields from what to what."""
    records = list(
        unit.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    changes = []
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if len(changes) == limit:
            break
        fields = []
        if older is not None and newer.history_type == "~":
            delta = newer.diff_against(older)
            fields = [
                {
                    "field": Unit._meta.get_field(c.field).verbose_name,
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
