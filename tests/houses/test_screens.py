"""Pilot tests: the address picker (a known house by its code or the start of its address), the residence
periods on the person's file, and the departure at the window (key d)."""

from __future__ import annotations

from datetime import date

import pytest

from counter.i18n import set_language
from counter.services import clerks, engine, houses, people
from counter.station import Station
from devices.identity import SSCARD, IdentityDocument
from screens.app import CounterApp
from screens.document import DocumentScreen
from screens.messages import CardRead
from screens.person import PersonScreen
from screens.wizard import WizardScreen
from tests.houses.conftest import LANDLORD, citizen_id
from tests.screens.conftest import CLERK, SUPERVISOR, sign_in
from tests.screens.driver import Clerk

HOUSE_ADDRESS = "沈阳市和平区南京北街10号3单元201"
JI = citizen_id("110105", "19900101", 21)


def card(number: str, name: str, sex: str, birth: date) -> IdentityDocument:
    return IdentityDocument(doc_type=SSCARD, document_number=f"L{number[:14]}", name=name, sex=sex, birth_date=birth,
                            nationality="CHN", issuing_state="CHN", citizen_id=number, ethnicity="01")


@pytest.fixture
def station(tmp_path):
    st = Station.init(tmp_path / "station", "T-01", "210102", "和平区政务服务中心", reader={"kind": "simulated"})
    clerk = clerks.add_clerk(st, CLERK[0], "clerk", CLERK[1])
    clerks.add_clerk(st, SUPERVISOR[0], "supervisor", SUPERVISOR[1])
    landlord = engine.perform(st, "lodging_registration",
                              {**LANDLORD, "id_number": citizen_id("210202", "19700101", 11)}, clerk=clerk)
    for n, address in enumerate(("沈阳市和平区北五马路3号", HOUSE_ADDRESS, "沈阳市和平区南京南街7号"), 12):
        houses.add_house(st, None, house_code=f"HP-00{n}", address=address, house_type="rental", capacity=4,
                         manager_ref=landlord.person_id)
    yield st
    st.close()
    set_language("zh_CN")


async def _arrival(pilot, c: Clerk, typed: str) -> None:
    app = pilot.app
    c.keys += 1  # the card read
    app.post_message(CardRead(card(JI, "𠮷永康", "M", date(1990, 1, 1))))
    await pilot.pause()
    await c.press("1")
    assert isinstance(app.screen, WizardScreen)
    field = app.focused
    assert field.id == "f-current_address", field.id
    await c.type(typed)
    await pilot.pause()
    assert field._suggestion == HOUSE_ADDRESS, field._suggestion
    assert "HP-0013" in str(app.screen.query_one("#h-current_address").content)
    await c.press("right")
    assert field.value == HOUSE_ADDRESS
    await c.press("enter")
    await c.type("0")
    await c.press("f10", "f10")
    assert isinstance(app.screen, DocumentScreen), str(app.screen.query_one("#wizard-error").content)


@pytest.mark.parametrize("typed", ["13", "hp-0013", "沈阳市和平区南京北"])
async def test_a_new_arrival_at_a_known_house_in_at_most_10_keys(station, typed):
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        c = Clerk(pilot)
        await _arrival(pilot, c, typed)
        if typed == "13":
            assert c.keys <= 10, c.keys
    person = people.by_document(station, "citizen_id", JI)
    (period,) = houses.periods(station, person.person_id)
    assert (period.house_code, period.address, period.started_via) == ("HP-0013", HOUSE_ADDRESS, "window")
    assert [x.name for x in houses.roster(station, None, house_code="HP-0013").current] == ["𠮷永康"]


async def test_the_file_shows_periods_and_d_ends_the_registration(station):
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 50)) as pilot:
        await sign_in(pilot)
        c = Clerk(pilot)
        await _arrival(pilot, c, "13")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen), app.screen
        periods = str(app.screen.query_one("#person-periods").content)
        assert "居住记录" in periods and "至今" in periods and "HP-0013" in periods and "窗口登记" in periods
        await c.press("d")
        assert isinstance(app.screen, WizardScreen) and app.screen.spec.id == "registration_end"
        await c.press("f10", "f10")
        assert isinstance(app.screen, DocumentScreen), str(app.screen.query_one("#wizard-error").content)
        await pilot.press("escape")
        await pilot.pause()
        periods = str(app.screen.query_one("#person-periods").content)
        assert "迁离" in periods and "至今" not in periods
    person = people.by_document(station, "citizen_id", JI)
    assert person.registration_number is None


async def test_the_houses_screen_picks_opens_a_roster_writes_its_pdf_and_the_supervisor_sees_late_reports(
        station, tmp_path):
    import stat
    import subprocess
    from datetime import timedelta

    from counter.services.reports import file_report
    from screens.home import HomeScreen
    from screens.houses import HousesScreen, RosterScreen
    from tests.houses.conftest import row

    today = engine.business_date(station)
    file_report(station, None, reporter_kind="house", reporter_code="HP-0013", report_type="move_in",
                rows=[row(1, "𠮷永康", JI, today - timedelta(days=8), house_code=None),
                      row(2, "阿依古丽·买买提", citizen_id("650102", "19950505", 22), today, house_code=None)],
                today=today)
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        assert not app.screen.query_one("#home-overdue").display  # a clerk: not the supervisor's list
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, HousesScreen)
        assert "HP-0013" in str(app.screen.query_one("#houses-overdue").content)
        for ch in "南京北":
            await pilot.press(ch)
        await pilot.pause()
        assert [r.code for r in app.screen.rows] == ["HP-0013"]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RosterScreen)
        assert "现住 2 人" in str(app.screen.query_one("#roster-title").content)
        app.screen.out_dir = tmp_path / "out"
        await pilot.press("p")
        await pilot.pause()
        pdf = tmp_path / "out" / "roster-HP-0013.pdf"
        assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "𠮷永康" in text and "阿依古丽·买买提" in text and JI not in text
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    opened = station.db.conn.execute("SELECT count(*) FROM journal WHERE kind = 'record.opened'"
                                     " AND json_extract(payload, '$.record_id') = 'HP-0013'").fetchone()[0]
    assert opened == 2  # the screen and the PDF
    # the supervisor's home screen lists the late reporter
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pilot.app.screen.query_one("#name").value = SUPERVISOR[0]
        pilot.app.screen.query_one("#pin").value = SUPERVISOR[1]
        pilot.app.screen.attempt()
        await pilot.pause()
        await pilot.pause()
        box = app.screen.query_one("#home-overdue")
        assert box.display and "HP-0013" in str(box.content) and "限期改正" in str(box.content)


async def test_a_report_at_the_window_from_the_roster_arrival_late_then_departure(station):
    from screens.houses import ReportDialog, RosterScreen

    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f6")
        await pilot.pause()
        for ch in "0013":
            await pilot.press(ch)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RosterScreen)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ReportDialog)
        app.screen.query_one("#report-id").value = JI[:-1] + ("0" if JI[-1] != "0" else "1")
        app.screen.query_one("#report-name").value = "𠮷永康"
        app.screen.query_one("#report-date").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReportDialog)  # refused, one line, nothing recorded
        assert "校验" in str(app.screen.query_one("#report-error").content)
        app.screen.query_one("#report-id").value = JI
        app.screen.query_one("#report-date").value = "-8"
        app.screen.query_one("#report-date").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RosterScreen)
        assert "逾期" in str(app.screen.query_one("#roster-status").content)
        assert "现住 1 人" in str(app.screen.query_one("#roster-title").content)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ReportDialog)
        await pilot.press("enter")  # today
        await pilot.pause()
        assert isinstance(app.screen, RosterScreen)
        assert "现住 0 人，曾住 1 人" in str(app.screen.query_one("#roster-title").content)
    person = people.by_document(station, "citizen_id", JI)
    (period,) = houses.periods(station, person.person_id)
    assert period.late and period.end_reason == "report_move_out" and period.house_code == "HP-0013"


async def test_an_employer_on_the_houses_screen_reports_a_hire_at_the_window(station):
    from screens.houses import ReportDialog, RosterScreen
    from tests.houses.conftest import EMPLOYER

    houses.add_entity(station, None, entity_code=EMPLOYER, entity_type="employer", name="𠮷祥餐饮有限公司",
                      contact_name="阿依古丽·买买提", contact_phone="13800000000", address="沈阳市和平区中华路5号")
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f6")
        await pilot.pause()
        app.screen.query_one("#houses-find").value = "𠮷祥"
        await pilot.pause()
        assert [(r.kind, r.code) for r in app.screen.rows] == [("entity", EMPLOYER)]
        assert "用人单位" in str(app.screen.query_one("#houses-table").get_row_at(0))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RosterScreen)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ReportDialog) and "人员入职" in app.screen.title_text
        app.screen.query_one("#report-id").value = JI
        app.screen.query_one("#report-name").value = "𠮷永康"
        app.screen.query_one("#report-date").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RosterScreen)
        assert "现住 1 人" in str(app.screen.query_one("#roster-title").content)
    person = people.by_document(station, "citizen_id", JI)
    (period,) = houses.periods(station, person.person_id)
    assert period.entity_code == EMPLOYER and period.address == "沈阳市和平区中华路5号" and not period.late
