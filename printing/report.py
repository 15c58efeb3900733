"""The daily reconciliation report as an A4 PDF: data in, PDF bytes out.

Chinese is drawn with an embedded TrueType face (AR PL UMing CN, face 0 of
uming.ttc; WenQuanYi Zen Hei if UMing is absent). Characters the main face
lacks (𠮷 and the rest of CJK Extension B) fall back per run to Hanazono
Mincho. The document is built with invariant=1 and no unembedded base font,
so the same data gives the same bytes everywhere the same fonts are installed.
"""

from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts")
ENV_FONT_DIRS = "COUNTER_FONT_DIRS"
# (registered name, file, subfont index, Debian package); the first found is the main face.
MAIN_FACES = (("CounterReportSong", "uming.ttc", 0, "fonts-arphic-uming"),
              ("CounterReportHei", "wqy-zenhei.ttc", 0, "fonts-wqy-zenhei"))
FALLBACK_FACES = (("CounterReportHanaA", "HanaMinA.ttf", 0, "fonts-hanazono"),
                  ("CounterReportHanaB", "HanaMinB.ttf", 0, "fonts-hanazono"))


class ReportFontMissing(Exception):
    """No CJK TrueType font is installed; the message names the package."""


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


# --- fonts -----------------------------------------------------------------------------------

_font_lock = threading.Lock()
_fonts: dict[str, tuple[str, frozenset[int]]] = {}  # role -> (registered name, coverage)


def _find(filename: str) -> Path | None:
    extra = [Path(p) for p in os.environ.get(ENV_FONT_DIRS, "").split(os.pathsep) if p]
    for base in (*extra, *FONT_DIRS):
        if (base / filename).is_file():
            return base / filename
        if base.is_dir():
            for found in base.rglob(filename):
                return found
    return None


def _register(name: str, path: Path, index: int) -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = TTFont(name, str(path), subfontIndex=index)
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(font)
    face = font.face
    return frozenset(cp for cp, glyph in face.charToGlyph.items() if glyph)


def fonts() -> list[tuple[str, frozenset[int]]]:
    """[(main font name, coverage), *fallbacks], registered with reportlab once per process."""
    with _font_lock:
        if "main" not in _fonts:
            for name, filename, index, _pkg in MAIN_FACES:
                path = _find(filename)
                if path:
                    _fonts["main"] = (name, _register(name, path, index))
                    break
            else:
                raise ReportFontMissing("no CJK TrueType font found; install fonts-arphic-uming or fonts-wqy-zenhei")
            for name, filename, index, _pkg in FALLBACK_FACES:
                path = _find(filename)
                if path:
                    _fonts[name] = (name, _register(name, path, index))
        return [_fonts["main"], *(v for k, v in _fonts.items() if k != "main")]


def _font_of(ch: str, chain) -> str:
    cp = ord(ch)
    for name, cover in chain:
        if cp in cover:
            return name
    return chain[0][0]


def markup(text: str) -> str:
    """Paragraph markup for text: escaped, with runs the main face lacks set in a fallback face."""
    chain = fonts()
    main = chain[0][0]
    out, run, run_font = [], "", main
    for ch in text:
        name = main if ch.isspace() or ord(ch) < 0x80 else _font_of(ch, chain)
        if name != run_font and run:
            out.append(escape(run) if run_font == main else f'<font name="{run_font}">{escape(run)}</font>')
            run = ""
        run_font = name
        run += ch
    if run:
        out.append(escape(run) if run_font == main else f'<font name="{run_font}">{escape(run)}</font>')
    return "".join(out)


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


def _service_chart(by_service: list[tuple[str, int]], font: str):
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    items = list(reversed(by_service)) or [("—", 0)]
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
    chart.bars[0].fillColor = colors.HexColor("#4f8a3a")
    drawing.add(chart)
    drawing.add(String(10, height + 8, "按业务类型 Transactions by service", fontName=font, fontSize=9))
    return drawing


def _to_unicode_cmap(fontname: str, subset) -> str:
    """reportlab's ToUnicode CMap, but with UTF-16BE code units as PDF requires.

    reportlab writes U+20BB7 as <20BB7>, which readers take as U+20BB plus junk;
    a surrogate pair <D842DFB7> makes text extraction and search give 𠮷.
    """
    lines = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>", "endcodespacerange", f"{len(subset)} beginbfchar",
    ]
    lines += [f"<{i:02X}> <{chr(v).encode('utf-16-be').hex().upper()}>" for i, v in enumerate(subset)]
    lines += ["endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines)


_build_lock = threading.Lock()


def render_day_report(report: DayReport) -> bytes:
    """The report PDF's bytes; the same report gives the same bytes."""
    from reportlab.pdfbase import ttfonts

    with _build_lock:
        saved = ttfonts.makeToUnicodeCMap
        ttfonts.makeToUnicodeCMap = _to_unicode_cmap  # only while this document is written
        try:
            return _render(report)
        finally:
            ttfonts.makeToUnicodeCMap = saved


def _render(report: DayReport) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    chain = fonts()
    font = chain[0][0]
    base = ParagraphStyle("base", fontName=font, bulletFontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=1)
    h2 = ParagraphStyle("h2", parent=base, fontSize=11.5, leading=16, spaceBefore=6, spaceAfter=3)
    warn = ParagraphStyle("warn", parent=base, textColor=colors.HexColor("#9a3412"))

    def p(text: str, style=base) -> Paragraph:
        return Paragraph(markup(text), style)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, invariant=1, initialFontName=font, initialFontSize=9.5,
        leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=f"日终对账报告 {report.business_day} {report.station_id}", author=report.station_id,
        creator="counter", producer="counter", subject="daily reconciliation",
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
    table = Table(rows, colWidths=[120 * mm, 45 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("FONTNAME", (0, 0), (-1, -1), font),  # else the table references Helvetica
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
    ]))
    story.append(table)
    if report.warnings:
        story.append(p("提示 Warnings", h2))
        story.extend(p(f"• {w}", warn) for w in report.warnings)
    story.append(p("图表 Charts", h2))
    story.append(_hour_chart(report.by_hour, font))
    story.append(Spacer(1, 6))
    story.append(_service_chart(report.by_service, font))
    story.append(p("按业务类型 By service", h2))
    svc_rows = [[p(name), p(str(n))] for name, n in report.by_service] or [[p("—"), p("0")]]
    story.append(_grid(svc_rows, font))
    if report.by_clerk:
        story.append(p("按柜员 By clerk", h2))
        story.append(_grid([[p(name), p(str(n))] for name, n in report.by_clerk], font))
    story.append(Spacer(1, 18))
    story.append(p("主管签字 Supervisor signature: ______________________　日期 Date: ______________"))
    if report.footer:
        story.append(Spacer(1, 8))
        story.append(p(report.footer, ParagraphStyle("foot", parent=base, fontSize=7.5, textColor=colors.grey)))
    doc.build(story)
    return buf.getvalue()


def _grid(rows, font: str):
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=[120 * mm, 45 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("FONTNAME", (0, 0), (-1, -1), font)]))
    return table
