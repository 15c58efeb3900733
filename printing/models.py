"""Printer-model profiles (templates/printers/*.toml): paper, encoding, Kanji mode, QR."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

ENCODINGS = ("gb18030", "gbk", "big5")
PAPER_COLUMNS = {58: 32, 80: 48}  # Font A (12x24 dots), half-width columns
PAPER_DOTS = {58: 384, 80: 576}  # printable width at 203 dpi


class ModelError(ValueError):
    """A printer-model profile is unknown or malformed."""


@dataclass(frozen=True)
class PrinterModel:
    name: str
    description: str
    paper_mm: int
    columns: int  # half-width columns per line
    dots: int  # printable dots per line
    encoding: str  # what text is sent in
    font_charset: str  # the repertoire the built-in font can print (may be smaller than `encoding`)
    max_char_bytes: int  # longest byte sequence of one printable character (2: no GB18030 4-byte)
    bmp_only: bool  # the font has no supplementary-plane glyphs (Extension B and beyond)
    kanji_on: bytes  # FS & (empty when the model is always in double-byte mode)
    kanji_off: bytes  # FS .
    init: bytes  # ESC @
    qr: str  # "native" (GS ( k) or "raster" (GS v 0 image)
    qr_module_dots: int
    cut: str  # "full" | "partial" | "none"
    feed_before_cut: int

    @property
    def cell_dots(self) -> int:
        """Dots per half-width column."""
        return self.dots // self.columns


def _hex(value: str, where: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ModelError(f"{where} must be hex bytes like '1c 26'") from None


def parse_model(name: str, data: dict) -> PrinterModel:
    where = f"printer model {name}"
    try:
        paper = int(data["paper_mm"])
        if paper not in PAPER_COLUMNS:
            raise ModelError(f"{where}: paper_mm must be 58 or 80")
        encoding = str(data["encoding"]).lower()
        charset = str(data.get("font_charset", encoding)).lower()
        for enc in (encoding, charset):
            if enc not in ENCODINGS:
                raise ModelError(f"{where}: encoding {enc!r} is not one of {', '.join(ENCODINGS)}")
        qr = str(data.get("qr", "native"))
        if qr not in ("native", "raster"):
            raise ModelError(f"{where}: qr must be 'native' or 'raster'")
        cut = str(data.get("cut", "partial"))
        if cut not in ("full", "partial", "none"):
            raise ModelError(f"{where}: cut must be 'full', 'partial' or 'none'")
        return PrinterModel(
            name=name,
            description=str(data.get("description", "")),
            paper_mm=paper,
            columns=int(data.get("columns", PAPER_COLUMNS[paper])),
            dots=int(data.get("dots", PAPER_DOTS[paper])),
            encoding=encoding,
            font_charset=charset,
            max_char_bytes=int(data.get("max_char_bytes", 2)),
            bmp_only=bool(data.get("bmp_only", True)),
            kanji_on=_hex(str(data.get("kanji_on", "1c 26")), f"{where}: kanji_on"),
            kanji_off=_hex(str(data.get("kanji_off", "1c 2e")), f"{where}: kanji_off"),
            init=_hex(str(data.get("init", "1b 40")), f"{where}: init"),
            qr=qr,
            qr_module_dots=int(data.get("qr_module_dots", 6 if paper == 80 else 4)),
            cut=cut,
            feed_before_cut=int(data.get("feed_before_cut", 4)),
        )
    except KeyError as exc:
        raise ModelError(f"{where}: {exc.args[0]} is required") from None


def _models_dir():
    return resources.files("templates").joinpath("printers")


def model_names() -> list[str]:
    return sorted(p.name[:-5] for p in _models_dir().iterdir() if p.name.endswith(".toml"))


_cache: dict[str, PrinterModel] = {}


def load_model(name: str) -> PrinterModel:
    if name not in _cache:
        item = _models_dir().joinpath(f"{name}.toml")
        if not name.replace("-", "").replace("_", "").isalnum() or not item.is_file():
            raise ModelError(f"unknown printer model {name!r}; known models: {', '.join(model_names())}")
        _cache[name] = parse_model(name, tomllib.loads(item.read_text(encoding="utf-8")))
    return _cache[name]
