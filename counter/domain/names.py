"""Person names: Chinese (any CJK extension, minority names with ·) or Latin (foreigners, as in the MRZ).

A name is never silently changed except for one thing: look-alike dots are
normalised to the middle dot U+00B7 (and "." or "。" between two Chinese
characters, which is what an input method gives), the separator GB 11643 cards and the
public security forms use for minority names (阿依古丽·买买提).
"""

from __future__ import annotations

import bisect
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from counter.errors import ValidationError

MIDDLE_DOT = "\u00b7"
# Dots clerks and input methods produce instead of U+00B7.
LOOKALIKE_DOTS = "\u30fb\u2022\u2027\u2219\u22c5\uff0e\uff65\u0387\u2e31\u00b7\u16eb\u318d\u10fb\u2e33\ua78f"
MAX_NAME_LENGTH = 64

_LATIN_EXTRA = set(" -'")


@dataclass(frozen=True)
class NameCheck:
    name: str
    script: str  # "cjk" or "latin"


@dataclass(frozen=True)
class IdeographBlock:
    name: str
    first: int
    last: int
    version: str  # the Unicode version that added the last of these code points


@cache
def ideograph_blocks() -> tuple[IdeographBlock, ...]:
    """The CJK ideograph ranges of templates/cjk_ideographs.toml, by code point (the data names its Unicode
    version: Python's own unicodedata is older and calls Extensions H and I unassigned)."""
    data = tomllib.loads((resources.files("templates") / "cjk_ideographs.toml").read_text(encoding="utf-8"))
    return tuple(sorted((IdeographBlock(b["name"], b["first"], b["last"], b["version"]) for b in data["block"]),
                        key=lambda b: b.first))


@cache
def _starts() -> list[int]:
    return [b.first for b in ideograph_blocks()]


def ideograph_block(ch: str) -> IdeographBlock | None:
    """The block of a CJK unified or compatibility ideograph, or None for any other character."""
    cp = ord(ch)
    i = bisect.bisect_right(_starts(), cp) - 1
    if i >= 0:
        block = ideograph_blocks()[i]
        if cp <= block.last:
            return block
    return None


def is_cjk_ideograph(ch: str) -> bool:
    """Any CJK unified or compatibility ideograph, BMP or not (𠮷 U+20BB7, 䶮 U+4DAE, Extension I U+2EBF0)."""
    return ideograph_block(ch) is not None


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and "LATIN" in unicodedata.name(ch, "")


def normalise_name(text: str) -> str:
    """Trim, collapse spaces, and turn look-alike dots into U+00B7. Never drops a character."""
    text = unicodedata.normalize("NFC", text or "").strip()
    text = re.sub(r"\s+", " ", text)
    out = []
    for ch in text:
        if ch in LOOKALIKE_DOTS:
            out.append(MIDDLE_DOT)
        else:
            out.append(ch)
    name = "".join(out)
    # a dot between CJK characters has no spaces around it
    name = re.sub(r"\s*\u00b7\s*", MIDDLE_DOT, name)
    # between two Chinese characters, "." (IME in half-width mode) and "。" can only mean the separator
    name = re.sub(r"(?<=\S)\s*[.\u3002]\s*(?=\S)",
                  lambda m: MIDDLE_DOT if _between_cjk(name, m) else m.group(0), name)
    return name


def _between_cjk(text: str, match: re.Match) -> bool:
    return is_cjk_ideograph(text[match.start() - 1]) and is_cjk_ideograph(text[match.end()])


# Characters that show nothing or reorder what follows: controls (newline, tab, ESC), format characters
# (bidi embeddings and overrides U+202A-202E, isolates U+2066-2069, marks U+200E/U+200F, zero-width
# spaces and joiners, soft hyphen) and line/paragraph separators. Private-use characters stay allowed:
# some rare name characters still live there.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def refuse_hidden_characters(text: str, field: str = "name") -> str:
    """NFC text with UTF-16 surrogate pairs joined (\ud842\udfb7 -> 𠮷); refuse invisible or bidi characters."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        try:
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError:
            raise ValidationError("a name holds a broken character (a lone UTF-16 surrogate); type it again",
                                  field=field) from None
    text = unicodedata.normalize("NFC", text)
    for ch in text:
        if unicodedata.category(ch) in _HIDDEN_CATEGORIES:
            raise ValidationError("a name must not contain control or text-direction characters ({code})",
                                  field=field, code=f"U+{ord(ch):04X}")
    return text


def check_name(text: str, field: str = "name") -> NameCheck:
    text = refuse_hidden_characters((text or "").strip(), field)
    name = normalise_name(text)
    if not name:
        raise ValidationError("a name is required", field=field)
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError("a name has at most {n} characters", field=field, n=MAX_NAME_LENGTH)
    if any(ch.isdigit() for ch in name):
        raise ValidationError("a name must not contain digits", field=field)
    if any(is_cjk_ideograph(ch) for ch in name):
        for ch in name:
            if not (is_cjk_ideograph(ch) or ch == MIDDLE_DOT):
                raise ValidationError("a Chinese name has only Chinese characters and · ; {ch!r} is not allowed",
                                      field=field, ch=ch)
        if name.startswith(MIDDLE_DOT) or name.endswith(MIDDLE_DOT) or MIDDLE_DOT * 2 in name:
            raise ValidationError("· separates the parts of a name; it cannot start, end or repeat",
                                  field=field)
        return NameCheck(name, "cjk")
    for ch in name:
        if not (_is_latin_letter(ch) or ch in _LATIN_EXTRA):
            raise ValidationError("a foreign name has Latin letters, spaces, - and ' only; {ch!r} is not allowed",
                                  field=field, ch=ch)
    if not any(_is_latin_letter(ch) for ch in name):
        raise ValidationError("a name is required", field=field)
    return NameCheck(name.upper() if name.isascii() else name, "latin")
