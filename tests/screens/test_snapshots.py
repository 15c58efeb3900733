"""Snapshots of the main screens with Chinese names and rare characters (pinned size, frozen clock,
no cursor blink). Review the SVGs before accepting: pytest tests/screens --snapshot-update."""

from __future__ import annotations

from datetime import datetime as real_datetime

import pytest
from textual.widgets import Input

from counter.demo_cards import SAMPLE_CARDS
from counter.services import engine
from counter.services.cards import card_prefill
from screens.app import CounterApp
from tests.screens.conftest import sign_in

SIZE = (110, 36)
FROZEN = real_datetime(2026, 11, 20, 2, 30, 0)  # Friday 10:30 in Shanghai


class FrozenDatetime(real_datetime):
    @classmethod
    def now(cls, tz=None):
        moment = FROZEN.replace(tzinfo=tz) if tz is not None else FROZEN
        return moment


@pytest.fixture
def frozen(monkeypatch):
    import counter.services.amendments
    import counter.services.clerks
    import counter.services.engine
    import counter.station

    for module in (counter.station, counter.services.engine, counter.services.amendments, counter.services.clerks):
        monkeypatch.setattr(module, "datetime", FrozenDatetime)


@pytest.fixture
def snap_station(station, frozen):
    clerk = __import__("counter.services.clerks", fromlist=["find_clerk"]).find_clerk(station, "柜员甲")
    first = {**card_prefill(SAMPLE_CARDS[0]), "current_address": "沈阳市和平区南京北街10号", "arrival_date": "-9",
             "stay_reason": "1", "phone": "13812345678", "household_address": "北京市朝阳区幸福街3号"}
    pid = engine.perform(station, "residence_registration", first, clerk=clerk).person_id
    engine.perform(station, "permit_apply", {"validity_years": "3"}, person_id=pid, clerk=clerk)
    engine.perform(station, "proof_of_life", {}, person_id=pid, clerk=clerk)
    for name, number in (("王䶮", "440305197911200014"), ("王𠮷祥", "11010519491231002X")):
        engine.perform(station, "residence_registration", {
            "doc_type": "citizen_id", "id_number": number, "name": name,
            "sex": "M" if int(number[16]) % 2 else "F", "birth_date": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
            "ethnicity": "01", "nationality": "CHN", "household_address": "广东省深圳市南山区科技园1号",
            "current_address": "沈阳市和平区太原街8号", "arrival_date": "0", "stay_reason": "2"}, clerk=clerk)
    return station


def no_blink(app) -> None:
    for inp in app.screen.query(Input):
        inp.cursor_blink = False


def run(actions):
    async def before(pilot):
        await sign_in(pilot)
        for step in actions:
            if callable(step):
                await step(pilot)
            else:
                await pilot.press(step)
            await pilot.pause()
        await pilot.app.workers.wait_for_complete()  # printing runs in a worker
        await pilot.pause()
        no_blink(pilot.app)
        await pilot.pause()

    return before


def test_home(snap_compare, snap_station):
    app = CounterApp(snap_station, lang="zh_CN", idle_lock_seconds=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=run([]))


def test_person_file_with_history(snap_compare, snap_station):
    app = CounterApp(snap_station, lang="zh_CN", idle_lock_seconds=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=run(["f2"]))


def test_wizard_identity_step_from_card_minority_name(snap_compare, snap_station):
    app = CounterApp(snap_station, lang="zh_CN", idle_lock_seconds=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=run(["f2", "escape", "f2", "2", "pageup"]))


def test_wizard_errors_in_english(snap_compare, snap_station):
    async def bad(pilot):
        screen = pilot.app.screen
        screen.query_one("#f-id_number", Input).value = "210102198803142121"
        screen.query_one("#f-name", Input).value = "张3"
        screen.query_one("#f-birth_date", Input).value = "2099-01-01"
        await pilot.press("f10")

    app = CounterApp(snap_station, lang="en", idle_lock_seconds=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=run(["f3", "ctrl+n", "1", bad]))


def test_review_page(snap_compare, snap_station):
    async def registered_kim(pilot):
        screen = pilot.app.screen
        screen.query_one("#f-current_address", Input).value = "沈阳市和平区三好街5号"
        screen.query_one("#f-arrival_date", Input).value = "0"
        screen.query_one("#f-arrival_time", Input).value = "00:00"
        await pilot.press("f10")

    app = CounterApp(snap_station, lang="zh_CN", idle_lock_seconds=0)
    app._next_demo_card = 3  # KIM MINJUN's passport: a foreigner's accommodation registration (h)
    assert snap_compare(app, terminal_size=SIZE, run_before=run(["f2", "h", registered_kim]))


def test_document_preview(snap_compare, snap_station):
    app = CounterApp(snap_station, lang="zh_CN", idle_lock_seconds=0)
    app._next_demo_card = 2  # 王䶮, on file
    assert snap_compare(app, terminal_size=SIZE, run_before=run(["f2", "9", "f10", "f10"]))


def test_lookup_results(snap_compare, snap_station):
    async def search(pilot):
        pilot.app.screen.query_one("#lookup-query", Input).value = "王"
        await pilot.press("enter")

    app = CounterApp(snap_station, lang="zh_CN", idle_lock_seconds=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=run(["f3", search]))


def test_mrz_key_dialog_centred_over_the_person_file(snap_compare, snap_station):
    """The MRZ key dialog is a Dialog like the others: centred, the person file dimmed behind it (it used
    to sit in the top-left corner over a blank screen)."""
    from screens.dialogs import MrzKeyDialog

    async def passport(pilot):
        pilot.app.push_screen(MrzKeyDialog("", "C01X00T47:850101:300101"))

    app = CounterApp(snap_station, lang="zh_CN", idle_lock_seconds=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=run(["f2", passport]))
