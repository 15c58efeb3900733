"""Reusable PDF pieces: embedded CJK fonts with per-glyph fallback, for certificates and reports.

- Fonts are TrueType, embedded and subset (reportlab refuses CFF fonts such as Noto CJK).
- Text is split into runs per font, so a rare character (𠮷) is drawn by the fallback font and
  no glyph is ever .notdef.
- reportlab writes a non-BMP character's ToUnicode entry as five hex digits (<20BB7>); PDF needs
  UTF-16BE (<D842DFB7>), else pdftotext extracts U+20BB. `fix_tounicode()` corrects that.
- Documents are deterministic (invariant=1) and start in our font (initialFontName), so no
  unembedded Helvetica reference remains.

Use: `canvas = new_canvas(buf)`, `draw_text(canvas, x, y, text, size)`,
`paragraph(text, style)` for flowing text, `doc_template(buf)` for platypus documents.
"""

from __future__ import annotations

import threading
from xml.sax.saxutils import escape

from printing import fonts

MAIN_FONT = fonts.MAIN.name
_fix_lock = threading.Lock()
_fixed = False


def _utf16_hex(cp: int) -> str:
    return chr(cp).encode("utf-16-be").hex().upper()


def fix_tounicode() -> None:
    """Make reportlab's subset ToUnicode CMaps map non-BMP characters as UTF-16BE surrogate pairs.

    reportlab.pdfbase.ttfonts.makeToUnicodeCMap is called by name from TTFont.addObjects, so the
    module attribute is replaced by a wrapper that rewrites only the entries above U+FFFF; BMP
    entries stay byte-identical.
    """
    global _fixed
    with _fix_lock:
        if _fixed:
            return
        from reportlab.pdfbase import ttfonts

        original = ttfonts.makeToUnicodeCMap

        def make_to_unicode_cmap(fontname, subset):
            cmap = original(fontname, subset)
            for code, cp in enumerate(subset):
                if cp > 0xFFFF:
                    cmap = cmap.replace(f"<{code:02X}> <{cp:04X}>", f"<{code:02X}> <{_utf16_hex(cp)}>", 1)
            return cmap

        make_to_unicode_cmap.counter_fixed = True
        ttfonts.makeToUnicodeCMap = make_to_unicode_cmap
        _fixed = True


def register_fonts() -> str:
    """Register the main face (fallbacks register when a character needs them); returns its name."""
    fix_tounicode()
    fonts.ttfont(fonts.MAIN)
    return MAIN_FONT


def runs(text: str) -> list[tuple[str, str]]:
    """(reportlab font name, text) runs; each font used is registered."""
    register_fonts()
    out = []
    for font, chunk in fonts.runs(text):
        fonts.ttfont(font)
        out.append((font.name, chunk))
    return out


def text_width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(chunk, name, size) for name, chunk in runs(text))


def draw_text(canvas, x: float, y: float, text: str, size: float, align: str = "left") -> float:
    """Draw one line with per-glyph font fallback; returns its width."""
    width = text_width(text, size)
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for name, chunk in runs(text):
        canvas.setFont(name, size)
        canvas.drawString(x, y, chunk)
        x += stringWidth(chunk, name, size)
    return width


def markup(text: str) -> str:
    """Paragraph markup for plain text: XML-escaped, fallback runs wrapped in <font name=...>."""
    parts = []
    for name, chunk in runs(text):
        esc = escape(chunk)
        parts.append(esc if name == MAIN_FONT else f'<font name="{name}">{esc}</font>')
    return "".join(parts)


def paragraph_style(name: str = "body", size: float = 12, leading: float | None = None, **kw):
    from reportlab.lib.styles import ParagraphStyle

    register_fonts()
    return ParagraphStyle(name, fontName=MAIN_FONT, fontSize=size, leading=leading or size * 1.6,
                          wordWrap="CJK", **kw)


def paragraph(text: str, style):
    from reportlab.platypus import Paragraph

    return Paragraph(markup(text), style)


def new_canvas(target, title: str = "", author: str = ""):
    """An A4 canvas that is deterministic and starts in the embedded main font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    canvas = Canvas(target, pagesize=A4, invariant=1, initialFontName=MAIN_FONT, initialFontSize=12,
                    pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator("counter")
    return canvas


def doc_template(target, title: str = "", author: str = "", **kw):
    """A platypus document with the same guarantees as new_canvas."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    register_fonts()
    return SimpleDocTemplate(target, pagesize=A4, invariant=1, initialFontName=MAIN_FONT, initialFontSize=12,
                             pageCompression=1, title=title, author=author, creator="counter", **kw)


def table_style(commands: list):
    """A TableStyle whose cells start in the embedded font (reportlab's default cell font is Helvetica)."""
    from reportlab.platypus import TableStyle

    return TableStyle([("FONTNAME", (0, 0), (-1, -1), register_fonts()), *commands])


def qr_matrix(payload: str, border: int = 4) -> list[list[bool]]:
    """QR modules (True = dark), error correction M, with a `border`-module quiet zone.
    The payload must be ASCII: there is no ECI, so a reader could guess another charset."""
    import qrcode

    code = qrcode.QRCode(border=border, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload.encode("ascii"))
    code.make(fit=True)
    return code.get_matrix()


def qr_flowable(payload: str, size: float):
    """A QR code as a platypus Flowable, drawn as one filled path of row runs: fast and compact
    (reportlab's QrCodeWidget draws one rectangle per module and encodes the code twice)."""
    from reportlab.platypus import Flowable

    matrix = qr_matrix(payload)

    class QrFlowable(Flowable):
        def wrap(self, avail_width, avail_height):
            return size, size

        def draw(self):
            n = len(matrix)
            module = size / n
            canvas = self.canv
            path = canvas.beginPath()
            for row, cells in enumerate(matrix):
                y = size - (row + 1) * module
                col = 0
                while col < n:
                    if cells[col]:
                        start = col
                        while col < n and cells[col]:
                            col += 1
                        path.rect(start * module, y, (col - start) * module, module)
                    else:
                        col += 1
            canvas.setFillColorRGB(0, 0, 0)
            canvas.drawPath(path, stroke=0, fill=1)

    return QrFlowable()
