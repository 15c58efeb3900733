"""HQ learns a station's new key from its signed key-rotation journal entry (`counter keys rotate`).

Called by ingest for the entries of an accepted batch, inside its transaction. The
entry is authentic twice over: the batch checkpoint, signed by the station's
enrolled key, covers its hash; and its payload carries that same key's signature
over counter.sync.protocol.rotation_message. Then the old key becomes 'rotated'
(its batches and heads still verify; new requests must use the new key) and the
new key 'active', with no manual re-enrolment. Anything else is an alarm, and the
enrolled key stays as it was.
"""

from __future__ import annotations

import json
import logging

from counter import keys
from counter.hq.alarms import raise_alarm
from counter.sync.protocol import ROTATION_KIND, rotation_message

log = logging.getLogger("counter.hq")


def apply_key_rotations(tx, station_id: str, batch_key_id: str, entries: list[dict], at: str) -> None:
    for entry in entries:
        if entry["kind"] != ROTATION_KIND:
            continue
        reason = _accept_rotation(tx, station_id, batch_key_id, entry, at)
        if reason:
            raise_alarm(tx, station_id, "key_rotation_refused", f"seq {entry['seq']}: {reason}", at)


def _accept_rotation(tx, station_id: str, batch_key_id: str, entry: dict, at: str) -> str | None:
    try:
        payload = json.loads(entry["payload"])
        old, new, public_text, signature = (payload["old_key_id"], payload["new_key_id"], payload["new_public_key"],
                                            payload["signature"])
        new_public = keys.unb64(public_text)
    except (ValueError, KeyError, TypeError):
        return "the rotation entry's payload is not well formed"
    if not all(isinstance(v, str) for v in (old, new, public_text, signature)) or len(new_public) != 32:
        return "the rotation entry's payload is not well formed"
    if keys.key_id_of(new_public) != new:
        return "new_key_id does not match new_public_key"
    if old != batch_key_id:
        return f"rotation from key {old} arrived in a batch signed by key {batch_key_id}"
    row = tx.one("SELECT public_key, status FROM hq_station_keys WHERE station_id = ? AND key_id = ?",
                 (station_id, old))
    if row is None or row[1] != "active":
        return f"key {old} is not the station's active key"
    if not keys.verify(keys.unb64(row[0]), rotation_message(station_id, old, new, public_text), signature):
        return f"the rotation is not signed by key {old}"
    taken = tx.one("SELECT station_id FROM hq_station_keys WHERE key_id = ? AND station_id <> ?", (new, station_id))
    if taken is not None:
        return f"key {new} is enrolled for another station"
    existing = tx.one("SELECT status FROM hq_station_keys WHERE station_id = ? AND key_id = ?", (station_id, new))
    if existing is not None and existing[0] == "revoked":
        return f"key {new} was revoked at HQ"
    tx.execute("UPDATE hq_station_keys SET status = 'rotated', retired_at = ? WHERE station_id = ? AND key_id = ?",
               (at, station_id, old))
    if existing is None:
        tx.execute("INSERT INTO hq_station_keys (station_id, key_id, public_key, status, enrolled_at)"
                   " VALUES (?, ?, ?, 'active', ?)", (station_id, new, keys.b64(new_public), at))
    else:
        tx.execute("UPDATE hq_station_keys SET status = 'active', retired_at = NULL WHERE station_id = ?"
                   " AND key_id = ?", (station_id, new))
    log.info("station %s rotated its key %s -> %s (journal seq %s)", station_id, old, new, entry["seq"])
    return None
