"""The hash chain of the journal: how an entry is hashed and the head signed, the entries read back in
order, and `verify`, which walks the chain.

hash(seq) = SHA-256 over a length-prefixed, domain-separated encoding of
station id, seq, prev_hash, SHA-256(header) and SHA-256(payload), where the
header is the canonical JSON of every other column. Editing any column, the
clerk or the kind included, breaks the chain.

No projectors and no writes: `counter journal verify` opens the database read-only and imports only this.
db.journal (append) re-exports every name here.
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring
from operator import itemgetter

from db.connection import Database
from db.entry import ENTRY_FIELDS, HEADER_FIELDS, Entry

try:  # CPython's own SHA-256 (_sha256 in 3.11, _sha2 from 3.12), the same digests: importing hashlib loads
    # OpenSSL's libcrypto (about 4 ms of `counter journal verify`) to hash a few hundred bytes per entry.
    from _sha256 import sha256
except ImportError:  # pragma: no cover - depends on the Python build
    try:
        from _sha2 import sha256
    except ImportError:  # a Python built without its own hashes
        from hashlib import sha256

GENESIS_HASH = "0" * 64
HASH_DOMAIN = b"counter/journal/v1"
HEAD_DOMAIN = b"counter/journal-head/v1"

COLUMNS = ", ".join(ENTRY_FIELDS)


def canonical_json(obj: object) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 kept (𠮷 stays 𠮷)."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _sha256(data: bytes) -> bytes:
    return sha256(data).digest()


def _framed(*parts: bytes) -> bytes:
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def compute_hash(station_id: str, seq: int, prev_hash: str, header: dict, payload: str) -> str:
    return sha256(
        _framed(
            HASH_DOMAIN,
            station_id.encode(),
            str(seq).encode(),
            prev_hash.encode(),
            _sha256(canonical_json(header).encode()),
            _sha256(payload.encode()),
        )
    ).hexdigest()


def entry_hash(station_id: str, entry: Entry | dict) -> str:
    e = entry if isinstance(entry, dict) else entry.as_dict()
    header = {f: e[f] for f in HEADER_FIELDS}
    return compute_hash(station_id, e["seq"], e["prev_hash"], header, e["payload"])


_SORTED_HEADER = tuple(sorted(HEADER_FIELDS))
_header_values = itemgetter(*_SORTED_HEADER)
# canonical_json(header) as one format string: the keys in sort_keys order, a slot per value
_HEADER_TEMPLATE = "{{" + ",".join(f'"{f}":{{}}' for f in _SORTED_HEADER) + "}}"
# exact types only (bool is an int subclass): what canonical_json writes for each; anything else takes
# canonical_json itself
_JSON_OF = {str: encode_basestring, int: int.__repr__, type(None): lambda _: "null"}


def entry_hasher(station_id: str) -> Callable[[dict], str]:
    """entry_hash(station_id, e) for many entries of one station (HQ's ingest): the same digest for every
    entry (tests/core/test_chain_hasher.py compares them), computed in a fraction of the time. The header's
    canonical JSON is put together from its values, the station's framing is encoded once, and the
    SHA-256 is OpenSSL's (hashlib), which hashes a payload about three times faster than CPython's."""
    import hashlib  # here, not at the top: `counter journal verify` does not pay for libcrypto

    sha = hashlib.sha256
    prefix = _framed(HASH_DOMAIN, station_id.encode())
    template = _HEADER_TEMPLATE.format
    values_of, json_of = _header_values, _JSON_OF
    digest_len = (32).to_bytes(4, "big")

    def digest(e: dict) -> str:
        seq = str(e["seq"]).encode()
        prev = e["prev_hash"].encode()
        values = values_of(e)
        try:
            header = template(*[json_of[type(v)](v) for v in values])
        except KeyError:  # a float, a bool, a subclass...: the generic encoder decides
            header = canonical_json(dict(zip(_SORTED_HEADER, values, strict=True)))
        return sha(b"".join((prefix, len(seq).to_bytes(4, "big"), seq, len(prev).to_bytes(4, "big"), prev,
                             digest_len, sha(header.encode()).digest(),
                             digest_len, sha(e["payload"].encode()).digest()))).hexdigest()

    return digest


def head_message(station_id: str, seq: int, head_hash: str) -> bytes:
    """What the station key signs for the journal head (and for sync checkpoints)."""
    return _framed(HEAD_DOMAIN, station_id.encode(), str(seq).encode(), head_hash.encode())


def entries(db: Database, since: int = 0, until: int | None = None, batch: int = 500) -> Iterator[Entry]:
    """Entries with seq > since (and <= until), in seq order, read in bounded batches."""
    cursor = since
    while True:
        sql = f"SELECT {COLUMNS} FROM journal WHERE seq > ?"
        args: list = [cursor]
        if until is not None:
            sql += " AND seq <= ?"
            args.append(until)
        rows = db.conn.execute(sql + " ORDER BY seq LIMIT ?", (*args, batch)).fetchall()
        if not rows:
            return
        for row in rows:
            yield Entry(*row)
        cursor = rows[-1][0]


def get(db: Database, seq: int) -> Entry | None:
    row = db.conn.execute(f"SELECT {COLUMNS} FROM journal WHERE seq = ?", (seq,)).fetchone()
    return Entry(*row) if row else None


# ok, the number of entries, the last seq and hash; where it is not ok, the first bad seq and why.
# collections' namedtuple: typing (for typing.NamedTuple) would cost `counter journal verify` a tenth.
VerifyResult = namedtuple("VerifyResult", "ok count head_seq head_hash bad_seq reason", defaults=(None, None))


HeadVerifier = Callable[[bytes, str], bool]


def verify(
    db: Database,
    station_id: str,
    verify_signature: HeadVerifier | None = None,
    acked: tuple[int, str] | None = None,
) -> VerifyResult:
    """Walk the chain from seq 1; report the first bad seq and why.

    Catches edited rows (hash), deleted rows (gap), reordered or inserted rows
    (seq/prev_hash), and with the signed head or HQ's ack, truncation and rows
    appended without the station key.
    """
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    last = (0, GENESIS_HASH)

    def bad(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(False, count, last[0], last[1], seq, reason)

    for e in entries(db):
        if e.seq != expected_seq:
            return bad(expected_seq, f"seq {expected_seq} is missing (row deleted); next row is seq {e.seq}")
        if e.prev_hash != prev:
            return bad(e.seq, "prev_hash does not link to the previous entry (row reordered, inserted or replaced)")
        if entry_hash(station_id, e) != e.hash:
            return bad(e.seq, "hash does not match the entry's content (row edited)")
        prev, expected_seq, count = e.hash, e.seq + 1, count + 1
        last = (e.seq, e.hash)

    row = db.conn.execute("SELECT seq, hash, signature FROM journal_head WHERE id = 1").fetchone()
    if row is None:
        if count:
            return bad(1, "the signed journal head is missing")
    else:
        h_seq, h_hash, signature = row
        if h_seq > last[0]:
            return bad(last[0] + 1, f"journal truncated: the signed head is seq {h_seq}, the last row is seq {last[0]}")
        if h_seq < last[0]:
            return bad(h_seq + 1, f"rows after the signed head (seq {h_seq}) were added without the station key")
        if h_hash != last[1]:
            return bad(h_seq, "the last row does not match the signed head")
        if verify_signature is not None and not verify_signature(head_message(station_id, h_seq, h_hash), signature):
            return bad(h_seq, "the journal head's signature is not valid for this station's key")
    if acked is not None and acked[0] > 0:
        a_seq, a_hash = acked
        if a_seq > last[0]:
            return bad(last[0] + 1, f"journal truncated: headquarters acknowledged seq {a_seq}")
        local = get(db, a_seq)
        if local is None or local.hash != a_hash:
            return bad(a_seq, "entry differs from what headquarters acknowledged")
    return VerifyResult(True, count, last[0], last[1])


