"""The daily reconciliation report as an A4 PDF: data in, PDF bytes out.

Fonts, the non-BMP ToUnicode fix and the deterministic document come from the
printing area's shared PDF pieces (printing.pdf, printing.fonts): an embedded
TrueType Song face with per-glyph fallback (𠮷 included), invariant=1, and no
unembedded Helvetica anywhere (charts and tables start in the embedded face).
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


@dataclass(frozen=True)
class DayReport:
    """Everything the report shows, already worded; no I/O, no database."""

    station_id: str
    office: str
    district: str
    business_day: str
    closed: bool
    closed_by: str = ""
    closed_at: str = ""  # local time text
    entries: int = 0
    transactions: int = 0
    by_service: list[tuple[str, int]] = field(default_factory=list)  # (display name, count)
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)  # local hours 0..23
    by_clerk: list[tuple[str, int]] = field(default_factory=list)
    receipts_printed: int = 0
    receipts_reprinted: int = 0
    receipts_voided: int = 0
    certificates_issued: int = 0
    print_jobs_failed: int = 0
    print_jobs_unprinted: int = 0
    late_registrations: int = 0
    corrections: int = 0
    unsynced_entries: int = 0
    permits_expiring_30d: int | None = None  # None: permits are not kept at this station
    seq_range: str = ""
    warnings: list[str] = field(default_factory=list)
    footer: str = ""  # e.g. software version


# --- the document ----------------------------------------------------------------------------

def _figure_rows(r: DayReport) -> list[tuple[str, str]]:
    expiring = "—" if r.permits_expiring_30d is None else str(r.permits_expiring_30d)
    return [
        ("业务总笔数 Transactions", str(r.transactions)),
        ("日志条目 Journal entries", str(r.entries)),
        ("回执打印 Receipts printed", str(r.receipts_printed)),
        ("回执补打 Receipts reprinted", str(r.receipts_reprinted)),
        ("作废 Voided", str(r.receipts_voided)),
        ("开具证明 Certificates issued", str(r.certificates_issued)),
        ("打印失败 Print jobs failed", str(r.print_jobs_failed)),
        ("未打印 Print jobs not printed", str(r.print_jobs_unprinted)),
        ("逾期登记 Late registrations", str(r.late_registrations)),
        ("更正 Corrections", str(r.corrections)),
        ("30 日内到期居住证 Permits expiring in 30 days", expiring),
        ("未同步条目 Entries not synced", str(r.unsynced_entries)),
    ]


def _hour_chart(by_hour: list[int], font: str):
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    drawing = Drawing(480, 170, initialFontName=font)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, 420, 115
    chart.data = [list(by_hour)]
    chart.categoryAxis.categoryNames = [f"{h:02d}" for h in range(24)]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    peak = max(by_hour) if by_hour else 0
    chart.valueAxis.valueMax = max(peak, 1) * 1.15
    chart.valueAxis.valueStep = max(1, round(max(peak, 1) / 5))
    chart.bars[0].fillColor = colors.HexColor("#2f5d8a")
    chart.barLabels.fontName = font
    drawing.add(chart)
    drawing.add(String(40, 155, "按小时业务量 Transactions by hour", fontName=font, fontSize=9))
    return drawing


def horizontal_bar_chart(title: str, items: list[tuple[str, int]], font: str, color: str):
    """One bar per (label, count), first on top; the report's and the statistics' charts alike."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    items = list(reversed(items)) or [("—", 0)]
    height = 40 + 16 * len(items)
    drawing = Drawing(480, height + 20, initialFontName=font)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 170, 10, 290, height - 10
    chart.data = [[n for _, n in items]]
    chart.categoryAxis.categoryNames = [label for label, _ in items]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    peak = max(n for _, n in items)
    chart.valueAxis.valueMax = max(peak, 1) * 1.15
    chart.valueAxis.valueStep = max(1, round(max(peak, 1) / 5))
    chart.bars[0].fillColor = colors.HexColor(color)
    drawing.add(chart)
    drawing.add(String(10, height + 8, title, fontName=font, fontSize=9))
    return drawing


def _service_chart(by_service: list[tuple[str, int]], font: str):
    return horizontal_bar_chart("按业务类型 Transactions by service", by_service, font, "#4f8a3a")


def render_day_report(report: DayReport) -> bytes:
    """The report PDF's bytes; the same report gives the same bytes. Raises fonts.GlyphMissing, before
    drawing anything, for a character no installed font has (a clerk's name in Extension I)."""
    fonts.require_glyphs(fonts.text_of(dataclasses.asdict(report)))
    font = pdf.register_fonts()
    base = pdf.paragraph_style("report-base", size=9.5, leading=13, bulletFontName=font)
    title = ParagraphStyle("report-title", parent=base, fontSize=16, leading=22, alignment=1)
    h2 = ParagraphStyle("report-h2", parent=base, fontSize=11.5, leading=16, spaceBefore=6, spaceAfter=3)
    warn = ParagraphStyle("report-warn", parent=base, textColor=colors.HexColor("#9a3412"))
    foot = ParagraphStyle("report-foot", parent=base, fontSize=7.5, textColor=colors.grey)

    def p(text: str, style=base):
        return pdf.paragraph(text, style)

    buf = io.BytesIO()
    doc = pdf.doc_template(
        buf, title=f"日终对账报告 {report.business_day} {report.station_id}", author=report.station_id,
        leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        subject="daily reconciliation",
    )
    status = (f"已日结 Closed — {report.closed_by} {report.closed_at}" if report.closed
              else "未日结（草稿） NOT CLOSED (draft)")
    story: list = [
        p("日终对账报告 Daily reconciliation report", title),
        Spacer(1, 4),
        p(f"{report.office}"),
        p(f"工作站 Station: {report.station_id}　辖区 District: {report.district}"),
        p(f"业务日 Business day: {report.business_day}　状态 Status: {status}"),
    ]
    if report.seq_range:
        story.append(p(f"日志序号 Journal seq: {report.seq_range}"))
    story.append(p("对账 Reconciliation", h2))
    rows = [[p(label), p(value)] for label, value in _figure_rows(report)]
    story.append(_grid(rows, [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7"))]))
    if report.warnings:
        story.append(p("提示 Warnings", h2))
        story.extend(p(f"• {w}", warn) for w in report.warnings)
    story.append(p("图表 Charts", h2))
    story.append(_hour_chart(report.by_hour, font))
    story.append(Spacer(1, 6))
    story.append(_service_chart(report.by_service, font))
    story.append(p("按业务类型 By service", h2))
    svc_rows = [[p(name), p(str(n))] for name, n in report.by_service] or [[p("—"), p("0")]]
    story.append(_grid(svc_rows))
    if report.by_clerk:
        story.append(p("按柜员 By clerk", h2))
        story.append(_grid([[p(name), p(str(n))] for name, n in report.by_clerk]))
    story.append(Spacer(1, 18))
    story.append(p("主管签字 Supervisor signature: ______________________　日期 Date: ______________"))
    if report.footer:
        story.append(Spacer(1, 8))
        story.append(p(report.footer, foot))
    doc.build(story)
    return buf.getvalue()


def _grid(rows, extra: list | None = None):
    table = Table(rows, colWidths=[120 * mm, 45 * mm])
    table.setStyle(pdf.table_style([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), *(extra or [])]))
    return table
