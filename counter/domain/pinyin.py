"""Name search keys and query detection for the district register (station F3 and HQ alike).

A clerk finds 张伟 without the input method by typing `zhangwei` or `zw`. Every reading of every
character counts (heteronyms: 单 is dan, shan or chan; 曾 is zeng or ceng), so a surname read the
rare way is still found. pypinyin's own dictionary lacks some rare characters (𠮷 U+20BB7); the
readings pypinyin lacks are taken from the zdic data of pypinyin-dict, without overriding any
reading pypinyin has.

Pure: no I/O beyond loading the two libraries' data.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# A name with many heteronyms has a product of readings; past this many full keys, the rest are dropped
# (the initials keys are kept whole: they are far fewer).
MAX_FULL_KEYS = 64
MAX_QUERY_CHARS = 100
NAME_SEPARATORS = "·•・‧.． 　"  # the minority-name middle dot and its look-alikes, spaces
_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_ID_LIKE = re.compile(r"^\d{14,17}[0-9A-Za-z]?$|^\d{18,20}$")  # what a clerk types for an ID number, typos included
_NUMBER = re.compile(r"^[ACPRacpr]\d{6}-[A-Za-z0-9][A-Za-z0-9-]{0,31}-\d{8}-\d{5}[0-9A-Za-z]$")
_LATIN = re.compile(r"^[a-zA-Z' ]+$")


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


def _is_han(ch: str) -> bool:
    return unicodedata.category(ch) == "Lo" and "CJK" in unicodedata.name(ch, "CJK?")


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
    parts: list[list[str]] = []
    for ch in normalize_text(name):
        if ch in NAME_SEPARATORS:
            continue
        if ch.isascii() and ch.isalpha():
            parts.append([ch.lower()])
        elif _is_han(ch):
            r = readings(ch)
            if not r:
                return set()
            parts.append(list(r))
        # other characters (digits, punctuation) carry no sound
    if not parts:
        return set()
    keys: set[tuple[str, str]] = set()
    latin_only = all(len(p) == 1 and len(p[0]) == 1 for p in parts)
    for combo in itertools.islice(itertools.product(*parts), MAX_FULL_KEYS):
        keys.add(("full", "".join(combo)))
    if not latin_only:
        for combo in itertools.product(*({r[0] for r in p} for p in parts)):
            keys.add(("initials", "".join(combo)))
    return keys


@dataclass(frozen=True)
class Query:
    """What a clerk's search text asks for. `kind`: id_number | number | name | pinyin."""

    kind: str
    text: str  # the normalised value searched (ID number upper-case, number upper-case, pinyin lower-case)
    birth_date: str | None = None  # with kind 'name': an ISO date given after the name


def detect(q: str) -> Query:
    """Classify a search text; ValueError with one line saying what is wrong and what to type."""
    if not isinstance(q, str):
        raise ValueError("the search text must be text")
    text = normalize_text(q)
    if not text:
        raise ValueError("the search text is empty; type an ID number, a permit or application number, a name"
                         " or its pinyin")
    if len(text) > MAX_QUERY_CHARS:
        raise ValueError(f"the search text is longer than {MAX_QUERY_CHARS} characters")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in text):
        raise ValueError("the search text holds control or invisible characters; type it again")
    compact = text.replace(" ", "")
    if _ID_LIKE.match(compact):
        from counter.domain.citizen_id import parse_citizen_id
        from counter.errors import ValidationError

        try:
            parsed = parse_citizen_id(compact)
        except ValidationError as exc:
            raise ValueError(f"not a valid ID number: {exc}") from None
        return Query("id_number", parsed.number)
    if _NUMBER.match(compact):
        return Query("number", compact.upper())
    if _LATIN.match(text):
        letters = re.sub(r"[^a-z]", "", text.lower())
        if not letters:
            raise ValueError("the search text has no letters; type a name's pinyin, e.g. zhangwei or zw")
        return Query("pinyin", letters)
    words = text.split()
    birth = None
    if len(words) >= 2 and _DATE.match(words[-1]):
        y, m, d = _DATE.match(words[-1]).groups()
        from datetime import date

        try:
            birth = date(int(y), int(m), int(d)).isoformat()
        except ValueError:
            raise ValueError(f"{words[-1]} is not a real date; write the birth date as YYYY-MM-DD") from None
        words = words[:-1]
    name = " ".join(words)
    if any(_is_han(c) for c in name):
        if any(c.isdigit() for c in name):
            raise ValueError("a name has no digits; write a birth date after the name as YYYY-MM-DD")
        return Query("name", name, birth)
    raise ValueError("the search text is not an ID number, a permit or application number, a name or pinyin")
