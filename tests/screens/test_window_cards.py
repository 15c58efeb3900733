"""The wrong person never stays on screen: after a refused forged passport, an unknown card, or Esc on the
MRZ prompt, the previous person's file is closed. Real CardWatcher thread, the simulated reader's card OS.
Also: the status line names the simulated reader in the UI language."""

from __future__ import annotations

import pytest

from counter.services import clerks
from counter.station import Station
from screens.app import CounterApp
from screens.dialogs import MrzKeyDialog, SupervisorDialog
from screens.home import HomeScreen
from screens.person import PersonScreen
from tests.core.test_app_devices import until

CLERK = ("阿依古丽·买买提", "1234")


@pytest.fixture
def reader_station(tmp_path):
    st = Station.init(tmp_path / "st", "D-01", "210102", "和平区政务服务中心",
                      reader={"kind": "simulated"}, printer={"kind": "simulated"})
    clerks.add_clerk(st, CLERK[0], "clerk", CLERK[1])
    clerks.add_clerk(st, "𠮷田", "supervisor", "4321")
    st.record("devices.checked_in", {"ok": True})
    yield st
    st.close()


async def file_of_ji_yongkang(pilot):
    app = pilot.app
    app.screen.query_one("#name").value = CLERK[0]
    app.screen.query_one("#pin").focus()
    await pilot.press(*CLERK[1], "enter")
    await until(pilot, lambda: app.simulated_reader is not None and isinstance(app.screen, HomeScreen))
    app.simulated_reader.insert("sscard-ji")
    await until(pilot, lambda: isinstance(app.screen, PersonScreen))
    assert "𠮷永康" in str(app.screen.query_one("#person-identity").render())
    app.simulated_reader.remove()


async def test_a_refused_forged_passport_closes_the_previous_file(reader_station):
    from devices.sim.samples import SAMPLES

    app = CounterApp(reader_station, lang="zh_CN", background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await file_of_ji_yongkang(pilot)
        app.card_watcher.set_mrz_key(SAMPLES["passport-forged"].mrz_key)
        app.simulated_reader.insert("passport-forged")
        await until(pilot, lambda: isinstance(app.screen, SupervisorDialog))
        # the dialog asks about the new card: the previous person's file is not behind it
        assert not any(isinstance(s, PersonScreen) for s in app.screen_stack)
        await pilot.press("escape")  # no supervisor approves it
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert not any(isinstance(s, PersonScreen) for s in app.screen_stack)


async def test_an_unknown_card_closes_the_previous_file(reader_station):
    app = CounterApp(reader_station, lang="zh_CN", background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await file_of_ji_yongkang(pilot)
        app.simulated_reader.insert("unknown-card")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert not any(isinstance(s, PersonScreen) for s in app.screen_stack)


async def test_esc_on_the_mrz_prompt_closes_the_previous_file(reader_station):
    app = CounterApp(reader_station, lang="en", background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await file_of_ji_yongkang(pilot)
        app.simulated_reader.insert("passport-deu")
        await until(pilot, lambda: isinstance(app.screen, MrzKeyDialog))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert not any(isinstance(s, PersonScreen) for s in app.screen_stack)


async def test_a_card_read_while_a_form_is_filled_leaves_the_form(reader_station):
    from screens.wizard import WizardScreen

    # 𠮷永康's household is in 210102: at a window of another province his residence registration is a
    # service he may have (in his own district there is nothing to register, art. 8)
    reader_station.config.data["station"]["district"] = "110105"
    app = CounterApp(reader_station, lang="zh_CN", background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        await file_of_ji_yongkang(pilot)
        await pilot.press("9")  # a residence certificate needs a registration: refused, stays on the file
        await pilot.press("1")
        await until(pilot, lambda: isinstance(app.screen, WizardScreen))
        before = app.state.devices.reader
        app.simulated_reader.insert("unknown-card")
        # the watcher has said what it made of the card (not "reading card…")
        await until(pilot, lambda: app.state.devices.reader not in (before, "正在读卡…"))
        await pilot.pause()
        assert isinstance(app.screen, WizardScreen)  # the clerk's typing is not thrown away


@pytest.mark.parametrize("lang, name", [("zh_CN", "模拟读卡器"), ("en", "Simulated reader")])
async def test_the_status_line_names_the_simulated_reader_in_the_ui_language(reader_station, lang, name):
    from devices.simulated import READER_NAME
    from screens.base import SIMULATED_READER_NAME

    assert SIMULATED_READER_NAME == READER_NAME
    app = CounterApp(reader_station, lang=lang, background=True)
    async with app.run_test(size=(110, 34)) as pilot:
        app.screen.query_one("#name").value = CLERK[0]
        app.screen.query_one("#pin").focus()
        await pilot.press(*CLERK[1], "enter")
        await until(pilot, lambda: name in app.state.devices.reader)
        if lang == "zh_CN":
            assert "Simulated" not in app.state.devices.reader


@pytest.mark.parametrize("sample, image_format", [("passport-deu", "jpeg"), ("idcard-td1", "jp2")])
async def test_the_dg2_face_is_shown_beside_the_data_and_kept_nowhere(reader_station, sample, image_format):
    from devices.sim.samples import SAMPLES
    from screens.face import FaceView

    app = CounterApp(reader_station, lang="zh_CN", background=True)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#name").value = CLERK[0]
        app.screen.query_one("#pin").focus()
        await pilot.press(*CLERK[1], "enter")
        await until(pilot, lambda: app.simulated_reader is not None and isinstance(app.screen, HomeScreen))
        app.card_watcher.set_mrz_key(SAMPLES[sample].mrz_key)
        app.simulated_reader.insert(sample)
        await until(pilot, lambda: isinstance(app.screen, PersonScreen))
        person = app.screen
        assert person.card.face_format == image_format and person.card.face_image
        face_bytes = person.card.face_image
        face = person.query_one("#person-face", FaceView)
        await pilot.pause()
        # drawn in cells, left of the data: a portrait (taller than wide in pixels), in colour
        identity = person.query_one("#person-identity")
        assert face.region.x < identity.region.x and face.region.height >= 10
        assert face.region.width <= 30 and identity.region.width >= 50  # beside the data, not over it
        strip = face.render_line(3)
        cells = "".join(seg.text for seg in strip)
        assert "▀" in cells or "▄" in cells
        colours = {seg.style.color.triplet for seg in strip if seg.style and seg.style.color}
        assert len(colours) > 3  # a picture, not a blank box
        width, height = face.picture.size
        assert height > width
        await pilot.press("escape")  # the file closes: the face goes with it
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert not app.query(FaceView) and person.card is None
    # never journaled, never on disk
    for (payload,) in reader_station.db.conn.execute("SELECT payload FROM journal"):
        assert face_bytes[:64].hex() not in str(payload)
    for path in reader_station.data_dir.rglob("*"):
        if path.is_file():
            assert face_bytes[16:80] not in path.read_bytes(), path


@pytest.mark.parametrize("lang, name", [("zh_CN", "模拟读卡器"), ("en", "Simulated reader")])
def test_the_check_in_names_the_simulated_reader_in_the_ui_language(lang, name):
    from counter.i18n import set_language
    from screens.checkin import reader_line

    set_language(lang)
    try:
        line = reader_line({"status": "ok", "readers": ["Simulated reader", "ACS ACR39U 00 00"]})
    finally:
        set_language("zh_CN")
    assert name in line and "ACS ACR39U 00 00" in line
    if lang == "zh_CN":
        assert "Simulated" not in line
