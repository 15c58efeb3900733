"""Our own ESC/POS text encoder: per printer model, by display width, never '?'.

A character is *native* when the model's font can print it: it is printable
ASCII, or it is in the font's repertoire and encodes in at most
`max_char_bytes` bytes of the wire encoding. Every other character (𠮷, 䶮 on a
GBK font, a minority-name glyph outside GBK) is drawn as a raster image by the
receipt renderer. Width follows what the printer does: a single byte takes one
column, a double-byte (Kanji-mode) character or a raster glyph takes two.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from printing.models import PrinterModel

# Same symbol, another code point: the currency signs differ between GBK (only ￥ U+FFE5)
# and Big5 (only ¥ U+00A5). Only symbols are substituted, never letters of a name.
SYMBOL_SUBSTITUTES = {"\u00a5": "\uffe5", "\uffe5": "\u00a5"}

# A line must not start with these (Chinese line-breaking rule, 禁则).
NO_LINE_START = set("，。、；：？！）》」』】〕…—·,.;:?!)]}%")


def _raw_native(ch: str, model: PrinterModel) -> bytes | None:
    cp = ord(ch)
    if 0x20 <= cp < 0x7F:
        return ch.encode("ascii")
    if cp < 0xA0 or (model.bmp_only and cp > 0xFFFF):
        return None
    try:
        ch.encode(model.font_charset)
        data = ch.encode(model.encoding)
    except UnicodeEncodeError:
        return None
    # A single byte >= 0x80 would be read as half of a Kanji code in Kanji mode.
    if len(data) < 2 or len(data) > model.max_char_bytes:
        return None
    return data


def native_bytes(ch: str, model: PrinterModel) -> bytes | None:
    """The bytes that print `ch` with the model's own font, or None when it must be a raster glyph."""
    data = _raw_native(ch, model)
    if data is None and ch in SYMBOL_SUBSTITUTES:
        data = _raw_native(SYMBOL_SUBSTITUTES[ch], model)
    return data


def char_width(ch: str, model: PrinterModel) -> int:
    if ch == "\t":
        return 1
    data = native_bytes(ch, model)
    if data is not None:
        return 1 if len(data) == 1 else 2
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") or ord(ch) >= 0x2E80 else 1


def display_width(text: str, model: PrinterModel) -> int:
    return sum(char_width(ch, model) for ch in text)


# Controls would be printer commands, format characters reorder or hide text, lone surrogates are no text.
# Unassigned (Cn) and private-use (Co) characters stay: to Python 3.11's Unicode 14 data an Extension H or I
# ideograph is unassigned, and some rare name characters live in private use; the font check decides.
_DROPPED = ("Cc", "Cf", "Cs")


def clean(text: str) -> str:
    """Control characters would be printer commands: tabs become spaces, the rest go."""
    text = text.replace("\t", " ")
    return "".join(ch for ch in text if ch == " " or unicodedata.category(ch) not in _DROPPED)


def wrap(text: str, width: int, model: PrinterModel) -> list[str]:
    """Greedy wrap by display width. CJK breaks anywhere, except before closing punctuation;
    a run of Latin letters or digits moves to the next line whole when it fits there."""
    text = clean(text)
    if not text:
        return [""]
    lines: list[str] = []
    line, used = "", 0
    for ch in text:
        w = char_width(ch, model)
        if used + w > width and line:
            carry = ""
            if ch in NO_LINE_START:
                # pull the last character down with the punctuation
                carry, line = line[-1], line[:-1]
            elif ch.isascii() and ch.isalnum():
                head, sep, tail = line.rpartition(" ")
                run = tail if sep else ""
                if sep and run.isascii() and run and display_width(run, model) + w <= width:
                    carry, line = run, head + sep
            lines.append(line.rstrip())
            line = carry
            used = display_width(line, model)
            if not line and ch == " ":
                continue
        line += ch
        used += w
    lines.append(line.rstrip())
    return lines


@dataclass(frozen=True)
class Cell:
    """One character placed on a line: its column and width."""

    ch: str
    column: int
    width: int
    native: bytes | None


def cells(text: str, model: PrinterModel) -> list[Cell]:
    out, column = [], 0
    for ch in text:
        data = native_bytes(ch, model)
        w = char_width(ch, model)
        out.append(Cell(ch, column, w, data))
        column += w
    return out


def all_native(text: str, model: PrinterModel) -> bool:
    return all(native_bytes(ch, model) is not None for ch in text)


def encode_native(text: str, model: PrinterModel) -> bytes:
    """Bytes for a line the printer can print itself, with Kanji mode on around double-byte runs.

    Raises ValueError when a character is not native (the caller rasters such lines).
    """
    out = bytearray()
    kanji = False
    for ch in text:
        data = native_bytes(ch, model)
        if data is None:
            raise ValueError(f"U+{ord(ch):04X} cannot be printed natively on {model.name}")
        if len(data) >= 2 and not kanji:
            out += model.kanji_on
            kanji = True
        elif len(data) == 1 and kanji and ch != " ":
            out += model.kanji_off
            kanji = False
        out += data
    if kanji:
        out += model.kanji_off
    return bytes(out)
