"""The resident ID card through the SAM reader in the app: our simulated reader on a real pty,
polled by the real CardWatcher over pyserial; a card read opens a new file prefilled from the card."""

from __future__ import annotations

import pytest

from counter.services import clerks
from counter.station import Station
from screens.app import CounterApp
from screens.dialogs import SupervisorDialog
from screens.person import PersonScreen
from tests.core.test_app_devices import sign_in, until


@pytest.fixture
def sam_station(tmp_path):
    st = Station.init(tmp_path / "st", "D-01", "210102", "和平区政务服务中心",
                      reader={"kind": "simulated", "sam_port": "simulated", "sam_poll_seconds": 0.1},
                      printer={"kind": "simulated"})
    clerks.add_clerk(st, "阿依古丽·买买提", "clerk", "1234")
    clerks.add_clerk(st, "𠮷田", "supervisor", "4321")
    st.record("devices.checked_in", {"ok": True})
    yield st
    st.close()


async def test_the_ji_card_opens_a_prefilled_new_file(sam_station):
    from devices.sim.sam_cards import SAM_SAMPLES

    card = SAM_SAMPLES["sam-ji"]
    app = CounterApp(sam_station, lang="zh_CN", demo=True, background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.sam_reader is not None)
        assert app.sam_reader.port.startswith("/dev/pts/")  # a real pty, opened with pyserial
        # the status line names both readers
        await until(pilot, lambda: f"就绪（SAM {app.sam_reader.port}）" in app.state.devices.reader
                    and app.state.devices.reader.count("就绪") == 2)
        app.sam_reader.simulator.present("sam-ji")
        await until(pilot, lambda: isinstance(app.screen, PersonScreen)
                    and "𠮷祥云" in str(app.screen.query_one("#person-identity").render()))
        screen = app.screen
        text = str(screen.query_one("#person-identity").render())
        assert "𠮷祥云" in text and "未登记" in text
        assert "照片需要厂商的解码器才能显示" in text and "2039-05-08" in text
        values = screen.card_values
        assert values["name"] == "𠮷祥云" and values["sex"] == "M" and values["ethnicity"] == "01"
        assert values["birth_date"] == "1986-09-12" and values["id_number"] == card.number
        assert values["household_address"] == card.address  # from the card, never typed
        assert values["doc_type"] == "citizen_id"
        assert screen.person_id is None  # not on file: a new file
        # the journal never holds the photo, only what the app recorded of the opening
        rows = " ".join(r[0] for r in sam_station.db.conn.execute("SELECT payload FROM journal"))
        assert "WLT" not in rows


async def test_a_card_failing_its_check_needs_a_supervisor(sam_station):
    app = CounterApp(sam_station, lang="zh_CN", demo=True, background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.sam_reader is not None)
        app.sam_reader.simulator.present("sam-badcheck")
        await until(pilot, lambda: isinstance(app.screen, SupervisorDialog))


async def test_f2_offers_the_sam_cards_and_f4_takes_the_card_away(sam_station):
    from devices.sim.samples import SAMPLES

    app = CounterApp(sam_station, lang="zh_CN", demo=True, background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.sam_reader is not None)
        sim = app.sam_reader.simulator
        app._demo_sample_index = len(SAMPLES)  # the first SAM card comes after today's samples
        await pilot.press("f2")
        assert sim.card is not None and sim.card.sample_id == "sam-ji"
        await until(pilot, lambda: isinstance(app.screen, PersonScreen))
        await pilot.press("f4")
        assert sim.card is None and app.simulated_reader.inserted is None
        # F1 and the palette name the key
        assert "F4: 从阅读器移走证件（演示）" in app.keys_help()
        from screens.commands import CounterCommands

        titles = [title for title, _command, _help in CounterCommands(app.screen)._commands()]
        assert "从阅读器移走证件（演示）" in titles


async def test_an_expired_card_is_shown_expired(sam_station):
    app = CounterApp(sam_station, lang="zh_CN", demo=True, background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.sam_reader is not None)
        app.sam_reader.simulator.present("sam-expired")
        await until(pilot, lambda: isinstance(app.screen, PersonScreen)
                    and "张伟" in str(app.screen.query_one("#person-identity").render()))
        text = str(app.screen.query_one("#person-identity").render())
        assert "2025-06-01" in text and "已过期" in text
