"""Pilot tests of sign-in, lock and unlock, in zh_CN and en."""

import pytest

from counter.services import clerks
from screens.app import CounterApp
from screens.home import HomeScreen
from screens.lock import LockScreen
from screens.signin import SignInScreen


@pytest.fixture
def staffed(station):
    clerks.add_clerk(station, "阿依古丽·买买提", "clerk", "1234")
    clerks.add_clerk(station, "𠮷田", "supervisor", "4321")
    return station


def kinds(station):
    return [r[0] for r in station.db.conn.execute("SELECT kind FROM journal ORDER BY seq")]


async def sign_in(pilot, name, pin):
    pilot.app.screen.query_one("#name").value = name
    pilot.app.screen.query_one("#pin").focus()
    await pilot.press(*pin, "enter")
    await pilot.pause()


@pytest.mark.parametrize("lang, greeting", [("zh_CN", "当前柜员"), ("en", "Signed in as")])
async def test_sign_in_reaches_home_and_is_journaled(staffed, lang, greeting):
    app = CounterApp(staffed, lang=lang)
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, SignInScreen)
        await sign_in(pilot, "阿依古丽·买买提", "1234")
        assert isinstance(app.screen, HomeScreen)
        text = str(app.screen.query_one("#home-clerk").render())
        assert greeting in text and "阿依古丽·买买提" in text
    assert "session.signed_in" in kinds(staffed)


async def test_wrong_pin_shows_attempts_left_and_locks_after_n(staffed):
    app = CounterApp(staffed, lang="en")
    limit = staffed.config.section("security")["max_failed_pins"]
    async with app.run_test(size=(100, 30)) as pilot:
        for attempt in range(1, limit):
            await sign_in(pilot, "阿依古丽·买买提", "9999")
            assert f"{limit - attempt} attempts left" in str(app.screen.query_one("#signin-error").render())
        await sign_in(pilot, "阿依古丽·买买提", "9999")
        assert "locked" in str(app.screen.query_one("#signin-error").render())
        # even the right PIN is refused while locked out
        await sign_in(pilot, "阿依古丽·买买提", "1234")
        assert isinstance(app.screen, SignInScreen)
        assert "locked" in str(app.screen.query_one("#signin-error").render())
    assert "clerk.locked_out" in kinds(staffed)


async def test_manual_lock_keeps_the_work_and_unlocks_with_the_pin(staffed):
    app = CounterApp(staffed, lang="zh_CN")
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "阿依古丽·买买提", "1234")
        home = app.screen
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*"1111", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        assert "PIN 错误" in str(app.screen.query_one("#lock-error").render())
        await pilot.press(*"1234", "enter")
        await pilot.pause()
        assert app.screen is home  # the same screen object: the work in progress is kept
    assert kinds(staffed)[-3:] == ["session.locked", "session.pin_failed", "session.unlocked"]


async def test_idle_lock_after_the_configured_time(staffed):
    app = CounterApp(staffed, lang="en", idle_lock_seconds=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "阿依古丽·买买提", "1234")
        app.check_idle_lock(now=app.last_activity + 59)
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        app.check_idle_lock(now=app.last_activity + 60)
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        # another clerk's PIN does not unlock this clerk's session
        await pilot.press(*"4321", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*"1234", "enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_sign_out_returns_to_sign_in(staffed):
    app = CounterApp(staffed, lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "𠮷田", "4321")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen) and app.state.session is None
    assert kinds(staffed)[-1] == "session.signed_out"


async def test_a_locked_station_does_not_quit(staffed):
    app = CounterApp(staffed, lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "阿依古丽·买买提", "1234")
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, LockScreen)
        assert "Unlock first" in str(app.screen.query_one("#lock-error").render())
