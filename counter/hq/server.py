"""The HQ HTTP API (FastAPI). Stateless: every request opens its own transaction.

POST /v1/batches               push a signed batch -> signed ack (or a refusal with a stable error code)
GET  /v1/stations/{id}/cursor  HQ's signed cursor for a station (where to resume)
GET  /v1/health                liveness and backend
Every route that reveals anything needs a request signed by the station's enrolled
key (RFC 9421, see counter/request_signing.py and counter/hq/auth.py); else 401.
The OpenAPI spec is at /openapi.json.

Test-only fault injection: COUNTER_HQ_FAULT=before_commit|after_commit makes the
process die (os._exit) at that point of the next accepted batch, like a power cut.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from counter.errors import CounterError
from counter.hq import admin, auth
from counter.hq.ingest import IngestError, MalformedBatch, cursor_ack, ingest_batch
from counter.hq.store import Store, open_store
from counter.sync_protocol import PROTOCOL_VERSION

FAULT_ENV = "COUNTER_HQ_FAULT"
log = logging.getLogger("counter.hq")


class EntryModel(BaseModel):
    """One journal row exactly as the station stores it (payload: the stored canonical JSON text)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    seq: int = Field(ge=1)
    uuid: str
    business_day: str
    device_time_utc: str
    monotonic_ns: int
    boot_id: str
    clerk_id: str | None
    kind: str
    schema_ver: int
    payload: str
    prev_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class BatchModel(BaseModel):
    """A contiguous run first_seq..last_seq of one station's journal, with its signed checkpoint."""

    model_config = ConfigDict(extra="forbid", strict=True)
    version: int = PROTOCOL_VERSION
    station_id: str
    key_id: str
    first_seq: int = Field(ge=1)
    last_seq: int = Field(ge=1)
    prev_hash: str
    head_hash: str
    signature: str = Field(description="station key over db.journal.head_message(station_id, last_seq, head_hash)")
    sent_at: str = Field(description="station clock (UTC) when sent")
    entries: list[EntryModel]


class AckModel(BaseModel):
    """HQ holds station_id's journal up to acked_seq (hash acked_hash); signed with HQ's key."""

    station_id: str
    acked_seq: int
    acked_hash: str
    server_time: str
    hq_key_id: str
    signature: str = Field(description="HQ key over counter.sync_protocol.ack_message(...)")
    inserted: int
    duplicates: int


class RefusalModel(BaseModel):
    error: str = Field(description="malformed | unknown_station | key_rejected | quarantined | gap | fork | chain_broken")
    message: str
    cursor: AckModel | None = Field(None, description="on a gap: HQ's signed cursor, resend from cursor.acked_seq + 1")


def _fault_hook():
    stage = os.environ.get(FAULT_ENV)
    if not stage:
        return None

    def fault(at: str) -> None:
        if at == stage:
            log.warning("fault injection: dying at %s", at)
            os._exit(86)

    return fault


def create_app(store: Store) -> FastAPI:
    app = FastAPI(title="counter HQ", version="1",
                  description="Headquarters ingest for station journals: signed, resumable, idempotent.")
    refusals: dict[int | str, dict[str, Any]] = {
        code: {"model": RefusalModel} for code in (400, 401, 403, 409, 422, 423)
    }
    auth.ensure_schema(store)
    signed = Depends(auth.dependency(store))

    @app.exception_handler(IngestError)
    def ingest_refused(_request: Request, exc: IngestError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(CounterError)
    def counter_error(_request: Request, exc: CounterError) -> JSONResponse:
        log.error("request failed: %s", exc)
        return JSONResponse({"error": "server", "message": str(exc)}, status_code=503)

    @app.exception_handler(RequestValidationError)
    def malformed_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default answer echoes each bad field's input (a payload full of names) and has no
        # 'message', so the station could only say 'not a counter HQ'. Name the places, not the values.
        where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                          for e in exc.errors()[:3])
        return JSONResponse({"error": "malformed", "message": f"malformed batch: {where}"}, status_code=422)

    def database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        # One line, the error's class only: a driver's message can quote row values (personal data).
        log.error("HQ database error (%s); the request was not stored", type(exc).__name__)
        return JSONResponse({"error": "unavailable", "message": "HQ's database is unavailable; nothing was stored,"
                             " retry later"}, status_code=503)

    import sqlite3

    import psycopg

    app.add_exception_handler(sqlite3.Error, database_unavailable)
    app.add_exception_handler(psycopg.Error, database_unavailable)

    @app.post("/v1/batches", response_model=AckModel, responses=refusals)
    def push_batch(batch: BatchModel, caller: auth.Caller = signed) -> dict:
        """Ingest one batch in one transaction; duplicates are acknowledged, never stored twice."""
        data = batch.model_dump()
        if data["station_id"] != caller.station_id or data["key_id"] != caller.key_id:
            raise auth.Unauthorized("the batch is not the signing station's; sign with that station's key")
        if len(data["entries"]) > 20_000:
            raise MalformedBatch("batch too large: {n} entries (at most 20000)", n=len(data["entries"]))
        ack = ingest_batch(store, data, fault=_fault_hook())
        return ack.as_dict()

    @app.get("/v1/stations/{station_id}/cursor", response_model=AckModel, responses=refusals)
    def station_cursor(station_id: str, caller: auth.Caller = signed) -> dict:
        if station_id != caller.station_id:
            raise auth.Unauthorized("a station may read only its own cursor")
        return cursor_ack(store, station_id).as_dict()

    @app.get("/v1/health")
    def health() -> dict:
        return {"ok": True, "backend": store.dialect, "hq_key_id": store.hq_key.key_id if store.hq_key else None}

    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` with several workers: COUNTER_HQ_DB and COUNTER_HQ_KEY_DIR."""
    store = open_store(os.environ["COUNTER_HQ_DB"], admin.load_key(Path(os.environ["COUNTER_HQ_KEY_DIR"])))
    store.require_schema()
    return create_app(store)
