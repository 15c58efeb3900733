"""Query detection for the district register (station F3 and HQ alike); the name keys are db/name_keys.py.

A clerk finds 张伟 without the input method by typing `zhangwei` or `zw`. Every reading of every
character counts (heteronyms: 单 is dan, shan or chan; 曾 is zeng or ceng), so a surname read the
rare way is still found. pypinyin's own dictionary lacks some rare characters (𠮷 U+20BB7); the
readings pypinyin lacks are taken from the zdic data of pypinyin-dict, without overriding any
reading pypinyin has.

Pure: no I/O beyond loading the two libraries' data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from db.name_keys import NAME_SEPARATORS, is_han, name_keys, normalize_text, readings  # noqa: F401  (re-exported)

MAX_QUERY_CHARS = 100
_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_ID_LIKE = re.compile(r"^\d{14,17}[0-9A-Za-z]?$|^\d{18,20}$")  # what a clerk types for an ID number, typos included
_NUMBER = re.compile(r"^[ACPRacpr]\d{6}-[A-Za-z0-9][A-Za-z0-9-]{0,31}-\d{8}-\d{5}[0-9A-Za-z]$")
_LATIN = re.compile(r"^[a-zA-Z' ]+$")


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
    # Extension H and I ideographs are unassigned (Cn) to Python's older unicodedata: a name is a name
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") and not is_han(c) for c in text):
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
    if any(is_han(c) for c in name):
        if any(c.isdigit() for c in name):
            raise ValueError("a name has no digits; write a birth date after the name as YYYY-MM-DD")
        return Query("name", name, birth)
    raise ValueError("the search text is not an ID number, a permit or application number, a name or pinyin")
