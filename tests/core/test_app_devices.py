"""The app with its background work: daily check-in, cards read through the simulated reader's card
OS by the real CardWatcher thread, MRZ entry, a failed authenticity check, and the status bar."""

import asyncio
import time

import pytest

from counter.services import clerks
from counter.station import Station
from screens.app import CounterApp
from screens.dialogs import MrzKeyDialog, SupervisorDialog
from screens.home import HomeScreen
from screens.person import PersonScreen


@pytest.fixture
def demo_station(tmp_path):
    st = Station.init(tmp_path / "st", "D-01", "210102", "和平区政务服务中心",
                      reader={"kind": "simulated"}, printer={"kind": "simulated"})
    clerks.add_clerk(st, "阿依古丽·买买提", "clerk", "1234")
    clerks.add_clerk(st, "𠮷田", "supervisor", "4321")
    yield st
    st.close()


async def until(pilot, condition, timeout=10.0):
    """Wait for something the watcher thread does, bounded: the test fails rather than hangs."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause()
        await asyncio.sleep(0.05)


async def sign_in(pilot, name="阿依古丽·买买提", pin="1234"):
    pilot.app.screen.query_one("#name").value = name
    pilot.app.screen.query_one("#pin").focus()
    await pilot.press(*pin, "enter")
    await pilot.pause()


def kinds(station):
    return [r[0] for r in station.db.conn.execute("SELECT kind FROM journal ORDER BY seq")]


async def test_first_sign_in_of_the_day_runs_the_check_in_once(demo_station):
    from screens.checkin import CheckinScreen

    app = CounterApp(demo_station, lang="zh_CN", demo=True, background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await sign_in(pilot)
        assert isinstance(app.screen, CheckinScreen)
        await until(pilot, lambda: "devices.checked_in" in kinds(demo_station))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("ctrl+o")
        await sign_in(pilot, "𠮷田", "4321")
        assert isinstance(app.screen, HomeScreen)  # the day is checked in already
    assert kinds(demo_station).count("devices.checked_in") == 1


async def test_a_card_read_by_the_watcher_opens_the_person(demo_station):
    demo_station.record("devices.checked_in", {"ok": True})
    app = CounterApp(demo_station, lang="zh_CN", demo=True, background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: "就绪" in app.state.devices.reader)
        await pilot.press("f2")  # inserts sample 1: a social security card of 𠮷永康
        await until(pilot, lambda: isinstance(app.screen, PersonScreen))
        assert "𠮷永康" in str(app.screen.query_one("#person-identity").render())
        await until(pilot, lambda: "已读卡" in app.state.devices.reader)
        await until(pilot, lambda: app.state.devices.printer == "就绪")
        await until(pilot, lambda: "待同步" in app.state.devices.sync)


async def test_a_passport_asks_for_the_mrz_key_and_a_wrong_key_is_refused(demo_station):
    from devices.sim.samples import SAMPLES

    demo_station.record("devices.checked_in", {"ok": True})
    app = CounterApp(demo_station, lang="en", background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.card_watcher is not None and app.simulated_reader is not None)
        app.simulated_reader.insert("passport-deu")
        await until(pilot, lambda: isinstance(app.screen, MrzKeyDialog))
        key = SAMPLES["passport-deu"].mrz_key
        app.screen.query_one("#mrz-key").value = f"{key.document_number}:{key.birth_date}:991231"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MrzKeyDialog)
                    and "does not match" in str(app.screen.query_one("#mrz-error").render()))
        app.screen.query_one("#mrz-key").value = f"{key.document_number}:{key.birth_date}:{key.expiry_date}"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PersonScreen))


async def test_a_card_failing_authentication_needs_a_supervisor(demo_station):
    from devices.sim.samples import SAMPLES

    demo_station.record("devices.checked_in", {"ok": True})
    app = CounterApp(demo_station, lang="en", background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.simulated_reader is not None)
        key = SAMPLES["passport-forged"].mrz_key
        app.card_watcher.set_mrz_key(key)
        app.simulated_reader.insert("passport-forged")
        await until(pilot, lambda: isinstance(app.screen, SupervisorDialog))
        app.screen.query_one("#sup-name").value = "𠮷田"
        app.screen.query_one("#sup-pin").focus()
        await pilot.press(*"4321", "enter")
        await until(pilot, lambda: isinstance(app.screen, PersonScreen))
    assert "supervisor.approved" in kinds(demo_station)


async def test_printer_state_in_the_status_line_and_paper_out_is_announced(demo_station):
    from counter.i18n import catalog
    from counter.services.printing import simulated_dir
    from devices.printer import set_simulated_condition

    demo_station.record("devices.checked_in", {"ok": True})
    app = CounterApp(demo_station, lang="zh_CN", background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.state.devices.printer == "就绪")
        set_simulated_condition(simulated_dir(demo_station), paper="out")
        app.refresh_printer_status()
        await until(pilot, lambda: app.state.devices.printer == "缺纸")
        advice = catalog("zh_CN")["printer is out of paper; load a new roll and retry"]
        assert [n.message for n in app._notifications].count(advice) == 1  # announced once, in zh_CN
