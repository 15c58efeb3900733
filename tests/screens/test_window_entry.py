"""Pilot tests of hand entry at the window (issue 16, item 4) and the screens' slips: the ID number fills
what it tells, required marks follow the rules, nationality is named, the queue ticket advances and never
swallows a service key, Ctrl+Q asks before a filled form is lost, the review page shows what the confirm
records (old -> new expiry, the policy's window, lateness), an out-of-range choice says so."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from screens.app import CounterApp
from screens.dialogs import ConfirmDialog
from screens.document import DocumentScreen
from screens.home import HomeScreen, next_ticket
from screens.lookup import LookupScreen
from screens.person import PersonScreen
from screens.wizard import WizardScreen
from tests.screens.conftest import sign_in
from tests.screens.driver import Clerk
from tests.screens.test_flows import SERVICES_ZH, run_service


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content) if isinstance(
        screen.query_one(selector), Static) else str(screen.query_one(selector).render())


def label(screen, fid: str) -> str:
    return str(screen.query_one(f"#l-{fid}").render())


async def new_person_form(clerk: Clerk, key: str = "3") -> WizardScreen:
    await clerk.press(key, "ctrl+n")
    assert isinstance(clerk.app.screen, WizardScreen)
    return clerk.app.screen


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
async def test_a_typed_id_number_fills_sex_birth_date_and_the_full_household_area(station, lang):
    app = CounterApp(station, lang=lang, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot)
        form = await new_person_form(clerk)
        assert clerk.field("sex").value == "" and clerk.field("birth_date").value == ""
        await clerk.type("21010219880314212")  # 17 characters: nothing is known yet
        assert clerk.field("sex").value == ""
        await clerk.type("X")
        assert clerk.field("sex").value == ("女" if lang == "zh_CN" else "Female")  # order code 212: even
        assert clerk.field("birth_date").value == "1988-03-14"
        assert clerk.field("household_address").value == "辽宁省沈阳市和平区"  # three levels, not 辽宁省和平区
        # a number corrected before leaving it: what it filled follows
        await clerk.press("backspace", "backspace", "backspace", "backspace")
        await clerk.type("1311")  # 210102198803141311: order 131, male
        assert clerk.field("sex").value == ("男" if lang == "zh_CN" else "Male")
        # the street is typed after the area
        await clerk.fill([("household_address", "辽宁省沈阳市和平区南京北街1号")], clear=True)
        assert form.query_one("#e-sex", Static).content == ""


async def test_a_sex_or_birth_date_that_differs_from_the_id_number_is_shown_at_the_field(station):
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        form = await new_person_form(clerk)
        await clerk.fill([("sex", "1"), ("birth_date", "1988-03-15")])
        await clerk.fill([("id_number", "21010219880314212X")])  # a woman born on 14 March
        # the clerk's own values are not overwritten: each is marked wrong, at once, not at F10
        assert clerk.field("sex").value == "1"
        assert "性别与身份证号码不符" in str(form.query_one("#e-sex", Static).content)
        assert "1988-03-14" in str(form.query_one("#e-birth_date", Static).content)
        assert not form.on_review
        await clerk.fill([("sex", "2")], clear=True)
        await clerk.press("tab")
        assert str(form.query_one("#e-sex", Static).content) == ""


async def test_required_marks_follow_the_document_type(station):
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        form = await new_person_form(clerk)
        # a citizen ID: 民族 and 户籍地址 are required (required_when), so they carry the mark
        assert label(form, "ethnicity").endswith("*") and label(form, "household_address").endswith("*")
        assert label(form, "name").endswith("*") and not label(form, "phone").endswith("*")
        await clerk.fill([("doc_type", "2")], clear=True)  # a passport: neither is asked
        assert not label(form, "ethnicity").endswith("*") and not label(form, "household_address").endswith("*")
        # every marked field is the one the form calls required, and only those
        await clerk.fill([("doc_type", "1")], clear=True)
        await clerk.press("f10")
        errors = {fid for fid in form.spec.fields if "必填" in str(form.query_one(f"#e-{fid}", Static).content)}
        marked = {fid for fid in form.spec.fields if label(form, fid).endswith("*")}
        assert errors and errors <= marked


@pytest.mark.parametrize("lang, expect", [("zh_CN", "德国（DEU）"), ("en", "Germany (DEU)")])
async def test_nationality_is_named_in_the_ui_language(station, lang, expect):
    app = CounterApp(station, lang=lang, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        form = await new_person_form(clerk, "h")  # a foreigner: the accommodation registration
        await clerk.fill([("doc_type", "2"), ("id_number", "C01X00T47"), ("name", "MUELLER ANNA MARIA"),
                          ("sex", "2"), ("birth_date", "1979-08-12"), ("nationality", "DEU")], clear=True)
        assert str(form.query_one("#h-nationality", Static).content) == "✓ " + expect.split("（")[0].split(" (")[0]
        await clerk.fill([("current_address", "沈阳市和平区南京北街10号"), ("arrival_date", "0"),
                          ("arrival_time", "00:00")])
        await clerk.press("f10")
        assert form.on_review, str(form.query_one("#wizard-error", Static).content)
        assert expect in str(form.query_one("#review-table", Static).content)
        await clerk.press("f10")
        assert isinstance(app.screen, DocumentScreen)
        await clerk.press("escape")
        assert isinstance(app.screen, PersonScreen)
        identity = str(app.screen.query_one("#person-identity", Static).content)
        assert expect in identity and "  DEU" not in identity


def test_next_ticket_keeps_letters_and_width():
    assert next_ticket("A001") == "A002" and next_ticket("B099") == "B100" and next_ticket("A999") == "A001"
    assert next_ticket("AB12") == "AB13" and next_ticket("") == ""


async def test_the_queue_ticket_advances_and_never_swallows_a_service_key(station):
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot)
        await clerk.press("ctrl+t")
        await clerk.type("a001")
        await clerk.press("3")  # the ticket is complete: 3 is the service key, not a fifth character
        assert app.state.ticket == "A001"
        assert isinstance(app.screen, LookupScreen) and app.screen.pending_service == "permit_apply"
        await clerk.press("escape")
        assert isinstance(app.screen, HomeScreen)
        # the next customer: Ctrl+T proposes the next number; a service key takes it and goes on
        await clerk.press("ctrl+t")
        assert app.screen.query_one("#ticket").value == "A002"
        await clerk.press("1")
        assert app.state.ticket == "A002" and isinstance(app.screen, LookupScreen)
        await clerk.press("escape")
        # a letter over the proposed ticket starts another; Esc takes it as Enter does
        await clerk.press("ctrl+t")
        await clerk.type("b017")
        await clerk.press("escape")
        assert app.state.ticket == "B017" and app.focused is None
        await clerk.press("3")
        assert isinstance(app.screen, LookupScreen)


async def test_ctrl_q_asks_before_discarding_a_filled_form(station):
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await new_person_form(clerk)
        await clerk.fill([("name", "𠮷永康")])
        await clerk.press("ctrl+q")
        assert isinstance(app.screen, ConfirmDialog)
        assert "居住证申领" in str(app.screen.query_one("#confirm-text", Static).content)
        await clerk.press("n")  # no: back in the form, nothing lost
        assert isinstance(app.screen, WizardScreen) and clerk.field("name").value == "𠮷永康"
        assert app.is_running
        await clerk.press("ctrl+q", "y")
        await pilot.pause()
        assert not app.is_running


async def test_ctrl_q_on_home_quits_at_once(station):
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_the_extension_review_shows_old_and_new_expiry_and_the_policys_window(station):
    policy = station.config.data["policy"]
    policy["collection_working_days"] = 0
    policy["extension_window_days"] = 400  # not 30: the page must say the station's number
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")
        for key, fields, title in SERVICES_ZH[:3]:  # register, apply for 1 year, collect
            await run_service(clerk, key, fields, title)
        permit = app.screen.file.permit
        await clerk.press("4")
        await clerk.fill([("validity_years", "2")], clear=True)
        await clerk.press("f10")
        form = app.screen
        assert form.on_review
        table = str(form.query_one("#review-table", Static).content)
        from counter.domain.policy import extended_until

        new = extended_until(permit.valid_until_date, 2).isoformat()
        assert f"有效期至：{permit.valid_until} → {new}" in table
        note = str(form.query_one("#review-note", Static).content)
        assert "400 日内" in note and "30 日" not in note


async def test_a_late_registration_is_flagged_on_the_review_page(station):
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")
        await clerk.press("1")
        await clerk.fill([("current_address", "沈阳市和平区南京北街10号"), ("arrival_date", "-9")])
        await clerk.press("f10")
        table = str(app.screen.query_one("#review-table", Static).content)
        assert "逾期 2 日" in table and "予以受理" in table  # 7 days allowed (art. 10), arrived 9 days ago
        await clerk.press("escape")
        await clerk.fill([("arrival_date", "-7")], clear=True)
        await clerk.press("f10")
        assert "逾期" not in str(app.screen.query_one("#review-table", Static).content)


@pytest.mark.parametrize("lang, expect", [("zh_CN", "5 不是可选项：有效期限可选 1, 2, 3 年"),
                                          ("en", "5 is not a choice: the validity is 1, 2, 3 years")])
async def test_an_out_of_range_validity_stays_in_the_field_and_says_it_is_not_a_choice(station, lang, expect):
    app = CounterApp(station, lang=lang, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot)
        form = await new_person_form(clerk)
        await clerk.fill([("validity_years", "5")], clear=True)
        await clerk.press("enter")
        assert clerk.field("validity_years").value == "5"
        error = str(form.query_one("#e-validity_years", Static).content)
        assert error == expect and "required" not in error and "必填" not in error
        await clerk.fill([("sex", "3")], clear=True)
        await clerk.press("enter")
        assert "3" in str(form.query_one("#e-sex", Static).content) and (
            "不是可选项" if lang == "zh_CN" else "not a choice") in str(form.query_one("#e-sex", Static).content)


async def test_the_en_sign_in_footer_is_english(station):
    app = CounterApp(station, lang="en", idle_lock_seconds=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        footer = " ".join(b.description for _k, b in app.screen._bindings if b.description)
        assert "Quit" in footer and "退出" not in footer


async def test_report_save_and_export_messages_are_on_screen_at_100x30(station, tmp_path):
    from screens.dayclose import DayCloseScreen

    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        app.push_screen(DayCloseScreen(out_dir=tmp_path / "out"))
        await pilot.pause()
        for key, word in (("s", "已保存"), ("x", "")):
            await pilot.press(key)
            await pilot.pause()
            status = app.screen.query_one("#dayclose-status", Static)
            assert str(status.content) and (word in str(status.content))
            region = status.region
            # wholly inside the 30 lines, above the footer, without scrolling
            assert region.height >= 1 and region.y + region.height <= 29, region


async def test_an_unprintable_character_is_refused_at_print_and_the_service_stays_saved(station):
    from counter.services import people
    from counter.services import printing as ps

    ext_i = "\U0002EBF0"  # CJK Extension I: no installed font has it
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")
        await clerk.press("1")
        await clerk.fill([("current_address", f"沈阳市和平区{ext_i}街8号"), ("arrival_date", "0")])
        await clerk.press("f10", "f10")
        assert isinstance(app.screen, DocumentScreen)
        status = app.screen.query_one("#doc-status", Static)
        for _ in range(100):
            await pilot.pause()
            if "U+2EBF0" in str(status.content):
                break
        text = str(status.content)
        assert ext_i in text and "U+2EBF0" in text and "COUNTER_FONT_DIRS" in text and "P" in text
        # the registration itself is recorded; the print job waits for the font
        pid = app.screen.person_id
        assert people.get(station, pid).current_address == f"沈阳市和平区{ext_i}街8号"
        job = ps.list_jobs(station)[0]
        assert job["state"] != "printed"
        await clerk.press("p")  # retry: refused again, with the same words, and still queued
        for _ in range(100):
            await pilot.pause()
            if app.screen.failed_job and "U+2EBF0" in str(status.content):
                break
        assert "U+2EBF0" in str(status.content) and app.screen.failed_job == job["job_id"]
