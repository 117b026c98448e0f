"""The white space matrix of an account: its reads and writes (DOMAIN §8, decision 46).

Units of the account × product lines. A cell is ``ours``, ``competitor`` (which),
``not_bought``, ``opportunity`` (an open one) or ``blocked``, with a potential (money) and a
note. Current revenue per cell is the last-12-months roll-up of the unit and product line,
computed on every read and never stored. A missing cell reads as "not bought".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.core.periods import last_n_months
from kam.core.services import UNSET, Unset
from kam.core.validation import check_amount
from kam.customers.models import Unit, subtree_q
from kam.sales.models import (
    Competitor,
    CompetitorShare,
    MonthlyRollup,
    Opportunity,
    OpportunityStage,
    ProductLine,
)

from .models import WhiteSpaceCell, WhiteSpaceStatus

# Rows of the matrix per page: an account may have hundreds of units (decision 46).
ROWS_PER_PAGE = 50
ZERO = Decimal("0")
OPEN_STAGES = [
    s for s in OpportunityStage.values if s not in (OpportunityStage.WON, OpportunityStage.LOST)
]


def _require_account(account: Unit) -> None:
    if not account.is_account:
        raise DomainError(_("The white space belongs to an account, not to one of its units."))


def _window(today: dt.date | None) -> tuple[dt.date, dt.date]:
    return last_n_months(today or timezone.localdate(), 12)


# --- reads -------------------------------------------------------------------------------------


@dataclass
class MatrixCell:
    unit_id: int
    line_id: int
    status: str
    status_label: str
    competitor_id: int | None
    competitor_name: str
    potential: Decimal
    current: Decimal
    note: str
    edited: bool
    stored: bool
    # the cell's revision as read: what an edit names (0 for a cell never stored, decision 100)
    revision: int = 0

    @property
    def headroom(self) -> Decimal:
        """What the cell could still bring: its potential above today's revenue."""
        return max(self.potential - self.current, ZERO)


@dataclass
class MatrixRow:
    unit: Unit
    indent: int
    cells: list[MatrixCell]
    current: Decimal = ZERO
    potential: Decimal = ZERO


@dataclass
class Matrix:
    account: Unit
    lines: list[ProductLine]
    rows: list[MatrixRow]
    page: Page[Unit]
    # over the whole account, every page: {line id: amount}
    line_current: dict[int, Decimal] = field(default_factory=dict)
    line_potential: dict[int, Decimal] = field(default_factory=dict)
    total_current: Decimal = ZERO
    total_potential: Decimal = ZERO
    competitors: list[Competitor] = field(default_factory=list)

    @property
    def columns(self) -> list[tuple[ProductLine, Decimal, Decimal]]:
        """(line, current, potential) of each product line over the whole account."""
        return [
            (ln, self.line_current.get(ln.pk, ZERO), self.line_potential.get(ln.pk, ZERO))
            for ln in self.lines
        ]


def product_lines() -> list[ProductLine]:
    return list(ProductLine.objects.order_by("name"))


def cell_revenue(
    *, account: Unit, unit_ids: list[int] | None = None, today: dt.date | None = None
) -> dict[tuple[int, int], Decimal]:
    """{(unit id, line id): revenue of the last 12 months} booked on those units (one query)."""
    start, end = _window(today)
    rows = MonthlyRollup.objects.filter(account_id=account.pk, month__gte=start, month__lt=end)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    totals = rows.values("unit_id", "product_line_id").annotate(total=Sum("net_amount")).order_by()
    return {(r["unit_id"], r["product_line_id"]): r["total"] or ZERO for r in totals}


def _cell(
    unit_id: int, line_id: int, stored: WhiteSpaceCell | None, current: Decimal
) -> MatrixCell:
    if stored is None:
        return MatrixCell(
            unit_id=unit_id,
            line_id=line_id,
            status=WhiteSpaceStatus.NOT_BOUGHT,
            status_label=str(WhiteSpaceStatus.NOT_BOUGHT.label),
            competitor_id=None,
            competitor_name="",
            potential=ZERO,
            current=current,
            note="",
            edited=False,
            stored=False,
        )
    return MatrixCell(
        unit_id=unit_id,
        line_id=line_id,
        status=stored.status,
        status_label=str(stored.get_status_display()),
        competitor_id=stored.competitor_id,
        competitor_name=stored.competitor.name if stored.competitor else "",
        potential=stored.potential,
        current=current,
        note=stored.note,
        edited=stored.edited,
        stored=True,
        revision=stored.revision,
    )


def whitespace_cell(
    *, account: Unit, unit: Unit, product_line: ProductLine, today: dt.date | None = None
) -> MatrixCell:
    """One cell as the matrix shows it (two queries)."""
    stored = (
        WhiteSpaceCell.objects.select_related("competitor")
        .filter(unit=unit, product_line=product_line)
        .first()
    )
    revenue = cell_revenue(account=account, unit_ids=[unit.pk], today=today)
    return _cell(unit.pk, product_line.pk, stored, revenue.get((unit.pk, product_line.pk), ZERO))


def whitespace_matrix(
    *, account: Unit, page: int | str = 1, today: dt.date | None = None
) -> Matrix:
    """The matrix of ``account``: one page of units (tree order) × every product line.

    Totals per row are those of the page's units; totals per column and the grand totals are
    over the whole account. A bounded number of queries whatever the number of units.
    """
    _require_account(account)
    lines = product_lines()
    units = Unit.objects.in_account(account).order_by("path")
    paged = Paginator(units, ROWS_PER_PAGE).get_page(page)
    page_units = list(paged.object_list)
    ids = [u.pk for u in page_units]
    stored = {
        (c.unit_id, c.product_line_id): c
        for c in WhiteSpaceCell.objects.select_related("competitor").filter(unit_id__in=ids)
    }
    revenue = cell_revenue(account=account, unit_ids=ids, today=today)
    rows: list[MatrixRow] = []
    for u in page_units:
        cells = [
            _cell(u.pk, ln.pk, stored.get((u.pk, ln.pk)), revenue.get((u.pk, ln.pk), ZERO))
            for ln in lines
        ]
        rows.append(
            MatrixRow(
                unit=u,
                indent=min(u.depth - account.depth, 5),
                cells=cells,
                current=sum((c.current for c in cells), ZERO),
                potential=sum((c.potential for c in cells), ZERO),
            )
        )
    start, end = _window(today)
    line_current = {
        r["product_line_id"]: r["total"] or ZERO
        for r in MonthlyRollup.objects.filter(
            account_id=account.pk, month__gte=start, month__lt=end
        )
        .values("product_line_id")
        .annotate(total=Sum("net_amount"))
        .order_by()
    }
    line_potential = {
        r["product_line_id"]: r["total"] or ZERO
        for r in WhiteSpaceCell.objects.filter(account=account)
        .values("product_line_id")
        .annotate(total=Sum("potential"))
        .order_by()
    }
    return Matrix(
        account=account,
        lines=lines,
        rows=rows,
        page=paged,
        line_current=line_current,
        line_potential=line_potential,
        total_current=sum(line_current.values(), ZERO),
        total_potential=sum(line_potential.values(), ZERO),
        competitors=list(Competitor.objects.order_by("name")),
    )


def whitespace_heatmap(
    *, account: Unit, today: dt.date | None = None, limit: int = 40
) -> dict[str, Any]:
    """Potential and headroom per unit × line for a heatmap: the ``limit`` units with the most
    potential (an account of hundreds of units draws only its largest rows). Three queries."""
    _require_account(account)
    lines = product_lines()
    top = list(
        WhiteSpaceCell.objects.filter(account=account)
        .values("unit_id")
        .annotate(total=Sum("potential"))
        .filter(total__gt=0)
        .order_by("-total", "unit_id")[:limit]
    )
    ids = [r["unit_id"] for r in top]
    names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
    cells = {
        (c.unit_id, c.product_line_id): c
        for c in WhiteSpaceCell.objects.filter(unit_id__in=ids).only(
            "unit_id", "product_line_id", "potential", "status"
        )
    }
    revenue = cell_revenue(account=account, unit_ids=ids, today=today)
    potential: list[list[float]] = []
    headroom: list[list[float]] = []
    for y, uid in enumerate(ids):
        for x, ln in enumerate(lines):
            c = cells.get((uid, ln.pk))
            pot = c.potential if c else ZERO
            cur = revenue.get((uid, ln.pk), ZERO)
            potential.append([x, y, float(pot)])
            headroom.append([x, y, float(max(pot - cur, ZERO))])
    return {
        "lines": [ln.name for ln in lines],
        "units": [names.get(uid, str(uid)) for uid in ids],
        "potential": potential,
        "headroom": headroom,
        "max": max([v[2] for v in potential] or [0.0]),
    }


def whitespace_cells(*, account: Unit) -> list[WhiteSpaceCell]:
    """Every stored cell of the account with its unit, line and competitor (one query)."""
    return list(
        WhiteSpaceCell.objects.filter(account=account)
        .select_related("unit", "product_line", "competitor")
        .order_by("unit__path", "product_line__name")
    )


# --- writes ------------------------------------------------------------------------------------


@dataclass
class PrefillResult:
    created: int = 0
    updated: int = 0
    kept: int = 0


def _derived(
    account: Unit, today: dt.date | None
) -> dict[tuple[int, int], tuple[str, int | None, Decimal]]:
    """{(unit id, line id): (status, competitor id, potential)} that the data implies.

    Ours: the unit bought the line from us in the last 12 months. Open opportunity: an open
    opportunity of the unit names the line (its amount is the potential). Competitor: the account
    buys the line elsewhere (the largest competitor share) and the unit buys from us, just not
    this line. Anything else is "not bought" and needs no stored cell.
    """
    revenue = cell_revenue(account=account, today=today)
    buying_units = {uid for (uid, _line), amount in revenue.items() if amount > 0}
    buying_units.add(account.pk)
    derived: dict[tuple[int, int], tuple[str, int | None, Decimal]] = {}
    shares = (
        CompetitorShare.objects.filter(account=account, share_pct__gt=0)
        .order_by("product_line_id", "-share_pct", "competitor__name")
        .values_list("product_line_id", "competitor_id")
    )
    competitor_of: dict[int, int] = {}
    for line_id, competitor_id in shares:
        competitor_of.setdefault(line_id, competitor_id)
    lines = list(ProductLine.objects.values_list("pk", flat=True))
    for uid in buying_units:
        for line_id in lines:
            if line_id in competitor_of:
                derived[(uid, line_id)] = (
                    WhiteSpaceStatus.COMPETITOR,
                    competitor_of[line_id],
                    ZERO,
                )
    opportunities = (
        Opportunity.objects.filter(
            subtree_q(account, "unit__"),
            product_line__isnull=False,
            stage__in=OPEN_STAGES,
        )
        .values("unit_id", "product_line_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in opportunities:
        key = (row["unit_id"], row["product_line_id"])
        derived[key] = (WhiteSpaceStatus.OPPORTUNITY, None, row["total"] or ZERO)
    for key, amount in revenue.items():
        if amount > 0:
            derived[key] = (WhiteSpaceStatus.OURS, None, ZERO)
    return derived


@transaction.atomic
def whitespace_prefill(*, account: Unit, today: dt.date | None = None) -> PrefillResult:
    """Fill the account's white space from the data; never touch a cell a person edited.

    A cell the pre-fill wrote earlier follows the data: it is updated, and set back to "not
    bought" when the data no longer implies anything.
    """
    _require_account(account)
    derived = _derived(account, today)
    existing = {
        (c.unit_id, c.product_line_id): c
        for c in WhiteSpaceCell.objects.select_for_update().filter(account=account)
    }
    result = PrefillResult()
    to_create: list[WhiteSpaceCell] = []
    to_update: list[WhiteSpaceCell] = []
    for key, (status, competitor_id, potential) in derived.items():
        cell = existing.get(key)
        if cell is None:
            to_create.append(
                WhiteSpaceCell(
                    account=account,
                    unit_id=key[0],
                    product_line_id=key[1],
                    status=status,
                    competitor_id=competitor_id,
                    potential=potential,
                    revision=1,
                )
            )
        elif cell.edited:
            result.kept += 1
        elif (cell.status, cell.competitor_id, cell.potential) != (
            status,
            competitor_id,
            potential,
        ):
            cell.status, cell.competitor_id, cell.potential = status, competitor_id, potential
            cell.revision += 1
            to_update.append(cell)
    for key, cell in existing.items():
        if key in derived:
            continue
        if cell.edited:
            result.kept += 1
        elif cell.status != WhiteSpaceStatus.NOT_BOUGHT or cell.competitor_id or cell.potential:
            cell.status, cell.competitor_id, cell.potential = (
                WhiteSpaceStatus.NOT_BOUGHT,
                None,
                ZERO,
            )
            cell.revision += 1
            to_update.append(cell)
    WhiteSpaceCell.objects.bulk_create(to_create, batch_size=500)
    WhiteSpaceCell.objects.bulk_update(
        to_update, ["status", "competitor", "potential", "revision", "updated_at"], batch_size=500
    )
    result.created, result.updated = len(to_create), len(to_update)
    return result


class WhiteSpaceConflict(DomainError):
    """The cell changed since the user loaded it (code ``conflict``: a 409, decision 100)."""

    def __init__(self, message: str, *, current: dict[str, Any] | None = None):
        super().__init__(message, code="conflict")
        self.current = dict(current or {})


def _conflict(
    unit: Unit, product_line: ProductLine, revision: int, stored: WhiteSpaceCell | None
) -> WhiteSpaceConflict:
    """The message of a refused edit: who changed the cell, when, and what it holds now."""
    if stored is None:
        return WhiteSpaceConflict(
            _(
                "This cell was removed while you were editing (you started from revision "
                "%(yours)s). Nothing was saved; your input is shown again."
            )
            % {"yours": revision}
        )
    who = str(stored.updated_by) if stored.updated_by_id else _("the pre-fill from the data")
    current = {
        "status": str(stored.get_status_display()),
        "competitor": stored.competitor.name if stored.competitor_id and stored.competitor else "",
        "potential": stored.potential,
        "note": stored.note,
    }
    message = _(
        "Someone else changed this cell (%(unit)s · %(line)s) while you were editing: "
        "%(who)s, %(when)s (revision %(now)s; you started from %(yours)s). Nothing was saved; "
        "your input is shown again. Their values now: %(values)s."
    ) % {
        "unit": unit.name,
        "line": product_line.name,
        "who": who,
        "when": timezone.localtime(stored.updated_at).strftime("%Y-%m-%d %H:%M"),
        "now": stored.revision,
        "yours": revision,
        "values": "; ".join(f"{k}: {v}" for k, v in current.items() if v not in ("", None)),
    }
    return WhiteSpaceConflict(message, current=current)


@transaction.atomic
def whitespace_cell_update(
    *,
    account: Unit,
    unit: Unit,
    product_line: ProductLine,
    user: Any,
    revision: int | None = None,
    status: str | Unset = UNSET,
    competitor: Competitor | None | Unset = UNSET,
    potential: Decimal | Unset = UNSET,
    note: str | Unset = UNSET,
) -> WhiteSpaceCell:
    """A person's edit of one cell: it is marked edited, so the pre-fill leaves it alone.

    ``revision`` is the cell's revision as the user read it (0 for a cell never stored): the
    edit is a compare-and-set, so of two people who loaded the same cell the second gets a
    :class:`WhiteSpaceConflict` and nothing is written (decision 100). ``None`` writes without
    the check (the demo data and other services, which edit nothing a person read).
    """
    _require_account(account)
    if unit.account_path != account.path:
        raise DomainError(_("This unit does not belong to the account."), field="unit")
    if revision is not None and revision < 0:
        raise DomainError(_("The revision cannot be negative."), field="revision")
    cell = (
        # lock the cell's row only: PostgreSQL refuses FOR UPDATE on the nullable side of the
        # outer joins that bring its competitor and author
        WhiteSpaceCell.objects.select_for_update(of=("self",))
        .select_related("competitor", "updated_by")
        .filter(unit=unit, product_line=product_line)
        .first()
    ) or WhiteSpaceCell(account=account, unit=unit, product_line=product_line)
    stored = cell.pk is not None
    if revision is not None and revision != cell.revision:
        raise _conflict(unit, product_line, revision, cell if stored else None)
    if not isinstance(status, Unset):
        if status not in WhiteSpaceStatus.values:
            raise DomainError(_("Unknown white space status: %s") % status, field="status")
        cell.status = status
    if not isinstance(competitor, Unset):
        cell.competitor = competitor
    if not isinstance(potential, Unset):
        check_amount(potential, "potential", 16, 2)
        if potential < 0:
            raise DomainError(_("The potential cannot be negative."), field="potential")
        cell.potential = potential
    if not isinstance(note, Unset):
        if len(note) > 300:
            raise DomainError(_("The note is longer than 300 characters."), field="note")
        cell.note = note
    if cell.status == WhiteSpaceStatus.COMPETITOR and cell.competitor_id is None:
        raise DomainError(_("Name the competitor of this cell."), field="competitor")
    if cell.status != WhiteSpaceStatus.COMPETITOR:
        cell.competitor = None
    if stored:
        # compare-and-set: SQLite ignores SELECT … FOR UPDATE, so the UPDATE is the guard
        moved = WhiteSpaceCell.objects.filter(pk=cell.pk, revision=cell.revision).update(
            revision=F("revision") + 1
        )
        if moved != 1:
            fresh = (
                WhiteSpaceCell.objects.select_related("competitor", "updated_by")
                .filter(pk=cell.pk)
                .first()
            )
            raise _conflict(unit, product_line, cell.revision, fresh)
    cell.revision += 1
    cell.edited = True
    cell.updated_by = user
    if stored:
        cell.save()
    else:
        try:
            with transaction.atomic():
                cell.save(force_insert=True)
        except IntegrityError:
            # somebody stored this cell between our read and our write
            fresh = (
                WhiteSpaceCell.objects.select_related("competitor", "updated_by")
                .filter(unit=unit, product_line=product_line)
                .first()
            )
            raise _conflict(unit, product_line, 0, fresh) from None
    return cell
