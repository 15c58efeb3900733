"""Pinyin search keys of a name, so a clerk finds 张伟 from `zhangwei` or `zw` without an input method.

Pure (pypinyin's dictionaries, no I/O of ours); shared by the station's search projection and HQ.
A name gives every reading of its characters (heteronyms: 单 is dan, chan or shan; as a surname it is
shan), as full pinyin and as initials, without tones, `ü` as `v`. Latin names (foreigners, MRZ) key
as their letters. The middle dot of minority names (阿依古丽·买买提) and spaces are dropped.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from pypinyin import Style, pinyin

# Characters pypinyin's dictionary lacks that occur in names (Extension B and beyond). Each entry
# names its source reading; add to it as districts report names.
RARE_READINGS: dict[str, tuple[str, ...]] = {
    "\U00020BB7": ("ji",),  # 𠮷, the variant of 吉 in surnames (e.g. 𠮷野): read jí
}
# A name with more reading combinations than this keys only its most common reading per character
# plus every single-character variation, so a long name cannot blow up the table.
MAX_COMBINATIONS = 64
_LATIN = re.compile(r"[a-z]+")
_DROP = re.compile(r"[\s·•‧・.\-'’]+")


def _readings(char: str) -> tuple[str, ...]:
    if char in RARE_READINGS:
        return RARE_READINGS[char]
    if char.isascii():
        return (char.lower(),) if char.isalpha() else ()
    got = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore", v_to_u=False)
    readings = tuple(dict.fromkeys(r.lower() for r in (got[0] if got else ()) if _LATIN.fullmatch(r.lower())))
    if readings:
        return readings
    # a Latin letter with a diacritic (e.g. from a passport) keys as its base letter
    base = unicodedata.normalize("NFKD", char)[0].lower()
    return (base,) if base.isascii() and base.isalpha() else ()


def whole_text(text: str) -> str:
    """Text with UTF-16 surrogate pairs ('\\ud842\\udfb7', as some decoders hand them over) joined into
    their character (𠮷); a lone surrogate is dropped."""
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")


def _syllables(name: str) -> list[tuple[str, ...]]:
    """Per character its readings; Latin runs stay one 'syllable' so initials of `John` are `john`."""
    out: list[tuple[str, ...]] = []
    latin = ""
    for char in _DROP.sub("", unicodedata.normalize("NFC", whole_text(name or ""))):
        if char.isascii():
            latin += char.lower() if char.isalpha() else ""
            continue
        if latin:
            out.append((latin,))
            latin = ""
        readings = _readings(char)
        if readings:
            out.append(readings)
    if latin:
        out.append((latin,))
    return out


def _combinations(syllables: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    total = 1
    for s in syllables:
        total *= len(s)
    if total <= MAX_COMBINATIONS:
        return list(itertools.product(*syllables))
    first = tuple(s[0] for s in syllables)
    combos = [first]
    for i, s in enumerate(syllables):
        combos += [first[:i] + (alt,) + first[i + 1:] for alt in s[1:]]
    return combos


def name_keys(name: str) -> set[str]:
    """Every full-pinyin and initials key of a name: 张伟 -> {'zhangwei', 'zw'}."""
    syllables = _syllables(name)
    if not syllables:
        return set()
    keys: set[str] = set()
    for combo in _combinations(syllables):
        keys.add("".join(combo))
        if len(combo) > 1:
            keys.add("".join(c[0] for c in combo))
    return keys


def query_key(text: str) -> str | None:
    """The key a typed query looks up: `Zhang Wei`, `zhang-wei`, `ZW` -> 'zhangwei', 'zw'.
    None when the query is not pinyin (it holds digits, Chinese characters...)."""
    folded = _DROP.sub("", unicodedata.normalize("NFKC", text or "")).lower().replace("ü", "v")
    return folded if folded and _LATIN.fullmatch(folded) else None
