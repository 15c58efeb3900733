"""The roster of a house or an entity (一户一册, seed 003 篇6) as an A4 PDF: plain rows in, PDF bytes out.

The certificates' PDF machinery (printing.pdf): the embedded Song face with its per-glyph fallback
(𠮷 from HanaMin), fixed ToUnicode so pdftotext gives the name back, invariant output. The ID numbers
come in masked; this module never sees a full one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table

from printing import pdf

COLUMNS = ("姓名 Name", "证件号码 ID", "起 From", "止 Until", "登记方式 Through", "逾期")
WIDTHS = (36, 40, 22, 26, 44, 12)


@dataclass(frozen=True)
class RosterDocument:
    title: str  # 一户一册 HP-0001 / 单位人员名册 ...
    heading: str  # the address or the entity's name
    details: list[tuple[str, str]]  # (label, value): type, capacity, landlord (masked), contact...
    current: list[list[str]]  # rows of COLUMNS
    past: list[list[str]]
    footnote: str
    issued: str = ""  # "2026-12-02 T-01 和平区政务服务中心"
    columns: tuple[str, ...] = field(default=COLUMNS)


def render_roster(doc: RosterDocument) -> bytes:
    pdf.register_fonts()
    base = pdf.paragraph_style("roster-base", size=9, leading=12)
    title = ParagraphStyle("roster-title", parent=base, fontSize=16, leading=22, alignment=1)
    section = ParagraphStyle("roster-section", parent=base, fontSize=11, leading=16)
    foot = ParagraphStyle("roster-foot", parent=base, fontSize=8, textColor=colors.HexColor("#444444"))

    def p(text: str, style=base):
        return pdf.paragraph(text, style)

    buf = io.BytesIO()
    template = pdf.doc_template(buf, title=doc.title, author=doc.issued, subject="roster",
                                leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm)
    story: list = [p(doc.title, title), Spacer(1, 4), p(doc.heading, section)]
    if doc.details:
        story.append(p("　".join(f"{label}：{value}" for label, value in doc.details)))
    if doc.issued:
        story.append(p(doc.issued))
    for label, rows in (("现住人员 Current occupants", doc.current), ("曾住人员 Past occupants", doc.past)):
        story += [Spacer(1, 8), p(f"{label}（{len(rows)}）", section), Spacer(1, 2)]
        grid = [[p(c) for c in doc.columns]] + [[p(c) for c in r] for r in rows]
        if not rows:
            grid.append([p("—")] + [p("") for _ in doc.columns[1:]])
        table = Table(grid, colWidths=[w * mm for w in WIDTHS], repeatRows=1)
        table.setStyle(pdf.table_style([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        story.append(table)
    story += [Spacer(1, 6), p(doc.footnote, foot)]
    template.build(story)
    return buf.getvalue()
