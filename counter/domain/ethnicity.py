"""GB/T 3304 ethnic groups (01 汉族 … 56 基诺族, 97 未识别民族, 98 外国人入籍), read from templates/ data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from counter.domain.language import pick
from counter.errors import ValidationError


@dataclass(frozen=True)
class Ethnicity:
    code: str
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return pick({"zh": self.zh, "en": self.en}, lang)


@cache
def ethnicities() -> tuple[Ethnicity, ...]:
    data = tomllib.loads((resources.files("templates") / "ethnicities.toml").read_text(encoding="utf-8"))
    return tuple(Ethnicity(e["code"], e["zh"], e["en"]) for e in data["ethnicity"])


def by_code(code: str) -> Ethnicity | None:
    for e in ethnicities():
        if e.code == code:
            return e
    return None


def parse_ethnicity(text: str, field: str = "ethnicity") -> Ethnicity:
    """Accept the code (1, 01), the Chinese name (汉, 汉族) or the English name."""
    t = (text or "").strip()
    if not t:
        raise ValidationError("choose an ethnic group", field=field)
    if t.isdigit() and len(t) <= 2:
        found = by_code(t.zfill(2))
        if found:
            return found
    for e in ethnicities():
        if t in (e.zh, e.zh.removesuffix("族")) or t.lower() == e.en.lower():
            return e
    raise ValidationError("{value} is not a GB/T 3304 ethnic group; type its code, e.g. 01 for 汉族",
                          field=field, value=t)
