"""CJK fonts for printing: where they are, and which one has a given character.

The main face is a Song/Ming TrueType font (AR PL UMing). Rare characters
(CJK Extension B and beyond, e.g. 𠮷 U+20BB7) fall back per glyph to the
Hanazono Mincho fonts, then to BabelStone Han, which has what HanaMin lacks:
the late URO additions (9FD6-9FFF, Unicode 8-14) and Extensions G and H.
Coverage is read from each font's cmap with reportlab's TrueType parser,
once per process. A character that no installed font has is refused before
printing (GlyphMissing), never drawn as .notdef (tofu).
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
    # TrueType (reportlab embeds it); Debian bookworm's 15.0.5 covers up to Extension H
    FontFile("CounterBabelStone", "BabelStoneHan.ttf", 0, "fonts-babelstone-han"),
)
BABELSTONE = FALLBACKS[2]
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
        return (FALLBACKS[1], BABELSTONE, MAIN, FALLBACKS[0])
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


# The CJK blocks (Unicode 17.0, Blocks.txt), for a refusal that says what kind of character it is
CJK_BLOCKS = (
    (0x3400, 0x4DBF, "CJK Unified Ideographs Extension A"),
    (0x4E00, 0x9FFF, "CJK Unified Ideographs"),
    (0xF900, 0xFAFF, "CJK Compatibility Ideographs"),
    (0x20000, 0x2A6DF, "CJK Unified Ideographs Extension B"),
    (0x2A700, 0x2B73F, "CJK Unified Ideographs Extension C"),
    (0x2B740, 0x2B81F, "CJK Unified Ideographs Extension D"),
    (0x2B820, 0x2CEAF, "CJK Unified Ideographs Extension E"),
    (0x2CEB0, 0x2EBEF, "CJK Unified Ideographs Extension F"),
    (0x2EBF0, 0x2EE5F, "CJK Unified Ideographs Extension I"),
    (0x2F800, 0x2FA1F, "CJK Compatibility Ideographs Supplement"),
    (0x30000, 0x3134F, "CJK Unified Ideographs Extension G"),
    (0x31350, 0x323AF, "CJK Unified Ideographs Extension H"),
    (0x323B0, 0x3347F, "CJK Unified Ideographs Extension J"),
)
# Blocks newer than the Debian package's BabelStone Han: only a newer font file covers them
NEWER_THAN_PACKAGE = ("CJK Unified Ideographs Extension I", "CJK Unified Ideographs Extension J")


def block_of(ch: str) -> str:
    cp = ord(ch)
    return next((name for first, last, name in CJK_BLOCKS if first <= cp <= last), "")


def advice(ch: str) -> tuple[str, dict[str, str]]:
    """What to install so that this character prints: ("package", {package}) when the Debian package
    of the last fallback would do, else ("file", {file, block, env}) for a newer font file."""
    try:
        font_path(BABELSTONE)
        installed = True
    except FontMissing:
        installed = False
    block = block_of(ch)
    if not installed and block not in NEWER_THAN_PACKAGE:
        return "package", {"package": BABELSTONE.package}
    return "file", {"file": BABELSTONE.filename, "block": block or f"U+{ord(ch):04X}", "env": ENV_FONT_DIRS}


def install_advice(ch: str) -> str:
    """The advice in English (journal, CLI)."""
    kind, p = advice(ch)
    if kind == "package":
        return f"install the Debian package {p['package']}"
    return f"put a newer {p['file']} covering {p['block']} into a folder named by {p['env']}"


class GlyphMissing(Exception):
    """The text has characters no installed font can draw: printing them would give tofu (.notdef)."""

    def __init__(self, chars: list[str]):
        self.chars = chars
        first = chars[0]
        super().__init__(f"no installed font has U+{ord(first):04X} ({block_of(first) or 'not a CJK block'}); "
                         f"{install_advice(first)}")


def text_of(value) -> str:
    """Every string in a document's data (dataclass fields as dicts, lists, tuples), joined: what to check."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "".join(text_of(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return "".join(text_of(v) for v in value)
    return ""


def require_glyphs(text: str) -> None:
    """Raise GlyphMissing when some character of `text` is in no installed font."""
    missing = missing_glyphs(text)
    if missing:
        raise GlyphMissing(missing)
