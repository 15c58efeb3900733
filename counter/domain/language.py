"""The UI languages and how a bilingual text is picked (pure: no catalogs, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping

# The one list of UI languages (config, --lang, the TUI), each with the key its texts use in the form
# specs and templates: {"zh": ..., "en": ...}.
LANGS = ("zh_CN", "en")
TEXT_KEYS = {"zh_CN": "zh", "en": "en"}


def text_key(lang: str) -> str:
    """"zh" or "en": the key of lang's texts in a {"zh": ..., "en": ...} mapping."""
    try:
        return TEXT_KEYS[lang]
    except KeyError:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}") from None


def is_chinese(lang: str) -> bool:
    """Whether lang's texts are Chinese (full-width punctuation, no spaces between words).

    Lenient, unlike text_key: a language tag from outside (an HQ query's "zh" or "zh_TW") is not an error."""
    return lang in TEXT_KEYS and TEXT_KEYS[lang] == "zh" or lang.partition("_")[0] == "zh"


def pick(texts: Mapping[str, str], lang: str) -> str:
    """lang's text from {"zh": ..., "en": ...}; the other language's when lang's is missing or empty."""
    return texts.get(text_key(lang)) or next((t for t in texts.values() if t), "")


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (pure: the domain's rules use it too)."""
    return message
