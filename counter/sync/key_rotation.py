"""Station key rotation: `counter keys rotate`.

The new key pair replaces DATA_DIR/keys/station.key and station.pub; the old pair
is kept as DATA_DIR/keys/retired/<old key id>.key / .pub (0600), so old signed
heads, bundles and QR payloads still verify. The rotation is journaled as a
`station.key_rotated` entry whose payload carries the new public key and a
signature by the OLD key over counter.sync.protocol.rotation_message; HQ accepts
the new key from that entry when it ingests it (counter/hq/keys.py).

Order, so that a crash at any point leaves a usable station:
1. the new pair is written as station.key.new / station.pub.new;
2. the old pair is copied to keys/retired/;
3. the rotation entry is journaled (head signed with the old key, which HQ still knows);
4. station.key.new replaces station.key (os.replace).
`finish_pending(data_dir, db)` completes step 4 at the next open when
the entry was journaled, and drops the new pair when it was not.
"""

from __future__ import annotations

import os
from pathlib import Path

from counter import files, keys
from counter.errors import CounterError
from counter.sync.protocol import ROTATION_KIND, rotation_message

RETIRED_DIR = Path("keys") / "retired"


def _paths(data_dir: Path) -> tuple[Path, Path, Path, Path]:
    key_dir = data_dir / "keys"
    return key_dir / "station.key", key_dir / "station.pub", key_dir / "station.key.new", key_dir / "station.pub.new"


def retired_keys(data_dir: Path) -> dict[str, keys.SigningKey]:
    """key id -> retired station key (for signing what HQ still holds under that key, and verifying)."""
    folder = data_dir / RETIRED_DIR
    found = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.key")):
            key = keys.load_private(path)
            found[key.key_id] = key
    return found


def rotate(station) -> tuple[str, str]:
    """Make a new station key, keep the old one, journal the rotation; returns (old key id, new key id)."""
    key_path, pub_path, new_key_path, new_pub_path = _paths(station.data_dir)
    for leftover in (new_key_path, new_pub_path):
        leftover.unlink(missing_ok=True)
    old = station.key
    new = keys.generate_keypair(new_key_path, new_pub_path)
    retired = station.data_dir / RETIRED_DIR
    retired.mkdir(mode=0o700, parents=True, exist_ok=True)
    for src, suffix in ((key_path, ".key"), (pub_path, ".pub")):
        target = retired / f"{old.key_id}{suffix}"
        if not target.exists():
            files.write_atomic(target, src.read_bytes())
    public_text = keys.b64(new.public_raw)
    station.record(ROTATION_KIND, {
        "old_key_id": old.key_id, "new_key_id": new.key_id, "new_public_key": public_text,
        "signature": old.sign(rotation_message(station.station_id, old.key_id, new.key_id, public_text)),
    })
    os.replace(new_pub_path, pub_path)
    os.replace(new_key_path, key_path)
    station.key = new
    return old.key_id, new.key_id


def finish_pending(data_dir: Path, db) -> None:
    """Complete or undo a rotation a crash interrupted (see the module docstring)."""
    key_path, pub_path, new_key_path, new_pub_path = _paths(data_dir)
    if not new_key_path.exists():
        return
    rotated_to = {new for _, _, new in rotations(db)}
    try:
        pending = keys.load_private(new_key_path)
    except CounterError:
        pending = None
    if pending is not None and pending.key_id in rotated_to:
        if new_pub_path.exists():
            os.replace(new_pub_path, pub_path)
        else:
            files.write_atomic(pub_path, pending.public_pem())
        os.replace(new_key_path, key_path)
    else:
        new_key_path.unlink()
        new_pub_path.unlink(missing_ok=True)


def rotations(db) -> list[tuple[int, str, str]]:
    """(seq, old key id, new key id) of every rotation entry in the journal, in order."""
    import json

    rows = db.conn.execute("SELECT seq, payload FROM journal WHERE kind = ? ORDER BY seq", (ROTATION_KIND,)).fetchall()
    out = []
    for seq, payload in rows:
        data = json.loads(payload)
        out.append((seq, data["old_key_id"], data["new_key_id"]))
    return out


__all__ = ["RETIRED_DIR", "finish_pending", "retired_keys", "rotate", "rotations"]
