"""UI language: gettext catalogs (.po), zh_CN by default, en alongside.

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

    ref = resources.files("counter") / "locale" / lang / "LC_MESSAGES" / "counter.po"
    if not ref.is_file():
        return {}
    return read_po_messages(ref.read_text(encoding="utf-8"))


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(token: str) -> str:
    body, out, i = token.strip()[1:-1], [], 0
    if "\\" not in body:
        return body
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def read_po_messages(text: str) -> dict[str, str]:
    """msgid -> msgstr of a .po file's translated, non-fuzzy singular messages (what Babel's read_po gives
    for our catalogs, tested against it). Babel itself takes longer to import and parse than the rest of
    the sign-in screen's start, so the UI reads the few shapes our catalogs use here."""
    messages: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = plural = False

    def flush() -> None:
        if msgid is not None and msgstr is not None and not fuzzy and not plural:
            key, value = "".join(msgid), "".join(msgstr)
            if key and value:
                messages[key] = value

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            if msgstr is not None:  # a comment starts the next entry
                flush()
                msgid = msgstr = current = None
                fuzzy = plural = False
            if line.startswith("#,") and "fuzzy" in (f.strip() for f in line[2:].split(",")):
                fuzzy = True
            continue
        if not line:
            continue
        keyword, _sep, rest = line.partition(" ")
        if line.startswith('"') and current is not None:
            current.append(_unquote(line))
        elif keyword == "msgid":
            if msgstr is not None:
                flush()
                fuzzy = plural = False
            msgid, msgstr = [_unquote(rest)], None
            current = msgid
        elif keyword == "msgid_plural" or keyword.startswith("msgstr["):
            plural, current = True, None
        elif keyword == "msgstr":
            msgstr = [_unquote(rest)]
            current = msgstr
        elif keyword == "msgctxt":
            plural, current = True, None  # contexts are not used by the UI's gettext
    flush()
    return messages


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


