"""Name search keys: every pinyin reading of a name, full and initials (station and HQ alike).

A clerk finds 张伟 without the input method by typing `zhangwei` or `zw`. Every reading of every
character counts (heteronyms: 单 is dan, shan or chan; 曾 is zeng or ceng), so a surname read the
rare way is still found. pypinyin's own dictionary lacks some rare characters (𠮷 U+20BB7); the
readings pypinyin lacks are taken from the zdic data of pypinyin-dict, without overriding any
reading pypinyin has.

In db because the projectors keep the keys (db/projectors/register.py, here and at HQ) and db imports
nothing of counter; the query side is counter/search_query.py. Pure: no I/O beyond the libraries' data.
"""

from __future__ import annotations

import bisect
import itertools
import tomllib
import unicodedata
from functools import cache, lru_cache
from importlib import resources

# A name with many heteronyms has a product of readings; past this many full keys, the rest are dropped
# (the initials keys are kept whole: they are far fewer).
MAX_FULL_KEYS = 64
NAME_SEPARATORS = "·•・‧.． 　"  # the minority-name middle dot and its look-alikes, spaces


@lru_cache(maxsize=1)
def _load() -> None:
    from pypinyin import load_single_dict
    from pypinyin.pinyin_dict import pinyin_dict as base
    from pypinyin_dict.pinyin_data import zdic

    load_single_dict({cp: r for cp, r in zdic.pinyin_dict.items() if cp not in base})


def normalize_text(text: str) -> str:
    """Join UTF-16 surrogate pairs (𠮷 sent as \\ud842\\udfb7) into one character; NFC; trim.

    Raises ValueError on a lone surrogate (half a character: the text was cut or mis-encoded)."""
    try:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        raise ValueError("the text holds half a character (a lone UTF-16 surrogate); type it again") from None
    return unicodedata.normalize("NFC", text).strip()


@cache
def _han_ranges() -> tuple[list[int], list[int]]:
    """(firsts, lasts) of templates/cjk_ideographs.toml (its Unicode version; the counter's name check reads the same
    data): Python's unicodedata calls Extension H, I and J unassigned."""
    data = tomllib.loads((resources.files("templates") / "cjk_ideographs.toml").read_text(encoding="utf-8"))
    ranges = sorted((b["first"], b["last"]) for b in data["block"])
    return [a for a, _b in ranges], [b for _a, b in ranges]


def is_han(ch: str) -> bool:
    """A CJK unified or compatibility ideograph (by code point, so Extension I is one)."""
    firsts, lasts = _han_ranges()
    i = bisect.bisect_right(firsts, ord(ch)) - 1
    return i >= 0 and ord(ch) <= lasts[i]


@lru_cache(maxsize=65536)
def readings(ch: str) -> tuple[str, ...]:
    """Every toneless reading of one Han character (() when no dictionary knows it)."""
    _load()
    from pypinyin import Style, pinyin

    found = pinyin(ch, style=Style.NORMAL, heteronym=True, errors=lambda _: [[]])
    out: list[str] = []
    for r in (found[0] if found else []):
        r = r.replace("ü", "v")
        if r and r.isascii() and r.isalpha() and r not in out:
            out.append(r)
    return tuple(out)


def name_keys(name: str) -> set[tuple[str, str]]:
    """The search keys of a name: {('full', 'zhangwei'), ('initials', 'zw'), ...}.

    Han characters give their readings (all of them), Latin letters themselves (a foreigner's
    SMITH JOHN gives 'smithjohn'), separators nothing. A character no dictionary reads makes
    the name unsearchable by pinyin (no keys), never searchable under a wrong reading."""
    parts: list[tuple[str, ...]] = []
    for ch in normalize_text(name):
        sounds = _sounds(ch)
        if sounds is None:
            continue
        if not sounds:
            return set()
        parts.append(sounds)
    if not parts:
        return set()
    latin_only = all(len(p) == 1 and len(p[0]) == 1 for p in parts)
    if all(len(p) == 1 for p in parts):  # most names: one reading a character, one key of each kind
        full = "".join(p[0] for p in parts)
        return {("full", full)} if latin_only else {("full", full), ("initials", "".join(p[0][0] for p in parts))}
    keys: set[tuple[str, str]] = set()
    for combo in itertools.islice(itertools.product(*parts), MAX_FULL_KEYS):
        keys.add(("full", "".join(combo)))
    if not latin_only:
        for combo in itertools.product(*({r[0] for r in p} for p in parts)):
            keys.add(("initials", "".join(combo)))
    return keys


@lru_cache(maxsize=65536)
def _sounds(ch: str) -> tuple[str, ...] | None:
    """What one character of a name contributes: a Latin letter itself, a Han character its readings
    (() when no dictionary reads it), anything else (separators, digits, punctuation) None."""
    if ch in NAME_SEPARATORS:
        return None
    if ch.isascii() and ch.isalpha():
        return (ch.lower(),)
    if is_han(ch):
        return readings(ch)
    return None
