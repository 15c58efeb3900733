"""UI language: gettext catalogs (.po, read with Babel), zh_CN by default, en alongside.

msgids are English, so English needs no catalog. Catalogs live in
counter/locale/<lang>/LC_MESSAGES/counter.po and are read once per process.
"""

from __future__ import annotations

from functools import cache

from counter.domain.language import LANGS, N_, TEXT_KEYS, is_chinese, pick, text_key  # noqa: F401 (re-exported)

DEFAULT_LANG = "zh_CN"

_current = DEFAULT_LANG


@cache
def catalog(lang: str) -> dict[str, str]:
    if lang == "en":
        return {}
    from importlib import resources

    from babel.messages.pofile import read_po

    ref = resources.files("counter") / "locale" / lang / "LC_MESSAGES" / "counter.po"
    if not ref.is_file():
        return {}
    with ref.open("rb") as fh:
        cat = read_po(fh, locale=lang)
    return {m.id: m.string for m in cat if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    _current = lang


def language() -> str:
    return _current


def gettext(message: str) -> str:
    return catalog(_current).get(message, message)


_ = gettext


