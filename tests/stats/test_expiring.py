"""Expiring permits: the list (CLI and the TUI screen), the SMS gateway CSV, the printed list, all journaled."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from counter import expiring as E
from counter.services import clerks, engine
from counter.station import Station
from tests.conftest import run_cli
from tests.stats.test_station_stats import person

HOLDERS = [("130203", "1990-03-01", 11, "𠮷田", "13812345678"), ("130203", "1991-04-02", 13, "阿依古丽·买买提", "13912345678"),
           ("130203", "1992-05-03", 15, "王芳", "024-12345678")]


@pytest.fixture
def station(tmp_path):
    st = Station.init(tmp_path / "station", "T-01", "210102", "和平区政务服务中心", reader={"kind": "simulated"})
    clerk = clerks.add_clerk(st, "柜员甲", "clerk", "1234")
    clerks.add_clerk(st, "主管乙", "supervisor", "4321")
    past = datetime.now(UTC) - timedelta(days=360)  # a 1-year permit from then expires in about 5 days
    for area, birth, order, name, phone in HOLDERS:
        out = engine.perform(st, "residence_registration", person(area, birth, order, name, phone=phone),
                             clerk=clerk, now=past, build_document=False)
        engine.perform(st, "permit_apply", {"proof": "1", "validity_years": "1"}, person_id=out.person_id,
                       clerk=clerk, now=past, build_document=False)
    # one permit far from expiry
    out = engine.perform(st, "residence_registration", person("130203", "1993-06-04", 17, "李娜"), clerk=clerk,
                         build_document=False)
    engine.perform(st, "permit_apply", {"proof": "1", "validity_years": "3"}, person_id=out.person_id, clerk=clerk,
                   build_document=False)
    yield st
    st.close()


def kinds(st, kind):
    return [json.loads(r[0]) for r in st.db.conn.execute("SELECT payload FROM journal WHERE kind = ?", (kind,))]


def test_list_masks_ids_and_is_journaled(station):
    r = run_cli("permits", "expiring", "--data-dir", str(station.data_dir), "--json")
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)
    assert [i["name"] for i in items] == ["𠮷田", "阿依古丽·买买提", "王芳"]
    assert all("*" in i["id"] and len(i["id"]) == 18 for i in items)
    assert all(0 <= i["days_left"] <= 30 for i in items)
    listed = kinds(station, "expiry.listed")
    assert listed and listed[-1]["count"] == 3 and listed[-1]["how"] == "cli"


def test_sms_csv_layout_mode_and_journal(station, tmp_path):
    path = tmp_path / "sms.csv"
    r = run_cli("permits", "expiring", "--data-dir", str(station.data_dir), "--sms-csv", str(path))
    assert r.returncode == 0, r.stderr
    assert "1 holders without a mobile" in r.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"))))
    assert rows[0] == ["mobile", "content"]
    assert [row[0] for row in rows[1:]] == ["13812345678", "13912345678"]
    assert "𠮷田您好" in rows[1][1] and "阿依古丽·买买提" in rows[2][1] and "和平区政务服务中心" in rows[1][1]
    exported = kinds(station, "expiry.exported")
    assert exported[-1]["count"] == 2 and exported[-1]["skipped"] == 1 and exported[-1]["file"] == "sms.csv"


def test_printed_list_keeps_rare_characters_and_is_journaled(station, tmp_path):
    path = tmp_path / "list.pdf"
    r = run_cli("permits", "expiring", "--data-dir", str(station.data_dir), "--pdf", str(path))
    assert r.returncode == 0, r.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    assert "𠮷田" in text and "阿依古丽·买买提" in text
    assert "130203" in text and "1990030" not in text  # masked
    assert kinds(station, "expiry.printed")[-1]["count"] == 3


def test_marking_contacted_projects_and_survives_rebuild(station):
    today = engine.business_date(station)
    items = E.expiring(station, 30, today)
    E.mark_contacted(station, items[0], None)
    again = E.expiring(station, 30, today)
    assert [i.contacted for i in again] == [True, False, False]
    from db.rebuild import rebuild

    rebuild(station.db)
    assert [i.contacted for i in E.expiring(station, 30, today)] == [True, False, False]


def test_days_out_of_range_is_one_line(station):
    r = run_cli("permits", "expiring", "--data-dir", str(station.data_dir), "--days", "999")
    assert r.returncode == 2 and r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1


async def test_tui_list_marks_contacted_and_exports(station, tmp_path):
    from screens.app import CounterApp
    from screens.expiring import ExpiringScreen
    from tests.screens.conftest import sign_in

    app = CounterApp(station)
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot)
        await pilot.press("f7")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExpiringScreen)
        assert "3" in str(screen.query_one("#expiring-title").render())
        await pilot.press("down", "enter")
        await pilot.pause()
        assert [i.contacted for i in screen.items] == [False, True, False]
        await pilot.press("e")
        await pilot.pause()
        assert "短信文件已写入" in str(screen.query_one("#expiring-status").render())
        await pilot.press("p")
        await pilot.pause()
    contacted = kinds(station, "permit.holder_contacted")
    assert len(contacted) == 1 and contacted[0]["permit_id"] == screen.items[1].permit_id
    assert kinds(station, "expiry.listed")[-1]["how"] == "screen"
    exports = sorted(p.name for p in (station.data_dir / "exports").iterdir())
    assert any(n.startswith("sms-expiring-") for n in exports) and any(n.endswith(".pdf") for n in exports)
    assert all((station.data_dir / "exports" / n).stat().st_mode & 0o777 == 0o600 for n in exports)
