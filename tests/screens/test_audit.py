"""Window audit: problems a clerk met at the counter, each pinned by a Pilot test."""

from __future__ import annotations

import pytest

from screens.app import CounterApp
from screens.checkin import CheckinScreen
from screens.lookup import LookupScreen
from tests.screens.conftest import sign_in

ADDRESS = "沈阳市和平区北四马路2号"


async def register_next_sample(clerk, arrival_date: str = "0"):
    """F2 inserts the next sample card; register that person (residence registration, zh_CN)."""
    from tests.screens.test_flows import run_service

    await clerk.press("f2")
    return await run_service(clerk, "1", [("current_address", ADDRESS), ("arrival_date", arrival_date)], "居住登记")


async def test_service_keys_work_on_home_after_sign_in_and_the_daily_check_in(station):
    # the home screen must not focus the ticket field by itself: "1" would type into it
    app = CounterApp(station)
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot)
        assert app.focused is None
        app.push_screen(CheckinScreen(station, app.state.session.clerk.clerk_id))
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is None
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen)
        assert app.screen.pending_service == "residence_registration"


async def test_command_palette_speaks_chinese_and_shows_every_service_key(station):
    from textual.command import CommandList, CommandPalette
    from textual.widgets import Footer, Input

    from counter.forms.spec import catalogue

    app = CounterApp(station)
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot)
        footer_text = " ".join(str(item.render()) for item in app.screen.query_one(Footer).query("*"))
        assert "palette" not in footer_text
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        assert palette.query_one(Input).placeholder == "搜索命令…"
        options = palette.query_one(CommandList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        text = "\n".join(shown)
        for english in ("Theme", "Screenshot", "Keys", "Quit"):
            assert english not in text
        # every service with its key, "c a e t n" included (a "[c]" would be eaten as markup)
        for spec in catalogue().specs.values():
            assert any(line.startswith(f"{spec.menu_key}  {spec.text('zh_CN')}") for line in shown), spec.id


@pytest.mark.parametrize("lang, expected", [
    ("zh_CN", {"doc_type": "居民身份证", "sex": "女", "stay_reason": "务工"}),
    ("en", {"doc_type": "Citizen ID", "sex": "Female", "stay_reason": "Work"}),
])
async def test_choice_fields_show_the_option_label_not_its_internal_code(station, lang, expected):
    from textual.widgets import Input

    from screens.document import DocumentScreen
    from screens.wizard import WizardScreen

    app = CounterApp(station, lang=lang, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")  # a social security card: doc type and sex come from the card
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        shown = {fid: screen.query_one(f"#f-{fid}", Input).value for fid in expected}
        assert shown == expected
        # and the labels are accepted as they stand
        screen.query_one("#f-current_address", Input).value = "沈阳市和平区南京北街10号"
        screen.query_one("#f-arrival_date", Input).value = "0"
        await pilot.press("f10")
        assert screen.on_review, str(screen.query_one("#wizard-error").content)
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, DocumentScreen)


async def test_an_entry_that_cannot_be_amended_is_refused_before_reason_and_supervisor(station):
    from textual.widgets import DataTable

    from counter.services import amendments, clerks, people
    from db import journal
    from screens.person import PersonScreen
    from tests.screens.driver import Clerk

    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await register_next_sample(clerk)
        pid = app.screen.person_id
        registration = people.history(station, pid)[0].seq
        supervisor = next(c for c in clerks.list_clerks(station) if c.is_supervisor)
        amendments.void(station, registration, "录入错误", clerk=app.state.session.clerk, supervisor=supervisor)
        app.screen.on_screen_resume()
        await pilot.pause()
        head = journal.head(station.db)
        table = app.screen.query_one("#person-history", DataTable)
        for row in (0, 1):  # the void itself, then the voided registration
            table.focus()
            table.move_cursor(row=row)
            for key in ("v", "x"):
                await clerk.press(key)
                assert isinstance(app.screen, PersonScreen), (row, key, app.screen)
        assert len(people.history(station, pid)) == 2
        assert journal.head(station.db) == head


async def test_a_bad_correction_is_refused_before_the_supervisor_is_asked(station):
    from textual.widgets import DataTable

    from db import journal
    from screens.dialogs import ReasonDialog
    from screens.person import PersonScreen
    from tests.screens.driver import Clerk

    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await register_next_sample(clerk)
        head = journal.head(station.db)
        app.screen.query_one("#person-history", DataTable).focus()
        await clerk.press("x")
        assert isinstance(app.screen, ReasonDialog)
        app.screen.query_one("#extra-phone").value = "12345"
        app.screen.query_one("#reason").focus()
        await pilot.pause()
        await clerk.type("电话有误")
        await clerk.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)  # no supervisor dialog for a correction that would fail
        assert journal.head(station.db) == head


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
async def test_lookup_says_when_an_id_or_application_number_is_mistyped(station, lang):
    from textual.widgets import Static

    from screens.person import PersonScreen
    from tests.screens.driver import Clerk
    from tests.screens.test_flows import run_service

    app = CounterApp(station, lang=lang, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")  # the first sample card (𠮷田春), registered below
        number = app.screen.card_values["id_number"]
        receipt = await run_service(clerk, "1", [("current_address", ADDRESS),
                                                 ("arrival_date", "0")],
                                    "居住登记" if lang == "zh_CN" else "Residence registration")
        wrong_check = number[:17] + ("0" if number[17] != "0" else "1")
        wrong_app = receipt.number[:-1] + ("0" if receipt.number[-1] != "0" else "1")
        expected = {"zh_CN": ("校验码", "校验"), "en": ("check character", "check character")}[lang]
        for query, word in ((wrong_check, expected[0]), (wrong_app.lower(), expected[1])):
            await clerk.press("f3")
            await clerk.type(query)
            await clerk.press("enter")
            message = str(app.screen.query_one("#lookup-message", Static).content)
            assert word in message and "Ctrl+N" not in message, message
            await clerk.press("escape")
        # an old 15-digit card number finds the 18-digit file
        old = number[:6] + number[8:17]
        await clerk.press("f3")
        await clerk.type(old)
        await clerk.press("enter")
        assert isinstance(app.screen, PersonScreen) and app.screen.file.person.id_number == number


async def test_end_of_day_names_services_in_the_ui_language_and_home_counts_like_it(station):
    from textual.widgets import Static

    from counter.services import amendments, clerks, people
    from screens.dayclose import DayCloseScreen
    from screens.home import HomeScreen
    from tests.screens.driver import Clerk
    from tests.screens.test_flows import run_service

    app = CounterApp(station, lang="en", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")
        await run_service(clerk, "1", [("current_address", ADDRESS), ("arrival_date", "0")],
                          "Residence registration")
        seq = people.history(station, app.screen.person_id)[0].seq
        supervisor = next(c for c in clerks.list_clerks(station) if c.is_supervisor)
        amendments.void(station, seq, "wrong person", clerk=app.state.session.clerk, supervisor=supervisor)
        await clerk.press("escape")
        assert isinstance(app.screen, HomeScreen)
        app.screen.refresh_summary()
        counts = str(app.screen.query_one("#home-counts", Static).content)
        assert "Transactions today: 1" in counts and "Void: 1" in counts
        await clerk.press("f9")
        await pilot.pause(0.5)
        assert isinstance(app.screen, DayCloseScreen)
        chart = str(app.screen.query_one("#dayclose-services", Static).content)
        assert "Residence registration" in chart and "居住登记" not in chart


async def test_the_lock_screen_hides_the_person_file_underneath(station):
    from screens.lock import LockScreen
    from tests.screens.driver import Clerk

    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")
        number = app.screen.card_values["id_number"]
        assert number in app.export_screenshot()
        await clerk.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        shot = app.export_screenshot()
        assert number not in shot and "𠮷田春" not in shot
        await clerk.type("1234")
        await clerk.press("enter")
        assert not isinstance(app.screen, LockScreen) and number in app.export_screenshot()


async def test_paper_out_message_reads_as_two_sentences_and_p_retries(tmp_path):
    from textual.widgets import Static

    from counter.services import clerks
    from counter.services import printing as ps
    from counter.station import Station
    from devices.printer import set_simulated_condition
    from screens.document import DocumentScreen
    from tests.screens.conftest import CLERK
    from tests.screens.driver import Clerk

    station = Station.init(tmp_path / "station", "T-02", "210102", "和平区政务服务中心",
                           reader={"kind": "simulated"}, printer={"kind": "simulated"})
    clerks.add_clerk(station, CLERK[0], "clerk", CLERK[1])
    set_simulated_condition(ps.simulated_dir(station), paper="out")
    app = CounterApp(station, idle_lock_seconds=0)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await sign_in(pilot)
            clerk = Clerk(pilot, fast=True)
            await clerk.press("f2", "1")
            await clerk.fill([("current_address", ADDRESS), ("arrival_date", "0")])
            await clerk.press("f10", "f10")
            assert isinstance(app.screen, DocumentScreen)
            for _ in range(50):
                await pilot.pause(0.1)
                status = str(app.screen.query_one("#doc-status", Static).content)
                if status != "打印中…" and status != "Printing…":
                    break
            assert status == "未打印：打印机缺纸，请装入新纸卷后重试。按 P 重试；业务本身已保存。", status
            set_simulated_condition(ps.simulated_dir(station), paper="ok")
            await clerk.press("p")
            for _ in range(50):
                await pilot.pause(0.1)
                status = str(app.screen.query_one("#doc-status", Static).content)
                if status == "已打印":
                    break
            assert status == "已打印", status
    finally:
        station.close()


async def test_history_keys_show_only_when_there_is_history(station):
    from textual.widgets._footer import FooterKey

    from screens.person import PersonScreen
    from tests.screens.driver import Clerk
    from tests.screens.test_flows import run_service

    def footer_keys():
        return {k.key for k in app.screen.query(FooterKey)}

    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")
        assert isinstance(app.screen, PersonScreen) and app.screen.file is None
        await pilot.pause(0.3)
        assert not {"r", "v", "x"} & footer_keys()
        await run_service(clerk, "1", [("current_address", ADDRESS), ("arrival_date", "0")],
                          "居住登记")
        await pilot.pause(0.3)
        assert {"r", "v", "x"} <= footer_keys()


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
async def test_f1_lists_every_key_of_the_screen_in_the_ui_language_and_fits(station, lang):
    from textual.widgets import Static

    from counter.forms.spec import catalogue
    from screens.dialogs import HelpDialog

    app = CounterApp(station, lang=lang, idle_lock_seconds=0)
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        text = str(app.screen.query_one("#help-text", Static).content)
        for english in ("Focus Next", "Focus Previous", "Copy selected text", "super+c"):
            assert english not in text
        for spec in catalogue().specs.values():
            assert f"{spec.menu_key}  {spec.text(lang)}" in text, spec.id
        assert ("日终" if lang == "zh_CN" else "End of day") in text
        # all of it on screen: the close hint (the dialog's last line) is visible
        assert ("Esc" in app.export_screenshot())
        assert len(text.splitlines()) <= 24


async def test_a_service_the_person_cannot_have_is_refused_before_the_form(station):
    # collect a card not ready yet, extend a permit not collected, a second application: the
    # clerk heard it only after filling the form and confirming
    from screens.person import PersonScreen
    from screens.wizard import WizardScreen
    from tests.screens.driver import Clerk
    from tests.screens.test_flows import run_service

    notes = []
    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify = lambda message, **kw: notes.append(message)
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await register_next_sample(clerk, arrival_date="-200")
        await run_service(clerk, "3", [("validity_years", "1")], "居住证申领")
        for key, words in (("8", "起可领取"), ("4", "领取"), ("3", "4 居住证延期")):
            notes.clear()
            await clerk.press(key)
            assert isinstance(app.screen, PersonScreen), key
            assert notes and words in notes[-1], (key, notes)
        await clerk.press("5")  # an open permit can be changed: the form opens
        assert isinstance(app.screen, WizardScreen)


async def test_a_name_correction_to_the_same_name_is_refused_before_the_supervisor_is_called(station):
    from textual.widgets import Static

    from db import journal
    from screens.dialogs import SupervisorDialog
    from screens.wizard import WizardScreen
    from tests.screens.driver import Clerk

    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await register_next_sample(clerk)
        name = app.screen.file.person.name
        head = journal.head(station.db)
        await clerk.press("n")
        await clerk.fill([("new_name", name)])
        await clerk.press("f10")
        # refused already at the review page (engine.check), so F10 again never calls the supervisor
        assert not app.screen.on_review
        await clerk.press("f10")
        assert not isinstance(app.screen, SupervisorDialog)
        screen = app.screen
        assert isinstance(screen, WizardScreen) and not screen.on_review
        assert "相同" in str(screen.query_one("#e-new_name", Static).content)
        assert journal.head(station.db) == head


async def test_idle_lock_keeps_the_form_and_unlocks_to_it(station):
    import time

    from textual.widgets import Input

    from screens.lock import LockScreen
    from screens.wizard import WizardScreen
    from tests.screens.driver import Clerk

    app = CounterApp(station, idle_lock_seconds=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2", "1")
        await clerk.fill([("current_address", ADDRESS)])
        app.check_idle_lock(now=time.monotonic() + 30)
        await pilot.pause()
        assert isinstance(app.screen, WizardScreen)  # not idle long enough
        app.check_idle_lock(now=time.monotonic() + 61)
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await clerk.type("9999")
        await clerk.press("enter")
        assert isinstance(app.screen, LockScreen)  # a wrong PIN keeps it locked
        await clerk.type("1234")
        await clerk.press("enter")
        assert isinstance(app.screen, WizardScreen)
        assert app.screen.query_one("#f-current_address", Input).value == ADDRESS


async def test_a_certificate_that_cannot_be_written_says_so_in_chinese_and_p_retries_it(tmp_path):
    # it showed "cannot write the certificate PDF to /full/path (Not a directory); job … stays queued"
    # in the zh UI, and P did nothing (the job id was lost)
    from textual.widgets import Static

    from counter.services import clerks
    from counter.station import Station
    from screens.document import DocumentScreen
    from tests.screens.conftest import CLERK
    from tests.screens.driver import Clerk

    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the certificate folder should be")
    station = Station.init(tmp_path / "station", "T-03", "210102", "和平区政务服务中心",
                           reader={"kind": "simulated"},
                           printer={"kind": "simulated", "certificate_dir": str(blocker / "certs")})
    clerks.add_clerk(station, CLERK[0], "clerk", CLERK[1])
    app = CounterApp(station, idle_lock_seconds=0)

    async def status_after(start):
        for _ in range(50):
            await pilot.pause(0.1)
            text = str(app.screen.query_one("#doc-status", Static).content)
            if text != start:
                return text
        return text

    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await sign_in(pilot)
            clerk = Clerk(pilot, fast=True)
            await register_next_sample(clerk)
            await clerk.press("0")  # proof of life: a certificate PDF
            await clerk.press("f10", "f10")
            assert isinstance(app.screen, DocumentScreen)
            status = await status_after("打印中…")
            assert status == "未打印：证明 PDF 无法写入，请检查证明文件夹。按 P 重试；业务本身已保存。", status
            assert app.screen.failed_job
            blocker.unlink()  # the folder can be made now
            await clerk.press("p")
            status = await status_after("打印中…")
            assert status.startswith("证明 PDF 已生成") and app.screen.failed_job is None, status
    finally:
        station.close()


async def test_one_stray_escape_does_not_throw_away_a_filled_form(station):
    from screens.person import PersonScreen
    from screens.wizard import WizardScreen
    from tests.screens.driver import Clerk

    notes = []
    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify = lambda message, **kw: notes.append(message)
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2", "1")
        await clerk.press("escape")  # nothing typed yet: Esc leaves at once
        assert isinstance(app.screen, PersonScreen)
        await clerk.press("1")
        await clerk.fill([("current_address", ADDRESS)])
        await clerk.press("escape")
        assert isinstance(app.screen, WizardScreen) and notes[-1] == "再按一次 Esc 放弃本表单"
        await clerk.type("3")  # typing again disarms: the next Esc warns again
        await clerk.press("escape")
        assert isinstance(app.screen, WizardScreen)
        await clerk.press("escape")
        assert isinstance(app.screen, PersonScreen)


async def test_a_locked_out_clerk_is_told_the_time_on_the_station_clock(station):
    # the time came from the machine's zone (UTC here): "try again after 07:14" at 14:59 in Shenyang
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from textual.widgets import Static

    from tests.screens.conftest import CLERK

    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        minutes = station.config.section("security")["pin_lockout_minutes"]
        for pin in ["1111", "2222", "3333", "4444", "5555", CLERK[1]]:
            app.screen.query_one("#name").value = CLERK[0]
            app.screen.query_one("#pin").value = pin
            before = datetime.now(UTC)
            app.screen.attempt()
            await pilot.pause()
        message = str(app.screen.query_one("#signin-error", Static).content)
        local = ZoneInfo(station.config.timezone)
        expected = {(before - timedelta(seconds=s) + timedelta(minutes=minutes)).astimezone(local).strftime("%H:%M")
                    for s in (0, 60)}
        assert any(f"{t} 后重试" in message for t in expected), message


async def test_the_queue_ticket_does_not_pass_to_the_next_clerk(station):
    from textual.widgets import Input

    from screens.home import HomeScreen
    from tests.screens.driver import Clerk

    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot)
        await clerk.press("ctrl+t")
        await clerk.type("a12")
        await clerk.press("enter")
        assert app.state.ticket == "A12" and "A12" in app.sub_title
        await clerk.press("ctrl+o")
        await sign_in(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.state.ticket == "" and "A12" not in app.sub_title
        assert app.screen.query_one("#ticket", Input).value == ""
