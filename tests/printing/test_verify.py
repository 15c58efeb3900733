"""Signed verification payloads and `counter cert verify` (real subprocesses, real keys)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from counter.services import printing as ps
from printing.verification import PREFIX, TokenError, decode_token, make_token

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("COUNTER_DATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "counter", *args, "--data-dir", str(data_dir)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def other_station(tmp_path):
    from counter.station import Station

    st = Station.init(tmp_path / "other", "DEMO-02", "210102", "另一个大厅")
    yield st
    st.close()


def test_token_is_ascii_and_roundtrips(station):
    token = ps.sign_verification(station, "permit_apply", "A1", "210102********1241", "2026-11-21")
    assert token.startswith(PREFIX) and token.isascii()
    # only QR alphanumeric-mode characters: the code stays small
    assert set(token) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    claims = ps.verify_payload(token, ps.trusted_keys(station.data_dir, station))
    assert (claims.kind, claims.number, claims.masked_id, claims.issue_date, claims.station_id) == (
        "permit_apply", "A1", "210102********1241", "2026-11-21", "DEMO-01")
    assert claims.key_id == station.key.key_id


def test_full_id_number_is_refused(station):
    with pytest.raises(ps.PrintJobError):
        ps.sign_verification(station, "x", "1", "210102199003071241", "2026-11-21")


def test_altered_payload_is_invalid(station):
    token = ps.sign_verification(station, "permit_apply", "A1", "210102********1241", "2026-11-21")
    keys = ps.trusted_keys(station.data_dir, station)
    # re-sign different claims with a different key but keep this station's kid: signature fails
    forged = make_token(kind="permit_apply", number="A2", masked_id="210102********1241", issue_date="2026-11-21",
                        station_id="DEMO-01", key_id=station.key.key_id, sign=lambda m: b"\0" * 64)
    with pytest.raises(ps.VerificationFailed, match="altered or forged"):
        ps.verify_payload(forged, keys)
    with pytest.raises(TokenError):
        decode_token(token[:-6])


def test_cli_verify_valid_altered_unknown_and_trusted(station, other_station):
    good = ps.sign_verification(station, "residence_certificate", "C1", "210102********1241", "2026-11-21")
    r = cli("cert", "verify", good, data_dir=station.data_dir)
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout and "C1" in r.stdout

    # one character of the signed body changed
    body = good[len(PREFIX):]
    i = len(body) // 2
    altered = PREFIX + body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1:]
    r = cli("cert", "verify", altered, data_dir=station.data_dir)
    assert r.returncode == 1 and r.stderr.startswith("error: invalid:"), r.stderr
    assert "Traceback" not in r.stderr

    foreign = ps.sign_verification(other_station, "residence_certificate", "C9", "210102********1241", "2026-11-21")
    r = cli("cert", "verify", foreign, data_dir=station.data_dir)
    assert r.returncode == 1 and "unknown key" in r.stderr

    # trust the other station's key by dropping its public key in keys/trusted/<STATION_ID>.pub
    trusted = station.data_dir / "keys" / "trusted"
    trusted.mkdir(parents=True)
    (trusted / "DEMO-02.pub").write_bytes(other_station.key.public_pem())
    r = cli("cert", "verify", foreign, "--json", data_dir=station.data_dir)
    assert r.returncode == 0 and '"station_id": "DEMO-02"' in r.stdout

    # a key trusted for one station cannot vouch for another station's claims
    (trusted / "DEMO-02.pub").rename(trusted / "DEMO-03.pub")
    r = cli("cert", "verify", foreign, data_dir=station.data_dir)
    assert r.returncode == 1 and "claims station DEMO-02" in r.stderr

    r = cli("cert", "verify", "hello", data_dir=station.data_dir)
    assert r.returncode == 1 and "not a counter verification payload" in r.stderr


def test_cli_sample_certificate_verifies_from_the_rendered_page(station, tmp_path):
    out = tmp_path / "sample.pdf"
    r = cli("cert", "sample", "--out", str(out), data_dir=station.data_dir)
    assert r.returncode == 0, r.stderr
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True, text=True).stdout
    assert ps.SAMPLE_NAME in text
    r = cli("cert", "verify", "--pdf", str(out), data_dir=station.data_dir)
    assert r.returncode == 0, r.stderr
    assert "residence_certificate" in r.stdout

    # a PDF without a QR code
    blank = tmp_path / "blank.pdf"
    from printing import pdf

    canvas = pdf.new_canvas(str(blank))
    pdf.draw_text(canvas, 72, 700, "没有二维码", 12)
    canvas.save()
    r = cli("cert", "verify", "--pdf", str(blank), data_dir=station.data_dir)
    assert r.returncode == 1 and "no verification QR code" in r.stderr


def test_verify_pdf_without_the_zbar_library_is_one_line(tmp_path):
    """pyzbar raises ImportError when Debian's libzbar0 is absent: say which package to install."""
    data = tmp_path / "st"
    init = subprocess.run([sys.executable, "-m", "counter", "init", "--data-dir", str(data), "--station-id", "Z-1",
                           "--district", "210102", "--office", "x"], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    code = ("import sys; sys.modules['pyzbar.pyzbar'] = None  # as if libzbar0 were missing\n"
            "from counter.cli import main\nmain(sys.argv[1:])\n")
    proc = subprocess.run([sys.executable, "-c", code, "cert", "verify", "--pdf", str(tmp_path / "x.pdf"),
                           "--data-dir", str(data)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr == "error: the zbar library is missing; install the Debian package libzbar0\n"


def test_pyzbar_is_a_runtime_dependency():
    """`counter cert verify --pdf` runs on a station, not only in the tests."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(dep.startswith("pyzbar") for dep in project["dependencies"])
