"""Pilot test: F9's report save refuses, in one line on screen, a character no installed font has
(issue 16: day reports are refused at save time, as certificates and receipts are at print time)."""

from __future__ import annotations

from textual.widgets import Static

from counter.services import clerks, engine
from screens.app import CounterApp
from screens.dayclose import DayCloseScreen
from tests.window.conftest import ZHANGWEI

EXT_I = "\U0002EBF0"


async def test_saving_the_day_report_with_a_clerk_named_in_extension_i_is_refused_and_writes_nothing(
        station, tmp_path):
    clerk = clerks.add_clerk(station, f"{EXT_I}娜", "clerk", "5678")
    engine.perform(station, "residence_registration", ZHANGWEI, clerk=clerk)
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(100, 30)) as pilot:
        app.signed_in(clerks.sign_in(station, f"{EXT_I}娜", "5678"))
        await pilot.pause()
        app.push_screen(DayCloseScreen(out_dir=tmp_path / "out"))
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        status = app.screen.query_one("#dayclose-status", Static)
        text = str(status.content)
        assert EXT_I in text and "U+2EBF0" in text and "COUNTER_FONT_DIRS" in text and "未写入任何文件" in text
        assert "\n" not in text.strip() and "Traceback" not in text
        region = status.region
        assert region.y + region.height <= 29  # on screen at 100x30
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
