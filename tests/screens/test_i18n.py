"""Every UI string has a zh_CN translation: _()/N_() literals in counter/ and screens/, and the error
templates of the services area (shown to clerks through exc.localized)."""

import ast
import re
from pathlib import Path

from counter.i18n import catalog

ROOT = Path(__file__).resolve().parents[2]
ERROR_CLASSES = {"CounterError", "ValidationError", "PermissionDenied", "SignInError", "FormInvalid"}
SERVICE_AREA = ("counter/domain", "counter/forms", "counter/intake", "counter/numbers.py", "counter/services",
                "screens")


def _literals(include_errors: bool):
    for base in ("counter", "screens"):
        for path in sorted((ROOT / base).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            errors_here = include_errors and rel.startswith(SERVICE_AREA)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                        and isinstance(node.args[0].value, str)):
                    continue
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
                if name in ("_", "N_") or (errors_here and name in ERROR_CLASSES):
                    yield node.args[0].value, f"{rel}:{node.lineno}"


def test_every_ui_literal_has_a_zh_cn_translation():
    zh = catalog("zh_CN")
    missing = sorted({f"{where}: {text!r}" for text, where in _literals(include_errors=True) if text not in zh})
    assert not missing, "missing zh_CN translations:\n" + "\n".join(missing)


def test_translations_keep_their_placeholders():
    zh = catalog("zh_CN")
    bad = []
    for text, where in _literals(include_errors=True):
        if text in zh and set(re.findall(r"\{[^}]*\}", text)) != set(re.findall(r"\{[^}]*\}", zh[text])):
            bad.append(f"{where}: {text!r} -> {zh[text]!r}")
    assert not bad, "\n".join(bad)


def test_the_literal_scan_finds_what_it_should():
    found = {text for text, _ in _literals(include_errors=True)}
    assert "Find a person" in found and "a name must not contain digits" in found


def _babel_messages(text: str) -> dict[str, str]:
    import io

    from babel.messages.pofile import read_po

    cat = read_po(io.BytesIO(text.encode()), locale="zh_CN")
    return {m.id: m.string for m in cat if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}


def test_the_ui_reads_the_shipped_catalogs_as_babel_does():
    from counter.i18n import read_po_messages

    for po in sorted((ROOT / "counter" / "locale").glob("*/LC_MESSAGES/counter.po")):
        text = po.read_text(encoding="utf-8")
        assert read_po_messages(text) == _babel_messages(text), po


def test_the_catalog_reader_keeps_escapes_and_skips_fuzzy_plural_and_obsolete_entries():
    from counter.i18n import read_po_messages

    text = '''msgid ""
msgstr "Language: zh_CN\\n"

#, python-brace-format
msgid "Name {name}"
msgstr "姓名 {name}"

msgid ""
"two "
"lines \\"quoted\\"\\n"
msgstr "两行 “𠮷”\\t阿依古丽·买买提"

#, fuzzy
msgid "Unsure"
msgstr "不确定"

msgid "one file"
msgid_plural "{n} files"
msgstr[0] "{n} 个文件"

msgid "Untranslated"
msgstr ""

#~ msgid "Old"
#~ msgstr "旧"
'''
    got = read_po_messages(text)
    assert got == _babel_messages(text)
    assert got == {"Name {name}": "姓名 {name}", 'two lines "quoted"\n': "两行 “𠮷”\t阿依古丽·买买提"}
