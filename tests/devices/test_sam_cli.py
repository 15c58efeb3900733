"""`counter devices read --sam`, `devices readers` and the device check-in with a SAM reader,
as a user types them, against our simulated reader on a real pty."""

from __future__ import annotations

import json

import pytest

from devices.sim.sam_reader import SamSimulator


@pytest.fixture
def sim():
    s = SamSimulator().start()
    yield s
    s.stop()


def test_read_sam_json(cli, sim):
    sim.present("sam-ji")
    r = cli("devices", "read", "--sam", sim.port, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["name"] == "𠮷祥云" and out["doc_type"] == "resident_id" and out["ethnicity_name"] == "汉族"
    assert out["photo"] == "the photo needs the vendor's decoder (WLT)" and len(out["photo_sha256"]) == 64
    assert out["frames"] == 3 and out["reader"] == f"SAM {sim.port}"
    assert "face_image" not in out and "WLT" not in r.stdout.replace("(WLT)", "")


def test_read_sam_long_term_and_expired(cli, sim):
    sim.present("sam-longterm")
    out = json.loads(cli("devices", "read", "--sam", sim.port, "--json").stdout)
    assert out["long_term"] is True and out["expiry_date"] is None and out["expired"] is False
    sim.present("sam-expired")
    r = cli("devices", "read", "--sam", sim.port, "--json")
    assert json.loads(r.stdout)["expired"] is True and "expired on 2025-06-01" in r.stderr


def test_read_sam_suspect_card_warns(cli, sim):
    sim.present("sam-badcheck")
    r = cli("devices", "read", "--sam", sim.port)
    assert r.returncode == 0
    assert "suspect card" in r.stderr and "GB 11643" in r.stderr and "supervisor" in r.stderr


@pytest.mark.parametrize("fault, code, text", [
    ("none", 3, "no card in the reader"),
    ("sam_not_ready", 3, "security module is not ready"),
    ("silent", 3, "does not answer"),
    ("pull_mid_read", 5, "take the card away and present it again"),
])
def test_read_sam_faults_are_one_line(cli, sim, fault, code, text):
    if fault != "none":
        sim.present("sam-ji")
        setattr(sim, fault, True)
    r = cli("devices", "read", "--sam", sim.port)
    assert r.returncode == code, r.stderr
    assert text in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_read_sam_missing_port(cli):
    r = cli("devices", "read", "--sam", "/dev/ttyUSB-none")
    assert r.returncode == 3 and "no ID card reader on the serial port" in r.stderr
    assert r.stderr.count("\n") == 1


def _station(cli, tmp_path, port):
    d = tmp_path / "st"
    r = cli("init", "--data-dir", str(d), "--station-id", "S-01", "--district", "210102", "--office", "大厅")
    assert r.returncode == 0, r.stderr
    toml = (d / "station.toml").read_text(encoding="utf-8")
    toml += f'\n[reader]\nkind = "simulated"\nsam_port = "{port}"\n'
    (d / "station.toml").write_text(toml, encoding="utf-8")
    return d


def test_readers_lists_the_sam_reader_with_its_id(cli, sim, tmp_path):
    d = _station(cli, tmp_path, sim.port)
    r = cli("devices", "readers", "--data-dir", str(d), "--json")
    assert r.returncode == 0, r.stderr
    sam = json.loads(r.stdout)["sam"]
    assert sam == {"port": sim.port, "sam_id": "05.02-00123456-0987654321-1122334455", "status": "ready",
                   "detail": ""}
    r = cli("devices", "readers", "--data-dir", str(d))
    assert f"SAM {sim.port}: ready (SAM 05.02-00123456-0987654321-1122334455)" in r.stdout


def test_check_in_reports_the_sam_id_and_status(cli, sim, tmp_path):
    d = _station(cli, tmp_path, sim.port)
    r = cli("devices", "check", "--data-dir", str(d), "--json")
    result = json.loads(r.stdout)
    assert result["sam"]["status"] == "ready" and result["sam"]["sam_id"].startswith("05.02-")
    sim.sam_not_ready = True
    r = cli("devices", "check", "--data-dir", str(d), "--json")
    assert r.returncode == 1
    result = json.loads(r.stdout)
    assert result["sam"]["status"] == "sam_not_ready" and result["ok"] is False
    assert "security module" in result["sam"]["message"]


def test_samples_lists_the_sam_cards(cli):
    rows = json.loads(cli("devices", "samples", "--json").stdout)
    sam = {r["id"]: r["label"] for r in rows if r["profile"] == "sam"}
    assert sam["sam-ji"] == "居民身份证 𠮷祥云" and {"sam-foreigner", "sam-hmt", "sam-badcheck"} <= set(sam)
