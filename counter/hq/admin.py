"""HQ administration: schema and key set-up, station enrolment and revocation, status, audit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from counter import files, keys
from counter.domain.station_id import check_station_id
from counter.errors import ConfigError, CounterError
from counter.hq.store import Store
from counter.sync.protocol import checkpoint_message, utc_now_text
from db.journal import GENESIS_HASH, entry_hash

HQ_KEY = "hq.key"
HQ_PUB = "hq.pub"


def init_keys(key_dir: Path) -> tuple[keys.SigningKey, bool]:
    """HQ's Ed25519 key pair in key_dir (hq.key 0600, hq.pub); an existing pair is kept, never replaced."""
    private, public = key_dir / HQ_KEY, key_dir / HQ_PUB
    if private.exists():
        return keys.load_private(private), False
    if public.exists():
        # e.g. a station's keys/ (which keeps HQ's hq.pub): a new pair would overwrite that copy
        raise ConfigError("{dir} holds hq.pub but no hq.key (a station's copy of HQ's key, or a pair whose"
                          " private half is lost); choose another --key-dir", dir=key_dir)
    files.private_dir(key_dir, tighten=True)
    return keys.generate_keypair(private, public), True


def load_key(key_dir: Path) -> keys.SigningKey:
    path = key_dir / HQ_KEY
    if not path.exists():
        raise ConfigError("no HQ key in {dir}; run 'counter hq init --key-dir {dir}' first", dir=key_dir)
    return keys.load_private(path)


def enroll(store: Store, station_id: str, public_pem: bytes, where: str = "public key") -> str:
    """Enrol (or rotate) a station's key; the previous active key stops being accepted for new batches."""
    check_station_id(station_id)
    public = keys.public_from_pem(public_pem, where)
    raw = keys.raw_public(public)
    key_id = keys.key_id_of(raw)
    now = utc_now_text()
    with store.transaction() as tx:
        if tx.one("SELECT 1 FROM hq_stations WHERE station_id = ?", (station_id,)) is None:
            tx.execute("INSERT INTO hq_stations (station_id, cursor_seq, cursor_hash, quarantined, enrolled_at)"
                       " VALUES (?, 0, ?, 0, ?)", (station_id, GENESIS_HASH, now))
        existing = tx.one("SELECT status FROM hq_station_keys WHERE station_id = ? AND key_id = ?",
                          (station_id, key_id))
        if existing is not None and existing[0] != "active":
            raise CounterError("key {kid} of station {sid} was {status} before; generate a new key pair",
                               kid=key_id, sid=station_id, status=existing[0])
        if existing is None:
            tx.execute("UPDATE hq_station_keys SET status = 'rotated', retired_at = ?"
                       " WHERE station_id = ? AND status = 'active'", (now, station_id))
            tx.execute("INSERT INTO hq_station_keys (station_id, key_id, public_key, status, enrolled_at)"
                       " VALUES (?, ?, ?, 'active', ?)", (station_id, key_id, keys.b64(raw), now))
    return key_id


@dataclass
class Rekeyed:
    station_id: str
    old_key_ids: list[str]
    new_key_id: str
    retired_seq: int
    retired_hash: str


def rekey(store: Store, station_id: str, public_pem: bytes, *, reason: str, approved_by: str,
          where: str = "public key") -> Rekeyed:
    """Replace a station PC: retire every key of the station at HQ's acked seq (why, who approved) and
    make `public_pem` its one active key. The new PC then restores from HQ (`counter init
    --restore-from-hq`) and continues at the next seq; what the old PC made after its last ack is lost."""
    check_station_id(station_id)
    reason, approved_by = " ".join(reason.split()), " ".join(approved_by.split())
    if not reason or len(reason) > 300:
        raise ConfigError("--reason must say in 1-300 characters why the station's key is replaced")
    if not approved_by or len(approved_by) > 64:
        raise ConfigError("--approved-by must name the supervisor who approved the replacement (1-64 characters)")
    public = keys.public_from_pem(public_pem, where)
    raw = keys.raw_public(public)
    key_id = keys.key_id_of(raw)
    now = utc_now_text()
    with store.transaction() as tx:
        station = tx.lock_station(station_id)
        if station is None:
            raise CounterError("station {sid} is not enrolled; a new station is enrolled with 'counter hq enroll'",
                               sid=station_id)
        _, cursor_seq, cursor_hash, _ = station
        if tx.one("SELECT 1 FROM hq_station_keys WHERE key_id = ?", (key_id,)) is not None:
            raise CounterError("key {kid} was enrolled before; make a new key pair on the new PC (counter init"
                               " --restore-from-hq makes one)", kid=key_id)
        old = [r[0] for r in tx.all("SELECT key_id FROM hq_station_keys WHERE station_id = ? AND status <> 'revoked'"
                                    " ORDER BY enrolled_at", (station_id,))]
        tx.execute("UPDATE hq_station_keys SET status = 'revoked', retired_at = ?, retired_seq = ?, retire_reason = ?"
                   " WHERE station_id = ? AND status <> 'revoked'",
                   (now, cursor_seq, f"replaced: {reason}", station_id))
        tx.execute("INSERT INTO hq_station_keys (station_id, key_id, public_key, status, enrolled_at, approved_by)"
                   " VALUES (?, ?, ?, 'active', ?, ?)", (station_id, key_id, keys.b64(raw), now, approved_by))
        from counter.hq.ingest import raise_alarm

        # the audit trail of key changes lives with the alarms IT already watches
        raise_alarm(tx, station_id, "rekey", f"key {key_id} replaces {', '.join(old) or 'none'} at seq {cursor_seq},"
                    f" approved by {approved_by}: {reason}", now, 0)
    return Rekeyed(station_id, old, key_id, cursor_seq, cursor_hash)


def keys_of(store: Store, station_id: str) -> list[dict]:
    with store.transaction() as tx:
        rows = tx.all("SELECT key_id, status, enrolled_at, retired_at, retired_seq, retire_reason, approved_by"
                      " FROM hq_station_keys WHERE station_id = ? ORDER BY enrolled_at, key_id", (station_id,))
    names = ("key_id", "status", "enrolled_at", "retired_at", "retired_seq", "retire_reason", "approved_by")
    return [dict(zip(names, r, strict=True)) for r in rows]


def revoke(store: Store, station_id: str) -> int:
    """Revoke every key of the station still in use; returns how many keys were revoked."""
    now = utc_now_text()
    with store.transaction() as tx:
        if tx.one("SELECT 1 FROM hq_stations WHERE station_id = ?", (station_id,)) is None:
            raise CounterError("station {sid} is not enrolled", sid=station_id)
        count = tx.one("SELECT count(*) FROM hq_station_keys WHERE station_id = ? AND status <> 'revoked'",
                       (station_id,))[0]
        tx.execute("UPDATE hq_station_keys SET status = 'revoked', retired_at = ?"
                   " WHERE station_id = ? AND status <> 'revoked'", (now, station_id))
    return count


def release(store: Store, station_id: str) -> None:
    """Lift a quarantine after the fork was investigated (entries HQ holds stay as they are)."""
    with store.transaction() as tx:
        if tx.one("SELECT 1 FROM hq_stations WHERE station_id = ?", (station_id,)) is None:
            raise CounterError("station {sid} is not enrolled", sid=station_id)
        tx.execute("UPDATE hq_stations SET quarantined = 0, quarantine_reason = NULL WHERE station_id = ?",
                   (station_id,))


def status(store: Store) -> list[dict]:
    with store.transaction() as tx:
        rows = tx.all(
            "SELECT s.station_id, s.cursor_seq, s.cursor_hash, s.last_contact, s.quarantined, s.quarantine_reason,"
            " s.last_clock_offset_s, (SELECT count(*) FROM hq_alarms a WHERE a.station_id = s.station_id),"
            " (SELECT key_id FROM hq_station_keys k WHERE k.station_id = s.station_id AND k.status = 'active'),"
            " (SELECT count(*) FROM hq_register_conflicts c WHERE c.status = 'open'"
            "  AND (c.first_station_id = s.station_id OR c.second_station_id = s.station_id))"
            " FROM hq_stations s ORDER BY s.station_id")
    return [
        {"station_id": r[0], "acked_seq": r[1], "head_hash": r[2], "last_contact": r[3], "quarantined": bool(r[4]),
         "quarantine_reason": r[5], "clock_offset_s": r[6], "alarms": r[7], "active_key_id": r[8],
         "conflicts": r[9]}
        for r in rows
    ]


def alarms(store: Store, station_id: str | None = None) -> list[dict]:
    sql = "SELECT alarm_id, station_id, kind, detail, created_at, count, last_at FROM hq_alarms"
    args: tuple = ()
    if station_id:
        sql, args = sql + " WHERE station_id = ?", (station_id,)
    with store.transaction() as tx:
        rows = tx.all(sql + " ORDER BY alarm_id", args)
    return [dict(zip(("alarm_id", "station_id", "kind", "detail", "created_at", "count", "last_at"), r, strict=True))
            for r in rows]


@dataclass
class ChainReport:
    station_id: str
    ok: bool
    count: int
    head_seq: int
    reason: str | None = None


def verify_station(store: Store, station_id: str, page: int = 2000) -> ChainReport:
    """Re-verify what HQ holds: every hash recomputes, every link holds, the cursor is the head, and
    every stored batch checkpoint verifies with the key that signed it (rotated or revoked keys included)."""
    with store.transaction() as tx:
        row = tx.one("SELECT cursor_seq, cursor_hash FROM hq_stations WHERE station_id = ?", (station_id,))
        if row is None:
            raise CounterError("station {sid} is not enrolled", sid=station_id)
        cursor_seq, cursor_hash = row
        enrolled = dict(tx.all("SELECT key_id, public_key FROM hq_station_keys WHERE station_id = ?", (station_id,)))
        batches = tx.all("SELECT last_seq, head_hash, key_id, signature FROM hq_batches WHERE station_id = ?",
                         (station_id,))
    hashes_at: dict[int, str] = {}
    checkpoint_seqs = {b[0] for b in batches}
    prev, expected, count = GENESIS_HASH, 1, 0
    cols = ("seq", "uuid", "business_day", "device_time_utc", "monotonic_ns", "boot_id", "clerk_id", "kind",
            "schema_ver", "payload", "prev_hash", "hash")
    while True:
        with store.transaction() as tx:
            rows = tx.all(f"SELECT {', '.join(cols)} FROM hq_journal WHERE station_id = ? AND seq >= ?"
                          " ORDER BY seq LIMIT ?", (station_id, expected, page))
        if not rows:
            break
        for r in rows:
            e = dict(zip(cols, r, strict=True))
            if e["seq"] != expected:
                return ChainReport(station_id, False, count, expected - 1, f"seq {expected} is missing")
            if e["prev_hash"] != prev or entry_hash(station_id, e) != e["hash"]:
                return ChainReport(station_id, False, count, expected - 1, f"seq {expected} does not verify")
            if e["seq"] in checkpoint_seqs:
                hashes_at[e["seq"]] = e["hash"]
            prev, expected, count = e["hash"], expected + 1, count + 1
    if count != cursor_seq or (count and prev != cursor_hash):
        return ChainReport(station_id, False, count, count, f"cursor {cursor_seq} does not match the stored head")
    for last_seq, head_hash, key_id, signature in batches:
        if hashes_at.get(last_seq) != head_hash:
            return ChainReport(station_id, False, count, count, f"batch ending at seq {last_seq} does not match")
        public = enrolled.get(key_id)
        if public is None or not keys.verify(keys.unb64(public),
                                                 checkpoint_message(station_id, last_seq, head_hash), signature):
            return ChainReport(station_id, False, count, count, f"checkpoint at seq {last_seq} does not verify")
    return ChainReport(station_id, True, count, count)


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
