"""The TUI's sign-in shares the CLI's PIN check: digits other than ASCII 0-9 are refused, not counted."""

import pytest

from counter.services import clerks
from screens.app import CounterApp
from screens.home import HomeScreen
from screens.signin import SignInScreen


@pytest.mark.parametrize(("lang", "message"), [("en", "ASCII 0-9"), ("zh_CN", "半角数字")])
async def test_sign_in_refuses_full_width_and_arabic_indic_digits(station, lang, message):
    clerks.add_clerk(station, "阿依古丽·买买提", "clerk", "1234")
    app = CounterApp(station, lang=lang)
    async with app.run_test(size=(100, 30)) as pilot:
        for pin in ("１２３４", "١٢٣٤"):
            app.screen.query_one("#name").value = "阿依古丽·买买提"
            app.screen.query_one("#pin").value = pin
            app.screen.query_one("#pin").focus()
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, SignInScreen)
            assert message in str(app.screen.query_one("#signin-error").render())
        (failed,) = station.db.conn.execute("SELECT failed_attempts FROM clerk_credentials").fetchone()
        assert failed == 0  # not a wrong PIN: no attempt is used up
        app.screen.query_one("#pin").value = ""
        await pilot.press(*"1234", "enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
