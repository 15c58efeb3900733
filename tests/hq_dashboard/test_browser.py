"""The dashboard as district staff use it: a real headless Chromium against the real HQ server.

Assertions are on the rendered page (what is visible, computed layout, SVG drawn), not only on HTML."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime

import httpx

from counter.request_signing import sign_request
from tests.hq_dashboard.conftest import ADMIN, PASSWORD, VIEWER, shot, sign_in
from tests.sync.fixtures import REPO, HQServer, cli_env


def test_sign_in_then_every_page(district, page):
    store, server, stations = district
    page.goto(f"{server.url}/dash/stats")
    assert page.url.startswith(f"{server.url}/dash/login")  # no session: the sign-in page
    shot(page, "login")
    sign_in(page, server)
    page.wait_for_url("**/dash/health")
    assert page.locator("#who").inner_text() == ADMIN
    rows = page.locator("#health tbody tr")
    assert rows.count() == 3
    assert page.locator("#count-stations").inner_text() == "3"
    assert page.locator("#health tbody tr[data-station='HP-01'] td").nth(0).is_visible()
    shot(page, "health")

    page.goto(f"{server.url}/dash/figures")
    total = int(page.locator("#total-week").inner_text())
    with store.transaction() as tx:
        assert total == tx.one("SELECT COUNT(*) FROM hq_journal WHERE kind LIKE 'service.%'"
                               " AND business_day >= ?", (page.locator("#figures-week").get_attribute("id") and
                                                          _week_start(),))[0]
    shot(page, "figures")

    page.goto(f"{server.url}/dash/stats?by=education,age")
    assert "不予公布" in page.locator("#footnote").inner_text()
    cells = page.locator("#stats td").all_inner_texts()
    assert cells and all(c == "*" or int(c) >= 5 or c == "0" for c in cells)
    # the bars are drawn: real boxes with width, one per age band
    bars = page.locator("#chart-age svg rect.bar")
    assert bars.count() == 5
    assert all(bars.nth(i).bounding_box()["width"] > 0 for i in range(bars.count()))
    tiles = page.locator("#chart-map g.province")
    assert tiles.count() == 34
    hebei = page.locator("#chart-map g[data-code='13'] .tile-value").text_content()
    assert hebei == "*" or int(hebei) >= 0
    assert page.locator("#chart-map g[data-code='13'] rect").bounding_box()["width"] > 40
    shot(page, "stats")

    page.goto(f"{server.url}/dash/expiring")
    assert page.locator("#expiring").is_visible()
    shot(page, "expiring")
    page.goto(f"{server.url}/dash/register")
    assert int(page.locator("#total-persons").inner_text()) > 0
    shot(page, "register")
    page.goto(f"{server.url}/dash/audit")
    assert page.locator("#audit tbody tr").count() > 3
    shot(page, "audit")


def _week_start() -> str:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return (today - timedelta(days=today.weekday())).isoformat()


def test_rendered_chinese_uses_a_cjk_font_and_nothing_leaves_hq(district, page):
    store, server, stations = district
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server.url) else None)
    sign_in(page, server)
    page.goto(f"{server.url}/dash/stats?by=origin")
    assert outside == []
    # the header's Chinese text is laid out (not tofu boxes): its width is that of real glyphs
    box = page.locator("header h1").bounding_box()
    assert box["width"] > 200
    css = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "WenQuanYi Zen Hei" in css


def test_english(district, page):
    store, server, stations = district
    sign_in(page, server)
    page.wait_for_url("**/dash/health")
    page.click("#switch-lang")
    page.wait_for_url("**/dash/health")
    assert page.locator("h2").first.inner_text() == "Station health"
    page.goto(f"{server.url}/dash/stats?by=origin")
    assert "Other province" in page.locator("#stats").inner_text()
    assert "not published" in page.locator("#footnote").inner_text()
    # every English province name is whole and inside its tile (none cut, none spilling over)
    tiles = page.locator("#chart-map g.province")
    names = {}
    for i in range(tiles.count()):
        tile = tiles.nth(i)
        rect = tile.locator("rect").bounding_box()
        for label in tile.locator(".tile-name").all():
            box = label.bounding_box()
            assert rect["x"] - 0.5 <= box["x"] and box["x"] + box["width"] <= rect["x"] + rect["width"] + 0.5
        names[tile.get_attribute("data-code")] = " ".join(tile.locator(".tile-name").all_text_contents())
    assert names["15"] == "Inner Mongolia" and names["23"] == "Heilongjiang" and names["81"] == "Hong Kong"
    # the darkest shades carry white text, the light ones dark text
    dark = page.locator("#chart-map g.on-dark .tile-value")
    assert dark.count() >= 1
    assert dark.first.evaluate("e => getComputedStyle(e).fill") == "rgb(255, 255, 255)"
    light = page.locator("#chart-map g.province:not(.on-dark) .tile-value").first
    assert light.evaluate("e => getComputedStyle(e).fill") == "rgb(31, 41, 51)"
    shot(page, "stats-en")


def test_csrf_is_refused_on_every_form(district, page):
    store, server, stations = district
    sign_in(page, server)
    page.wait_for_url("**/dash/health")
    for path in ("/dash/logout", "/dash/lang"):
        r = page.request.post(f"{server.url}{path}", form={"lang": "en"})  # the session cookie, no token
        assert r.status == 403
        r = page.request.post(f"{server.url}{path}", form={"lang": "en", "csrf": "forged"})
        assert r.status == 403
    page.goto(f"{server.url}/dash/health")
    assert page.locator("#who").inner_text() == ADMIN  # still signed in, still Chinese
    assert page.locator("h2").first.inner_text() == "工作站状态"
    # the sign-in form's own token: a post without it is refused before the password is looked at
    r = page.request.post(f"{server.url}/dash/login", form={"name": ADMIN, "password": PASSWORD})
    assert r.status == 403


def test_a_forged_cross_site_form_does_not_sign_out(district, page, tmp_path):
    store, server, stations = district
    sign_in(page, server)
    page.wait_for_url("**/dash/health")
    # a page elsewhere that auto-posts to HQ: the cookie is SameSite=Strict and the form has no token
    page.set_content(f'<form id="f" method="post" action="{server.url}/dash/logout"></form>'
                     '<script>document.getElementById("f").submit()</script>')
    page.wait_for_load_state()
    page.goto(f"{server.url}/dash/health")
    assert page.locator("#who").inner_text() == ADMIN


def test_lockout_after_five_wrong_passwords(district, page):
    store, server, stations = district
    for _ in range(4):
        sign_in(page, server, VIEWER, "wrong password!")
        assert "错误" in page.locator("#error").inner_text()
    sign_in(page, server, VIEWER, "wrong password!")
    assert "锁定" in page.locator("#error").inner_text()
    sign_in(page, server, VIEWER, PASSWORD)  # the right password, still locked
    assert "锁定" in page.locator("#error").inner_text()
    shot(page, "locked")
    r = subprocess.run([sys.executable, "-m", "counter", "hq", "user", "unlock", VIEWER, "--db", server.db_url],
                       cwd=REPO, env=cli_env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    sign_in(page, server, VIEWER, PASSWORD)
    page.wait_for_url("**/dash/health")
    # a viewer sees the pages, not the audit
    page.goto(f"{server.url}/dash/audit")
    assert page.locator("#error").is_visible()
    assert page.locator("nav a[href='/dash/audit']").count() == 0


def test_audit_records_who_viewed_what(district, page):
    store, server, stations = district
    sign_in(page, server, VIEWER, PASSWORD)
    page.wait_for_url("**/dash/health")
    page.goto(f"{server.url}/dash/stats?by=sex&from=2026-01-01")
    with store.transaction() as tx:
        rows = tx.all("SELECT name, action, target FROM hq_staff_audit WHERE name = ? ORDER BY audit_id", (VIEWER,))
    assert ("lee.viewer", "view", "health") in rows
    assert any(a == "view" and re.match(r"stats by=sex from=2026-01-01 to=", t) for _, a, t in rows)
    assert any(a == "sign_in" for _, a, t in rows)


def test_station_signature_does_not_open_the_dashboard_nor_a_session_the_api(district, page):
    store, server, stations = district
    st = stations["HP-01"]
    url = f"{server.url}/dash/health"
    headers = sign_request(st.key.private, st.key.key_id, "GET", url, b"", now=datetime.now(UTC))
    r = httpx.get(url, headers=headers, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/dash/login")
    sign_in(page, server)
    page.wait_for_url("**/dash/health")
    r = page.request.get(f"{server.url}/v1/stations/HP-01/cursor")
    assert r.status == 401
    # the cookie is scoped to /dash: the browser does not even send it to /v1
    cookies = page.context.cookies()
    assert {c["name"]: c["path"] for c in cookies}["counter_dash"] == "/dash"
    assert all(c["httpOnly"] and c["sameSite"] == "Strict" for c in cookies if c["name"] == "counter_dash")


def test_assets_are_served_by_hq_and_nothing_else_is(district, page):
    store, server, stations = district
    sign_in(page, server)
    r = page.request.get(f"{server.url}/dash/assets/HanaMinB.ttf")
    assert r.status == 200 and r.headers["content-type"] == "font/ttf" and len(r.body()) > 1_000_000
    assert page.request.get(f"{server.url}/dash/assets/dash.css").status == 200
    for bad in ("..%2F..%2Fhq.db", "hq.key", "%2Fetc%2Fpasswd"):
        assert page.request.get(f"{server.url}/dash/assets/{bad}").status == 404


DUP_NUMBER = "110101199003071234"


def _conflict_rows(n: int) -> list[tuple]:
    return [(f"P{i:03d}", "double_extend", "HP-01", 10 + i, "service.permit_extend", "SH-01", 20 + i,
             "service.permit_extend", f"2026-12-02T00:{i % 60:02d}:00Z", "open" if i % 5 else "resolved")
            for i in range(n)]


def test_register_lists_duplicates_and_conflicts_masked_and_paged(district, page):
    # the district register's lists as staff read them: who is involved (stations), masked, 50 a page
    store, shared, stations = district
    # its own server process: the duplicates scan of an earlier page view is kept for a minute
    server = HQServer(shared.db_url, shared.key_dir).start()
    with store.transaction() as tx:
        for pid, name, sid in (("dup-a", "𠮷永康", "HP-01"), ("dup-b", "阿依古丽·买买提", "SH-01")):
            tx.execute("INSERT INTO persons (person_id, doc_type, id_number, name, birth_date, registered_seq,"
                       " updated_seq, station_id, household_area) VALUES (?, 'citizen_id', ?, ?, '1990-03-07', 1, 1,"
                       " ?, '110101')", (pid, DUP_NUMBER, name, sid))
        for row in _conflict_rows(60):
            tx.execute("INSERT INTO hq_register_conflicts (permit_id, kind, first_station_id, first_seq, first_kind,"
                       " second_station_id, second_seq, second_kind, detected_at, status)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
    try:
        sign_in(page, server, VIEWER, PASSWORD)
        page.wait_for_url("**/dash/health")
        page.goto(f"{server.url}/dash/register")
        assert page.locator("#total-open_conflicts").inner_text() == "48"
        group = page.locator("#duplicates tbody tr[data-kind='same_number']")
        assert group.count() == 1
        assert "全区人口库" in page.locator("#scanned").inner_text()
        text = group.inner_text()
        assert "110101********1234" in text and "HP-01" in text and "SH-01" in text
        assert "𠮷**" in text and "阿***·***" in text  # first character only; the middle dot stays
        body = page.locator("body").inner_text()
        assert DUP_NUMBER not in body and "𠮷永康" not in body and "买买提" not in body
        rows = page.locator("#conflicts tbody tr")
        assert rows.count() == 50
        first = rows.first
        assert first.get_attribute("class") == "bad" and "未解决" in first.inner_text()
        assert "P0" not in page.locator("#conflicts").inner_text().replace("P0*", "")  # permit numbers masked
        assert "第 1 / 2 页，共 60 条" in page.locator("#cpage-pager").inner_text()
        shot(page, "register-lists")
        with page.expect_navigation():
            page.click("#cpage-pager a[rel='next']")
        assert page.locator("#conflicts tbody tr").count() == 10
        # open ones first, then the resolved, each newest first: page 2 ends with resolved ones
        assert "已解决" in page.locator("#conflicts tbody tr").last.inner_text()
        page.goto(f"{server.url}/dash/register?cpage=999&dpage=-3")  # out of range: the last page, the first
        assert page.locator("#conflicts tbody tr").count() == 10
        with store.transaction() as tx:
            targets = [r[0] for r in tx.all("SELECT target FROM hq_staff_audit WHERE name = ? AND action = 'view'"
                                            " AND target LIKE 'register%' ORDER BY audit_id", (VIEWER,))]
        assert targets[-3:] == ["register dpage=1 cpage=1", "register dpage=1 cpage=2", "register dpage=1 cpage=999"]
        # the health page counts each station's open conflicts (resolved ones do not count)
        page.goto(f"{server.url}/dash/health")
        row = page.locator("#health tbody tr[data-station='HP-01'] td")
        assert row.nth(7).inner_text() == "48"
        page.evaluate("document.cookie")  # nothing scripted: the page works without script
    finally:
        server.stop()
        with store.transaction() as tx:
            tx.execute("DELETE FROM hq_register_conflicts")
            tx.execute("DELETE FROM persons WHERE person_id IN ('dup-a', 'dup-b')")


def test_register_page_in_english_and_empty(district, page):
    store, server, stations = district
    sign_in(page, server)
    page.wait_for_url("**/dash/health")
    page.click("#switch-lang")
    page.wait_for_url("**/dash/health")
    page.goto(f"{server.url}/dash/register")
    assert page.locator("h2").first.inner_text() == "Duplicates and conflicts"
    assert page.locator("#no-conflicts").inner_text() == "None."
    assert page.locator("header").bounding_box()["height"] < 60  # the English header on one line at 1280 px
    shot(page, "register-en")


def test_stats_download_is_the_suppressed_table_and_audited(district, page):
    store, server, stations = district
    sign_in(page, server)
    page.goto(f"{server.url}/dash/stats?by=origin,age")
    with page.expect_download() as info:
        page.click("#export-csv")
    data = open(info.value.path(), encoding="utf-8-sig").read()
    assert "合计" in data and "不予公布" in data
    names = [r[0] for r in stations["HP-01"].db.conn.execute("SELECT name FROM persons LIMIT 30")]
    assert not any(n in data for n in names)
    with store.transaction() as tx:
        assert tx.one("SELECT COUNT(*) FROM hq_staff_audit WHERE action = 'export' AND target LIKE 'stats csv by=origin,age%'")[0] == 1


def test_sign_in_is_rate_limited_per_address_with_a_429_page(browser, tmp_path):
    # its own HQ (3 failed sign-ins a minute per address), so the other tests' failures do not count here
    from counter.hq import admin, staff
    from counter.hq.store import open_store

    key, _ = admin.init_keys(tmp_path / "keys")
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = open_store(url, key)
    store.init_schema()
    staff.add_user(store, ADMIN, "admin", PASSWORD)
    server = HQServer(url, tmp_path / "keys", extra_args=("--signin-rate", "3/minute")).start()
    context = browser.new_context(viewport={"width": 1280, "height": 700}, locale="zh-CN")
    page = context.new_page()
    try:
        for name in ("guess-1", "guess-2", ADMIN):  # a spray over names: the address counts, not the account
            sign_in(page, server, name, "wrong password!")
            assert "错误" in page.locator("#error").inner_text()
        page.goto(f"{server.url}/dash/login")
        page.fill("#name", ADMIN)
        page.fill("#password", PASSWORD)  # even the right password: no password is checked now
        with page.expect_navigation() as nav:
            page.click("#submit")
        response = nav.value
        assert response.status == 429
        wait = int(response.headers["retry-after"])
        assert 0 < wait <= 60
        text = page.locator("#error").inner_text()
        assert "登录失败次数过多" in text and "秒后再试" in text
        assert "counter_dash" not in {c["name"] for c in context.cookies()}
        shot(page, "signin-rate-limited")
        context.add_cookies([{"name": "counter_dash_lang", "value": "en", "url": server.url}])
        r = httpx.post(f"{server.url}/dash/login", data={"name": ADMIN, "password": PASSWORD, "csrf": "x"},
                       cookies={"counter_dash_login": "x", "counter_dash_lang": "en"})
        assert r.status_code == 429 and "Too many failed sign-ins" in r.text and "retry-after" in r.headers
        with store.transaction() as tx:
            limited = tx.one("SELECT COUNT(*) FROM hq_staff_audit WHERE action = 'sign_in.rate_limited'"
                             " AND client = '127.0.0.1'")[0]
        assert limited == 1  # refusals are audited once a minute per address, however many arrive
    finally:
        context.close()
        server.stop()


def test_health_pages_many_stations_with_those_needing_a_look_first(district, page):
    store, server, stations = district
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with store.transaction() as tx:
        for i in range(150):  # 150 stations in touch, one of them quarantined
            tx.execute("INSERT INTO hq_stations (station_id, cursor_seq, cursor_hash, quarantined, enrolled_at,"
                       " last_contact, last_clock_offset_s) VALUES (?, 0, ?, ?, ?, ?, 0.5)",
                       (f"ZZ-{i:03d}", "0" * 64, int(i == 140), now, now))
    try:
        sign_in(page, server)
        page.wait_for_url("**/dash/health")
        assert page.locator("#count-stations").inner_text() == "153"
        rows = page.locator("#health tbody tr")
        assert rows.count() == 100
        first = rows.first
        assert first.get_attribute("data-station") == "ZZ-140" and first.get_attribute("class") == "bad"
        assert "是" in first.locator("td").nth(4).inner_text()
        assert "第 1 / 2 页，共 153 条" in page.locator("#health-pager").inner_text()
        # right-aligned figures from the stylesheet
        assert rows.nth(1).locator("td").nth(3).evaluate("e => getComputedStyle(e).textAlign") == "right"
        shot(page, "health-paged")
        with page.expect_navigation():
            page.click("#health-pager a[rel='next']")
        assert page.locator("#health tbody tr").count() == 53
        assert page.locator("#health tbody tr[data-station='ZZ-149']").count() == 1
        with store.transaction() as tx:
            assert tx.one("SELECT COUNT(*) FROM hq_staff_audit WHERE action = 'view' AND target = 'health page=2'")[0] >= 1
    finally:
        with store.transaction() as tx:
            tx.execute("DELETE FROM hq_stations WHERE station_id LIKE 'ZZ-%'")


def test_stats_page_shows_inflow_and_outflow_per_month(district, page):
    store, server, stations = district
    sign_in(page, server, VIEWER, PASSWORD)
    page.wait_for_url("**/dash/health")
    page.goto(f"{server.url}/dash/stats?from=2026-01-01&to=2026-12-31")
    page.select_option("#by", "flow:month")
    with page.expect_navigation():
        page.click("#show")
    head = page.locator("#stats tr").first.inner_text()
    assert "流入（登记开始）" in head and "流出（登记结束）" in head
    months = page.locator("#stats tr th:first-child").all_inner_texts()
    assert [m for m in months if m.startswith("2026-")] == [f"2026-{m:02d}" for m in range(1, 13)]
    cells = page.locator("#stats td").all_inner_texts()
    assert cells and all(c == "*" or c == "0" or int(c) >= 5 for c in cells)
    shot(page, "stats-flow")
    with page.expect_download() as info:
        page.click("#export-csv")
    assert info.value.suggested_filename == "district-stats-flow-month-2026-01-01-2026-12-31.csv"
    with store.transaction() as tx:
        assert tx.one("SELECT COUNT(*) FROM hq_staff_audit WHERE name = ? AND action = 'view'"
                      " AND target = 'stats by=flow:month from=2026-01-01 to=2026-12-31'", (VIEWER,))[0] == 1


def test_malformed_page_parameters_never_give_a_5xx(district, page):
    store, server, stations = district
    sign_in(page, server)
    page.wait_for_url("**/dash/health")
    for path in ("/dash/health?page=-1", "/dash/health?page=99999999999", "/dash/health?page=%00",
                 "/dash/register?cpage=abc&dpage=1e9", "/dash/register?cpage=0", "/dash/stats?by=flow:day",
                 "/dash/stats?by=flow:week&from=2026-13-01&to=x", "/dash/stats/export?by=flow:month&fmt=pdf",
                 "/dash/stats?by=" + "a" * 5000):
        r = page.request.get(f"{server.url}{path}")
        assert r.status == 200, (path, r.status)
    # the sign-in form: oversized and odd bodies read as an empty form (403: no token), never a 5xx
    for body, ctype in ((b"x" * 100_000, "application/x-www-form-urlencoded"), (b"\xff\xfe", "application/x-www-form-urlencoded"),
                        (b"{}", "application/json")):
        r = httpx.post(f"{server.url}/dash/login", content=body, headers={"content-type": ctype})
        assert r.status_code == 403, r.status_code
