"""Reports through counter.services.reports against a real station: every report kind, the late flag at
its limit (art. 14: day 7 on time, day 8 late), all-or-nothing, and 𠮷 / · names kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from counter.errors import CounterError, ValidationError
from counter.services import engine, houses, people
from counter.services.reports import check_rows, file_report
from db import journal, kinds
from db.projectors import houses as reads
from db.rebuild import checksum, rebuild
from tests.houses.conftest import AGENCY, EMPLOYER, HOSPITAL, HOTEL, HOUSE, citizen_id, row

JI = citizen_id("110105", "19900101", 21)  # 𠮷 outside the BMP
AYI = citizen_id("650102", "19950505", 22)  # a minority name with ·
WANG = citizen_id("210202", "19880808", 31)  # in-province: a lodging registration (art. 9)


def _journal_len(station) -> int:
    return journal.head(station.db)[0]


def test_move_in_starts_periods_and_the_late_flag_turns_at_day_8(registers, clerk):
    st = registers
    today = engine.business_date(st)
    rows = [row(1, "𠮷永康", JI, today - timedelta(days=7)), row(2, "阿依古丽·买买提", AYI, today - timedelta(days=8)),
            row(3, "王丽", WANG, today)]
    result = file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                         rows=rows, today=today)
    assert (result.rows, result.late_rows, result.new_people, result.started) == (3, 1, 3, 3)
    ji = people.by_document(st, "citizen_id", JI)
    ayi = people.by_document(st, "citizen_id", AYI)
    assert ji.name == "𠮷永康" and ayi.name == "阿依古丽·买买提"
    assert ji.sex == "M" and ji.birth_date == "1990-01-01"
    (p_ji,) = houses.periods(st, ji.person_id)
    (p_ayi,) = houses.periods(st, ayi.person_id)
    assert p_ji.late is False and p_ayi.late is True  # day 7 on time, day 8 late
    assert p_ji.house_code == HOUSE and p_ji.address == "沈阳市和平区南京北街10号3单元201"
    assert p_ji.started_via == "report" and p_ji.start_report_id == result.report_id
    assert p_ji.registration == "residence"
    (p_wang,) = houses.periods(st, people.by_document(st, "citizen_id", WANG).person_id)
    assert p_wang.registration == "lodging"
    report = st.db.conn.execute("SELECT row_count, late_rows, source, file_sha256 FROM reports").fetchone()
    assert report == (3, 1, "window", None)


def test_move_out_ends_the_period_and_the_file_shows_where_from_until_and_through_whom(registers, clerk):
    st = registers
    today = engine.business_date(st)
    file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                rows=[row(1, "𠮷永康", JI, today - timedelta(days=30))], today=today)
    out = file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_out",
                      rows=[row(1, "𠮷永康", JI, today - timedelta(days=1))], today=today)
    assert (out.ended, out.started, out.new_people) == (1, 0, 0)
    (p,) = houses.periods(st, people.by_document(st, "citizen_id", JI).person_id)
    assert p.ended_on == (today - timedelta(days=1)).isoformat()
    assert p.end_reason == "report_move_out" and p.end_report_id == out.report_id
    assert p.started_on == (today - timedelta(days=30)).isoformat()
    # moving out again: nobody resident there to end
    problems = check_rows(st, "house", HOUSE, "move_out", [row(1, "𠮷永康", JI, today)])
    assert len(problems) == 1 and problems[0][0] == 1 and "no current registration" in problems[0][1]


def test_employer_hired_and_left_and_an_institution_guest_is_registration_only(registers, clerk):
    st = registers
    today = engine.business_date(st)
    file_report(st, None, reporter_kind="entity", reporter_code=EMPLOYER, report_type="hired",
                rows=[row(1, "阿依古丽·买买提", AYI, today - timedelta(days=2), house_code=None)], today=today)
    file_report(st, None, reporter_kind="entity", reporter_code=HOTEL, report_type="guest_in",
                rows=[row(1, "阿依古丽·买买提", AYI, today - timedelta(days=1), house_code=None)], today=today)
    pid = people.by_document(st, "citizen_id", AYI).person_id
    by_entity = {p.entity_code: p for p in houses.periods(st, pid)}
    assert by_entity[EMPLOYER].current and by_entity[EMPLOYER].registration == "residence"
    assert by_entity[HOTEL].registration == "institution"  # art. 11: no permit
    assert by_entity[HOTEL].address == "沈阳市和平区中华路5号"
    # a hotel guest's stay does not end the home the employer reported
    assert by_entity[EMPLOYER].current
    file_report(st, None, reporter_kind="entity", reporter_code=EMPLOYER, report_type="left",
                rows=[row(1, "阿依古丽·买买提", AYI, today, house_code=None)], today=today)
    file_report(st, None, reporter_kind="entity", reporter_code=HOTEL, report_type="guest_out",
                rows=[row(1, "阿依古丽·买买提", AYI, today, house_code=None)], today=today)
    assert all(not p.current and p.end_reason == "report_left" for p in houses.periods(st, pid))


def test_housing_agency_move_in_needs_the_house_code(registers):
    st = registers
    today = engine.business_date(st)
    problems = check_rows(st, "entity", AGENCY, "move_in", [row(1, "王丽", WANG, today, house_code=None),
                                                              row(2, "𠮷永康", JI, today, house_code="NOPE-1")])
    assert [p[0] for p in problems] == [1, 2]
    assert "house code" in problems[0][1] and "NOPE-1" in problems[1][1]
    file_report(st, None, reporter_kind="entity", reporter_code=AGENCY, report_type="move_in",
                rows=[row(1, "王丽", WANG, today)], today=today)
    (p,) = houses.periods(st, people.by_document(st, "citizen_id", WANG).person_id)
    assert (p.house_code, p.entity_code) == (HOUSE, AGENCY)
    assert [x.period.person_id for x in reads.roster(st.db, house_code=HOUSE)] == [p.person_id]


@pytest.mark.parametrize("reporter_kind, code, report_type", [
    ("house", HOUSE, "hired"), ("entity", EMPLOYER, "move_in"), ("entity", HOSPITAL, "left"),
])
def test_a_reporter_files_only_its_own_kinds_of_report(registers, reporter_kind, code, report_type):
    today = engine.business_date(registers)
    with pytest.raises(ValidationError, match="reports, not"):
        file_report(registers, None, reporter_kind=reporter_kind, reporter_code=code, report_type=report_type,
                    rows=[row(1, "王丽", WANG, today)], today=today)


def test_unknown_reporters_are_one_line_and_write_nothing(registers):
    st = registers
    before = _journal_len(st)
    today = engine.business_date(st)
    with pytest.raises(CounterError, match="no house with code ZZ-9999 on file"):
        file_report(st, None, reporter_kind="house", reporter_code="zz-9999", report_type="move_in",
                    rows=[row(1, "王丽", WANG, today)], today=today)
    unknown = EMPLOYER[:-2] + ("A" if EMPLOYER[-2] != "A" else "B")
    from stdnum.cn import uscc
    unknown += uscc.calc_check_digit(unknown)
    with pytest.raises(CounterError, match="no entity with credit code"):
        check_rows(st, "entity", unknown, "hired", [row(1, "王丽", WANG, today)])
    with pytest.raises(ValidationError, match="wrong check character"):
        check_rows(st, "entity", EMPLOYER[:-1] + ("0" if EMPLOYER[-1] != "0" else "1"), "hired",
                   [row(1, "王丽", WANG, today)])
    assert _journal_len(st) == before


def test_one_bad_row_records_nothing_and_every_bad_row_is_named(registers, clerk):
    st = registers
    today = engine.business_date(st)
    before = _journal_len(st)
    bad_check = JI[:-1] + ("0" if JI[-1] != "0" else "1")
    rows = [row(1, "王丽", WANG, today), row(2, "𠮷永康", bad_check, today),
            row(3, "王丽", WANG, today), row(4, "张三", citizen_id("110105", "19900101", 41),
                                            today + timedelta(days=1)),
            row(5, "李四1", citizen_id("110105", "19900101", 51), today)]
    problems = check_rows(st, "house", HOUSE, "move_in", rows)
    assert [p[0] for p in problems] == [2, 3, 4, 5]
    assert "check character" in problems[0][1]
    assert "row 1" in problems[1][1]
    assert "after the day of the report" in problems[2][1]
    assert "digits" in problems[3][1]
    with pytest.raises(ValidationError, match=r"^row 2: .*\(and 3 more rows refused\); nothing was recorded"):
        file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                    rows=rows, today=today)
    assert _journal_len(st) == before
    assert people.by_document(st, "citizen_id", WANG) is None


def test_a_failure_while_writing_leaves_nothing(registers, monkeypatch):
    st = registers
    today = engine.business_date(st)
    before = _journal_len(st)
    calls = []

    def boom(done, total):
        calls.append(done)
        if done == 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        file_report(st, None, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                    rows=[row(1, "王丽", WANG, today), row(2, "𠮷永康", JI, today), row(3, "阿依古丽·买买提", AYI, today)],
                    today=today, progress=boom)
    assert calls == [1, 2]
    assert _journal_len(st) == before
    assert st.db.conn.execute("SELECT count(*) FROM residence_periods WHERE started_via = 'report'").fetchone()[0] == 0
    assert st.db.conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 0


def test_a_name_on_file_differently_is_refused(registers):
    st = registers
    today = engine.business_date(st)
    file_report(st, None, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                rows=[row(1, "𠮷永康", JI, today)], today=today)
    problems = check_rows(st, "entity", EMPLOYER, "hired", [row(1, "吉永康", JI, today, house_code=None)])
    assert problems and "another name" in problems[0][1] and JI not in problems[0][1]


def test_a_file_report_keeps_sha256_and_the_name_without_its_path(registers):
    st = registers
    today = engine.business_date(st)
    with pytest.raises(CounterError, match="sha256"):
        file_report(st, None, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                    rows=[row(1, "王丽", WANG, today)], source="file", today=today)
    r = file_report(st, None, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                    rows=[row(1, "王丽", WANG, today)], source="file", file_sha256="ab" * 32,
                    file_name="/home/clerk/租户 名单.xlsx", today=today)
    entry = journal.get(st.db, r.seq)
    assert entry.kind == kinds.REPORT_FILED
    assert entry.data["file_name"] == "租户 名单.xlsx" and entry.data["file_sha256"] == "ab" * 32
    assert reads.report_by_sha256(st.db, "ab" * 32) == r.report_id


def test_overdue_lists_the_late_reporters_and_rebuild_gives_the_same_tables(registers):
    st = registers
    today = engine.business_date(st)
    file_report(st, None, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                rows=[row(1, "王丽", WANG, today - timedelta(days=8)), row(2, "𠮷永康", JI, today - timedelta(days=20))],
                today=today)
    file_report(st, None, reporter_kind="entity", reporter_code=EMPLOYER, report_type="hired",
                rows=[row(1, "阿依古丽·买买提", AYI, today - timedelta(days=7), house_code=None)], today=today)
    file_report(st, None, reporter_kind="entity", reporter_code=HOTEL, report_type="guest_in",
                rows=[row(1, "阿依古丽·买买提", AYI, today - timedelta(days=9), house_code=None)], today=today)
    listed = houses.overdue(st)
    assert [(o.reporter_kind, o.reporter_code, o.late_rows) for o in listed] == [("house", HOUSE, 2),
                                                                               ("entity", HOTEL, 1)]
    assert listed[1].name == "南京街宾馆"
    assert houses.overdue(st, since=(today + timedelta(days=1)).isoformat()) == []
    before = checksum(st.db)
    rebuild(st.db)
    assert checksum(st.db) == before


def test_a_name_read_as_utf16_surrogate_pairs_is_stored_whole(registers):
    st = registers
    today = engine.business_date(st)
    halves = "𠮷".encode("utf-16-le").decode("utf-16-le", "surrogatepass")
    split = "\ud842\udfb7永康"  # what a UTF-16 source (an xlsx cell, a Windows export) can hand over
    assert halves == "𠮷" and split != "𠮷永康"
    file_report(st, None, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                rows=[row(1, split, JI, today)], today=today)
    person = people.by_document(st, "citizen_id", JI)
    assert person.name == "𠮷永康" and len(person.name) == 3
    stored = st.db.conn.execute("SELECT payload FROM journal WHERE kind = ?", (kinds.PERSON_REGISTERED,)).fetchall()
    assert any("𠮷永康" in p[0] for p in stored)


def test_more_tenants_than_the_capacity_are_recorded_and_flagged(registers):
    st = registers
    today = engine.business_date(st)
    rows = [row(i, name, citizen_id("110105", "19900101", 100 + i), today)
            for i, name in enumerate(("王一", "王二", "王三", "王四", "王五"), 1)]
    result = file_report(st, None, reporter_kind="house", reporter_code=HOUSE, report_type="move_in", rows=rows,
                         today=today)
    assert result.started == 5 and result.over_capacity == ((HOUSE, 5, 4),)


@pytest.mark.parametrize("call", [
    lambda st: check_rows(st, "flat", HOUSE, "move_in", [row(1, "王丽", WANG, engine.business_date(st))]),
    lambda st: houses.add_entity(st, None, entity_code=EMPLOYER, entity_type="bank", name="x", contact_name="y",
                                 contact_phone="1", address="z"),
    lambda st: houses.add_house(st, None, house_code="HP-0999", address="  ", house_type="rental", capacity=1,
                                manager_ref="x"),
    lambda st: houses.add_house(st, None, house_code="HP-0999", address="a", house_type="rental", capacity=0,
                                manager_ref="x"),
])
def test_a_wrong_choice_or_value_is_one_clear_line(registers, call):
    from counter.i18n import gettext

    with pytest.raises(ValidationError) as caught:
        call(registers)
    assert "\n" not in str(caught.value) and caught.value.localized(gettext)


def test_the_roster_says_through_whom_in_the_clerks_language(registers, clerk, tmp_path):
    import shutil
    import subprocess

    from counter import i18n

    st = registers
    today = engine.business_date(st)
    file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                rows=[row(1, "𠮷永康", JI, today - timedelta(days=30))], today=today)
    file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_out",
                rows=[row(1, "𠮷永康", JI, today - timedelta(days=1))], today=today)
    lines = houses.roster(st, clerk.clerk_id, house_code=HOUSE).lines
    [zh] = houses.roster_rows(st, lines)
    assert zh[3].endswith("（申报搬离）") and zh[4] == f"房屋 {HOUSE} 房东申报"
    before = i18n.language()
    i18n.set_language("en")
    try:
        [en] = houses.roster_rows(st, lines)
        out = tmp_path / "roster-en.pdf"
        houses.write_roster(st, clerk.clerk_id, out, house_code=HOUSE)
    finally:
        i18n.set_language(before)
    assert en[3].endswith("（moved out (report)）") and en[4] == f"reported by the landlord of {HOUSE}"
    body = subprocess.run([shutil.which("pdftotext"), "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "reported by the" in body and "房东申报" not in body and "𠮷永康" in body
