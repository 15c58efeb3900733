"""A nationality code (ICAO 9303 Part 3, mostly ISO 3166-1 alpha-3) named in the UI language.

Country names come from Babel's CLDR data (alpha-3 -> alpha-2 through CLDR's territory aliases).
ICAO's own codes, which ISO 3166 has not (stateless, refugee, UN, the British nationality classes,
the specimen state Utopia), are named here. Taiwan, Hong Kong and Macao follow mainland usage.
"""

from __future__ import annotations

from functools import cache

# ICAO 9303 Part 3, 5 (codes that are not ISO 3166-1 alpha-3), and mainland naming where CLDR differs
_OWN_NAMES: dict[str, tuple[str, str]] = {
    "TWN": ("中国台湾", "Taiwan, China"),
    "GBD": ("英国（海外领地公民）", "British Overseas Territories citizen"),
    "GBN": ("英国（海外国民）", "British National (Overseas)"),
    "GBO": ("英国（海外公民）", "British Overseas citizen"),
    "GBP": ("英国（受保护人）", "British protected person"),
    "GBS": ("英国（臣民）", "British subject"),
    "UNO": ("联合国", "United Nations"),
    "UNA": ("联合国专门机构", "UN specialized agency"),
    "UNK": ("科索沃（联合国科索沃特派团）", "Kosovo (UNMIK)"),
    "RKS": ("科索沃", "Kosovo"),
    "EUE": ("欧洲联盟", "European Union"),
    "XOM": ("马耳他骑士团", "Sovereign Military Order of Malta"),
    "XXA": ("无国籍人", "Stateless person"),
    "XXB": ("难民（1951 年公约）", "Refugee (1951 Convention)"),
    "XXC": ("难民（其他）", "Refugee (other)"),
    "XXX": ("国籍不明", "Unspecified nationality"),
    "UTO": ("样例国乌托邦", "Utopia, the specimen state"),
}


@cache
def _alpha2(code: str) -> str | None:
    from babel.core import get_global

    aliases = get_global("territory_aliases").get(code)
    return aliases[0] if aliases else None


@cache
def _territories(lang: str) -> dict[str, str]:
    from babel import Locale

    return dict(Locale.parse("zh_CN" if lang.startswith("zh") else "en").territories)


def nationality_name(code: str | None, lang: str) -> str:
    """The country's name in the UI language ("德国", "Germany"); the code itself when it is unknown."""
    code = (code or "").strip().upper()
    if not code:
        return ""
    zh = lang.startswith("zh")
    if code in _OWN_NAMES:
        return _OWN_NAMES[code][0 if zh else 1]
    alpha2 = _alpha2(code) if len(code) == 3 else None
    name = _territories(lang).get(alpha2) if alpha2 else None
    return name or code


def nationality_label(code: str | None, lang: str) -> str:
    """Name and code, as the clerk compares them with the passport: 德国（DEU）, Germany (DEU)."""
    code = (code or "").strip().upper()
    name = nationality_name(code, lang)
    if not code or name == code:
        return code
    return f"{name}（{code}）" if lang.startswith("zh") else f"{name} ({code})"
