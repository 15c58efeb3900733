"""`counter journal verify` without opening the station for writing.

The check reads every journal row anyway, so it skips what opening a station for work costs: no
migrations, no pragmas, no integrity scan, no projectors, no sqlite-utils. station.toml is still loaded
and checked (a bad value is refused, naming file and key, as by every command), and the head's signature
is checked with the station key. A station that needs the writer's open first (its schema is older than
this software, or a key rotation is to be finished) gets None: the caller opens it that way
(`counter.station.Station.open`, which imports this module for the key checks they share).
"""

from __future__ import annotations

from pathlib import Path

from counter import files, keys
from counter.config import DB_FILE, load_config
from counter.errors import CounterError
from db.chain import VerifyResult, verify
from db.connection import DatabaseError, open_read_only

KEY_FILE = Path("keys") / "station.key"


def signed_by_station(data_dir: Path, key: keys.SigningKey, message: bytes, signature: str) -> bool:
    """With the current key, or a retired one (`counter keys rotate` keeps them in keys/retired/)."""
    if keys.verify(key.public, message, signature):
        return True
    from counter.sync.key_rotation import retired_keys

    return any(keys.verify(k.public, message, signature) for k in retired_keys(data_dir).values())


def key_notices(data_dir: Path) -> list[str]:
    """One-line warnings about the station key for the operator (no personal data)."""
    key_path = data_dir / KEY_FILE
    if key_path.exists() and files.exposed(key_path):
        return [f"{key_path} can be read by other users; run: chmod 600 {key_path}"]
    return []


def verify_station_journal(data_dir: Path) -> tuple[VerifyResult, list[str]] | None:
    """The whole chain checked, with HQ's last ack, and the notices opening the station would give; None
    when the station must first be opened for writing."""
    from counter.sync.state import last_ack_in

    config = load_config(data_dir)
    for name in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm"):
        files.private_file(data_dir / name, create=False)
    if (data_dir / KEY_FILE).with_name("station.key.new").exists():
        return None  # a key rotation to finish first: only the writer's open does it
    try:
        db = open_read_only(data_dir / DB_FILE)
    except DatabaseError as exc:
        raise CounterError(str(exc)) from None
    if db is None:
        return None  # migrations to run first
    try:
        key = keys.load_private(data_dir / KEY_FILE)
        notices = key_notices(data_dir)
        result = verify(db, config.station_id,
                        lambda message, signature: signed_by_station(data_dir, key, message, signature),
                        acked=last_ack_in(db))
    finally:
        db.conn.close()
    return result, notices

