"""Getting a station's journal back from HQ: a replaced PC (`counter init --restore-from-hq`) and a
restored backup that is older than HQ's ack (`counter restore`).

HQ is not trusted for content: every entry must recompute to its hash and link to the one before,
every batch checkpoint HQ returns must verify with the station key the journal itself designates
for it (`station.initialized`, `station.key_rotated`, `station.restored` entries carry the keys),
the last entry must be covered by such a checkpoint, and the head must equal HQ's cursor, signed
with HQ's key. Everything is written in one transaction: a failure leaves nothing behind.

What the old PC recorded after HQ's last ack is lost with its disk: at most one sync interval
of work while HQ was reachable (longer while it was not).
"""

from __future__ import annotations

import json
import os
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from counter import keys, request_signing
from counter.errors import ConfigError, CounterError
from counter.sync.protocol import PROTOCOL_VERSION, ROTATION_KIND, Ack, ProtocolError, checkpoint_message
from db import journal, kinds

RESTORED_KIND = "station.restored"
PAGE = 2000
LOSS_NOTE = ("entries the old PC recorded after HQ's last ack (seq {seq}) are lost with its disk: at most one"
             " [sync] interval_seconds ({interval} s) of work while HQ was reachable, all of it while it was not")


class RestoreError(CounterError):
    pass


@dataclass
class Fetched:
    ack: Ack
    entries: int = 0
    checkpoints: int = 0
    seconds: float = 0.0
    keys: dict[str, bytes] = field(default_factory=dict)


def known_keys(db) -> dict[str, bytes]:
    """key id -> raw public key, as the journal itself introduces them."""
    found: dict[str, bytes] = {}
    for e in journal.of_kinds(db, kinds.STATION_INITIALIZED, ROTATION_KIND, RESTORED_KIND):
        _learn_key(found, e.kind, e.data)
    return found


def _learn_key(found: dict[str, bytes], kind: str, data: dict) -> None:
    try:
        if kind == ROTATION_KIND:
            kid, raw = data["new_key_id"], keys.unb64(data["new_public_key"])
        elif kind in (kinds.STATION_INITIALIZED, RESTORED_KIND):
            kid, raw = data["key_id"], keys.unb64(data["public_key"])
        else:
            return
    except (KeyError, TypeError, ValueError):
        return
    if keys.key_id_of(raw) == kid:
        found[kid] = raw


def tls_verify(data_dir: Path, hq_ca: str) -> ssl.SSLContext | bool:
    if not hq_ca:
        return True
    path = Path(hq_ca) if Path(hq_ca).is_absolute() else data_dir / hq_ca
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError):
        raise ConfigError("HQ CA file {path} cannot be read as a PEM certificate", path=path) from None


def fetch_into(db, station_id: str, hq_url: str, key: keys.SigningKey, hq_public, *, verify=True,
               progress: Callable[[int, int], None] | None = None, page: int = PAGE, client=None) -> Fetched:
    """Append to `db` (inside the caller's write transaction) every entry HQ holds after the local head,
    verified as the module docstring says; returns HQ's verified cursor. Raises RestoreError."""
    import httpx

    from counter.sync import client as sync

    started = time.monotonic()
    local_seq, prev = journal.head(db)
    station_keys = known_keys(db)
    base = hq_url.rstrip("/")
    own = client is None
    http = client or httpx.Client(timeout=sync.HTTP_TIMEOUT_S, verify=verify)
    target: Ack | None = None
    hashes: dict[int, str] = {}
    pending_checkpoints: list[dict] = []
    covered_head = False
    result_entries = checkpoints = 0
    seq = local_seq
    try:
        while True:
            url = f"{base}/v1/stations/{station_id}/journal?after={seq}&limit={page}"
            try:
                headers = {**request_signing.sign_request(key.private, key.key_id, "GET", url, b"",
                                                          now=datetime.now(UTC)),
                           "Counter-Protocol": str(PROTOCOL_VERSION)}
                response = http.get(url, headers=headers)
            except httpx.HTTPError as exc:
                raise RestoreError("HQ unreachable at {url}: {why}; nothing was restored", url=base,
                                   why=sync._describe_transport_error(exc)) from None
            body = sync._json(response)
            if response.status_code == 401:
                raise RestoreError("HQ does not accept this PC's key {kid} for station {sid}: at HQ, run 'counter hq"
                                   " rekey {sid} --public-key station.pub ...' with this PC's keys/station.pub first",
                                   kid=key.key_id, sid=station_id)
            if response.status_code != 200 or not isinstance(body.get("entries"), list):
                why = " ".join(str(body.get("message") or f"HTTP {response.status_code}").split())[:300]
                raise RestoreError("HQ at {url} did not hand back the journal: {why}; nothing was restored",
                                   url=base, why=why)
            try:
                ack = Ack.from_dict(body.get("cursor"))
            except ProtocolError as exc:
                raise RestoreError("HQ sent an unreadable cursor ({why}); nothing was restored", why=str(exc)) from None
            if ack.station_id != station_id or not keys.verify(hq_public, ack.message(), ack.signature):
                raise RestoreError("HQ's cursor is not signed by the configured HQ key; nothing was restored")
            if target is None:
                target = ack
                if ack.acked_seq < local_seq:
                    raise RestoreError("HQ holds station {sid} only up to seq {acked}, the local journal goes to seq"
                                       " {head}: nothing to fetch; sync instead", sid=station_id,
                                       acked=ack.acked_seq, head=local_seq)
            elif (ack.acked_seq, ack.acked_hash) != (target.acked_seq, target.acked_hash) and \
                    ack.acked_seq < target.acked_seq:
                raise RestoreError("HQ's cursor went back while the journal was read; try again")
            rows = body["entries"]
            if not rows and seq < target.acked_seq:
                raise RestoreError("HQ stopped handing back entries at seq {seq} of {acked}; nothing was restored",
                                   seq=seq, acked=target.acked_seq)
            for e in rows:
                if not isinstance(e, dict) or e.get("seq") != seq + 1:
                    raise RestoreError("HQ's journal skips seq {seq}; nothing was restored", seq=seq + 1)
                if e.get("prev_hash") != prev:
                    raise RestoreError("entry seq {seq} from HQ does not link to the one before; nothing was restored",
                                       seq=seq + 1)
                try:
                    recomputed = journal.entry_hash(station_id, e)
                except (KeyError, TypeError, ValueError):
                    recomputed = None
                if recomputed != e.get("hash"):
                    raise RestoreError("entry seq {seq} from HQ does not match its hash; nothing was restored",
                                       seq=seq + 1)
                if e["seq"] > target.acked_seq:
                    break
                journal.insert_chained(db, e)  # verified above: its seq, its link and its hash
                try:
                    _learn_key(station_keys, e["kind"], json.loads(e["payload"]))
                except ValueError:
                    pass
                hashes[e["seq"]] = e["hash"]
                seq, prev = e["seq"], e["hash"]
                result_entries += 1
            pending_checkpoints += [c for c in body.get("checkpoints") or [] if isinstance(c, dict)]
            still = []
            for c in pending_checkpoints:
                last = c.get("last_seq")
                if not isinstance(last, int) or last > seq:
                    still.append(c)
                    continue
                if last <= local_seq:
                    continue
                raw = station_keys.get(c.get("key_id"))
                if hashes.get(last) != c.get("head_hash") or raw is None or not keys.verify(
                        raw, checkpoint_message(station_id, last, c["head_hash"]), str(c.get("signature"))):
                    raise RestoreError("the station's signature on its batch ending at seq {seq} does not verify;"
                                       " nothing was restored", seq=last)
                checkpoints += 1
                if last == target.acked_seq:
                    covered_head = True
            pending_checkpoints = still
            if progress:
                progress(seq - local_seq, target.acked_seq - local_seq)
            if seq >= target.acked_seq:
                break
    finally:
        if own:
            http.close()
    assert target is not None
    if prev != target.acked_hash:
        raise RestoreError("the journal HQ handed back ends at a different entry than HQ's signed cursor;"
                           " nothing was restored")
    if target.acked_seq > local_seq and not covered_head:
        raise RestoreError("no station signature covers HQ's head at seq {seq}; nothing was restored",
                           seq=target.acked_seq)
    return Fetched(target, result_entries, checkpoints, time.monotonic() - started, station_keys)


def store_ack(db, ack: Ack) -> None:
    from counter.sync.protocol import utc_now_text
    from db import sync_state

    sync_state.store_ack(db, acked_seq=ack.acked_seq, acked_hash=ack.acked_hash, server_time=ack.server_time,
                         signature=ack.signature, hq_key_id=ack.hq_key_id, success_at=utc_now_text(),
                         keep_clock_offset=True)  # no clock reading here: the offset stays as it was


def sign_head(db, station_id: str, key: keys.SigningKey) -> None:
    seq, digest = journal.head(db)
    journal.store_head(db, seq, digest, key.sign(journal.head_message(station_id, seq, digest)))


# --- a replaced PC ---------------------------------------------------------------------


@dataclass
class Restored:
    data_dir: Path
    station_id: str
    key_id: str
    pending_enrolment: bool = False
    fetched: Fetched | None = None
    restored_seq: int = 0
    synced: bool = False
    sync_error: str | None = None
    notices: list[str] = field(default_factory=list)


def restore_station_from_hq(data_dir: Path, hq_url: str, station_id: str, hq_public_key_file: Path, *,
                            hq_ca_file: Path | None = None, insecure_http: bool = False,
                            progress: Callable[[int, int], None] | None = None) -> Restored:
    """`counter init --restore-from-hq`: first run makes this PC's key pair (to be rekeyed at HQ) and stops;
    the second fetches, verifies and rebuilds the station, journals `station.restored` under the new key
    and syncs it."""
    import httpx

    from counter import files
    from counter.config import CONFIG_FILE, DB_FILE
    from counter.station import check_station_id
    from counter.sync import client as sync

    check_station_id(station_id)
    try:
        url = httpx.URL(hq_url)
    except Exception:
        raise ConfigError("HQ URL {url} is not a valid URL", url=hq_url) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError("HQ URL {url} must be http:// or https:// with a host", url=hq_url)
    sync._check_transport(url, insecure_http)
    try:
        hq_pem = Path(hq_public_key_file).read_bytes()
    except OSError:
        raise ConfigError("cannot read HQ public key file {path}", path=hq_public_key_file) from None
    hq_public = keys.public_from_pem(hq_pem, str(hq_public_key_file))
    if (data_dir / CONFIG_FILE).exists():
        raise ConfigError("a station already exists in {dir}; restore into an empty --data-dir", dir=data_dir)
    key_path, pub_path = data_dir / "keys" / "station.key", data_dir / "keys" / "station.pub"
    if not key_path.exists():
        files.private_dir(data_dir, tighten=True)
        key = keys.generate_keypair(key_path, pub_path)
        return Restored(data_dir, station_id, key.key_id, pending_enrolment=True)
    key = keys.load_private(key_path)
    verify = True
    if hq_ca_file is not None:
        ca_pem = sync._read_ca(hq_ca_file)
        verify = ssl.create_default_context(cadata=ca_pem.decode("ascii"))

    from db.connection import open_database, write_transaction
    from db.rebuild import rebuild as rebuild_projections

    work = data_dir / f"{DB_FILE}.restoring"
    for leftover in (work, work.with_name(work.name + "-wal"), work.with_name(work.name + "-shm"),
                     data_dir / DB_FILE, data_dir / f"{DB_FILE}-wal", data_dir / f"{DB_FILE}-shm"):
        leftover.unlink(missing_ok=True)  # an earlier attempt that stopped half-way (no station.toml yet)
    files.private_file(work)
    db = open_database(work, create=True)
    try:
        with write_transaction(db):
            fetched = fetch_into(db, station_id, str(url).rstrip("/"), key, hq_public, verify=verify,
                                 progress=progress)
            first = journal.get(db, 1)
            if first is None or first.kind != kinds.STATION_INITIALIZED:
                raise RestoreError("HQ holds no journal for station {sid}; a new station is made with 'counter"
                                   " init'", sid=station_id)
            if first.data.get("demo") is True:
                raise RestoreError("station {sid} is a demo station; nothing to restore", sid=station_id)
            sign_head(db, station_id, key)
            store_ack(db, fetched.ack)
        rebuild_projections(db)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        db.conn.close()
        for p in (work, work.with_name(work.name + "-wal"), work.with_name(work.name + "-shm")):
            p.unlink(missing_ok=True)
        raise
    db.conn.close()
    os.replace(work, data_dir / DB_FILE)

    from counter.config import StationConfig
    from counter.config_schema import validate
    from counter.station import Station

    init = first.data
    path = data_dir / CONFIG_FILE
    raw = {"station": {"id": station_id, "district": init["district"], "office": init["office"]}}
    StationConfig(path=path, data=validate(raw, path)).save()
    station = Station.open(data_dir)
    try:
        sync.configure(station, str(url).rstrip("/"), Path(hq_public_key_file), hq_ca_file=hq_ca_file,
                       insecure_http=insecure_http)
        retired = sorted(k for k in fetched.keys if k != key.key_id)
        entry = station.record(RESTORED_KIND, {
            "restored_from": "hq", "acked_seq": fetched.ack.acked_seq, "acked_hash": fetched.ack.acked_hash,
            "hq_key_id": fetched.ack.hq_key_id, "key_id": key.key_id, "public_key": keys.b64(key.public_raw),
            "earlier_key_ids": retired,
        })
        result = Restored(data_dir, station_id, key.key_id, fetched=fetched, restored_seq=entry.seq)
        synced = sync.sync_once(station)
        result.synced, result.sync_error = synced.ok, synced.error
        result.notices = list(station.notices)
        from db.projectors.core import active_clerks_without_pin

        no_pin = active_clerks_without_pin(station.db)
        if no_pin:
            result.notices.append(f"{no_pin} clerk(s) came back without a PIN (PINs never leave a station): each"
                                  " sets one with 'counter clerk pin NAME'")
        return result
    finally:
        station.close()


def interval_of(station) -> int:
    return int(station.config.section("sync")["interval_seconds"])


__all__ = ["LOSS_NOTE", "RESTORED_KIND", "Fetched", "RestoreError", "Restored", "fetch_into", "known_keys",
           "restore_station_from_hq"]
