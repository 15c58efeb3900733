"""Device check-in: the service, its journal entry and projection, the CLI, and the Textual screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from counter.services.checkin import CHECKIN_KIND, run_checkin
from counter.station import Station
from devices.simulated import SimulatedReader

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def station(tmp_path):
    st = Station.init(tmp_path / "st", "T-01", "210102", "测试大厅", reader={"kind": "simulated"})
    yield st
    st.close()


def _last_entry(station):
    row = station.db.conn.execute("SELECT kind, payload FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0], json.loads(row[1])


def test_checkin_without_card_is_ok_and_recorded(station):
    result = run_checkin(station, None, reader_backend=SimulatedReader())
    assert result["ok"] is True
    assert result["reader"]["readers"] == ["Simulated reader"]
    assert result["card"]["status"] == "no_card"
    # the default printer of a new station is the simulated one, ready
    assert result["printer"]["status"] == "ready" and result["printer"]["ok"] is True
    kind, payload = _last_entry(station)
    assert kind == CHECKIN_KIND
    assert payload["ok"] is True
    row = station.db.conn.execute("SELECT ok, summary FROM device_checkins WHERE seq = ?",
                                  (result["seq"],)).fetchone()
    assert row[0] == 1 and json.loads(row[1])["card"]["status"] == "no_card"


def test_checkin_test_reads_a_card_without_personal_data(station):
    reader = SimulatedReader()
    reader.insert("sscard-ji")
    result = run_checkin(station, None, reader_backend=reader)
    assert result["card"] == {"ok": True, "status": "ok", "present": True, "profile": "sscard", "apdus": 1}
    _, payload = _last_entry(station)
    text = json.dumps(payload, ensure_ascii=False)
    assert "𠮷" not in text and "210102198804171352" not in text


def test_checkin_with_an_unsupported_card_is_not_ok(station):
    reader = SimulatedReader()
    reader.insert("unknown-card")
    result = run_checkin(station, None, reader_backend=reader)
    assert result["ok"] is False
    assert result["card"]["status"] == "unsupported_card"
    row = station.db.conn.execute("SELECT ok FROM device_checkins WHERE seq = ?", (result["seq"],)).fetchone()
    assert row[0] == 0


def test_printer_result_is_taken_from_the_printer_service(station):
    from counter.services.printing import simulated_dir
    from devices.printer import set_simulated_condition

    set_simulated_condition(simulated_dir(station), paper="out")
    result = run_checkin(station, None, reader_backend=SimulatedReader())
    assert result["printer"]["status"] == "paper_out"
    assert result["ok"] is False


def test_reader_kind_none_is_not_configured(tmp_path):
    st = Station.init(tmp_path / "st", "T-02", "210102", "测试大厅", reader={"kind": "none"})
    try:
        result = run_checkin(st)
        assert result["reader"]["status"] == "not_configured"
        assert result["ok"] is True
    finally:
        st.close()


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "counter", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_cli_check_json(station):
    out = _cli("devices", "check", "--json", "--data-dir", str(station.data_dir))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is True and data["reader"]["kind"] == "simulated"
    text = _cli("devices", "check", "--data-dir", str(station.data_dir))
    assert "printer: ready" in text.stdout


def test_cli_without_ui_does_not_import_textual(station):
    code = ("import sys\nfrom counter.cli import main\n"
            "try:\n    main(['devices', 'read', '--simulated', 'sscard-ji', '--json', '--data-dir', sys.argv[1]])\n"
            "except SystemExit:\n    pass\n"
            "print('TEXTUAL' if any(m == 'textual' or m.startswith('textual.') for m in sys.modules) else 'CLEAN')\n"
            "print('PYSCARD' if 'smartcard' in sys.modules else 'NO-PCSC')")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code, str(station.data_dir)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    tail = out.stdout.strip().splitlines()[-2:]
    assert tail == ["CLEAN", "NO-PCSC"], out.stdout + out.stderr  # the simulated reader needs no PC/SC stack
    assert '"name": "𠮷永康"' in out.stdout


async def test_checkin_screen_shows_lines_and_dismisses_with_result(station):
    from textual.app import App

    from counter.i18n import set_language
    from screens.checkin import CheckinScreen

    reader = SimulatedReader()
    reader.insert("sscard-ayigul")
    results = []

    class Host(App):
        def on_mount(self):
            self.push_screen(CheckinScreen(station, None, reader_backend=reader), results.append)

    set_language("zh_CN")
    try:
        app = Host()
        async with app.run_test() as pilot:
            screen = app.screen
            assert isinstance(screen, CheckinScreen)
            await app.workers.wait_for_complete()
            await pilot.pause()
            card_text = str(screen.query_one("#card").render())
            assert "试读卡" in card_text and "sscard" in card_text
            assert "打印机：" in str(screen.query_one("#printer").render())
            assert "未检查" not in str(screen.query_one("#printer").render())
            await pilot.press("enter")
            await pilot.pause()
        assert results and results[0]["ok"] is True
        assert results[0]["card"]["profile"] == "sscard"
    finally:
        set_language("zh_CN")


async def test_checkin_screen_in_english(station):
    from textual.app import App

    from counter.i18n import set_language
    from screens.checkin import CheckinScreen

    results = []

    class Host(App):
        def on_mount(self):
            self.push_screen(CheckinScreen(station, None, reader_backend=SimulatedReader()), results.append)

    set_language("en")
    try:
        app = Host()
        async with app.run_test() as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "no card in the reader" in str(app.screen.query_one("#card").render())
            assert "All devices ready" in str(app.screen.query_one("#verdict").render())
            await pilot.press("escape")
            await pilot.pause()
        assert results[0]["ok"] is True
    finally:
        set_language("zh_CN")


def test_cli_bad_options_give_one_line():
    out = _cli("devices", "simulate-card", "--profile", "bank")
    assert out.returncode == 2 and out.stderr.strip() == "error: --profile must be icao, sscard or unknown"
    out = _cli("devices", "read", "--simulated", "sscard-ji", "--mrz-key", "L898902C:6908:940623")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: --mrz-key: the birth date must be six digits YYMMDD"
    out = _cli("devices", "read", "--simulated", "nobody")
    assert out.returncode == 2 and "unknown sample 'nobody'" in out.stderr
