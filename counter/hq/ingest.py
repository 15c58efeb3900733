"""The one ingest path for station journal batches (network sync and bundle import alike).

`ingest_batch(store, batch)` runs in ONE database transaction:
signature and key check, station lock, gap / overlap / fork decisions, chain
verification, insert, cursor advance, then an ack signed by HQ.

Rejections that HQ must remember (a fork quarantines the station; a broken
chain or bad signature raises an alarm) are committed without inserting any
entry, and then raised as an IngestError.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter

import msgspec

from counter import keys
from counter.errors import CounterError
from counter.hq.alarms import ALARM_WINDOW_S, raise_alarm
from counter.hq.keys import apply_key_rotations
from counter.hq.store import CURSOR_UPDATE, Store, Tx
from counter.sync.protocol import (
    Ack,
    Batch,
    ProtocolError,
    ack_message,
    checkpoint_message,
    parse_utc,
    utc_now_text,
)
from db.entry import ENTRY_FIELDS
from db.journal import GENESIS_HASH, SCHEMA_VER, entry_hasher

log = logging.getLogger("counter.hq")
_entry_values = itemgetter(*ENTRY_FIELDS)  # JOURNAL_COLUMNS between station_id and batch_id

# Station clocks further than this from HQ's are recorded and flagged.
CLOCK_TOLERANCE_S = 300.0
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class IngestError(CounterError):
    """A refused batch. `status` is the HTTP status, `code` a stable word, `extra` goes into the reply."""

    status = 400
    code = "bad_batch"

    def __init__(self, template: str, extra: dict | None = None, **params: object):
        super().__init__(template, **params)
        self.extra = extra or {}

    def body(self) -> dict:
        return {"error": self.code, "message": str(self), **self.extra}


class MalformedBatch(IngestError):
    status, code = 400, "malformed"


class UnknownStation(IngestError):
    status, code = 403, "unknown_station"


class KeyRejected(IngestError):
    status, code = 403, "key_rejected"


class Quarantined(IngestError):
    status, code = 423, "quarantined"


class Gap(IngestError):
    status, code = 409, "gap"


class Fork(IngestError):
    status, code = 409, "fork"


class ChainBroken(MalformedBatch):
    """Entries that do not recompute or link: the signature then covers none of them, so they prove nothing."""


@dataclass
class _Alarm:
    kind: str
    detail: str


def sign_ack(store: Store, station_id: str, seq: int, digest: str, server_time: str,
             inserted: int = 0, duplicates: int = 0, conflicts: tuple = ()) -> Ack:
    if store.hq_key is None:
        raise CounterError("this HQ store has no signing key; open it with --key-dir")
    signature = store.hq_key.sign(ack_message(station_id, seq, digest, server_time, conflicts))
    return Ack(station_id, seq, digest, server_time, store.hq_key.key_id, signature, inserted, duplicates, conflicts)


def _conflicts_for(tx: Tx, station_id: str) -> tuple:
    from counter.hq.register.conflicts import open_conflicts

    return tuple(c.as_ack_item() for c in open_conflicts(tx, station_id))


class _AnyObject(msgspec.Struct):
    """Any JSON object: decoding into it checks the text is JSON and skips every value without building it."""


_decode_object = msgspec.json.Decoder(_AnyObject).decode
# Nesting below this cannot reach json.loads' recursion limit, so the two agree on every such text
_NESTING_FAST = 400


def _payload_flag(payload: str, digit_limit: int) -> str | None:
    """json.loads' verdict on a payload: None for an object, else the flag. msgspec answers for the common
    case (an object, some 25x faster); whatever it refuses, and what json.loads alone refuses (an integer longer
    than sys.get_int_max_str_digits, nesting deep enough for RecursionError) goes to json.loads itself.
    tests/sync/test_business_flags.py checks the two agree."""
    if (len(payload) <= digit_limit or not digit_limit) and payload.count("{") + payload.count("[") < _NESTING_FAST:
        try:
            _decode_object(payload)
            return None
        except (msgspec.DecodeError, UnicodeEncodeError):  # a lone surrogate: msgspec reads UTF-8
            pass
    try:
        return None if isinstance(json.loads(payload), dict) else "payload_not_object"
    except ValueError:
        return "payload_not_json"


def business_flags(entry: dict, server_now: datetime, batch_offset_s: float) -> list[str]:
    """Rules an entry may break without blocking later seqs: it is stored and flagged."""
    return _flagger(server_now, batch_offset_s)(entry)


def _flagger(server_now: datetime, batch_offset_s: float):
    """business_flags(entry, server_now, batch_offset_s) for the entries of one batch: what is the same for
    all of them is worked out once (a batch has one or two kinds and business days)."""
    future = server_now + timedelta(seconds=CLOCK_TOLERANCE_S)
    clock_flag = ["station_clock_offset"] if abs(batch_offset_s) > CLOCK_TOLERANCE_S else []
    kind_ok: dict[str, bool] = {}
    day_ok: dict[str, bool] = {}
    # (device_time - server_now).total_seconds() > CLOCK_TOLERANCE_S is device_time > future (exact
    # microseconds); our own '...Z' form is compared naive, in UTC, without building an aware datetime
    naive_future = future.astimezone(UTC).replace(tzinfo=None) if future.tzinfo is not None else None
    fromisoformat = datetime.fromisoformat

    def device_time_flag(text: str) -> str | None:
        if naive_future is not None and type(text) is str and text[-1:] == "Z":
            try:
                naive = fromisoformat(text[:-1])
            except ValueError:
                return "device_time_malformed"
            if naive.tzinfo is None:
                return "device_time_in_future" if naive > naive_future else None
        try:
            return "device_time_in_future" if parse_utc(text) > future else None
        except ValueError:
            return "device_time_malformed"

    kind_match, uuid_match, digit_limit = KIND_PATTERN.match, UUID_PATTERN.match, sys.get_int_max_str_digits()

    def flags(entry: dict) -> list[str]:
        payload_flag = _payload_flag(entry["payload"], digit_limit)
        out = [payload_flag] if payload_flag else []
        kind = entry["kind"]
        ok = kind_ok.get(kind)
        if ok is None:
            ok = kind_ok[kind] = kind_match(kind) is not None
        if not ok:
            out.append("kind_malformed")
        if entry["schema_ver"] != SCHEMA_VER:
            out.append("unknown_schema_ver")
        if not uuid_match(entry["uuid"]):
            out.append("uuid_malformed")
        day = entry["business_day"]
        ok = day_ok.get(day)
        if ok is None:
            try:
                date.fromisoformat(day)
                ok = day_ok[day] = True
            except ValueError:
                ok = day_ok[day] = False
        if not ok:
            out.append("business_day_malformed")
        time_flag = device_time_flag(entry["device_time_utc"])
        if time_flag:
            out.append(time_flag)
        return out + clock_flag if clock_flag else out

    return flags


def _header(data: object) -> tuple[str, str, int, str, str] | None:
    """(station_id, key_id, last_seq, head_hash, signature) if they are well typed: what HQ authenticates first."""
    if not isinstance(data, dict):
        return None
    names = ("station_id", "key_id", "last_seq", "head_hash", "signature")
    sid, kid, last, head, sig = (data.get(n) for n in names)
    texts = (sid, kid, head, sig)
    if not all(isinstance(t, str) and t for t in texts) or not isinstance(last, int) or isinstance(last, bool):
        return None
    try:
        for t in texts:
            t.encode()
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape
        return None
    return sid, kid, last, head, sig


def ingest_batch(store: Store, batch: Batch | dict, *, now: datetime | None = None,
                 use_copy: bool | None = None, fault=None, project: bool = True) -> Ack:
    """Store a batch exactly once and return HQ's signed ack of the station's cursor.

    Order: the station, its key and the checkpoint signature first (so a batch of an unknown station
    or with a forged signature is refused as such, whatever else is wrong with it), then the batch's
    shape, the quarantine, the gap rule, and the whole chain (see `_accept`).

    `use_copy` forces the PostgreSQL insert path (None: by batch size).
    `project=False` skips the district register's projection (the benchmark's baseline only).
    `fault(stage)` is a test hook called at 'before_commit' and 'after_commit'.
    """
    data = batch.as_dict() if isinstance(batch, Batch) else batch
    problem: MalformedBatch | None = None
    try:  # a Batch object is checked too: bundle import may build one by hand
        batch = Batch.from_dict(data)
    except ProtocolError as exc:
        problem = MalformedBatch("malformed batch: {why}", why=str(exc))
    header = _header(data)
    if header is None:
        raise problem or MalformedBatch("malformed batch: station_id, key_id, last_seq, head_hash and signature"
                                        " must be set")
    sid, key_id, last_seq, head_hash, signature = header
    server_now = now or datetime.now(UTC)
    server_time = utc_now_text(server_now)
    window_s = getattr(store, "alarm_window_s", ALARM_WINDOW_S)
    refusal: IngestError | None = None
    ack: Ack | None = None

    for stream in (True, False):
        try:
            with store.transaction() as tx:
                station = tx.lock_station_key(sid, key_id)
                if station is None:
                    raise UnknownStation("station {sid} is not enrolled at HQ; run 'counter hq enroll' there",
                                         sid=sid)
                cursor_seq, cursor_hash, quarantined, previous_offset, public, status = station
                if public is None:
                    raise KeyRejected("key {kid} is not enrolled for station {sid}", kid=key_id, sid=sid)
                if status == "revoked":
                    raise KeyRejected("key {kid} of station {sid} was revoked", kid=key_id, sid=sid)
                if status == "rotated":
                    raise KeyRejected("key {kid} of station {sid} was replaced by a newer key; sign with the"
                                      " current key", kid=key_id, sid=sid)
                message = checkpoint_message(sid, last_seq, head_hash)
                if not keys.verify(keys.unb64(public), message, signature):
                    # No batch range in the detail: a flood of forged posts is one alarm row with a count.
                    refusal = KeyRejected("checkpoint signature of station {sid} does not verify with key {kid}",
                                          sid=sid, kid=key_id)
                    raise_alarm(tx, sid, "bad_signature", f"checkpoint signature does not verify with key {key_id}",
                                server_time, window_s)
                elif problem is not None:
                    raise problem
                elif quarantined:
                    raise Quarantined("station {sid} is quarantined after a fork; HQ accepts nothing until it is"
                                      " resolved", sid=sid)
                elif batch.first_seq > cursor_seq + 1:
                    cursor = sign_ack(store, sid, cursor_seq, cursor_hash, server_time)
                    raise Gap("gap: HQ holds station {sid} up to seq {cur}, the batch starts at seq {first}",
                              extra={"cursor": cursor.as_dict()}, sid=sid, cur=cursor_seq, first=batch.first_seq)
                else:
                    offset_s = (parse_utc(batch.sent_at) - server_now).total_seconds()
                    refusal, ack = _accept(store, tx, batch, cursor_seq, cursor_hash, previous_offset, server_now,
                                           server_time, offset_s, use_copy, window_s, project, stream)
                if fault is not None and refusal is None:
                    fault("before_commit")
        except _ChainBrokenWhileStreaming:
            continue  # rolled back; the verify-first pass records the alarm and refuses the batch
        break
    if fault is not None and refusal is None:
        fault("after_commit")
    if refusal is not None:
        raise refusal
    assert ack is not None
    return ack


class _ChainBrokenWhileStreaming(Exception):
    """An entry failed its check while the batch was already being written: roll back and take the verify-first
    path, which records the alarm."""


def _broken_link(sid: str, entries: list[dict], prev: str) -> tuple[int, str] | None:
    """(seq, reason) of the first entry that does not recompute to its hash or link to the one before."""
    digest = entry_hasher(sid)
    for e in entries:
        if e["prev_hash"] != prev:
            return e["seq"], "prev_hash does not link to the previous entry"
        if digest(e) != e["hash"]:
            return e["seq"], "hash does not match the entry's content"
        prev = e["hash"]
    return None


def _accept(store: Store, tx: Tx, batch: Batch, cursor_seq: int, cursor_hash: str, previous_offset: float | None,
            server_now: datetime, server_time: str, offset_s: float, use_copy: bool | None,
            window_s: float, project: bool = True, stream: bool = False) -> tuple[IngestError | None, Ack | None]:
    """A batch whose checkpoint verified and that starts at or before cursor + 1.

    A fork is declared only on proof: every entry recomputes to its own hash, the entries chain from
    an entry HQ holds (seq first_seq - 1, or genesis) to the head the station's key signed, and some
    entry differs from what HQ holds. Without that proof (e.g. a captured batch with one hash changed)
    nothing changes but one deduplicated alarm, and the batch is refused as malformed.

    `stream`: a batch that continues the cursor (no overlap, so no fork to prove) is checked entry by entry
    while its rows are written, so the database works on them alongside; a broken link raises
    _ChainBrokenWhileStreaming, which rolls the transaction back for the verify-first pass.
    """
    sid = batch.station_id
    first = batch.first_seq
    if first == 1:
        prev = GENESIS_HASH
    elif first - 1 == cursor_seq:
        prev = cursor_hash
    else:
        prev = tx.one("SELECT hash FROM hq_journal WHERE station_id = ? AND seq = ?", (sid, first - 1))[0]
    stream = stream and first == cursor_seq + 1
    broken = None if stream else _broken_link(sid, batch.entries, prev)
    if broken:
        seq, reason = broken
        raise_alarm(tx, sid, "chain_broken", f"seq {seq}: {reason}", server_time, window_s)
        return ChainBroken("malformed batch: chain broken at seq {seq} of station {sid}: {reason}; nothing stored",
                           seq=seq, sid=sid, reason=reason), None

    duplicates = 0
    if first <= cursor_seq:
        overlap_end = min(batch.last_seq, cursor_seq)
        held = dict(tx.all("SELECT seq, hash FROM hq_journal WHERE station_id = ? AND seq BETWEEN ? AND ?",
                           (sid, first, overlap_end)))
        for e in batch.entries:
            if e["seq"] > overlap_end:
                break
            if held.get(e["seq"]) != e["hash"]:
                detail = (f"seq {e['seq']}: HQ holds {str(held.get(e['seq']))[:16]}, station sent {e['hash'][:16]}"
                          f" (batch {batch.first_seq}-{batch.last_seq})")
                tx.execute("UPDATE hq_stations SET quarantined = 1, quarantine_reason = ?, last_contact = ?"
                           " WHERE station_id = ?", (f"fork at seq {e['seq']}", server_time, sid))
                raise_alarm(tx, sid, "fork", detail, server_time, window_s)
                return Fork("fork: station {sid} sent a different entry for seq {seq} than HQ holds;"
                            " station quarantined", sid=sid, seq=e["seq"]), None
            duplicates += 1
    new = [e for e in batch.entries if e["seq"] > cursor_seq]

    inserted = len(new)
    if inserted:
        cursor_seq, cursor_hash = new[-1]["seq"], new[-1]["hash"]  # the entries' checks come before the commit
        batch_id = tx.record_batch(
            (sid, batch.key_id, batch.first_seq, batch.last_seq, batch.head_hash, batch.signature, batch.sent_at,
             server_time, offset_s, inserted, duplicates), (cursor_seq, cursor_hash, server_time, offset_s, sid))
        tx.insert_entries(_rows(sid, new, prev if stream else None, batch_id, server_time,
                                _flagger(server_now, offset_s)), count=inserted, use_copy=use_copy)
        apply_key_rotations(tx, sid, batch.key_id, new, server_time)  # `counter keys rotate` entries
        if project:  # the district register, in this transaction: visible once the ack is sent
            from counter.hq.register.projection import project_entries

            project_entries(tx, sid, new, server_time, offset_s,
                            lambda s, kind, detail: raise_alarm(tx, s, kind, detail, server_time, window_s))
    else:
        tx.execute(CURSOR_UPDATE, (cursor_seq, cursor_hash, server_time, offset_s, sid))
    if abs(offset_s) > CLOCK_TOLERANCE_S and (previous_offset is None or abs(previous_offset) <= CLOCK_TOLERANCE_S):
        raise_alarm(tx, sid, "clock_offset", f"station clock is {offset_s:+.0f} s from HQ", server_time, window_s)
    return None, sign_ack(store, sid, cursor_seq, cursor_hash, server_time, inserted, duplicates,
                          _conflicts_for(tx, sid) if project else ())


def _rows(sid: str, entries: list[dict], prev: str | None, batch_id: int, received_at: str, flagger):
    """hq_journal rows (JOURNAL_COLUMNS order). With `prev` (streaming), each entry is first checked to link to
    the one before and to recompute to its hash, as _broken_link does."""
    digest = entry_hasher(sid) if prev is not None else None
    for e in entries:
        if digest is not None:
            if e["prev_hash"] != prev or digest(e) != e["hash"]:
                raise _ChainBrokenWhileStreaming(e["seq"])
            prev = e["hash"]
        flags = flagger(e)
        yield (sid, *_entry_values(e), batch_id, received_at, ",".join(flags) if flags else None)


def cursor_ack(store: Store, station_id: str, now: datetime | None = None) -> Ack:
    """HQ's signed statement of how far it holds a station's journal."""
    with store.transaction() as tx:
        row = tx.one("SELECT cursor_seq, cursor_hash FROM hq_stations WHERE station_id = ?", (station_id,))
        conflicts = _conflicts_for(tx, station_id) if row is not None else ()
    if row is None:
        raise UnknownStation("station {sid} is not enrolled at HQ", sid=station_id)
    return sign_ack(store, station_id, row[0], row[1], utc_now_text(now), conflicts=conflicts)
