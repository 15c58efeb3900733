"""The real stack: pcscd + vsmartcard-vpcd + our simulated cards + our PC/SC reader and watcher."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devices import identity
from devices.errors import (
    CARD_REMOVED,
    MRZ_MISMATCH,
    NO_CARD,
    NO_READER,
    NO_SERVICE,
    UNSUPPORTED_CARD,
    CardError,
)
from devices.lds import load_csca_dir
from devices.pcsc import PcscBackend
from devices.sim import samples
from devices.watcher import (
    CardInserted,
    CardRead,
    CardRemoved,
    CardWatcher,
    MrzKeyRequired,
    ReaderError,
    ReaderReady,
)
from tests.devices.events import Events

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.pcsc


def card(sample_id, pki=None, **options):
    return samples.card_for(samples.get(sample_id), pki, **options)


def test_reads_td3_passport_with_extended_length(stack, test_pki):
    pki, trust = test_pki
    stack.insert(card("passport-chn", pki))
    stack.wait_card(True)
    backend = PcscBackend("Virtual PCD 00 00")
    try:
        result = backend.read_card(mrz_key=samples.get("passport-chn").mrz_key, csca_certs=load_csca_dir(trust))
    finally:
        backend.close()
    doc = result.document
    assert doc.name == "欧阳䶮"
    assert doc.authenticity == identity.VERIFIED
    assert doc.face_image.startswith(b"\xff\xd8")
    assert result.apdus == 8  # SELECT, GET CHALLENGE, EXT AUTH, EF.COM, DG1, DG2, DG11, EF.SOD
    assert result.reader == "Virtual PCD 00 00"


def test_reads_sscard_through_t0_status_words(stack):
    stack.insert(card("sscard-ayigul"))
    stack.wait_card(True)
    backend = PcscBackend()
    try:
        result = backend.read_card()
    finally:
        backend.close()
    assert result.document.name == "阿依古丽·买买提"
    assert result.document.ethnicity == "05"
    assert result.apdus == 5


def test_short_only_card_is_read_in_231_byte_chunks(stack, test_pki):
    pki, trust = test_pki
    stack.insert(card("idcard-td1", pki, extended=False))
    stack.wait_card(True)
    backend = PcscBackend()
    try:
        result = backend.read_card(mrz_key=samples.get("idcard-td1").mrz_key, csca_certs=load_csca_dir(trust))
    finally:
        backend.close()
    assert result.document.face_format == "jp2"
    assert result.document.authenticity == identity.VERIFIED
    assert result.apdus > 3 + 4 + len(result.document.face_image) // 231


def test_wrong_mrz_key(stack, test_pki):
    stack.insert(card("passport-deu", test_pki[0]))
    stack.wait_card(True)
    backend = PcscBackend()
    try:
        with pytest.raises(CardError) as err:
            backend.read_card(mrz_key=samples.get("idcard-td1").mrz_key)
    finally:
        backend.close()
    assert err.value.state == MRZ_MISMATCH
    assert err.value.message.startswith("MRZ does not match this document")


def test_unknown_card(stack):
    stack.insert(card("unknown-card"))
    stack.wait_card(True)
    backend = PcscBackend()
    try:
        with pytest.raises(CardError) as err:
            backend.read_card()
    finally:
        backend.close()
    assert err.value.state == UNSUPPORTED_CARD


def test_no_card_and_no_matching_reader(stack):
    backend = PcscBackend()
    try:
        assert backend.status(0.0).card_present is False
        with pytest.raises(CardError) as err:
            backend.read_card()
        assert err.value.state == NO_CARD
    finally:
        backend.close()
    backend = PcscBackend("No such reader")
    with pytest.raises(CardError) as err:
        backend.status(0.0)
    assert err.value.state == NO_READER


def test_watcher_card_pulled_mid_read_then_clean_retry(stack, test_pki):
    pki, trust = test_pki
    events = Events()
    watcher = CardWatcher(PcscBackend(), events, csca_dir=str(trust)).start()
    try:
        events.until(ReaderReady)
        watcher.set_mrz_key(samples.get("passport-deu").mrz_key)
        sim = stack.insert(card("passport-deu", pki), pull_after=5, reconnect=False)
        events.until(CardInserted)
        error = events.until(ReaderError)
        assert (error.state, error.retryable) == (CARD_REMOVED, True), error.detail
        events.until(CardRemoved)
        sim.stop()
        stack.insert(card("passport-deu", pki))  # the clerk puts it back
        read = events.until(CardRead)
        assert read.document.surname == "MUELLER"
        assert read.document.authenticity == identity.VERIFIED
        assert read.apdus == 7
    finally:
        watcher.stop()


def test_watcher_survives_pcscd_restart_and_reader_unplug(stack):
    events = Events()
    watcher = CardWatcher(PcscBackend(), events).start()
    try:
        events.until(ReaderReady)
        stack.insert(card("sscard-ji"))  # reconnects to vpcd whenever pcscd comes back
        assert events.until(CardRead).document.name == "𠮷永康"

        stack.stop()
        assert events.until(ReaderError).state == NO_SERVICE
        stack.start()
        events.until(ReaderReady)
        assert events.until(CardRead).document.name == "𠮷永康"

        stack.restart(readers=False)  # pcscd up, the reader gone: as if unplugged
        assert events.until(ReaderError, state=NO_READER).message.startswith("no card reader")
        stack.restart(readers=True)  # plugged back in
        events.until(ReaderReady)
        assert events.until(CardRead).document.name == "𠮷永康"
        assert watcher.alive
    finally:
        watcher.stop()


def test_watcher_asks_for_mrz_key_over_pcsc(stack, test_pki):
    events = Events()
    watcher = CardWatcher(PcscBackend(), events).start()
    try:
        events.until(ReaderReady)
        stack.insert(card("idcard-td1", test_pki[0]))
        events.until(MrzKeyRequired)
        watcher.set_mrz_key(samples.get("passport-deu").mrz_key)
        assert events.until(ReaderError).state == MRZ_MISMATCH
        watcher.set_mrz_key(samples.get("idcard-td1").mrz_key)
        doc = events.until(CardRead).document
        assert doc.authenticity == identity.NOT_VERIFIED  # no csca_dir given to this watcher
    finally:
        watcher.stop()


def _cli(*args, env_extra=None, timeout=60):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "counter", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_cli_simulate_card_and_read_json(stack, tmp_path):
    """Both CLI ends: `devices simulate-card` feeding vpcd, `devices read --json` reading it."""
    pki_dir = tmp_path / "pki"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sim = subprocess.Popen([sys.executable, "-m", "counter", "devices", "simulate-card", "--profile", "icao",
                            "--td1", "--port", str(stack.port), "--pki-dir", str(pki_dir)],
                           cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stack.wait_card(True, timeout=20)
        key = samples.get("idcard-td1").mrz_key
        key_text = f"{key.document_number}:{key.birth_date}:{key.expiry_date}"
        out = _cli("devices", "read", "--json", "--mrz-key", key_text, "--csca-dir", str(pki_dir),
                   "--data-dir", str(tmp_path / "nostation"))
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        assert data["doc_type"] == "emrtd_td1"
        assert data["authenticity"] == "verified"
        assert data["face_format"] == "jp2" and data["face_image"]["length"] > 5000
        assert data["apdus"] == 7 and data["elapsed_ms"] > 0
        wrong = _cli("devices", "read", "--json", "--mrz-key", "X1234567:800101:300101",
                     "--data-dir", str(tmp_path / "nostation"))
        assert wrong.returncode == 4
        assert wrong.stderr.startswith("error: MRZ does not match this document")
        assert "Traceback" not in wrong.stderr
    finally:
        sim.terminate()
        sim.wait(10)
    stack.wait_card(False)


def test_cli_read_with_no_card(stack, tmp_path):
    out = _cli("devices", "read", "--data-dir", str(tmp_path / "nostation"))
    assert out.returncode == 3
    assert out.stderr.strip() == "error: no card in the reader"


def test_checkin_over_pcsc_identifies_the_card(stack, tmp_path, test_pki):
    from counter.services.checkin import run_checkin
    from counter.station import Station

    station = Station.init(tmp_path / "st", "T-03", "210102", "测试大厅",
                           reader={"kind": "pcsc", "reader_name": "Virtual PCD 00 00", "csca_dir": str(test_pki[1])})
    try:
        empty = run_checkin(station)
        assert empty["ok"] is True and empty["card"]["status"] == "no_card"
        assert "Virtual PCD 00 00" in empty["reader"]["readers"]
        assert empty["reader"]["csca_certificates"] == 1
        stack.insert(card("passport-deu", test_pki[0]))
        stack.wait_card(True)
        result = run_checkin(station, None)
        assert result["card"]["profile"] == "icao" and result["card"]["apdus"] == 1
        row = station.db.conn.execute("SELECT ok FROM device_checkins WHERE seq = ?", (result["seq"],)).fetchone()
        assert row[0] == 1
    finally:
        station.close()


def test_cli_simulate_sscard_with_data_options(stack, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sim = subprocess.Popen([sys.executable, "-m", "counter", "devices", "simulate-card", "--profile", "sscard",
                            "--name", "阿依古丽·𠮷", "--citizen-id", "65010219951103246X", "--ethnicity", "05",
                            "--sex", "F", "--birth", "1995-11-03", "--port", str(stack.port)],
                           cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stack.wait_card(True, timeout=20)
        out = _cli("devices", "read", "--json", "--data-dir", str(tmp_path / "nostation"))
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        assert (data["name"], data["citizen_id"], data["ethnicity"], data["sex"], data["birth_date"]) == (
            "阿依古丽·𠮷", "65010219951103246X", "05", "F", "1995-11-03")
        assert data["apdus"] == 5
    finally:
        sim.terminate()
        sim.wait(10)
    stack.wait_card(False)


def test_card_with_an_invalid_atr_is_unsupported(stack):
    from devices.sim.base import UnknownCard

    class BrokenAtrCard(UnknownCard):
        atr = b"\x12\x34"  # not an ATR: pcscd can agree no protocol with it

    events = Events()
    watcher = CardWatcher(PcscBackend(), events).start()
    try:
        events.until(ReaderReady)
        stack.insert(BrokenAtrCard())
        error = events.until(ReaderError)
        assert (error.state, error.detail) == (UNSUPPORTED_CARD, "PC/SC 0x8010000F")  # SCARD_E_PROTO_MISMATCH
        assert error.message == "this card is not a supported document; enter the data by hand"
    finally:
        watcher.stop()
