"""The station -> HQ sync protocol, defined once for both sides (and for bundle import).

A *batch* carries a contiguous run of one station's journal rows, exactly as
stored (payload is the stored canonical JSON string, so every hash recomputes
byte for byte), plus a checkpoint signature by the station key over
`db.journal.head_message(station_id, last_seq, head_hash)`. Because every
entry hash covers its prev_hash, that one signature authenticates every entry
of the batch once HQ has checked the chain.

An *ack* is HQ's signed statement "I hold this station's journal up to
acked_seq, whose hash is acked_hash", signed with HQ's key over `ack_message`.

Wire form: JSON. `canonical(batch.as_dict())` gives one text for one batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import product
from operator import itemgetter

from db import kinds
from db.entry import ENTRY_FIELDS, ENTRY_SCHEMA
from db.entry import HEX64 as HEX64_TEXT
from db.journal import canonical_json, head_message

PROTOCOL_VERSION = 1
ACK_DOMAIN = b"counter/sync-ack/v1"
ROTATION_DOMAIN = b"counter/key-rotation/v1"
ROTATION_KIND = kinds.KEY_ROTATED  # payload: kinds.KeyRotated
# field -> accepted types (bool is refused where int is wanted), from the one entry schema
_ENTRY_TYPES: dict[str, tuple[type, ...]] = {
    c.name: (c.type, type(None)) if c.nullable else (c.type,) for c in ENTRY_SCHEMA}
_ENTRY_PATTERNS = {c.name: re.compile(c.pattern) for c in ENTRY_SCHEMA if c.pattern}
HEX64 = re.compile(HEX64_TEXT)
# check_entry's fast path: the exact types of a well-formed entry's values (in ENTRY_FIELDS order); an
# entry that does not match them exactly (a subclass, a missing field...) gets the full check below
_FIELD_SET = frozenset(ENTRY_FIELDS)
_field_values = itemgetter(*ENTRY_FIELDS)
_EXACT_TYPES = frozenset(product(*(_ENTRY_TYPES[name] for name in ENTRY_FIELDS)))
_PATTERN_AT = tuple((ENTRY_FIELDS.index(name), pattern.match) for name, pattern in _ENTRY_PATTERNS.items())


class ProtocolError(ValueError):
    """A batch or ack that is not well formed; the message says which field and why."""


def utc_now_text(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    """Parse our UTC timestamps ('...Z'); raises ValueError on anything else."""
    if not isinstance(text, str) or not text.endswith("Z"):
        raise ValueError(f"not a UTC timestamp: {text!r}")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def canonical(obj: object) -> str:
    return canonical_json(obj)


def _framed(*parts: bytes) -> bytes:
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def checkpoint_message(station_id: str, last_seq: int, head_hash: str) -> bytes:
    """What the station key signs for a batch: the journal head it ends at."""
    return head_message(station_id, last_seq, head_hash)


def ack_message(station_id: str, acked_seq: int, acked_hash: str, server_time: str,
                conflicts: tuple | list = ()) -> bytes:
    """What HQ signs in an ack. The district register's conflicts for the station, when there are any,
    are framed after the rest (canonical JSON); with none, the message is what it always was."""
    parts = [ACK_DOMAIN, station_id.encode(), str(acked_seq).encode(), acked_hash.encode(), server_time.encode()]
    if conflicts:
        parts.append(canonical(list(conflicts)).encode())
    return _framed(*parts)


def rotation_message(station_id: str, old_key_id: str, new_key_id: str, new_public_key: str) -> bytes:
    """What the OLD station key signs in a key-rotation entry: 'this station's key is now new_public_key'."""
    return _framed(ROTATION_DOMAIN, station_id.encode(), old_key_id.encode(), new_key_id.encode(),
                   new_public_key.encode())


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_entry(entry: object, index: int) -> dict:
    if type(entry) is dict and entry.keys() == _FIELD_SET:
        values = _field_values(entry)
        if tuple(map(type, values)) in _EXACT_TYPES and all(match(values[i]) for i, match in _PATTERN_AT):
            return entry
    return _check_entry(entry, index)


def _check_entry(entry: object, index: int) -> dict:
    if not isinstance(entry, dict):
        raise ProtocolError(f"entries[{index}] must be an object")
    keys = set(entry)
    if keys != set(ENTRY_FIELDS):
        missing = sorted(set(ENTRY_FIELDS) - keys)
        extra = sorted(keys - set(ENTRY_FIELDS))
        raise ProtocolError(f"entries[{index}] fields wrong (missing {missing}, unexpected {extra})")
    for name, types in _ENTRY_TYPES.items():
        value = entry[name]
        if int in types and isinstance(value, bool):
            raise ProtocolError(f"entries[{index}].{name} must be a whole number")
        if not isinstance(value, types):
            raise ProtocolError(f"entries[{index}].{name} has the wrong type")
    for name, pattern in _ENTRY_PATTERNS.items():
        if not pattern.match(entry[name]):
            raise ProtocolError(f"entries[{index}].{name} must be 64 lowercase hex digits")
    return entry


@dataclass
class Batch:
    station_id: str
    key_id: str
    first_seq: int
    last_seq: int
    prev_hash: str
    head_hash: str
    signature: str  # station key over checkpoint_message(station_id, last_seq, head_hash)
    sent_at: str  # station clock at send time (UTC); HQ compares it with its own
    entries: list[dict] = field(default_factory=list)
    version: int = PROTOCOL_VERSION

    def as_dict(self) -> dict:
        return {
            "version": self.version, "station_id": self.station_id, "key_id": self.key_id,
            "first_seq": self.first_seq, "last_seq": self.last_seq, "prev_hash": self.prev_hash,
            "head_hash": self.head_hash, "signature": self.signature, "sent_at": self.sent_at,
            "entries": self.entries,
        }

    def to_json(self) -> str:
        return canonical(self.as_dict())

    @classmethod
    def from_dict(cls, data: object) -> Batch:
        """Check the shape (not the signature or chain: that is HQ's ingest)."""
        if not isinstance(data, dict):
            raise ProtocolError("a batch must be a JSON object")
        expected = {"version", "station_id", "key_id", "first_seq", "last_seq", "prev_hash", "head_hash",
                    "signature", "sent_at", "entries"}
        if set(data) != expected:
            raise ProtocolError(f"batch fields wrong (missing {sorted(expected - set(data))},"
                                f" unexpected {sorted(set(data) - expected)})")
        if data["version"] != PROTOCOL_VERSION:
            raise ProtocolError(f"protocol version {data['version']!r} is not supported (expected {PROTOCOL_VERSION})")
        for name in ("station_id", "key_id", "prev_hash", "head_hash", "signature", "sent_at"):
            if not isinstance(data[name], str) or not data[name]:
                raise ProtocolError(f"{name} must be a non-empty string")
        for name in ("first_seq", "last_seq"):
            if not _is_int(data[name]) or data[name] < 1:
                raise ProtocolError(f"{name} must be a positive whole number")
        for name in ("prev_hash", "head_hash"):
            if not HEX64.match(data[name]):
                raise ProtocolError(f"{name} must be 64 lowercase hex digits")
        try:
            parse_utc(data["sent_at"])
        except ValueError:
            raise ProtocolError("sent_at must be a UTC timestamp like 2026-01-31T08:00:00.000000Z") from None
        entries = data["entries"]
        if not isinstance(entries, list) or not entries:
            raise ProtocolError("entries must be a non-empty list")
        if len(entries) != data["last_seq"] - data["first_seq"] + 1:
            raise ProtocolError("entries must hold exactly first_seq..last_seq")
        for i, e in enumerate(entries):
            check_entry(e, i)
            if e["seq"] != data["first_seq"] + i:
                raise ProtocolError(f"entries[{i}].seq is {e['seq']}, expected {data['first_seq'] + i}")
        if entries[0]["prev_hash"] != data["prev_hash"]:
            raise ProtocolError("prev_hash does not match the first entry's prev_hash")
        if entries[-1]["hash"] != data["head_hash"]:
            raise ProtocolError("head_hash does not match the last entry's hash")
        return cls(**{k: data[k] for k in expected})


@dataclass(frozen=True)
class Ack:
    station_id: str
    acked_seq: int
    acked_hash: str
    server_time: str
    hq_key_id: str
    signature: str
    inserted: int = 0
    duplicates: int = 0
    # open district-register conflicts involving the station (counter/hq/register/conflicts.py), signed
    conflicts: tuple = ()

    def as_dict(self) -> dict:
        return {"station_id": self.station_id, "acked_seq": self.acked_seq, "acked_hash": self.acked_hash,
                "server_time": self.server_time, "hq_key_id": self.hq_key_id, "signature": self.signature,
                "inserted": self.inserted, "duplicates": self.duplicates, "conflicts": list(self.conflicts)}

    def message(self) -> bytes:
        return ack_message(self.station_id, self.acked_seq, self.acked_hash, self.server_time, self.conflicts)

    @classmethod
    def from_dict(cls, data: object) -> Ack:
        if not isinstance(data, dict):
            raise ProtocolError("an ack must be a JSON object")
        try:
            ack = cls(station_id=data["station_id"], acked_seq=data["acked_seq"], acked_hash=data["acked_hash"],
                      server_time=data["server_time"], hq_key_id=data["hq_key_id"], signature=data["signature"],
                      inserted=data.get("inserted", 0), duplicates=data.get("duplicates", 0),
                      conflicts=tuple(data.get("conflicts") or ()))
        except KeyError as exc:
            raise ProtocolError(f"ack field {exc.args[0]} is missing") from None
        except TypeError:
            raise ProtocolError("ack conflicts must be a list") from None
        if not all(isinstance(c, dict) for c in ack.conflicts):
            raise ProtocolError("ack conflicts must be a list of objects")
        if not _is_int(ack.acked_seq) or ack.acked_seq < 0:
            raise ProtocolError("ack acked_seq must be a whole number >= 0")
        if not isinstance(ack.acked_hash, str) or not HEX64.match(ack.acked_hash):
            raise ProtocolError("ack acked_hash must be 64 lowercase hex digits")
        for name in ("station_id", "server_time", "hq_key_id", "signature"):
            if not isinstance(getattr(ack, name), str):
                raise ProtocolError(f"ack {name} must be a string")
        return ack
