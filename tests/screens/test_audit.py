"""Window audit: problems a clerk met at the counter, each pinned by a Pilot test."""

from __future__ import annotations

import pytest

from screens.app import CounterApp
from screens.checkin import CheckinScreen
from screens.lookup import LookupScreen
from tests.screens.conftest import sign_in


async def test_service_keys_work_on_home_after_sign_in_and_the_daily_check_in(station):
    # the home screen must not focus the ticket field by itself: "1" would type into it
    app = CounterApp(station)
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot)
        assert app.focused is None
        app.push_screen(CheckinScreen(station, app.session.clerk.clerk_id))
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

    from counter import forms

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
        for spec in forms.catalogue().specs.values():
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

    from counter import clerks
    from counter.services import amendments, people
    from db import journal
    from screens.person import PersonScreen
    from tests.screens.driver import Clerk
    from tests.screens.test_flows import run_service

    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")
        await run_service(clerk, "1", [("current_address", "沈阳市和平区北四马路2号"), ("arrival_date", "0")],
                          "居住登记")
        pid = app.screen.person_id
        registration = people.history(station, pid)[0].seq
        supervisor = next(c for c in clerks.list_clerks(station) if c.is_supervisor)
        amendments.void(station, registration, "录入错误", clerk=app.session.clerk, supervisor=supervisor)
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
    from tests.screens.test_flows import run_service

    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")
        await run_service(clerk, "1", [("current_address", "沈阳市和平区北四马路2号"), ("arrival_date", "0")],
                          "居住登记")
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
