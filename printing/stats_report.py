"""The statistics report as an A4 PDF: an already suppressed, labelled table in, PDF bytes out.

The same PDF pieces as the day report (printing.pdf): embedded Song face with per-glyph fallback,
invariant output, no unembedded Helvetica. Charts draw only published figures: a suppressed cell is
left out of its chart and named in the footnote, never drawn from the hidden value.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table

from printing import fonts, pdf
from printing.report import horizontal_bar_chart


@dataclass(frozen=True)
class StatsReport:
    title: str
    scope: str  # e.g. "工作站 HP-01" or "全区"
    period: str
    grid: list[list[str]]  # header row, body rows, totals row; "*" marks a suppressed cell
    footnote: str
    charts: list[tuple[str, list[tuple[str, int | None]]]] = field(default_factory=list)  # (title, bars)
    footer: str = ""


def _bar_chart(title: str, bars: list[tuple[str, int | None]], font: str):
    # suppressed cells (None) are left out of the chart, as they are out of the table
    shown = [(name, n) for name, n in bars if n is not None]
    return horizontal_bar_chart(title, shown, font, "#2f5d8a")


def render_stats_report(report: StatsReport) -> bytes:
    """The PDF's bytes. Raises fonts.GlyphMissing, before drawing anything, for a character no installed font
    has (a holder's name in Extension I on the call list of expiring permits)."""
    fonts.require_glyphs(fonts.text_of(dataclasses.asdict(report)))
    font = pdf.register_fonts()
    base = pdf.paragraph_style("stats-base", size=9, leading=12)
    title = ParagraphStyle("stats-title", parent=base, fontSize=16, leading=22, alignment=1)
    foot = ParagraphStyle("stats-foot", parent=base, fontSize=8, textColor=colors.HexColor("#444444"))

    def p(text: str, style=base):
        return pdf.paragraph(text, style)

    buf = io.BytesIO()
    doc = pdf.doc_template(buf, title=report.title, author=report.scope, subject="statistics",
                           leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm)
    story: list = [p(report.title, title), Spacer(1, 4), p(report.scope), p(report.period), Spacer(1, 6)]
    rows = [[p(cell) for cell in row] for row in report.grid]
    width = (180 * mm) / max(1, len(report.grid[0]) if report.grid else 1)
    table = Table(rows, colWidths=[width] * (len(report.grid[0]) if report.grid else 1), repeatRows=1)
    table.setStyle(pdf.table_style([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
        ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f5f5f5")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story.append(table)
    story.append(Spacer(1, 4))
    story.append(p(report.footnote, foot))
    for chart_title, bars in report.charts:
        story.append(Spacer(1, 8))
        story.append(_bar_chart(chart_title, bars, font))
    if report.footer:
        story.append(Spacer(1, 8))
        story.append(p(report.footer, foot))
    doc.build(story)
    return buf.getvalue()
