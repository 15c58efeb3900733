"""CJK fonts for printing: where they are, and which one has a given character.

The main face is a Song/Ming TrueType font (AR PL UMing). Rare characters
(CJK Extension B and beyond, e.g. 𠮷 U+20BB7) fall back per glyph to the
Hanazono Mincho fonts, which cover almost all of Unicode's CJK ideographs.
Coverage is read from each font's cmap with reportlab's TrueType parser,
once per process.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

# Where Debian (and most Linux distributions) put the packages' fonts.
FONT_DIRS = [
    Path("/usr/share/fonts/truetype"),
    Path("/usr/share/fonts/opentype"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
]
# COUNTER_FONT_DIRS (os.pathsep-separated) is searched first, for stations with fonts elsewhere.
ENV_FONT_DIRS = "COUNTER_FONT_DIRS"


@dataclass(frozen=True)
class FontFile:
    """One TrueType face: a file and, for a .ttc collection, the face index."""

    name: str  # the name it is registered under (reportlab) and known by here
    filename: str  # file name to look for in the font directories
    subfont_index: int = 0
    package: str = ""  # the Debian package that ships it, for the error message


# In fallback order: the first font that has a character draws it.
MAIN = FontFile("CounterSong", "uming.ttc", 0, "fonts-arphic-uming")
FALLBACKS = (
    FontFile("CounterHanaA", "HanaMinA.ttf", 0, "fonts-hanazono"),
    FontFile("CounterHanaB", "HanaMinB.ttf", 0, "fonts-hanazono"),
)
CHAIN = (MAIN, *FALLBACKS)


class FontMissing(Exception):
    """A font file is not installed; the message names the package to install."""


def _search_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(ENV_FONT_DIRS, "").split(os.pathsep) if p]
    return extra + FONT_DIRS


_path_cache: dict[str, Path] = {}


def font_path(font: FontFile) -> Path:
    if font.filename in _path_cache:
        return _path_cache[font.filename]
    for base in _search_dirs():
        direct = base / font.filename
        if direct.is_file():
            _path_cache[font.filename] = direct
            return direct
        if base.is_dir():
            for found in base.rglob(font.filename):
                _path_cache[font.filename] = found
                return found
    raise FontMissing(f"font {font.filename} not found; install the Debian package {font.package}")


_lock = threading.RLock()
_ttfonts: dict[str, object] = {}


def ttfont(font: FontFile):
    """The reportlab TTFont for this face, parsed once per process and registered with pdfmetrics.
    Its parsed cmap also tells the receipt renderer which font has a character."""
    with _lock:
        if font.name not in _ttfonts:
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont

            tt = TTFont(font.name, str(font_path(font)), subfontIndex=font.subfont_index)
            pdfmetrics.registerFont(tt)
            _ttfonts[font.name] = tt
        return _ttfonts[font.name]


_cmaps: dict[str, frozenset[int]] = {}


def coverage(font: FontFile) -> frozenset[int]:
    """The code points the font maps to a real glyph (its cmap)."""
    with _lock:
        if font.name not in _cmaps:
            face = ttfont(font).face
            _cmaps[font.name] = frozenset(cp for cp, glyph in face.charToGlyph.items() if glyph)
        return _cmaps[font.name]


def _candidates(cp: int) -> tuple[FontFile, ...]:
    # Supplementary-plane ideographs live only in HanaMinB: look there first, so a
    # receipt with 𠮷 need not parse the other two cmaps.
    if cp > 0xFFFF:
        return (FALLBACKS[1], MAIN, FALLBACKS[0])
    return CHAIN


def font_for(ch: str) -> FontFile | None:
    """The first font in the chain that has this character, or None when none has it."""
    cp = ord(ch)
    for font in _candidates(cp):
        try:
            if cp in coverage(font):
                return font
        except FontMissing:
            if font is MAIN:
                raise
    return None


def runs(text: str) -> list[tuple[FontFile, str]]:
    """Split text into runs that one font can draw. Characters no font has stay in the main font's run
    (they would show .notdef; `missing_glyphs` reports them)."""
    out: list[tuple[FontFile, str]] = []
    for ch in text:
        font = font_for(ch) if not ch.isspace() else MAIN
        font = font or MAIN
        if out and out[-1][0] is font:
            out[-1] = (font, out[-1][1] + ch)
        else:
            out.append((font, ch))
    return out


def missing_glyphs(text: str) -> list[str]:
    return sorted({ch for ch in text if not ch.isspace() and font_for(ch) is None})
