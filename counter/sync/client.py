"""The station's sync client: push journal entries past HQ's signed ack, store the ack.

API (the app footer and `counter sync` use these):

- `sync_once(station) -> SyncResult`: push everything pending, batch by batch
  ([sync] batch_size entries each, streamed from the journal so memory stays
  bounded). Never raises for expected failures (HQ unreachable, refused):
  the result carries one clear line in `.error`, also kept in sync_state.
- `sync_status(station) -> {"last_sync", "pending", "error", "acked_seq"}`.
- `sync_loop(station, should_stop, on_result=None, interval=None)`: for a
  Textual thread worker, e.g.
  `self.run_worker(lambda: sync_loop(st, lambda: get_current_worker().is_cancelled,
  lambda r: self.call_from_thread(self.show_sync, r)), thread=True, exit_on_error=False)`.
  Offline for days is normal: it keeps trying every [sync] interval_seconds.

Every request is signed with the station key (RFC 9421, counter.request_signing);
`https://` trusts only [sync] hq_ca when set, and plain `http://` to a host that is
not loopback is refused unless [sync] insecure_http (then said once per run).

Every ack is verified with HQ's public key ([sync] hq_public_key) before it
is stored, in its own station transaction. A crash anywhere costs at most a
resend, which HQ recognises as duplicates.

Test-only fault injection: COUNTER_SYNC_FAULT=after_response makes the process
die after HQ replied and before the ack is stored.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from counter import files, keys, request_signing
from counter.errors import ConfigError, CounterError
from counter.sync import key_rotation
from counter.sync.protocol import (
    PROTOCOL_VERSION,
    Ack,
    Batch,
    ProtocolError,
    checkpoint_message,
    parse_utc,
    utc_now_text,
)
from counter.sync.state import store_conflicts, store_resolutions
from db import journal, sync_state
from db.connection import write_transaction

FAULT_ENV = "COUNTER_SYNC_FAULT"
MAX_REWINDS = 3
HTTP_TIMEOUT_S = 30.0


class SyncError(CounterError):
    pass


class HQUnreachable(SyncError):
    """Filled with the pending count once it is known."""


@dataclass
class SyncResult:
    ok: bool
    pushed: int = 0  # entries HQ newly stored
    duplicates: int = 0  # entries HQ already held (resends after a crash or a lost reply)
    batches: int = 0
    acked_seq: int = 0
    pending: int = 0
    rewinds: int = 0
    error: str | None = None  # one line, English
    error_template: str | None = None  # gettext msgid of `error`, for the UI
    error_params: dict | None = None
    warning: str | None = None  # one line, English: said on the first sync of a run (e.g. plain http)

    def as_dict(self) -> dict:
        return asdict(self)

    def localized_error(self, gettext: Callable[[str], str]) -> str | None:
        """The error in the UI language: `result.localized_error(counter.i18n.gettext)`."""
        if self.error_template is None:
            return self.error
        text = gettext(self.error_template)
        return text.format(**self.error_params) if self.error_params else text


# --- station-local state -----------------------------------------------------------


def _state(station) -> tuple[int, str]:
    return sync_state.acked(station.db) or (0, journal.GENESIS_HASH)


def _store_ack(station, ack: Ack, clock_offset_s: float | None) -> None:
    with write_transaction(station.db) as db:
        sync_state.store_ack(db, acked_seq=ack.acked_seq, acked_hash=ack.acked_hash, server_time=ack.server_time,
                             signature=ack.signature, hq_key_id=ack.hq_key_id, success_at=utc_now_text(),
                             clock_offset_s=clock_offset_s)
        store_conflicts(db, ack.conflicts)  # signed with the ack: stored with it
        store_resolutions(station, ack.conflicts)


def _store_attempt(station, error: str | None) -> None:
    with write_transaction(station.db) as db:
        sync_state.store_attempt(db, utc_now_text(), error)


def sync_status(station) -> dict:
    """{last_sync, pending, error, acked_seq} for the footer and `counter sync status`."""
    row = sync_state.sync_state(station.db)
    head_seq, _ = journal.head(station.db)
    acked = row.acked_seq if row else 0
    if acked and not _acked_by_configured_hq(station):
        acked = 0  # that ack came from another HQ: everything is pending for this one
    return {
        "last_sync": row.last_success_at if row else None,
        "pending": max(head_seq - acked, 0),
        "error": row.last_error if row else None,
        "acked_seq": acked,
        "last_attempt": row.last_attempt_at if row else None,
        "clock_offset_s": row.clock_offset_s if row else None,
        "configured": bool(station.config.section("sync")["hq_url"]),
    }


def _acked_by_configured_hq(station, hq_public=None) -> bool:
    """False when the stored ack was signed by another HQ key than the one configured now."""
    row = sync_state.sync_state(station.db)
    if not row or not row.hq_key_id:
        return True
    if hq_public is None:
        try:
            hq_public = _hq_public_key(station)
        except CounterError:
            return True  # not configured (or unreadable): nothing better to say than the stored ack
    return row.hq_key_id == keys.key_id_of(hq_public)


# --- configuration -------------------------------------------------------------------

HQ_PUB_FILE = "hq.pub"


HQ_CA_FILE = "hq-ca.pem"
LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() in LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_transport(url, insecure_http: bool) -> None:
    if url.scheme == "http" and not is_loopback(url.host) and not insecure_http:
        raise ConfigError("HQ URL {url} is plain http:// to a host that is not loopback: personal data would cross"
                          " the network unencrypted; use https:// (with --hq-ca) or pass --insecure-http",
                          url=str(url))


def _read_ca(path: Path) -> bytes:
    import ssl

    try:
        pem = Path(path).read_bytes()
    except OSError:
        raise ConfigError("cannot read HQ CA file {path}", path=path) from None
    try:
        ssl.create_default_context(cadata=pem.decode("ascii"))
    except (ssl.SSLError, ValueError, UnicodeDecodeError):
        raise ConfigError("HQ CA file {path} is not a PEM certificate", path=path) from None
    return pem


def configure(station, hq_url: str, hq_public_key_file: Path, *, hq_ca_file: Path | None = None,
              insecure_http: bool = False) -> str:
    """Store HQ's URL and a copy of HQ's public key (DATA_DIR/keys/hq.pub); returns HQ's key id.

    `hq_ca_file`: HQ's certificate or CA, copied to DATA_DIR/keys/hq-ca.pem, the only trust for https://.
    `insecure_http`: allow plain http:// to a host that is not loopback (stored as [sync] insecure_http).
    """
    import httpx

    try:
        url = httpx.URL(hq_url)
    except Exception:
        raise ConfigError("HQ URL {url} is not a valid URL", url=hq_url) from None
    if url.scheme not in ("http", "https"):
        raise ConfigError("HQ URL {url} must start with http:// or https://", url=hq_url)
    if not url.host:
        raise ConfigError("HQ URL {url} names no host; e.g. http://hq.example:8765", url=hq_url)
    _check_transport(url, insecure_http)
    ca_pem = _read_ca(hq_ca_file) if hq_ca_file is not None else None
    try:
        pem = Path(hq_public_key_file).read_bytes()
    except OSError:
        raise ConfigError("cannot read HQ public key file {path}", path=hq_public_key_file) from None
    public = keys.public_from_pem(pem, str(hq_public_key_file))
    target = station.data_dir / "keys" / HQ_PUB_FILE
    files.write_atomic(target, pem)
    section = station.config.section("sync")
    section["hq_url"] = str(hq_url).rstrip("/")
    section["hq_public_key"] = f"keys/{HQ_PUB_FILE}"
    if ca_pem is not None:
        ca_target = station.data_dir / "keys" / HQ_CA_FILE
        files.write_atomic(ca_target, ca_pem)
        section["hq_ca"] = f"keys/{HQ_CA_FILE}"
    section["insecure_http"] = bool(insecure_http)
    station.config.save()
    return keys.key_id_of(public)


def _hq_public_key(station):
    value = station.config.section("sync")["hq_public_key"]
    if not value:
        raise ConfigError("HQ's public key is not configured; run 'counter sync configure --hq-public-key FILE'")
    if value.lstrip().startswith("-----BEGIN"):
        return keys.public_from_pem(value.encode(), "[sync] hq_public_key")
    path = Path(value)
    return keys.load_public(path if path.is_absolute() else station.data_dir / path)


# --- the push ------------------------------------------------------------------------


def _verify_ack(station, data: object, hq_public) -> Ack:
    try:
        ack = Ack.from_dict(data)
    except ProtocolError as exc:
        raise SyncError("HQ sent an unreadable ack ({why}); entries stay queued", why=str(exc)) from None
    if ack.station_id != station.station_id:
        raise SyncError("HQ acked station {other}, not this station {sid}", other=ack.station_id, sid=station.station_id)
    if not keys.verify(hq_public, ack.message(), ack.signature):
        raise SyncError("HQ's ack signature does not verify with the configured HQ public key; ack ignored")
    return ack


def _check_ack_against_journal(station, ack: Ack, local_head: int) -> None:
    if ack.acked_seq > local_head:
        raise SyncError("HQ holds this station up to seq {acked} but the local journal ends at seq {head}:"
                        " the journal was truncated or restored from an old backup; call district IT before"
                        " recording more", acked=ack.acked_seq, head=local_head)
    if ack.acked_seq:
        local = journal.get(station.db, ack.acked_seq)
        if local is None or local.hash != ack.acked_hash:
            raise SyncError("the local entry at seq {seq} differs from what HQ acknowledged: the journal was"
                            " changed or restored from a backup; call district IT", seq=ack.acked_seq)


def _describe_transport_error(exc: Exception) -> str:
    import httpx

    text = str(exc).lower()
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if "certificate verify failed" in text or "certificate_verify_failed" in text:
        return "HQ's TLS certificate is not trusted (check sync.hq_ca: 'counter sync configure --hq-ca FILE')"
    if "wrong version number" in text or "record layer failure" in text:
        return "TLS handshake failed (is HQ serving https:// on that port?)"
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text:
        return "host name not found"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first


def _fault(stage: str, fault: Callable[[str], None] | None) -> None:
    if fault is not None:
        fault(stage)
    if os.environ.get(FAULT_ENV) == stage:
        os._exit(87)


def sync_once(station, *, client=None, batch_size: int | None = None,
              clock: Callable[[], datetime] | None = None, fault: Callable[[str], None] | None = None,
              clerk_id: str | None = None) -> SyncResult:
    """Push every pending entry; see the module docstring. `clerk_id`: the clerk who asked, if one did."""
    result = SyncResult(ok=False)
    try:
        _push_all(station, result, client, batch_size, clock or (lambda: datetime.now(UTC)), fault, clerk_id)
        result.ok = True
    except CounterError as exc:
        error = exc
    else:
        error = None
    head_seq, _ = journal.head(station.db)
    result.pending = max(head_seq - _state(station)[0], 0)
    if isinstance(error, HQUnreachable):
        error = HQUnreachable(error.template, **{**error.params, "pending": result.pending})
    if error is not None:
        result.error, result.error_template, result.error_params = str(error), error.template, dict(error.params)
    _store_attempt(station, result.error)
    return result


def signed_headers(station, method: str, url: str, body: bytes, now: datetime,
                   clerk_id: str | None = None, key=None) -> dict[str, str]:
    """Content-Digest and RFC 9421 signature headers for one request to HQ, by the station key."""
    key = key or station.key
    return {**request_signing.sign_request(key.private, key.key_id, method, url, body, now=now, clerk_id=clerk_id),
            "Counter-Protocol": str(PROTOCOL_VERSION)}


def _post_batch(http, url: str, station, batch: Batch, key, clock, clerk_id):
    import httpx

    body = batch.to_json().encode()

    def post():
        return http.post(f"{url}/v1/batches", content=body,
                         headers={"content-type": "application/json",
                                  **signed_headers(station, "POST", f"{url}/v1/batches", body, clock(), clerk_id, key)})

    try:
        return post()
    except httpx.RemoteProtocolError:
        # HQ closed a kept-alive connection just as the batch went out (its idle timeout racing our
        # send). A batch is idempotent at HQ, so it is sent once more, on a new connection.
        return post()


def _key_for(station, cursor_seq: int, size: int, key_rotations: list[tuple[int, str, str]]):
    """The key HQ knows for the next entries, and how many to send: a batch ends at a rotation entry,
    signed by the old key (HQ learns the new one from that entry)."""
    for seq, old_key_id, _new in key_rotations:
        if seq > cursor_seq:
            if old_key_id == station.key.key_id:
                return station.key, min(size, seq - cursor_seq)
            retired = key_rotation.retired_keys(station.data_dir).get(old_key_id)
            if retired is None:
                raise SyncError("retired station key {kid} is missing from keys/retired/; HQ needs entries up to seq"
                                " {seq} signed by it (restore it from the station's backup)", kid=old_key_id, seq=seq)
            return retired, min(size, seq - cursor_seq)
    return station.key, size


_warned_insecure: set[str] = set()


def _transport_warning(station, url) -> str | None:
    """Refuse plain http:// off loopback unless allowed; when allowed, say so once per run (process)."""
    insecure = bool(station.config.section("sync").get("insecure_http"))
    _check_transport(url, insecure)
    if url.scheme == "http" and not is_loopback(url.host) and str(url) not in _warned_insecure:
        _warned_insecure.add(str(url))
        return (f"warning: syncing to {url} over plain http (sync.insecure_http is set): personal data crosses the"
                " network unencrypted")
    return None


def _tls_context(station):
    """An SSL context trusting only [sync] hq_ca when it is set; else the system's CAs."""
    import ssl

    value = station.config.section("sync").get("hq_ca") or ""
    if not value:
        return True
    path = Path(value) if Path(value).is_absolute() else station.data_dir / value
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError):
        raise ConfigError("HQ CA file {path} cannot be read as a PEM certificate; run 'counter sync configure"
                          " --hq-ca FILE' again", path=path) from None


def _push_all(station, result: SyncResult, client, batch_size, clock, fault, clerk_id=None) -> None:
    import httpx

    section = station.config.section("sync")
    url = section["hq_url"]
    if not url:
        raise ConfigError("sync is not configured; run 'counter sync configure --hq-url URL --hq-public-key FILE'")
    hq_public = _hq_public_key(station)
    size = batch_size or section["batch_size"]
    if size < 1:
        raise ConfigError("[sync] batch_size must be at least 1")
    cursor_seq, cursor_hash = _state(station)
    if not _acked_by_configured_hq(station, hq_public):
        # `sync configure` pointed the station at another HQ: that ack says nothing about what this HQ
        # holds, so push from the start (HQ counts what it already has as duplicates).
        cursor_seq, cursor_hash = 0, journal.GENESIS_HASH
    result.acked_seq = cursor_seq
    with write_transaction(station.db):  # see _build_batch: committed rows only
        head_seq, _ = journal.head(station.db)
    if cursor_seq > head_seq:
        raise SyncError("the last HQ ack is seq {acked} but the local journal ends at seq {head}: the journal was"
                        " truncated; call district IT", acked=cursor_seq, head=head_seq)
    if cursor_seq:
        local = journal.get(station.db, cursor_seq)
        if local is None or local.hash != cursor_hash:
            raise SyncError("the local entry at seq {seq} differs from what HQ acknowledged; call district IT",
                            seq=cursor_seq)
    result.warning = _transport_warning(station, httpx.URL(url))
    key_rotations = key_rotation.rotations(station.db)
    own_client = client is None
    http = client or httpx.Client(timeout=HTTP_TIMEOUT_S, verify=_tls_context(station))
    try:
        if cursor_seq == head_seq and cursor_seq:
            # nothing to push: still ask HQ's signed cursor, which carries the district register's
            # conflicts for this station (a window learns of one even on a quiet day)
            _poll_cursor(http, url, station, hq_public, head_seq, clock, clerk_id)
        while cursor_seq < head_seq:
            # The station shares one connection between threads: reading under the writer lock
            # means a clerk's half-done transaction is never read (and never pushed).
            key, limit = _key_for(station, cursor_seq, size, key_rotations)
            with write_transaction(station.db):
                batch = _build_batch(station, cursor_seq, cursor_hash, limit, clock, key)
            _fault("before_send", fault)
            try:
                response = _post_batch(http, url, station, batch, key, clock, clerk_id)
                if response.status_code == 401 and key is not station.key:
                    # HQ already took the rotation entry (our ack of it was lost): it knows only the new key now
                    with write_transaction(station.db):
                        batch = _build_batch(station, cursor_seq, cursor_hash, limit, clock, station.key)
                    response = _post_batch(http, url, station, batch, station.key, clock, clerk_id)
            except httpx.HTTPError as exc:
                raise HQUnreachable("HQ unreachable at {url}: {why}; entries stay queued ({pending} pending)",
                                    url=url, why=_describe_transport_error(exc), pending="?") from None
            body = _json(response)
            if response.status_code == 200:
                ack = _verify_ack(station, body, hq_public)
                _check_ack_against_journal(station, ack, head_seq)
                if ack.acked_seq < batch.last_seq:
                    raise SyncError("HQ acked seq {acked} for a batch ending at seq {last}; entries stay queued",
                                    acked=ack.acked_seq, last=batch.last_seq)
                _fault("after_response", fault)
                _store_ack(station, ack, _offset(ack, clock))
                result.batches += 1
                result.pushed += ack.inserted
                result.duplicates += ack.duplicates
                cursor_seq, cursor_hash = ack.acked_seq, ack.acked_hash
                result.acked_seq = cursor_seq
            elif response.status_code == 409 and body.get("error") == "gap" and isinstance(body.get("cursor"), dict):
                # HQ holds less than our ack says (e.g. HQ restored from a backup): resend from its cursor
                ack = _verify_ack(station, body["cursor"], hq_public)
                _check_ack_against_journal(station, ack, head_seq)
                result.rewinds += 1
                if result.rewinds > MAX_REWINDS:
                    raise SyncError("HQ keeps reporting a gap at seq {seq}; entries stay queued", seq=ack.acked_seq)
                _store_ack(station, ack, _offset(ack, clock))
                cursor_seq, cursor_hash = ack.acked_seq, ack.acked_hash
                result.acked_seq = cursor_seq
            else:
                message = body.get("message") if isinstance(body, dict) else None
                if response.status_code >= 500:
                    raise SyncError("HQ at {url} failed (HTTP {status}){why}; entries stay queued", url=url,
                                    status=response.status_code,
                                    why=f": {' '.join(str(message).split())[:300]}" if message else "")
                if response.status_code == 426 and message:
                    raise SyncError("{why}", why=" ".join(str(message).split())[:300])
                if response.status_code == 401 and body.get("error") == "unauthorized":
                    raise SyncError("HQ did not accept this station's signed request (401): {why}; if the station"
                                    " is new or its key was revoked, HQ must enrol it: counter hq enroll"
                                    " --station-id {sid} --public-key {pub}", why=" ".join(str(message).split())[:300],
                                    sid=station.station_id, pub=station.data_dir / "keys" / "station.pub")
                if not message:
                    # Not our HQ's JSON (a proxy's or another server's HTML page): never paste it into the
                    # one-line error or the sync status.
                    raise SyncError("the server at {url} did not answer as a counter HQ (HTTP {status}); check"
                                    " sync.hq_url; entries stay queued", url=url, status=response.status_code)
                raise SyncError("HQ refused the batch {first}-{last} ({status}): {why}", first=batch.first_seq,
                                last=batch.last_seq, status=response.status_code,
                                why=" ".join(str(message).split())[:300])
    finally:
        if own_client:
            http.close()


def _poll_cursor(http, url: str, station, hq_public, head_seq: int, clock, clerk_id) -> None:
    import httpx

    target = f"{url}/v1/stations/{station.station_id}/cursor"
    try:
        response = http.get(target, headers=signed_headers(station, "GET", target, b"", clock(), clerk_id))
    except httpx.HTTPError as exc:
        raise HQUnreachable("HQ unreachable at {url}: {why}; entries stay queued ({pending} pending)",
                            url=url, why=_describe_transport_error(exc), pending="?") from None
    if response.status_code != 200:
        return  # an older HQ, or a refusal the next push reports in full
    ack = _verify_ack(station, _json(response), hq_public)
    _check_ack_against_journal(station, ack, head_seq)
    if ack.acked_seq == head_seq:
        _store_ack(station, ack, _offset(ack, clock))


def _json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _offset(ack: Ack, clock) -> float | None:
    try:
        return (clock() - parse_utc(ack.server_time)).total_seconds()
    except ValueError:
        return None


def _build_batch(station, cursor_seq: int, cursor_hash: str, size: int, clock, key=None) -> Batch:
    """Read at most `size` entries after the cursor, re-verifying the local chain as they stream by."""
    rows: list[dict] = []
    prev = cursor_hash
    for e in journal.entries(station.db, since=cursor_seq, until=cursor_seq + size, batch=min(size, 500)):
        expected = cursor_seq + len(rows) + 1
        if e.seq != expected:
            raise SyncError("local journal broken at seq {seq}: row missing; not pushing (run 'counter journal"
                            " verify')", seq=expected)
        if e.prev_hash != prev:
            raise SyncError("local journal broken at seq {seq}: prev_hash does not link; not pushing (run"
                            " 'counter journal verify')", seq=e.seq)
        if journal.entry_hash(station.station_id, e) != e.hash:
            raise SyncError("local journal broken at seq {seq}: entry was changed; not pushing (run 'counter"
                            " journal verify')", seq=e.seq)
        rows.append(e.as_dict())
        prev = e.hash
    if not rows:
        raise SyncError("local journal has no entries after seq {seq}; not pushing", seq=cursor_seq)
    last = rows[-1]
    key = key or station.key
    return Batch(
        station_id=station.station_id, key_id=key.key_id, first_seq=rows[0]["seq"], last_seq=last["seq"],
        prev_hash=rows[0]["prev_hash"], head_hash=last["hash"],
        signature=key.sign(checkpoint_message(station.station_id, last["seq"], last["hash"])),
        sent_at=utc_now_text(clock()), entries=rows,
    )


def sync_loop(station, should_stop: Callable[[], bool], on_result: Callable[[SyncResult], None] | None = None,
              interval: float | None = None, **kwargs) -> None:
    """Sync, then wait [sync] interval_seconds, until should_stop() is true (checked every 0.2 s)."""
    wait = interval if interval is not None else station.config.section("sync")["interval_seconds"]
    while not should_stop():
        result = sync_once(station, **kwargs)
        if on_result is not None:
            on_result(result)
        deadline = time.monotonic() + wait
        while not should_stop() and time.monotonic() < deadline:
            time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
