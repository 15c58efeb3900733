"""The report screen in a Pilot: pick the file in the tree, check it, review the rejects, record it."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, DirectoryTree, Input, ProgressBar, Static

from counter.services import engine, houses
from screens.app import CounterApp
from tests.houses.conftest import EMPLOYER
from tests.intake.conftest import HEADER_ZH, hired_rows, write_csv, write_xlsx
from tests.screens.conftest import CLERK, sign_in, station  # noqa: F401 (fixture)


def _employer(st):
    houses.add_entity(st, None, entity_code=EMPLOYER, entity_type="employer", name="沈阳和平建筑有限公司",
                      contact_name="联系人", contact_phone="024-23456789", address="沈阳市和平区中华路5号")


async def _wait(pilot, condition, tries=400):
    for _ in range(tries):
        await pilot.pause(0.05)
        if condition():
            return
    raise AssertionError("the screen never got there")


def _journal(st) -> int:
    return st.db.conn.execute("SELECT count(*) FROM journal").fetchone()[0]


async def test_pick_check_review_rejects_then_record(station, tmp_path):  # noqa: F811
    from screens.report_import import ReportImportScreen

    _employer(station)
    today = engine.business_date(station)
    files = tmp_path / "files"
    files.mkdir()
    bad = hired_rows(30, today - timedelta(days=1))
    bad[0][0] = "𠮷永康"
    bad[4][1] = bad[4][1][:-1] + ("0" if bad[4][1][-1] != "0" else "1")
    bad[9][2] = "2024-02-30"
    write_xlsx(files / "bad.xlsx", HEADER_ZH, bad)
    good = [row for i, row in enumerate(bad) if i not in (4, 9)]
    write_csv(files / "good.csv", HEADER_ZH, good, "gb18030")
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(130, 42)) as pilot:
        await sign_in(pilot)
        await pilot.press("f8")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportImportScreen)
        screen.query_one(DirectoryTree).path = files
        await pilot.pause(0.3)
        # choose bad.xlsx in the tree: the path field takes it
        tree = screen.query_one(DirectoryTree)
        await _wait(pilot, lambda: tree.root.children)
        node = next(n for n in tree.root.children if n.data.path.name == "bad.xlsx")
        tree.select_node(node)
        tree.post_message(DirectoryTree.FileSelected(node, node.data.path))
        await _wait(pilot, lambda: screen.query_one("#import-path", Input).value.endswith("bad.xlsx"))
        screen.query_one("#import-reporter", Input).value = EMPLOYER
        before = _journal(station)
        await pilot.press("f5")
        await _wait(pilot, lambda: screen.review is not None or "error" in screen.query_one("#import-status").classes)
        table = screen.query_one(DataTable)
        assert [table.get_row_at(i)[0] for i in range(2)] == ["6", "11"]  # the rejects first, by row number
        assert "校验码" in table.get_row_at(0)[4]
        assert table.row_count == 2 + 28 and table.get_row_at(2)[1] == "𠮷永康"
        assert "*" in table.get_row_at(2)[2]  # masked ID numbers on screen
        assert "2 行被拒绝" in str(screen.query_one("#import-status", Static).render())
        assert table.get_row_at(0)[1] == ""  # a row that does not parse shows only its reason
        await pilot.press("f10")  # refused: nothing recorded
        await pilot.pause(0.2)
        assert _journal(station) == before
        # the corrected file, typed as a path
        screen.query_one("#import-path", Input).value = str(files / "good.csv")
        await pilot.press("f5")
        await _wait(pilot, lambda: screen.review is not None and screen.review.path.name == "good.csv")
        assert "编码：GB18030" in str(screen.query_one("#import-summary", Static).render())
        assert screen.query_one(DataTable).row_count == 28
        await pilot.press("f10")
        await _wait(pilot, lambda: "已记录" in str(screen.query_one("#import-status", Static).render()))
        assert _journal(station) == before + 1 + 28 * 2
        assert station.db.conn.execute("SELECT count(*) FROM persons WHERE name = '𠮷永康'").fetchone()[0] == 1
        assert screen.query_one(ProgressBar).display is False


async def test_an_undecidable_file_is_one_line_on_the_screen(station, tmp_path):  # noqa: F811
    _employer(station)
    path = tmp_path / "big5.csv"
    path.write_bytes("姓名,身分證號碼\n張偉臺北市,1\n".encode("big5"))
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(130, 42)) as pilot:
        await sign_in(pilot)
        await pilot.press("f8")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#import-path", Input).value = str(path)
        screen.query_one("#import-reporter", Input).value = EMPLOYER
        await pilot.press("f5")
        status = screen.query_one("#import-status", Static)
        await _wait(pilot, lambda: "error" in status.classes)
        assert "既不是 UTF-8 也不是 GB18030" in str(status.render())


async def test_the_palette_opens_the_report_screen(station):  # noqa: F811
    from screens.report_import import ReportImportScreen

    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(130, 42)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        for ch in "导入申报":
            await pilot.press(ch)
        await pilot.pause(0.5)
        await pilot.press("enter")
        await _wait(pilot, lambda: isinstance(app.screen, ReportImportScreen))
    assert CLERK
