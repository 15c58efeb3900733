"""Request authentication for HQ's API: the FastAPI dependency over counter.request_signing.

`require_station` verifies the RFC 9421 signature with the station's enrolled,
active key, then remembers the nonce in `hq_request_nonces` (one row per
request, deleted once older than twice the replay window: the table stays
bounded, and several stateless workers sharing PostgreSQL see the same nonces).

Every refusal is a 401 `{error: "unauthorized", message}`; an unknown station,
a revoked key and a wrong signature get the very same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from counter import keys
from counter.hq.ingest import IngestError
from counter.hq.store import Store
from counter.request_signing import REPLAY_WINDOW_S, RequestRefused, verify_request

NONCE_TABLE = """CREATE TABLE IF NOT EXISTS hq_request_nonces (
    key_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    created_epoch BIGINT NOT NULL,
    PRIMARY KEY (key_id, nonce)
)"""
NONCE_INDEX = "CREATE INDEX IF NOT EXISTS hq_request_nonces_created ON hq_request_nonces(created_epoch)"


class Unauthorized(IngestError):
    status, code = 401, "unauthorized"


@dataclass(frozen=True)
class Caller:
    """Who signed the request: the station, its key and, where a clerk asked, the clerk's id."""

    station_id: str
    key_id: str
    clerk_id: str | None


def ensure_schema(store: Store) -> None:
    """Create the nonce table in an HQ database made before it existed (idempotent)."""
    with store.transaction() as tx:
        tx.execute(NONCE_TABLE)
        tx.execute(NONCE_INDEX)


def _active_key(store: Store, key_id: str) -> tuple[str, bytes] | None:
    with store.transaction() as tx:
        row = tx.one("SELECT k.station_id, k.public_key FROM hq_station_keys k JOIN hq_stations s"
                     " ON s.station_id = k.station_id WHERE k.key_id = ? AND k.status = 'active'", (key_id,))
    return (row[0], keys.unb64(row[1])) if row else None


def authenticate(store: Store, method: str, url: str, headers, body: bytes, now: datetime | None = None) -> Caller:
    """Verify and record one request; raises Unauthorized. Blocking (database): run it in a thread."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    now = now or datetime.now(UTC)
    found: dict[str, tuple[str, bytes] | None] = {}

    def lookup(key_id: str):
        found[key_id] = _active_key(store, key_id)
        entry = found[key_id]
        return Ed25519PublicKey.from_public_bytes(entry[1]) if entry else None

    try:
        verified = verify_request(method, url, headers, body, lookup=lookup, now=now)
    except RequestRefused as exc:
        raise Unauthorized("{why}", why=str(exc)) from None
    station_id = found[verified.key_id][0]  # type: ignore[index]  (verified => found)
    epoch = int(now.timestamp())
    with store.transaction() as tx:
        tx.execute("DELETE FROM hq_request_nonces WHERE created_epoch < ?", (epoch - 2 * REPLAY_WINDOW_S,))
        fresh = tx.one("INSERT INTO hq_request_nonces (key_id, nonce, created_epoch) VALUES (?, ?, ?)"
                       " ON CONFLICT DO NOTHING RETURNING key_id", (verified.key_id, verified.nonce, epoch))
    if fresh is None:
        raise Unauthorized("request was already received (replayed nonce); send a freshly signed request")
    return Caller(station_id, verified.key_id, verified.clerk_id)


def dependency(store: Store):
    """The FastAPI dependency for every route that reveals anything: `caller: Caller = Depends(...)`."""

    async def require_station(request: Request) -> Caller:
        body = await request.body()
        url = str(request.url)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        return await run_in_threadpool(authenticate, store, request.method, url, headers, body)

    return require_station
