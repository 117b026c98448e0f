"""An account plan as a PDF (ReportLab): a one-page summary, then the details.

Page 1, and only page 1 (shrunk to fit when long): account, period, status, mission, the first
objectives with progress bars (the rest counted), the top actions (overdue first, then due
soonest) and the white-space heatmap, drawn with ReportLab graphics. From page 2 every section:
customer objectives, SWOT, strategies, all objectives and actions, risks, reviews. Text is set in
DejaVu Sans (vendored in ``fonts/``), which has Cyrillic: the PDF is rendered in the language
asked for, English or Russian.
"""

from __future__ import annotations

import datetime as dt
import io
from html import escape
from pathlib import Path
from typing import Any

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepInFrame,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kam.sales.models import reporting_currency

from .models import OPEN_ACTION_STATUSES, AccountPlan, PlanStatus, SwotKind
from .selectors import ObjectiveProgress, PlanPage, metric_text, number_text, plan_page
from .whitespace import whitespace_heatmap

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
TOP_ACTIONS = 8
# objectives on the one-page summary; the rest are counted there and listed in the details
SUMMARY_OBJECTIVES = 8
HEATMAP_UNITS, HEATMAP_LINES = 12, 10
BLUE = colors.HexColor("#0d6efd")
GREY = colors.HexColor("#dee2e6")
RED = colors.HexColor("#dc3545")
GREEN = colors.HexColor("#198754")


def _fonts() -> None:
    """Register the Cyrillic-capable fonts once per process."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12, alignment=TA_LEFT)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "muted": ParagraphStyle(
            "muted", parent=base, fontSize=8, leading=10, textColor=colors.grey
        ),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=20),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12,
            leading=16,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "h3": ParagraphStyle("h3", parent=base, fontName=FONT_BOLD, fontSize=10, leading=13),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _date(value: dt.date | None) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def _number(value: Any, places: int = 0) -> str:
    return number_text(value, places)


def _value(op: ObjectiveProgress, value: Any, level: str = "") -> str:
    """A value of the objective's metric, with its unit (money with the reporting currency)."""
    return metric_text(op.metric, value, level)


def _target(op: ObjectiveProgress) -> str:
    return op.shown_target


def _bar(progress: float | None, width: float = 45 * mm, height: float = 3.2 * mm) -> Drawing:
    d = Drawing(width, height)
    d.add(Rect(0, 0, width, height, fillColor=GREY, strokeColor=None))
    if progress is not None:
        colour = GREEN if progress >= 1 else BLUE
        d.add(
            Rect(
                0,
                0,
                width * max(0.0, min(1.0, progress)),
                height,
                fillColor=colour,
                strokeColor=None,
            )
        )
    return d


def _table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, GREY),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style += [
            ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f3f5")),
        ]
    table.setStyle(TableStyle(style))
    return table


def _heatmap(data: dict[str, Any], width: float) -> Drawing | None:
    """Units (rows) × product lines (columns), each cell shaded by its potential."""
    units = data["units"][:HEATMAP_UNITS]
    lines = data["lines"][:HEATMAP_LINES]
    if not units or not lines:
        return None
    label_w, head_h, cell_h = 45 * mm, 10 * mm, 5.5 * mm
    cell_w = (width - label_w) / len(lines)
    height = head_h + cell_h * len(units) + 8 * mm
    d = Drawing(width, height)
    values = {(x, y): v for x, y, v in data["potential"]}
    top = max([v for (x, y), v in values.items() if x < len(lines) and y < len(units)] or [0.0])
    for x, name in enumerate(lines):
        d.add(
            String(
                label_w + x * cell_w + 1, height - 6, str(name)[:14], fontName=FONT, fontSize=6.5
            )
        )
    for y, name in enumerate(units):
        row_y = height - head_h - (y + 1) * cell_h
        d.add(String(0, row_y + 1.6 * mm, str(name)[:30], fontName=FONT, fontSize=7))
        for x in range(len(lines)):
            v = values.get((x, y), 0.0)
            share = v / top if top else 0.0
            fill = colors.Color(
                1 - share * (1 - 0.05), 1 - share * (1 - 0.43), 1 - share * (1 - 0.99)
            )
            d.add(
                Rect(
                    label_w + x * cell_w,
                    row_y,
                    cell_w - 1,
                    cell_h - 1,
                    fillColor=fill,
                    strokeColor=GREY,
                    strokeWidth=0.3,
                )
            )
            if v:
                d.add(
                    String(
                        label_w + x * cell_w + 1.5,
                        row_y + 1.6 * mm,
                        _number(v),
                        fontName=FONT,
                        fontSize=6,
                        fillColor=colors.white if share > 0.6 else colors.black,
                    )
                )
    d.add(
        String(
            0,
            1 * mm,
            _("Potential per unit and product line, in %(currency)s; darker is more.")
            % {"currency": reporting_currency()},
            fontName=FONT,
            fontSize=6.5,
            fillColor=colors.grey,
        )
    )
    return d


def _status_label(code: str) -> str:
    return str(dict(PlanStatus.choices).get(code, code))


def _top_actions(page: PlanPage) -> list[Any]:
    open_actions = [a for a in page.actions if a.status in OPEN_ACTION_STATUSES]
    overdue = [a for a in open_actions if a.due_date < page.as_of]
    rest = [a for a in open_actions if a.due_date >= page.as_of]
    return (sorted(overdue, key=lambda a: a.due_date) + sorted(rest, key=lambda a: a.due_date))[
        :TOP_ACTIONS
    ]


def _person(user: Any) -> str:
    return (user.get_full_name() or user.username) if user else "—"


def _summary(page: PlanPage, s: dict[str, ParagraphStyle], width: float) -> list[Any]:
    plan = page.plan
    story: list[Any] = [
        _p(_("Account plan: %(account)s") % {"account": plan.account.name}, s["title"]),
        Spacer(1, 2 * mm),
        _p(
            _("Period %(start)s – %(end)s · status: %(status)s · printed %(today)s")
            % {
                "start": _date(plan.period_start),
                "end": _date(plan.period_end),
                "status": _status_label(page.status),
                "today": _date(page.as_of),
            },
            s["muted"],
        ),
        Spacer(1, 3 * mm),
        _p(_("Mission"), s["h2"]),
        _p(plan.mission or _("No mission written yet."), s["base"]),
        _p(_("Objectives"), s["h2"]),
    ]
    if page.objectives:
        rows: list[list[Any]] = [[_("Objective"), _("Current"), _("Target"), _("Progress"), ""]]
        for op in page.objectives[:SUMMARY_OBJECTIVES]:
            rows.append(
                [
                    _p(op.objective.title, s["small"]),
                    _value(op, op.current),
                    _target(op),
                    _bar(op.progress),
                    "—" if op.percent is None else f"{op.percent} %",
                ]
            )
        story.append(_table(rows, [width * 0.34, width * 0.16, width * 0.16, 48 * mm, 12 * mm]))
        more = len(page.objectives) - SUMMARY_OBJECTIVES
        if more > 0:
            story.append(
                _p(
                    ngettext(
                        "+%(count)d more objective: see All objectives in the details.",
                        "+%(count)d more objectives: see All objectives in the details.",
                        more,
                    )
                    % {"count": more},
                    s["muted"],
                )
            )
    else:
        story.append(_p(_("No objectives yet."), s["muted"]))
    story.append(_p(_("Top actions"), s["h2"]))
    top = _top_actions(page)
    if top:
        rows = [[_("Due"), _("Action"), _("Owner"), _("Status")]]
        overdue_rows = []
        for n, a in enumerate(top, start=1):
            if a.due_date < page.as_of:
                overdue_rows.append(n)
            rows.append(
                [
                    _date(a.due_date),
                    _p(a.title, s["small"]),
                    _person(a.owner),
                    str(a.get_status_display()),
                ]
            )
        table = _table(rows, [22 * mm, width - 22 * mm - 40 * mm - 25 * mm, 40 * mm, 25 * mm])
        for n in overdue_rows:
            table.setStyle(TableStyle([("TEXTCOLOR", (0, n), (0, n), RED)]))
        story.append(table)
        if overdue_rows:
            story.append(_p(_("Dates in red are overdue."), s["muted"]))
    else:
        story.append(_p(_("No open actions."), s["muted"]))
    heat = _heatmap(whitespace_heatmap(account=plan.account, today=page.as_of), width)
    story.append(_p(_("White space"), s["h2"]))
    if heat is not None:
        story.append(heat)
    else:
        story.append(_p(_("No potential recorded in the white space yet."), s["muted"]))
    return story


def _details(page: PlanPage, s: dict[str, ParagraphStyle], width: float) -> list[Any]:
    plan = page.plan
    story: list[Any] = [PageBreak(), _p(_("Details"), s["title"])]
    story.append(_p(_("Customer objectives"), s["h2"]))
    if page.customer_objectives:
        rows: list[list[Any]] = [[_("Goal or initiative"), _("Who told us"), _("Confirmed")]]
        for c in page.customer_objectives:
            rows.append(
                [_p(c.text, s["small"]), c.told_by or "—", _("yes") if c.confirmed else _("no")]
            )
        story.append(_table(rows, [width * 0.6, width * 0.25, width * 0.15]))
    else:
        story.append(_p(_("None recorded."), s["muted"]))

    story.append(_p(_("SWOT"), s["h2"]))
    cells = []
    for kind in (SwotKind.STRENGTH, SwotKind.WEAKNESS, SwotKind.OPPORTUNITY, SwotKind.THREAT):
        items = page.swot.get(kind.value, [])
        parts = [f"<b>{escape(str(kind.label))}</b>"] + [f"• {escape(i.text)}" for i in items]
        cells.append(Paragraph("<br/>".join(parts), s["small"]))
    swot = Table([[cells[0], cells[1]], [cells[2], cells[3]]], colWidths=[width / 2] * 2)
    swot.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.5, GREY), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story.append(swot)

    story.append(_p(_("Strategies"), s["h2"]))
    for st in page.strategies:
        story.append(_p(f"• {st.text}", s["base"]))
    if not page.strategies:
        story.append(_p(_("None recorded."), s["muted"]))

    story.append(_p(_("All objectives"), s["h2"]))
    if page.objectives:
        rows = [
            [
                _("Objective"),
                _("Metric"),
                _("Baseline"),
                _("Current"),
                _("Target"),
                _("Deadline"),
                _("Progress"),
                _("Actions done"),
            ]
        ]
        for op in page.objectives:
            o = op.objective
            rows.append(
                [
                    _p(o.title, s["small"]),
                    _p(str(op.metric.label) if op.metric else _("updated by hand"), s["small"]),
                    _value(op, o.baseline, o.baseline_level),
                    _value(op, op.current),
                    _target(op),
                    _date(o.deadline),
                    "—" if op.percent is None else f"{op.percent} %",
                    f"{op.actions_done}/{op.actions_total}",
                ]
            )
        story.append(
            _table(
                rows,
                [
                    width * 0.22,
                    width * 0.16,
                    width * 0.11,
                    width * 0.11,
                    width * 0.11,
                    width * 0.11,
                    width * 0.09,
                    width * 0.09,
                ],
            )
        )
    else:
        story.append(_p(_("No objectives yet."), s["muted"]))

    story.append(_p(_("All actions"), s["h2"]))
    if page.actions:
        rows = [[_("Due"), _("Action"), _("Owner"), _("Unit"), _("Objective"), _("Status")]]
        for a in page.actions:
            rows.append(
                [
                    _date(a.due_date),
                    _p(a.title, s["small"]),
                    _p(_person(a.owner), s["small"]),
                    _p(a.unit.name if a.unit else plan.account.name, s["small"]),
                    _p(a.objective.title if a.objective else "—", s["small"]),
                    str(a.get_status_display()),
                ]
            )
        story.append(
            _table(
                rows,
                [
                    20 * mm,
                    width * 0.28,
                    width * 0.15,
                    width * 0.15,
                    width * 0.18,
                    width - 20 * mm - width * 0.76,
                ],
            )
        )
    else:
        story.append(_p(_("No actions yet."), s["muted"]))

    story.append(_p(_("Risks"), s["h2"]))
    if page.risks:
        rows = [[_("Risk"), _("Mitigation")]]
        for r in page.risks:
            rows.append([_p(r.text, s["small"]), _p(r.mitigation or "—", s["small"])])
        story.append(_table(rows, [width / 2, width / 2]))
    else:
        story.append(_p(_("None recorded."), s["muted"]))

    story.append(_p(_("Reviews"), s["h2"]))
    if page.reviews:
        rows = [[_("Date"), _("Reviewer"), _("Outcome"), _("Note")]]
        for rv in page.reviews:
            rows.append(
                [
                    _date(rv.date),
                    _person(rv.reviewer),
                    str(rv.get_outcome_display()),
                    _p(rv.note, s["small"]),
                ]
            )
        story.append(_table(rows, [22 * mm, 40 * mm, 45 * mm, width - 107 * mm]))
    else:
        story.append(_p(_("No reviews yet."), s["muted"]))
    if page.warnings:
        story.append(
            KeepTogether(
                [_p(_("Warnings"), s["h2"])]
                + [_p(f"• {w.message}", s["small"]) for w in page.warnings]
            )
        )
    return story


def plan_pdf(*, plan: AccountPlan, language: str = "en", as_of: dt.date | None = None) -> bytes:
    """The plan as PDF bytes, in ``language`` (en or ru)."""
    _fonts()
    with translation.override(language):
        page = plan_page(plan=plan, as_of=as_of or timezone.localdate())
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=15 * mm,
            title=_("Account plan: %(account)s") % {"account": plan.account.name},
            author="OpenKAM",
            lang=language,
        )
        s = _styles()
        width = A4[0] - 30 * mm

        def on_page(canvas: Any, document: Any) -> None:
            canvas.saveState()
            canvas.setFont(FONT, 7)
            canvas.setFillColor(colors.grey)
            footer = pgettext("pdf footer", "OpenKAM account plan · %(account)s · page %(page)d")
            canvas.drawString(
                15 * mm, 8 * mm, footer % {"account": plan.account.name, "page": document.page}
            )
            canvas.restoreState()

        # page 1 is the summary and only that: whatever its length, it is shrunk into one
        # frame (less the frame's padding), and the details start on page 2
        summary = KeepInFrame(
            maxWidth=doc.width - 12, maxHeight=doc.height - 12, content=_summary(page, s, width)
        )
        summary.hAlign = "LEFT"
        doc.build(
            [summary] + _details(page, s, width),
            onFirstPage=on_page,
            onLaterPages=on_page,
        )
    return buffer.getvalue()
