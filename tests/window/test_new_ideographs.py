"""Names with the ideographs of Unicode 15.0 to 17.0 (Extension H, U+2B739, Extension I, Extension J), issue 16.

Python 3.11's unicodedata is Unicode 14.0 and calls them unassigned. A name is a name: the name check
accepts them by code point (templates/cjk_ideographs.toml names its Unicode version), every path keeps
them, and only printing refuses, by name, a document or report no installed font can draw; the
registration itself stays recorded.
"""

from __future__ import annotations

import json
import tomllib
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from counter import expiring as E
from counter.domain.names import check_name, ideograph_block, ideograph_blocks
from counter.errors import ValidationError
from counter.search_query import detect
from counter.services import clerks, dayclose, engine, export, people
from counter.services import printing as ps
from tests.conftest import REPO, run_cli
from tests.stats.test_station_stats import person
from tests.window.conftest import ZHANGWEI, at

EXT_I = "\U0002EBF0"  # CJK Unified Ideographs Extension I (Unicode 15.1): in no font Debian bookworm ships
EXT_H = "\U00031350"  # Extension H (Unicode 15.0): BabelStone Han has it
EXT_J = "\U000323B0"  # CJK Unified Ideographs Extension J (Unicode 17.0): in no font Debian bookworm ships
NAME = f"{EXT_I}永康"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def test_the_table_is_pythons_ideographs_plus_exactly_what_later_unicode_versions_added():
    data = tomllib.loads((REPO / "templates" / "cjk_ideographs.toml").read_text(encoding="utf-8"))
    assert data["unicode_version"] == "17.0"
    python = _version(unicodedata.unidata_version)
    named = [cp for cp in range(0x110000)
             if unicodedata.name(chr(cp), "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))]
    assert all(ideograph_block(chr(cp)) is not None for cp in named)  # nothing Python knows is lost
    newer = 0
    for block in ideograph_blocks():
        unassigned = [cp for cp in range(block.first, block.last + 1) if unicodedata.category(chr(cp)) == "Cn"]
        # a code point Python does not know is only in a block completed after Python's Unicode version
        assert not unassigned or _version(block.version) > python, block
        newer += len(unassigned)
    # Extension H, U+2B739 (15.0), Extension I (15.1); Extension J and 6 in C, 12 in E (17.0)
    assert newer == 4192 + 1 + 622 + 4298 + 6 + 12
    assert ideograph_block("\U0002EE5E") is None and ideograph_block("\U0002EE5D").name.endswith("Extension I")
    # Extension J: 323B0..33479 assigned (4,298) in its block 323B0..3347F
    assert ideograph_block(EXT_J).name.endswith("Extension J") and ideograph_block("\U00033479") is not None
    assert ideograph_block("\U0003347A") is None and ideograph_block("\U000323AF").name.endswith("Extension H")
    assert ideograph_block("\U0002B73F").name.endswith("Extension C") and ideograph_block("\U0002CEAE") is None


@pytest.mark.parametrize("name", [NAME, f"{EXT_H}明", f"阿依古丽·{EXT_I}买买提", "李\U0002B739", f"{EXT_J}永康",
                                  f"阿依古丽·{EXT_J}买买提"])
def test_the_name_check_accepts_them_unchanged(name):
    assert check_name(name).name == name and check_name(name).script == "cjk"


def test_as_utf16_surrogate_pairs_they_are_joined_into_the_same_name():
    units = EXT_I.encode("utf-16-be")
    typed = chr(int.from_bytes(units[:2], "big")) + chr(int.from_bytes(units[2:], "big")) + "永康"
    assert typed == "\ud87a\udff0永康"  # the surrogate pair, as a UTF-16 client sends it
    assert check_name(typed).name == NAME


@pytest.mark.parametrize("text", ["\U0002EE5E明", "\U0003347A明", "王\u0378"])
def test_an_unassigned_code_point_outside_the_ideographs_is_still_refused(text):
    with pytest.raises(ValidationError, match="Chinese name has only Chinese characters|Latin letters"):
        check_name(text)


def _register(station, clerk, name: str = NAME, **extra):
    return engine.perform(station, "residence_registration", {**ZHANGWEI, "name": name, **extra}, clerk=clerk,
                          now=at("2026-12-02"))


def test_a_registration_keeps_the_name_through_file_search_and_journal(station, clerk):
    out = _register(station, clerk)
    assert people.get(station, out.person_id).name == NAME
    assert [p.person_id for p in people.search(station, NAME)] == [out.person_id]
    assert detect(NAME).kind == "name"
    payload = station.db.conn.execute("SELECT payload FROM journal WHERE seq = ?", (out.entry.seq,)).fetchone()[0]
    assert NAME in json.dumps(json.loads(payload), ensure_ascii=False)
    assert out.document.applicant_name == NAME


def test_the_receipt_is_refused_at_print_and_the_registration_stays(station, clerk):
    out = _register(station, clerk)
    result = ps.print_receipt(station, out.document, clerk.clerk_id)
    assert not result.confirmed and result.missing_glyphs == (EXT_I,) and "U+2EBF0" in result.message
    assert people.get(station, out.person_id).current_address == ZHANGWEI["current_address"]
    job = ps.list_jobs(station)[0]
    assert job["state"] != "printed"  # queued: it prints once a font with the glyph is installed


def test_an_extension_j_name_is_recorded_and_its_receipt_refused_naming_the_block(station, clerk):
    from printing import fonts

    out = _register(station, clerk, name=f"{EXT_J}永康")
    assert people.get(station, out.person_id).name == f"{EXT_J}永康"
    result = ps.print_receipt(station, out.document, clerk.clerk_id)
    assert not result.confirmed and result.missing_glyphs == (EXT_J,) and "U+323B0" in result.message
    assert "Extension J" in fonts.install_advice(EXT_J) and "COUNTER_FONT_DIRS" in fonts.install_advice(EXT_J)


# --- reports: refused when saved, in one line, nothing written ------------------------------------

@pytest.fixture
def ext_i_clerk(station):
    """A clerk whose name has an Extension I character: it reaches the day report (by clerk, closed by)."""
    return clerks.add_clerk(station, f"{EXT_I}娜", "clerk", "5678")


def _assert_one_line_refusal(text: str) -> None:
    assert len(text.strip().splitlines()) == 1, text
    assert EXT_I in text and "U+2EBF0" in text and "Extension I" in text and "COUNTER_FONT_DIRS" in text
    assert "Traceback" not in text


def test_the_day_report_is_refused_naming_the_character_and_what_to_install(station, ext_i_clerk, tmp_path):
    _register(station, ext_i_clerk, name="张伟")
    day = "2026-12-02"
    with pytest.raises(ps.UnprintableText) as info:
        dayclose.render_report(station, day)
    _assert_one_line_refusal(str(info.value))
    from counter.i18n import gettext, set_language

    set_language("zh_CN")
    zh = info.value.localized(gettext)
    assert "U+2EBF0" in zh and "不在任何已安装的字体中" in zh and "未写入任何文件" in zh and "COUNTER_FONT_DIRS" in zh
    out = tmp_path / "report.pdf"
    station.close()
    r = run_cli("day", "report", "--date", day, "--out", str(out), "--data-dir", str(station.data_dir))
    assert r.returncode == 1 and r.stdout == ""
    _assert_one_line_refusal(r.stderr)
    assert not out.exists()


def test_the_day_bundle_is_refused_before_anything_is_written(station, ext_i_clerk, tmp_path):
    _register(station, ext_i_clerk, name="张伟")
    before = station.db.conn.execute("SELECT max(seq) FROM journal").fetchone()[0]
    with pytest.raises(ps.UnprintableText):
        export.export_day(station, "2026-12-02", tmp_path / "out", allow_open=True)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    assert station.db.conn.execute("SELECT max(seq) FROM journal").fetchone()[0] == before  # nothing journaled


def test_a_clerk_without_such_characters_still_gets_the_report(station, clerk, tmp_path):
    import subprocess

    _register(station, clerk, name="𠮷永康")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(dayclose.render_report(station, "2026-12-02"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "李娜" in text


def test_the_call_list_of_expiring_permits_is_refused_for_a_holder_named_in_extension_i(tmp_path):
    from counter.station import Station

    st = Station.init(tmp_path / "station", "T-01", "210102", "和平区政务服务中心")
    try:
        clerk = clerks.add_clerk(st, "柜员甲", "clerk", "1234")
        past = datetime.now(UTC) - timedelta(days=360)  # a 1-year permit from then expires within 30 days
        out = engine.perform(st, "residence_registration", person("130203", "1990-03-01", 11, f"{EXT_I}田"),
                             clerk=clerk, now=past, build_document=False)
        engine.perform(st, "permit_apply", {"proof": "1", "validity_years": "1"}, person_id=out.person_id,
                       clerk=clerk, now=past, build_document=False)
        today = engine.business_date(st)
        items = E.expiring(st, 30, today)
        assert [i.name for i in items] == [f"{EXT_I}田"]  # the list on screen keeps the name
        path = tmp_path / "list.pdf"
        before = st.db.conn.execute("SELECT max(seq) FROM journal").fetchone()[0]
        with pytest.raises(ps.UnprintableText) as info:
            E.print_list(st, items, path, clerk.clerk_id, 30, today)
        _assert_one_line_refusal(str(info.value))
        assert not path.exists() and not list(Path(tmp_path).glob("*.pdf*"))
        assert st.db.conn.execute("SELECT max(seq) FROM journal").fetchone()[0] == before
    finally:
        st.close()


def test_the_statistics_pdf_is_refused_for_an_office_named_in_extension_i(tmp_path):
    from counter.station import Station

    st = Station.init(tmp_path / "station", "T-01", "210102", f"和平区{EXT_I}服务中心")
    try:
        clerk = clerks.add_clerk(st, "柜员甲", "clerk", "1234")
        engine.perform(st, "residence_registration", person("130203", "1990-03-01", 11, "王芳"), clerk=clerk,
                       build_document=False)
    finally:
        st.close()
    out = tmp_path / "stats.pdf"
    r = run_cli("stats", "--by", "origin", "--pdf", "--out", str(out), "--data-dir", str(tmp_path / "station"))
    assert r.returncode == 1 and r.stdout == ""
    _assert_one_line_refusal(r.stderr)
    assert not out.exists() and not list(tmp_path.glob("stats.pdf*"))
    ok = run_cli("stats", "--by", "origin", "--csv", "--data-dir", str(tmp_path / "station"))
    assert ok.returncode == 0  # the figures themselves are fine: only the PDF would draw a blank box
