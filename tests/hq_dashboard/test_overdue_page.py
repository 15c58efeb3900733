"""The district's late reporters (art. 14, for 限期改正 art. 22) on the dashboard: a real headless Chromium
against the real HQ server, the list from `register.overdue.overdue` (what `counter hq overdue` prints), paged like
the health page, behind the staff session, every view audited."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from counter.hq import staff
from counter.hq.register.overdue import overdue
from counter.services import clerks, engine, houses
from counter.services.reports import file_report
from tests.houses.conftest import LANDLORD, citizen_id, credit_code, row
from tests.hq_dashboard.conftest import ADMIN, PASSWORD, shot, sign_in
from tests.stats.district import ingest_all, make_district
from tests.sync.fixtures import HQServer

EMPLOYER = credit_code("91210102MA0QC1234")
NAME = "𠮷祥餐饮有限公司"


@pytest.fixture(scope="module")
def late_district(tmp_path_factory):
    """One station whose landlord and employer reported late, synced to HQ, and HQ's server."""
    root = tmp_path_factory.mktemp("overdue")
    store, url, key_dir, stations = make_district(root, {"HP-01": 5})
    st = stations["HP-01"]
    clerk = clerks.add_clerk(st, "柜员乙", "clerk", "1234")
    landlord = {**LANDLORD, "id_number": citizen_id("210202", "19700101", 11), "household_address": "大连市中山区"}
    pid = engine.perform(st, "lodging_registration", landlord, clerk=clerk).person_id
    houses.add_house(st, clerk.clerk_id, house_code="HP-A001", address="沈阳市和平区南京北街1号", house_type="rental",
                     capacity=3, manager_ref=pid)
    houses.add_entity(st, clerk.clerk_id, entity_code=EMPLOYER, entity_type="employer", name=NAME,
                      contact_name="阿依古丽·买买提", contact_phone="13800000000", address="沈阳市和平区中华路5号")
    today = engine.business_date(st)
    file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code="HP-A001", report_type="move_in",
                rows=[row(1, "𠮷永康", citizen_id("110105", "19900101", 21), today - timedelta(days=8),
                          house_code="HP-A001")], today=today)
    file_report(st, clerk.clerk_id, reporter_kind="entity", reporter_code=EMPLOYER, report_type="hired",
                rows=[row(1, "阿依古丽·买买提", citizen_id("650102", "19950505", 22), today - timedelta(days=12),
                          house_code=None),
                      row(2, "王芳", citizen_id("130203", "19900301", 23), today - timedelta(days=9),
                          house_code=None)], today=today)
    ingest_all(store, st)
    staff.add_user(store, ADMIN, "admin", PASSWORD)
    server = HQServer(url, key_dir).start()
    yield store, server, today
    server.stop()
    st.close()


def test_the_overdue_list_is_a_dashboard_page(late_district, page):
    store, server, today = late_district
    page.goto(f"{server.url}/dash/overdue")
    assert page.url.startswith(f"{server.url}/dash/login")  # no session: the sign-in page, nothing listed
    sign_in(page, server)
    page.wait_for_url("**/dash/health")
    with page.expect_navigation():
        page.click("nav a[href='/dash/overdue']")
    rows = page.locator("#overdue tbody tr")
    assert rows.count() == 2
    cells = [c.strip() for c in rows.first.locator("td").all_inner_texts()]
    assert cells == ["单位", EMPLOYER, NAME, "1", "2", today.isoformat()]  # most late rows first
    assert rows.nth(1).get_attribute("data-code") == "HP-A001"
    assert "沈阳市和平区南京北街1号" in rows.nth(1).inner_text()
    # the page shows what `counter hq overdue` lists, in its order
    assert [r.get_attribute("data-code") for r in rows.all()] == [o["reporter_code"] for o in overdue(store)]
    assert rows.first.locator("td").nth(4).evaluate("e => getComputedStyle(e).textAlign") == "right"
    shot(page, "overdue")
    # a day after every report: none listed
    page.goto(f"{server.url}/dash/overdue?since={(today + timedelta(days=1)).isoformat()}")
    assert page.locator("#overdue").count() == 0 and page.locator("#overdue-none").is_visible()
    with store.transaction() as tx:
        views = [r[0] for r in tx.all("SELECT target FROM hq_staff_audit WHERE action = 'view'"
                                      " AND target LIKE 'overdue%' ORDER BY audit_id")]
    assert views == ["overdue since=- page=1", f"overdue since={(today + timedelta(days=1)).isoformat()} page=1"]


def test_many_late_reporters_are_paged(late_district, page):
    store, server, today = late_district
    with store.transaction() as tx:  # 60 more reporters, each one late row: after the two above
        for i in range(60):
            code = f"ZZ-{i:04d}"
            tx.execute("INSERT INTO houses (house_code, address, house_type, capacity, manager_person_id,"
                       " registered_on, updated_on) VALUES (?, ?, 'rental', 2, 'p', ?, ?)",
                       (code, f"沈阳市和平区测试路{i}号", today.isoformat(), today.isoformat()))
            tx.execute("INSERT INTO reports (report_id, reporter_kind, reporter_code, report_type, filed_on, source,"
                       " row_count, late_rows) VALUES (?, 'house', ?, 'move_in', ?, 'window', 1, 1)",
                       (uuid.uuid4().hex, code, (today - timedelta(days=i)).isoformat()))
    try:
        sign_in(page, server)
        page.wait_for_url("**/dash/health")
        page.goto(f"{server.url}/dash/overdue")
        assert page.locator("#overdue tbody tr").count() == 50
        assert "第 1 / 2 页，共 62 条" in page.locator("#overdue-pager").inner_text()
        with page.expect_navigation():
            page.click("#overdue-pager a[rel='next']")
        assert page.locator("#overdue tbody tr").count() == 12
        assert page.locator("#overdue tbody tr[data-code='ZZ-0059']").count() == 1  # the oldest, last
        # a filter keeps to its pages
        page.goto(f"{server.url}/dash/overdue?since={(today - timedelta(days=54)).isoformat()}")
        assert "共 57 条" in page.locator("#overdue-pager").inner_text()
        assert "since=" in page.locator("#overdue-pager a[rel='next']").get_attribute("href")
        with store.transaction() as tx:
            assert tx.one("SELECT COUNT(*) FROM hq_staff_audit WHERE action = 'view'"
                          " AND target = 'overdue since=- page=2'")[0] == 1
    finally:
        with store.transaction() as tx:
            tx.execute("DELETE FROM reports WHERE reporter_code LIKE 'ZZ-%'")
            tx.execute("DELETE FROM houses WHERE house_code LIKE 'ZZ-%'")
