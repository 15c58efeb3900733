"""A fresh demo station has houses and reporting entities on F6 (房屋与申报单位), made through the services and
the journal like the demo's clerks: landlords on file, valid credit codes, a 𠮷 name and a name with ·.
The app makes them after the sign-in screen is drawn (tests/core/test_import_hygiene.py: the sign-in screen
loads no form engine and no pinyin)."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from counter.domain.citizen_id import parse_citizen_id
from counter.i18n import set_language
from counter.services import houses, people
from counter.services.demo import DEMO_CLERK, make_demo_station, seed_houses_once
from db import kinds
from db.projectors import houses as house_reads
from db.rebuild import checksum, rebuild
from screens.app import CounterApp


@pytest.fixture
def demo(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    st = make_demo_station(tmp_path / "demo")
    yield st
    st.close()
    set_language("zh_CN")


def test_a_fresh_demo_station_has_houses_entities_and_their_landlords(demo, tmp_path):
    from counter.station import Station

    assert houses.register_rows(demo, "") == []  # until the app's first paint
    assert seed_houses_once(demo) is True
    assert seed_houses_once(demo) is False  # a kept demo station (--data-dir) is seeded once
    real = Station.init(tmp_path / "real", "T-01", "210102", "和平区政务服务中心")
    assert seed_houses_once(real) is False and houses.register_rows(real, "") == []  # never a real station
    real.close()
    rows = houses.register_rows(demo, "")
    assert [r.kind for r in rows].count("house") == 3 and [r.kind for r in rows].count("entity") == 3
    entities = [r for r in rows if r.kind == "entity"]
    assert all(uscc.is_valid(r.code) for r in entities)
    assert "沈阳𠮷祥餐饮有限公司" in {r.title for r in entities}
    managers = {people.get(demo, houses.house(demo, r.code).manager_person_id).name for r in rows if r.kind == "house"}
    assert managers == {"𠮷永康", "阿依古丽·买买提"}
    for r in rows:
        if r.kind == "house":
            person = people.get(demo, houses.house(demo, r.code).manager_person_id)
            assert parse_citizen_id(person.id_number).number == person.id_number
    # one tenant reported in, so a roster shows someone
    assert [line.name for line in house_reads.roster(demo.db, house_code="HP-D001")] == ["买买提·艾力"]
    # through the journal: the entries are there, and a rebuild from them gives the same tables
    journaled = {r[0] for r in demo.db.conn.execute("SELECT DISTINCT kind FROM journal")}
    assert {kinds.HOUSE_REGISTERED, kinds.ENTITY_REGISTERED, kinds.REPORT_FILED} <= journaled
    before = checksum(demo.db)
    rebuild(demo.db)
    assert checksum(demo.db) == before


async def test_f6_on_a_fresh_demo_station_lists_them(demo):
    import asyncio

    app = CounterApp(demo, lang="zh_CN", demo=True, idle_lock_seconds=0, background=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(300):  # the background worker registers them after the first paint
            if len(house_reads.entities(demo.db)) == 3:
                break
            await asyncio.sleep(0.1)
        app.screen.query_one("#name").value = DEMO_CLERK[0]
        app.screen.query_one("#pin").value = DEMO_CLERK[1]
        app.screen.attempt()
        await pilot.pause()
        if type(app.screen).__name__ == "CheckinScreen":  # the day's first sign-in checks the devices
            await pilot.press("escape")
            await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()
        table = app.screen.query_one("#houses-table")
        assert table.row_count == 6
        shown = [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        assert any("HP-D001" in line and "1/4" in line for line in shown)
        assert any("𠮷祥" in line and "用人单位" in line for line in shown)


async def _notified(app, pilot, wanted: str) -> list[str]:
    import asyncio

    for _ in range(300):  # the background worker posts its message after the first paint
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
        if any(wanted in text for text in shown):
            return shown
        await asyncio.sleep(0.1)
    return [str(n.message) for n in app._notifications]


async def test_the_demo_houses_worker_says_what_it_made(demo):
    app = CounterApp(demo, lang="en", demo=True, idle_lock_seconds=0, background=True)
    async with app.run_test(size=(120, 40)) as pilot:
        shown = await _notified(app, pilot, "reporting entities made")
        assert "demo: 3 houses and 3 reporting entities made (F6)" in shown, shown
    assert len(house_reads.entities(demo.db)) == 3


async def test_the_demo_houses_worker_failing_is_one_status_line_not_silence(demo):
    """It failed silently: the clerk found F6 empty with no word why."""
    # a real failure of the station's database: every journal write refused
    demo.db.conn.execute("CREATE TRIGGER no_writes BEFORE INSERT ON journal BEGIN SELECT RAISE(ABORT, '"
                         + "阿依古丽·买买提" + "'); END")
    app = CounterApp(demo, lang="en", demo=True, idle_lock_seconds=0, background=True)
    async with app.run_test(size=(120, 40)) as pilot:
        shown = await _notified(app, pilot, "demo houses could not be made")
        failed = [text for text in shown if "demo houses could not be made" in text]
        assert failed == ["demo houses could not be made: IntegrityError"], shown
        assert "买买提" not in " ".join(shown)  # the database's message (here a name) is not shown
    assert house_reads.entities(demo.db) == [] and houses.register_rows(demo, "") == []
