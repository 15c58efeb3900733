"""A correctly signed day bundle whose entries hold what HQ's store cannot: refused in one line, nothing stored."""

from __future__ import annotations

import gzip
import json

import pytest

from counter.hq import admin
from counter.hq.store import open_store
from counter.services import dayclose, export
from counter.sync import bundle as day_bundle
from counter.sync.protocol import checkpoint_message
from db import journal
from tests.dayclose.conftest import PAST_DAY, cli_env, run_cli
from tests.dayclose.seed import SUPERVISOR, seed_day
from tests.sync.fixtures import hq_rows


def resigned(station, data: bytes, alter) -> bytes:
    """The bundle with `alter(entries)` applied, then re-chained, re-hashed and signed by the station's key:
    only the content is wrong, so no signature or hash check stands in front of it."""
    members = day_bundle.untar_members(data)
    manifest = json.loads(members["manifest.json"])
    entries = [json.loads(line) for line in gzip.decompress(members["journal.jsonl.gz"]).splitlines()]
    alter(entries)
    sid = station.station_id
    prev = manifest["prev_hash"]
    for e in entries:
        e["prev_hash"] = prev
        try:
            e["hash"] = journal.entry_hash(sid, e)
        except UnicodeEncodeError:  # a lone surrogate has no UTF-8 and so no hash: the old one stays
            pass
        prev = e["hash"]
    # ensure_ascii: a lone surrogate travels as its \\uXXXX escape, as a JSON encoder may write it
    jsonl = ("\n".join(json.dumps(e, sort_keys=True, separators=(",", ":")) for e in entries) + "\n").encode()
    members["journal.jsonl.gz"] = gzip.compress(jsonl, mtime=0)
    first, last = entries[0], entries[-1]
    manifest.update(head_hash=last["hash"], first_seq=first["seq"], last_seq=last["seq"],
                    journal_jsonl_sha256=day_bundle.sha256(jsonl))
    manifest["batch"].update(head_hash=last["hash"], first_seq=first["seq"], last_seq=last["seq"],
                             signature=station.key.sign(checkpoint_message(sid, last["seq"], last["hash"])))
    manifest["files"]["journal.jsonl.gz"] = {"sha256": day_bundle.sha256(members["journal.jsonl.gz"]),
                                             "bytes": len(members["journal.jsonl.gz"])}
    manifest_bytes = (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
    signature = station.key.sign(day_bundle.manifest_message(manifest_bytes)).encode("ascii")
    return day_bundle.tar_members([("manifest.json", manifest_bytes), ("manifest.sig", signature),
                                   *((n, members[n]) for n in day_bundle.MEMBERS[2:])])


@pytest.fixture
def hq_with_day(station, tmp_path):
    """An HQ the station is enrolled at, and the station's closed day exported to a bundle."""
    seed_day(station, PAST_DAY, 3)
    dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    path, _ = export.export_day(station, PAST_DAY, tmp_path / "out")
    key_dir = tmp_path / "hq-keys"
    admin.init_keys(key_dir)
    store = open_store(f"sqlite:///{tmp_path / 'hq.db'}", admin.load_key(key_dir))
    store.init_schema()
    admin.enroll(store, station.station_id, station.key.public_pem())
    yield store, key_dir, path
    store.close()


def _set(field: str, value):
    def alter(entries):
        entries[1][field] = value
    return alter


def _shift_seqs(entries):
    for e in entries:
        e["seq"] += 2**70


# case: (alteration, the entry's index in the bundle, what the refusal says)
CASES = {
    "lone surrogate in the payload": (_set("payload", '{"name":"\ud842"}'), 1,
                                      "payload holds a lone UTF-16 surrogate, which is not text"),
    "lone surrogate in the kind": (_set("kind", "\udc00"), 1, "kind holds a lone UTF-16 surrogate, which is not text"),
    "monotonic_ns beyond BIGINT": (_set("monotonic_ns", 2**70), 1, "monotonic_ns is outside 0..9000000000000000000"),
    "schema_ver beyond INTEGER": (_set("schema_ver", 2**40), 1, "schema_ver is outside 0..2147483647"),
    "seq beyond BIGINT": (_shift_seqs, 0, "seq is outside 1..9000000000000000000"),
}


@pytest.mark.parametrize("case", CASES)
def test_an_entry_hq_cannot_store_is_refused_in_one_line_naming_bundle_and_seq(station, hq_with_day, tmp_path, case):
    """These raised UnicodeEncodeError (hashing a lone surrogate) or OverflowError (SQLite) out of the CLI."""
    store, key_dir, path = hq_with_day
    alter, index, why = CASES[case]
    entries = []
    bad = tmp_path / "altered.tar"
    bad.write_bytes(resigned(station, path.read_bytes(), lambda es: (alter(es), entries.extend(es))))
    proc = run_cli("hq", "import", str(bad), "--db", store.url, "--key-dir", str(key_dir), env=cli_env())
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == f"error: {bad}: rejected: journal entry seq {entries[index]['seq']} cannot be stored: {why}\n"
    assert "Traceback" not in proc.stdout + proc.stderr
    assert hq_rows(store, station.station_id) == []  # nothing stored
    # the unaltered bundle still goes in: the refusal left no half-written state in the way
    proc = run_cli("hq", "import", str(path), "--db", store.url, "--key-dir", str(key_dir), env=cli_env())
    assert proc.returncode == 0, proc.stderr
    assert len(hq_rows(store, station.station_id)) == len(entries)
