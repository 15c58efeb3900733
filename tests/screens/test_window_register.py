"""F3 and the district register, through Pilot against a real `counter hq serve` (SQLite here; the
PostgreSQL end-to-end run is tests/register/test_window_e2e.py)."""

from __future__ import annotations

import shutil
import socket
import time

import pytest
from textual.widgets import DataTable, Static

from counter.hq import admin
from counter.hq.store import open_store
from counter.services import clerks, perform, register
from counter.station import Station
from counter.sync import client as sync
from counter.sync.state import store_conflicts, store_resolutions
from db import journal
from screens.app import CounterApp
from screens.lookup import LookupScreen
from screens.person import PersonScreen
from tests.register.helpers import YOSHIDA
from tests.screens.conftest import SUPERVISOR, sign_in
from tests.screens.driver import Clerk


def joined(station, url, key_dir, store):
    shutil.copy(key_dir / "hq.pub", station.data_dir / "keys" / "hq.pub")
    section = station.config.section("sync")
    section["hq_public_key"], section["hq_url"] = "keys/hq.pub", url
    station.config.save()
    admin.enroll(store, station.station_id, station.key.public_pem())


@pytest.fixture
def hq_with_a_file(tmp_path, hq_key_dir, server_factory):
    """HQ holding 𠮷田's permit, accepted at window HP-01."""
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = open_store(url, admin.load_key(hq_key_dir))
    store.init_schema()
    hq = server_factory(url)
    a = Station.init(tmp_path / "HP-01", "HP-01", "210102", "和平区政务服务中心")
    joined(a, hq.url, hq_key_dir, store)
    clerk = clerks.add_clerk(a, "柜员甲", "clerk", "1234")
    reg = perform(a, "residence_registration", {**YOSHIDA, "arrival_date": "0"}, clerk=clerk)
    perform(a, "permit_apply", {"validity_years": "1"}, person_id=reg.person_id, clerk=clerk)
    assert sync.sync_once(a).ok
    yield store, hq, reg.person_id, (a, clerk)
    a.close()
    store.close()


async def until(pilot, condition, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the screen"
        await pilot.pause(0.05)


def text(app, selector) -> str:
    """The Static's text; "" while the screen is still being composed."""
    found = app.screen.query(selector)
    return str(found.first(Static).content) if found else ""


async def test_f3_finds_at_hq_says_where_and_adopts_on_enter(station, hq_with_a_file, hq_key_dir):
    store, hq, pid, _a = hq_with_a_file
    joined(station, hq.url, hq_key_dir, store)
    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f3")
        await clerk.type("jt")  # pinyin initials of 𠮷田, no input method needed
        await clerk.press("enter")
        await until(pilot, lambda: app.screen.query_one("#lookup-results", DataTable).row_count == 1)
        table = app.screen.query_one("#lookup-results", DataTable)
        row = table.get_row_at(0)
        assert row[0] == "𠮷田" and row[1] == "110105********002X"  # masked in the list
        assert row[4] == "区级平台（最近办理：HP-01）"
        assert "区级平台：另有 1 人" in text(app, "#lookup-hq")
        await until(pilot, lambda: "区级平台: 在线" in str(app.screen.query_one("#status-bar").content))
        await clerk.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PersonScreen))
        assert app.screen.person_id == pid
        await until(pilot, lambda: bool(app.screen.query("#person-identity")) and "HP-01" in text(app, "#person-identity"))
        identity = text(app, "#person-identity")
        assert "11010519491231002X" in identity  # the full number on the person's own file only
        assert "档案来自窗口 HP-01（区级平台）" in identity
        history = app.screen.query_one("#person-history", DataTable)
        assert any("于窗口 HP-01" in str(history.get_row_at(i)[5]) for i in range(history.row_count))
    entries = list(journal.entries(station.db))
    kinds = [e.kind for e in entries]
    at = kinds.index("register.adopted")
    opened = [e for e in entries[at:] if e.kind == "record.opened"]
    assert len(opened) == 1 and opened[0].data["record_id"] == pid  # the opening journaled once
    with store.transaction() as tx:
        actions = [r[0] for r in tx.all("SELECT action FROM hq_register_access WHERE station_id = ?"
                                        " ORDER BY access_id", (station.station_id,))]
    assert actions[:2] == ["search", "open"]  # HQ recorded the lookup and the opening


async def test_f3_offline_shows_local_files_and_says_so(station):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    station.config.section("sync")["hq_url"] = f"http://127.0.0.1:{port}"  # nobody listens there
    clerk_row = clerks.list_clerks(station)[0]
    perform(station, "residence_registration", {**YOSHIDA, "arrival_date": "0"}, clerk=clerk_row)
    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f3")
        await clerk.type("jitian")
        await clerk.press("enter")
        assert isinstance(app.screen, LookupScreen)  # a name query waits for HQ's word before opening
        await until(pilot, lambda: "离线" in text(app, "#lookup-hq"))
        assert "区级平台离线：仅显示本站档案（无法连接区级平台 http://127.0.0.1:" in text(app, "#lookup-hq")
        assert "按本站数据办理" in text(app, "#lookup-hq")  # the reason in the UI language too
        row = app.screen.query_one("#lookup-results", DataTable).get_row_at(0)
        assert row[0] == "𠮷田" and row[4] == "本站"
        # the status line says it too
        await until(pilot, lambda: "区级平台: 离线，仅本站数据" in str(app.screen.query_one("#status-bar").content))


async def test_a_supervisor_sees_the_conflicts_hq_reported(station):
    from db.connection import write_transaction
    from screens.home import HomeScreen

    with write_transaction(station.db):
        store_conflicts(station.db, [{
            "conflict_id": 7, "permit": "A210102-HP-01-20260302-00002X", "kind": "double_extend",
            "entries": [{"station_id": "HP-01", "seq": 40, "kind": "service.permit_extend"},
                        {"station_id": "T-01", "seq": 12, "kind": "service.permit_extend"}]}])
    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#name").value = SUPERVISOR[0]
        app.screen.query_one("#pin").value = SUPERVISOR[1]
        app.screen.attempt()
        await until(pilot, lambda: isinstance(app.screen, HomeScreen) or "checkin" in type(app.screen).__name__.lower())
        if not isinstance(app.screen, HomeScreen):
            app.pop_screen()
            await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await until(pilot, lambda: bool(app.screen.query("#home-conflicts")) and "冲突" in text(app, "#home-conflicts"))
        shown = text(app, "#home-conflicts")
        assert "1 起居住证冲突待主管处理" in shown
        assert "居住证 A210102-HP-01-20260302-00002X：在两个窗口被延期" in shown and "T-01#12" in shown


async def test_a_supervisor_sees_a_conflict_resolved_at_hq(station):
    """HQ's resolution arrives in an ack: journaled once, and the supervisor's home screen says which entry
    stands and which entry of this window is to be voided, in Chinese."""
    from db.connection import write_transaction
    from screens.home import HomeScreen

    item = {"conflict_id": 8, "permit": "A210102-HP-01-20260302-00003X", "kind": "double_extend",
            "entries": [{"station_id": "HP-01", "seq": 41, "kind": "service.permit_extend"},
                        {"station_id": station.station_id, "seq": 3, "kind": "service.permit_extend"}],
            "detected_at": "2026-03-02T02:00:00.000000Z", "status": "resolved",
            "resolution": {"keep": "first", "reason": "HP-01 先办理", "resolved_by": "区管理员",
                           "resolved_at": "2099-03-03T02:00:00.000000Z"}}
    for _ in range(2):  # a second ack carrying it again changes nothing
        with write_transaction(station.db):
            store_conflicts(station.db, [item])
            store_resolutions(station, [item])
    assert [e.kind for e in journal.entries(station.db)].count("register.conflict_resolved") == 1
    assert register.conflicts(station) == []
    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#name").value = SUPERVISOR[0]
        app.screen.query_one("#pin").value = SUPERVISOR[1]
        app.screen.attempt()
        await until(pilot, lambda: isinstance(app.screen, HomeScreen) or "checkin" in type(app.screen).__name__.lower())
        if not isinstance(app.screen, HomeScreen):
            app.pop_screen()
            await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await until(pilot, lambda: bool(app.screen.query("#home-conflicts")) and "处理" in text(app, "#home-conflicts"))
        shown = text(app, "#home-conflicts")
        assert "1 起冲突已由区级平台处理" in shown and "待主管处理" not in shown
        assert "区级平台 区管理员 已于 2099-03-03 处理：以先到达区级平台的记录为准（HP-01 先办理）" in shown
        assert "请在本窗口作废第 3 号记录" in shown


async def test_the_file_warns_and_refuses_a_permit_another_window_cancelled(station, hq_with_a_file,
                                                                            hq_key_dir):
    from datetime import UTC, datetime

    from counter.services import people

    store, hq, pid, (a, clerk_a) = hq_with_a_file
    joined(station, hq.url, hq_key_dir, store)
    here = clerks.Session("s", clerks.list_clerks(station)[0])
    found = register.find(station, "jitian", clerk_id=here.clerk.clerk_id)
    register.adopt(station, here, register.open_remote(station, here, found.results[0].ref))
    permit = people.current_permit(station, pid)
    # meanwhile the first window cancels the permit and syncs
    perform(a, "permit_cancel", {"cancel_reason": "1"}, person_id=pid, clerk=clerk_a, now=datetime.now(UTC))
    assert sync.sync_once(a).ok
    app = CounterApp(station, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f3")
        await clerk.type("110105194912310" + "02X")
        await clerk.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PersonScreen))
        # the background re-check finds HQ's newer word
        await until(pilot, lambda: "在窗口 HP-01 变更" in text(app, "#person-identity"))
        shown = text(app, "#person-identity")
        assert permit.permit_id in shown and "（注销）：区级平台显示为 已注销" in shown  # HQ's words, translated
        assert "cancel" not in shown
        head = journal.head(station.db)
        await clerk.press("5")  # permit change: refused before the form, nothing recorded
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen) and journal.head(station.db) == head
    assert people.current_permit(station, pid).status == "accepted"  # the local file is untouched
