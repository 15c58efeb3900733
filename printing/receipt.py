"""Receipt -> ESC/POS bytes for one printer model: a pure function.

The layout is data (templates/receipts/<name>.toml): a list of blocks. Text goes
out in the model's encoding with Kanji mode toggled by our own encoder
(printing.textenc). A line with any character the model's font lacks is drawn
whole as a raster image (GS v 0) with the CJK font chain, so columns still line
up and nothing becomes '?'. python-escpos builds the image, QR and cut commands.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import tomllib
from importlib import resources
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from printing import fonts, textenc
from printing.documents import Receipt
from printing.models import PrinterModel, load_model

ESC, GS = b"\x1b", b"\x1d"
ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01", "right": ESC + b"a\x02"}
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
FONT_DOTS = 24  # Font A and the 24x24 Kanji font
BLOCK_TYPES = {"text", "field", "rule", "lines", "list", "paragraph", "qr", "copy_mark", "feed"}


class LayoutError(ValueError):
    """A receipt layout is unknown or malformed (a template bug, not a clerk's)."""


# --- layouts -------------------------------------------------------------------


@functools.cache
def load_layout(name: str = "acceptance") -> dict:
    item = resources.files("templates").joinpath("receipts", f"{name}.toml")
    if not name.replace("_", "").replace("-", "").isalnum() or not item.is_file():
        raise LayoutError(f"unknown receipt layout {name!r}")
    layout = tomllib.loads(item.read_text(encoding="utf-8"))
    for i, block in enumerate(layout.get("blocks", [])):
        if block.get("type") not in BLOCK_TYPES:
            raise LayoutError(f"receipt layout {name}: block {i + 1} has unknown type {block.get('type')!r}")
    return layout


def _fields(receipt: Receipt, layout: dict) -> dict[str, Any]:
    values = dataclasses.asdict(receipt)
    names = layout.get("service_names", {})
    values["service_name"] = receipt.service_name or names.get(receipt.service, receipt.service)
    values["fee_text"] = ("" if receipt.fee is None
                          else layout.get("fee_format", "¥{fee} {fee_note}").format(**values).strip())
    return values


def _format(template: str, values: dict[str, Any]) -> str:
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError) as exc:
        raise LayoutError(f"receipt template {template!r} refers to an unknown field ({exc})") from None


# --- raster glyphs ---------------------------------------------------------------


@functools.cache
def _pil_font(font: fonts.FontFile, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.font_path(font)), size=size, index=font.subfont_index)


def raster_line(text: str, model: PrinterModel, wide: bool = False, tall: bool = False,
                bold: bool = False) -> Image.Image:
    """The whole line drawn at its printer columns: a 1-bit image `model.dots` wide.
    `wide` / `tall` double the width / height, as GS ! does for printer text."""
    s = 2 if (wide or tall) else 1
    cell = model.cell_dots * s
    height = FONT_DOTS * s
    laid = textenc.cells(text, model)
    columns = max((c.column + c.width for c in laid), default=0)
    img = Image.new("L", (max(1, columns * cell), height), 255)
    draw = ImageDraw.Draw(img)
    for c in laid:
        if c.ch == " " or c.width == 0:
            continue
        font = fonts.font_for(c.ch) or fonts.MAIN
        x = c.column * cell + c.width * cell / 2
        draw.text((x, height / 2), c.ch, font=_pil_font(font, height), fill=0, anchor="mm",
                  stroke_width=1 if bold else 0, stroke_fill=0)
    out_w = columns * model.cell_dots * (2 if wide else 1)
    out_h = FONT_DOTS * (2 if tall else 1)
    if img.size != (out_w, out_h):
        img = img.resize((max(1, out_w), out_h), Image.LANCZOS)
    line = Image.new("L", (model.dots, out_h), 255)
    line.paste(img.crop((0, 0, min(out_w, model.dots), out_h)), (0, 0))
    return line.point(lambda v: 0 if v < 140 else 255, mode="1")


def defuse_realtime(raster: bytes) -> bytes:
    """Printers execute real-time commands even inside bit-image data (DLE EOT n, DLE ENQ n,
    DLE DC4 ...: status replies, buffer clears, even power-off). Where raster bytes happen to
    spell one, clear the byte after DLE: at most 8 dots become white, no command is formed."""
    data = bytearray(raster)
    i = data.find(0x10)
    while 0 <= i < len(data) - 1:
        if data[i + 1] in (0x04, 0x05, 0x14):
            data[i + 1] = 0x00
        i = data.find(0x10, i + 1)
    return bytes(data)


# --- the byte builder ------------------------------------------------------------


class _Builder:
    """Collects ESC/POS bytes; images, QR codes and cuts through python-escpos' Dummy."""

    def __init__(self, model: PrinterModel):
        from escpos.printer import Dummy

        self.model = model
        self.preview: list[str] = []  # the lines as laid out, for an on-screen preview
        self.dummy = Dummy()
        # Tell python-escpos the paper width, so it can check image widths (no stdout warning).
        data = copy.deepcopy(self.dummy.profile.profile_data)
        data["media"] = {"dpi": 203, "width": {"mm": model.paper_mm, "pixels": model.dots}}
        self.dummy.profile.profile_data = data
        self.dummy._raw(model.init)

    def raw(self, data: bytes) -> None:
        self.dummy._raw(data)

    def line(self, text: str, align: str = "left", wide: bool = False, tall: bool = False,
             bold: bool = False) -> None:
        width = self.model.columns // (2 if wide else 1)
        pad = width - textenc.display_width(text, self.model)
        if align == "center":
            text = " " * (pad // 2) + text
        elif align == "right":
            text = " " * pad + text
        text = text.rstrip()
        self.preview.append(text if not wide else " " * (len(text) - len(text.lstrip())) * 2 + text.lstrip())
        size = (0x10 if wide else 0) | (0x01 if tall else 0)
        if textenc.all_native(text, self.model):
            self.raw((GS + b"!" + bytes([size]) if size else b"") + (BOLD_ON if bold else b"")
                     + textenc.encode_native(text, self.model)
                     + (BOLD_OFF if bold else b"") + (GS + b"!\x00" if size else b"") + b"\n")
        else:
            self.image(raster_line(text, self.model, wide, tall, bold))

    def image(self, img: Image.Image) -> None:
        from escpos.printer import Dummy

        one = Dummy()
        one.profile.profile_data = self.dummy.profile.profile_data
        one.image(img, impl="bitImageRaster")
        data = bytearray(one.output)
        header = 8  # GS v 0 m xL xH yL yH
        self.raw(bytes(data[:header]) + defuse_realtime(bytes(data[header:])))

    def qr(self, payload: str) -> None:
        from escpos.constants import QR_ECLEVEL_M

        self.preview.append("[QR]".center(self.model.columns))
        if self.model.qr == "native":
            self.raw(ALIGN["center"])
            self.dummy.qr(payload, ec=QR_ECLEVEL_M, size=self.model.qr_module_dots, native=True)
            self.raw(b"\n" + ALIGN["left"])
            return
        import qrcode

        # Our own image: python-escpos' image QR has a 1-module quiet zone; scanners want 4.
        code = qrcode.QRCode(box_size=self.model.qr_module_dots, border=4,
                             error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(payload.encode("ascii"))
        code.make(fit=True)
        matrix = code.get_matrix()
        size = len(matrix) * self.model.qr_module_dots
        while size > self.model.dots and code.box_size > 1:
            code.box_size -= 1
            size = len(matrix) * code.box_size
        qr_img = code.make_image().get_image().convert("1").resize((size, size), Image.NEAREST)
        page = Image.new("1", (self.model.dots, size), 1)
        page.paste(qr_img, ((self.model.dots - size) // 2, 0))
        self.image(page)

    def cut(self) -> None:
        from escpos.constants import PAPER_FULL_CUT, PAPER_PART_CUT

        self.raw(ESC + b"d" + bytes([self.model.feed_before_cut]))
        if self.model.cut == "full":
            self.raw(PAPER_FULL_CUT)
        elif self.model.cut == "partial":
            self.raw(PAPER_PART_CUT)

    def output(self) -> bytes:
        return bytes(self.dummy.output)


def render_receipt(receipt: Receipt, model: PrinterModel | str, layout: str = "acceptance") -> bytes:
    """The receipt as ESC/POS bytes for the printer model; the same input always gives the same bytes."""
    return _render(receipt, model, layout).output()


def preview_lines(receipt: Receipt, model: PrinterModel | str, layout: str = "acceptance") -> list[str]:
    """The receipt as text lines laid out exactly as printed (same wrapping and columns; images and
    QR codes shown as their text / "[QR]"), for an on-screen preview."""
    return _render(receipt, model, layout).preview


def _render(receipt: Receipt, model: PrinterModel | str, layout: str) -> _Builder:
    model = load_model(model) if isinstance(model, str) else model
    spec = load_layout(layout)
    values = _fields(receipt, spec)
    out = _Builder(model)
    cols = model.columns
    for block in spec.get("blocks", []):
        kind = block["type"]
        scale = int(block.get("scale", 1))
        bold = bool(block.get("bold", False))
        align = block.get("align", "left")
        if kind == "copy_mark":
            if receipt.copy_number > 0:
                _big_text(out, _format(block.get("text", "副本 COPY {copy_number}"), values), "center", scale, True)
        elif kind == "text":
            text = _format(block["text"], values)
            if text or not block.get("optional"):
                _big_text(out, text, align, scale, bold)
        elif kind == "paragraph":
            text = _format(block.get("text", ""), values)
            if text:
                for line in textenc.wrap(text, cols, model):
                    out.line(line, align, bold=bold)
        elif kind == "field":
            value = _format(block["value"], values)
            if not value and block.get("optional"):
                continue
            _field(out, _format(block["label"], values), value, bold, block.get("label_width"))
        elif kind == "lines":
            for label, value in receipt.lines:
                _field(out, label, value, bold, block.get("label_width"))
        elif kind == "list":
            items = values.get(block["field"]) or []
            if not items:
                continue
            if block.get("heading"):
                for line in textenc.wrap(block["heading"], cols, model):
                    out.line(line, "left", bold=bold)
            bullet = block.get("bullet", "· ")
            indent = " " * textenc.display_width(bullet, model)
            for item in items:
                wrapped = textenc.wrap(str(item), cols - len(indent), model)
                for i, line in enumerate(wrapped):
                    out.line((bullet if i == 0 else indent) + line)
        elif kind == "rule":
            out.line(block.get("char", "-") * cols)
        elif kind == "qr":
            payload = values.get(block.get("field", "verification")) or ""
            if payload:
                out.qr(payload)
                if block.get("caption"):
                    out.line(block["caption"], "center")
        elif kind == "feed":
            out.raw(b"\n" * int(block.get("lines", 1)))
    out.cut()
    return out


def _big_text(out: _Builder, text: str, align: str, scale: int, bold: bool) -> None:
    """scale 2 = double width and height; a text too long for half the columns keeps normal
    width (double height only) rather than breaking a title over two lines."""
    cols = out.model.columns
    wide = scale > 1 and textenc.display_width(text, out.model) <= cols // 2
    for line in textenc.wrap(text, cols // (2 if wide else 1), out.model):
        out.line(line, align, wide=wide, tall=scale > 1, bold=bold)


def _field(out: _Builder, label: str, value: str, bold: bool, label_width: int | None) -> None:
    """label：value, with continuation lines indented under the value."""
    model = out.model
    label_w = max(label_width or 0, textenc.display_width(label, model))
    head = label + " " * (label_w - textenc.display_width(label, model))
    room = model.columns - label_w
    if room < 8:  # a long label on 58 mm paper: value on its own lines
        out.line(label, bold=bold)
        for line in textenc.wrap(value, model.columns, model):
            out.line(line, bold=bold)
        return
    for i, line in enumerate(textenc.wrap(value, room, model)):
        out.line((head if i == 0 else " " * label_w) + line, bold=bold)
