"""Pilot test: the void's supervisor dialog names the receipt and what the void takes back (issue 16:
"the void and correction dialogs are hard to follow"; replayed in the demo)."""

from __future__ import annotations

from textual.widgets import Input, Static

from counter.services import clerks, engine, people
from screens.app import CounterApp
from screens.dialogs import ReasonDialog, SupervisorDialog
from screens.person import PersonScreen
from tests.window.conftest import AYIGULI


async def test_the_void_dialog_shows_the_receipt_and_what_is_taken_back(station):
    clerk = clerks.find_clerk(station, "柜员甲")
    reg = engine.perform(station, "residence_registration", AYIGULI, clerk=clerk)
    moved = engine.perform(station, "change_address", {"new_address": "沈阳市和平区中华路88号", "change_date": "0"},
                           person_id=reg.person_id, clerk=clerk)
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        app.signed_in(clerks.sign_in(station, "柜员甲", "1234"))
        await pilot.pause()
        app.push_screen(PersonScreen(reg.person_id))
        await pilot.pause()
        await pilot.press("v")  # the newest entry is selected: the change of address
        await pilot.pause()
        assert isinstance(app.screen, ReasonDialog)
        app.screen.query_one(Input).value = "[b]录入错误[/b]"
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SupervisorDialog)
        purpose = str(dialog.query(Static)[1].render())
        assert moved.document.number in purpose and "[b]录入错误[/b]" in purpose  # shown as typed, not markup
        assert "将撤销变更居住地址" in purpose and "沈阳市和平区中华路88号" in purpose
        dialog.query_one("#sup-name", Input).value = "主管乙"
        dialog.query_one("#sup-pin", Input).value = "4321"
        dialog.query_one("#sup-pin", Input).focus()
        await pilot.press("enter")
        for _ in range(20):
            await pilot.pause()
            if not isinstance(app.screen, SupervisorDialog):
                break
    assert people.get(station, reg.person_id).current_address == AYIGULI["current_address"]
