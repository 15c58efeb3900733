"""The export bundle: contents, every-byte integrity, encryption, atomic write, refusal of open days."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import tarfile

import pyrage
import pytest

from counter.errors import CounterError
from counter.services import dayclose, export
from counter.sync import bundle as day_bundle
from counter.sync.protocol import Batch
from db import journal
from tests.dayclose.conftest import PAST_DAY, cli_env, run_cli
from tests.dayclose.seed import SUPERVISOR, seed_day


@pytest.fixture
def closed_day(station):
    seed_day(station, PAST_DAY, 12, failed_prints=1)
    dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    return station


def members_of(data: bytes) -> dict[str, bytes]:
    return day_bundle.untar_members(data)


def test_bundle_holds_the_day_in_the_sync_encoding(closed_day, tmp_path):
    st = closed_day
    path, bundle = export.export_day(st, PAST_DAY, tmp_path / "out")
    assert path.name == f"counter-day-HP-01-{PAST_DAY}.tar" and path.read_bytes() == bundle.data
    with tarfile.open(path) as tar:
        assert tar.getnames() == list(day_bundle.MEMBERS)
    m = members_of(bundle.data)
    manifest = json.loads(m["manifest.json"])
    close_seq = st.db.conn.execute("SELECT closed_seq FROM day_closures").fetchone()[0]
    assert (manifest["station_id"], manifest["district"], manifest["business_day"]) == ("HP-01", "210102", PAST_DAY)
    assert manifest["first_seq"] == 1 and manifest["last_seq"] == manifest["close_seq"] == close_seq
    assert manifest["head_hash"] == journal.get(st.db, close_seq).hash
    assert manifest["software"]["version"] and manifest["closed"] is True
    # one canonical JSON line per entry, byte-identical to what sync sends
    lines = gzip.decompress(m["journal.jsonl.gz"]).decode().splitlines()
    stored = [journal.canonical_json(e.as_dict()) for e in journal.entries(st.db, 0, close_seq)]
    assert lines == stored
    assert "王𠮷" in "".join(lines) and "阿依古丽·买买提" in "".join(lines)
    batch = Batch.from_dict({**manifest["batch"], "entries": [json.loads(x) for x in lines]})
    assert batch.last_seq == close_seq and st.verify_signature(
        journal.head_message("HP-01", batch.last_seq, batch.head_hash), batch.signature)
    summary = day_bundle.parse_summary(m["summary.csv"])
    assert summary[("figure", "transactions")] == "12" and summary[("figure", "print_jobs_failed")] == "1"
    assert m["report.pdf"].startswith(b"%PDF")
    assert day_bundle.verify_bundle(bundle.data, st.key.public).manifest == manifest


def test_an_open_day_is_refused_unless_allowed(station, tmp_path):
    seed_day(station, PAST_DAY, 2)
    out = tmp_path / "out"
    with pytest.raises(CounterError, match="is not closed: its figures are not final.*--allow-open"):
        export.export_day(station, PAST_DAY, out)
    assert not out.exists()
    path, bundle = export.export_day(station, PAST_DAY, out, allow_open=True)
    verified = day_bundle.verify_bundle(path.read_bytes(), station.key.public)
    assert verified.manifest["closed"] is False and verified.manifest["close_seq"] is None


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1:]


def test_any_changed_byte_is_rejected(closed_day, tmp_path):
    st = closed_day
    _, bundle = export.export_day(st, PAST_DAY, tmp_path)
    data = bundle.data
    day_bundle.verify_bundle(data, st.key.public)
    # offsets across the archive: headers, member bodies, padding and the end-of-archive blocks
    offsets = {0, 100, 124, 136, 148, 156, 257, 345, 511, 512, 600, len(data) // 3, len(data) // 2,
               len(data) - 1300, len(data) - 1024, len(data) - 1}
    with tarfile.open(fileobj=__import__("io").BytesIO(data)) as tar:
        for info in tar.getmembers():
            offsets |= {info.offset, info.offset_data, info.offset_data + info.size // 2,
                        info.offset_data + info.size - 1, info.offset_data + info.size}  # last: padding
    for offset in sorted(offsets):
        with pytest.raises(day_bundle.BundleError):
            day_bundle.verify_bundle(_flip(data, offset), st.key.public)
    # a byte changed inside each member, the archive re-made canonically around it
    members = members_of(data)
    for name in day_bundle.MEMBERS:
        body = members[name]
        for offset in (0, len(body) // 2, len(body) - 1):
            changed = dict(members, **{name: _flip(body, offset)})
            forged = day_bundle.tar_members([(n, changed[n]) for n in day_bundle.MEMBERS])
            with pytest.raises(day_bundle.BundleError):
                day_bundle.verify_bundle(forged, st.key.public)
    # truncated or extended
    for forged in (data[:-512], data + b"\0" * 512, data[:len(data) // 2]):
        with pytest.raises(day_bundle.BundleError):
            day_bundle.verify_bundle(forged, st.key.public)


def test_a_bundle_resigned_with_another_key_or_missing_entries_is_rejected(closed_day, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from counter.keys import SigningKey

    st = closed_day
    _, bundle = export.export_day(st, PAST_DAY, tmp_path)
    members = members_of(bundle.data)
    other = SigningKey(Ed25519PrivateKey.generate())
    resigned = dict(members, **{"manifest.sig": other.sign(day_bundle.manifest_message(members["manifest.json"]))
                                .encode()})
    with pytest.raises(day_bundle.BundleError, match="signature does not verify"):
        day_bundle.verify_bundle(day_bundle.tar_members([(n, resigned[n]) for n in day_bundle.MEMBERS]), st.key.public)
    with pytest.raises(day_bundle.BundleError, match="signature does not verify"):
        day_bundle.verify_bundle(bundle.data, other.public)


def test_encrypted_to_the_district(closed_day, tmp_path):
    st = closed_day
    district = pyrage.x25519.Identity.generate()
    identity_text = f"# district key\n{district}\n"
    path, bundle = export.export_day(st, PAST_DAY, tmp_path, recipient=str(district.to_public()))
    assert path.name.endswith(".tar.age") and bundle.data.startswith(day_bundle.AGE_MAGIC)
    assert b"HP-01" not in bundle.data and b"manifest" not in bundle.data
    verified = day_bundle.verify_bundle(bundle.data, st.key.public, identity_text=identity_text)
    assert verified.encrypted and verified.manifest["business_day"] == PAST_DAY
    with pytest.raises(day_bundle.BundleError, match="encrypted; pass the district's age identity"):
        day_bundle.verify_bundle(bundle.data, st.key.public)
    stranger = str(pyrage.x25519.Identity.generate())
    with pytest.raises(day_bundle.BundleError, match="cannot be decrypted"):
        day_bundle.verify_bundle(bundle.data, st.key.public, identity_text=stranger)
    for offset in (30, len(bundle.data) // 2, len(bundle.data) - 1):
        with pytest.raises(day_bundle.BundleError):
            day_bundle.verify_bundle(_flip(bundle.data, offset), st.key.public, identity_text=identity_text)
    with pytest.raises(CounterError, match="not an age X25519 recipient"):
        export.build_bundle(st, PAST_DAY, recipient="age1notakey")


def test_an_exception_before_the_rename_keeps_the_old_file(closed_day, tmp_path):
    st = closed_day
    out = tmp_path / "out"
    path, first = export.export_day(st, PAST_DAY, out)
    second = export.build_bundle(st, PAST_DAY)
    assert second.data != first.data  # created_at differs

    def boom():
        raise OSError("disk full")

    with pytest.raises(CounterError, match="disk full"):  # one line for the CLI, not a crash report
        day_bundle.write_atomic(path, second.data, before_rename=boom)
    assert path.read_bytes() == first.data
    assert sorted(p.name for p in out.iterdir()) == [path.name]


@pytest.mark.parametrize("point", ["mid-write", "before-rename"])
@pytest.mark.parametrize("had_old_file", [False, True])
def test_a_killed_export_leaves_the_old_file_or_none(closed_day, tmp_path, point, had_old_file):
    st = closed_day
    out = tmp_path / "out"
    target = out / day_bundle.bundle_name("HP-01", PAST_DAY, False)
    old = None
    if had_old_file:
        _, bundle = export.export_day(st, PAST_DAY, out)
        old = bundle.data
    head_before = journal.head(st.db)
    st.close()
    proc = run_cli("export", "--date", PAST_DAY, "--out", str(out), "--no-encrypt",
                   env=cli_env(st.data_dir, COUNTER_EXPORT_FAULT=point))
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if had_old_file:
        assert target.read_bytes() == old
        assert run_cli("export", "verify", str(target), env=cli_env(st.data_dir)).returncode == 0
    else:
        assert not target.exists()
    # the crashed export journaled nothing; the next export cleans the temp file and succeeds
    from counter.station import Station

    reopened = Station.open(st.data_dir)
    assert journal.head(reopened.db) == head_before
    reopened.close()
    done = run_cli("export", "--date", PAST_DAY, "--out", str(out), "--no-encrypt", env=cli_env(st.data_dir))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [target.name]
    assert run_cli("export", "verify", str(target), env=cli_env(st.data_dir)).returncode == 0


def test_cli_verify_exit_codes(closed_day, tmp_path):
    st = closed_day
    path, bundle = export.export_day(st, PAST_DAY, tmp_path)
    env = cli_env()
    ok = run_cli("export", "verify", str(path), "--station-key", str(st.data_dir / "keys" / "station.pub"), env=env)
    assert ok.returncode == 0 and "ok: station HP-01" in ok.stdout
    bad = tmp_path / "bad.tar"
    bad.write_bytes(_flip(bundle.data, len(bundle.data) // 2))
    proc = run_cli("export", "verify", str(bad), "--station-key", str(st.data_dir / "keys" / "station.pub"), env=env)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and "rejected" in proc.stderr and len(proc.stderr.splitlines()) == 1
    missing = run_cli("export", "verify", str(tmp_path / "nope.tar"), "--station-key",
                      str(st.data_dir / "keys" / "station.pub"), env=env)
    assert missing.returncode == 1 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr


def test_export_commands_do_not_import_textual(closed_day, tmp_path):
    st = closed_day
    st.close()
    code = ("import sys; from counter.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
            "assert 'textual' not in sys.modules, 'textual imported'\nprint('clean', code)")
    bundle = tmp_path / day_bundle.bundle_name("HP-01", PAST_DAY, False)
    for args in (["export", "--date", PAST_DAY, "--out", str(tmp_path), "--no-encrypt"], ["day", "show", "--date", PAST_DAY],
                 ["export", "verify", str(bundle)]):
        proc = subprocess.run([__import__("sys").executable, "-c", code, *args], env=cli_env(st.data_dir),
                              capture_output=True, text=True, cwd=cli_env()["PYTHONPATH"], timeout=60)
        assert proc.returncode == 0 and "clean 0" in proc.stdout, proc.stderr


def test_a_damaged_member_header_names_the_problem_readably(closed_day, tmp_path):
    """A flipped byte in a member's header hid the members after it; the reason read
    'the archive holds manifest.json, manifest.sig, expected manifest.json, ...'."""
    _, bundle = export.export_day(closed_day, PAST_DAY, tmp_path)
    with tarfile.open(fileobj=__import__("io").BytesIO(bundle.data)) as tar:
        third = tar.getmembers()[2]
    with pytest.raises(day_bundle.BundleError) as caught:
        day_bundle.verify_bundle(_flip(bundle.data, third.offset + 100), closed_day.key.public)  # its mode field
    assert str(caught.value) == (
        "the archive holds (manifest.json, manifest.sig) where a day bundle holds (manifest.json, manifest.sig,"
        " journal.jsonl.gz, summary.csv, report.pdf): the file was altered, damaged or is not a day bundle")
