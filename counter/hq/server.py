"""The HQ HTTP API (FastAPI). Stateless: every request opens its own transaction.

POST /v1/batches               push a signed batch -> signed ack (or a refusal with a stable error code)
GET  /v1/stations/{id}/cursor  HQ's signed cursor for a station (where to resume)
GET  /v1/stations/{id}/journal the station's own journal back, page by page (a replaced PC, a restored backup)
GET  /v1/health, /health/live  "ok" (nothing about the backend or the keys)
GET  /v1/health/ready          "ready", or 503 when the database does not answer (or its schema differs)
GET  /metrics                  Prometheus text, to loopback clients or with COUNTER_HQ_METRICS_TOKEN
Requests from a station whose `Counter-Protocol` is below --min-protocol get 426 upgrade_required.
Every route that reveals anything needs a request signed by the station's enrolled
key (RFC 9421, see counter/request_signing.py and counter/hq/auth.py); else 401.
The OpenAPI spec is at /openapi.json; /docs and /redoc are off (they would load their assets from a CDN).

Every refusal is {"error": word, "message": one line}, FastAPI's own parse errors included; no input
gives a 5xx. Limits (body size, read timeouts, request rate): counter.hq.limits.

Test-only fault injection: COUNTER_HQ_FAULT=before_commit|after_commit makes the
process die (os._exit) at that point of the next accepted batch, like a power cut.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi import Query as QueryParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from starlette.exceptions import HTTPException as StarletteHTTPException

from counter.errors import CounterError
from counter.hq import admin, auth, monitoring, restore
from counter.hq.ingest import IngestError, cursor_ack, ingest_batch
from counter.hq.limits import BodyLimits, Limits, RateLimited, RateLimiter, too_large_message
from counter.hq.register import lookup
from counter.hq.store import Store, open_store
from counter.sync.protocol import PROTOCOL_VERSION
from db.entry import ENTRY_SCHEMA, HEX64, MAX_BIGINT, Column

FAULT_ENV = "COUNTER_HQ_FAULT"
log = logging.getLogger("counter.hq")


# What the schema states is what the server enforces (schemathesis checks both ways). The entry's
# bounds and patterns come from db.entry.ENTRY_SCHEMA.
STATION_ID = r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$"  # counter.domain.station_id.STATION_ID
KEY_ID = r"^[0-9a-f]{16}$"  # counter.keys.key_id_of
SIGNATURE = r"^[A-Za-z0-9_-]{86}$"  # Ed25519, unpadded base64url (counter.keys.b64)
UTC_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$"
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL; lone surrogates are refused as not UTF-8


def _whole_number(value: object) -> object:
    """JSON Schema's integer: 119.0 is the integer 119 (and True is not an integer)."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_BIGINT:
        return int(value)
    return value


def Whole(ge: int, le: int, **extra):  # noqa: N802 - reads as a type
    # Field first: after a BeforeValidator pydantic writes ge/le into the schema instead of minimum/maximum
    return Annotated[int, Field(ge=ge, le=le, **extra), BeforeValidator(_whole_number)]


Text = Annotated[str, Field(pattern=NO_NUL, max_length=1_000_000)]


def _entry_field(column: Column) -> tuple[object, object]:
    if column.type is int:
        kind = Whole(column.low, column.high)
    elif column.pattern:
        kind = Annotated[str, Field(pattern=column.pattern)]
    else:
        kind = Text
    return (kind | None if column.nullable else kind), ...


# One journal row exactly as the station stores it, from db.journal.ENTRY_SCHEMA (the one definition).
EntryModel = create_model(
    "EntryModel",
    __config__=ConfigDict(extra="forbid", strict=True),
    __doc__="""One journal row exactly as the station stores it (payload: the stored canonical JSON text).

    Text fields HQ stores and flags rather than refuses (uuid, business_day, device_time_utc, kind)
    only have to be text without NUL; see counter.hq.ingest.business_flags.""",
    **{c.name: _entry_field(c) for c in ENTRY_SCHEMA},
)


class BatchModel(BaseModel):
    """A contiguous run first_seq..last_seq of one station's journal, with its signed checkpoint.

    Beyond this schema HQ checks, once the station's key and the checkpoint signature verify, that the
    entries are seqs first_seq..last_seq, that prev_hash and head_hash are the first entry's prev_hash
    and the last entry's hash, and that sent_at is a real time: a batch failing those gets 400."""

    model_config = ConfigDict(extra="forbid", strict=True)
    version: Literal[1] = PROTOCOL_VERSION
    station_id: str = Field(pattern=STATION_ID)
    key_id: str = Field(pattern=KEY_ID)
    first_seq: Whole(1, MAX_BIGINT)
    last_seq: Whole(1, MAX_BIGINT)
    prev_hash: str = Field(pattern=HEX64)
    head_hash: str = Field(pattern=HEX64)
    signature: str = Field(pattern=SIGNATURE,
                           description="station key over db.journal.head_message(station_id, last_seq, head_hash)")
    sent_at: str = Field(pattern=UTC_TIME, description="station clock (UTC) when sent")
    entries: list[EntryModel] = Field(min_length=1, max_length=20_000)


class ConflictEntryModel(BaseModel):
    station_id: str
    seq: int
    kind: str


class ResolutionModel(BaseModel):
    """Which entry stands (first: the one that reached HQ first), why, who decided and when."""

    keep: str = Field(description="first | second | both")
    reason: str
    resolved_by: str
    resolved_at: str


class ConflictModel(BaseModel):
    """Two windows acted on one permit without seeing each other's entry (counter/hq/register/conflicts.py)."""

    conflict_id: int
    permit: str
    kind: str = Field(description="double_extend | cancel_extend | concurrent")
    entries: list[ConflictEntryModel]
    detected_at: str
    status: str = Field("open", description="open | resolved")
    resolution: ResolutionModel | None = Field(None, description="a district admin's decision, once resolved")


class AckModel(BaseModel):
    """HQ holds station_id's journal up to acked_seq (hash acked_hash); signed with HQ's key."""

    station_id: str
    acked_seq: int
    acked_hash: str
    server_time: str
    hq_key_id: str
    signature: str = Field(description="HQ key over counter.sync.protocol.ack_message(...)")
    inserted: int
    duplicates: int
    conflicts: list[ConflictModel] = Field([], description="open register conflicts involving the station;"
                                                              " covered by the signature when not empty")


class PermitBriefModel(BaseModel):
    number: str
    status: str
    valid_until: str


class SeqRefModel(BaseModel):
    station_id: str | None
    seq: int | None


class PersonHitModel(BaseModel):
    ref: str = Field(description="opaque: pass it to POST /v1/register/open")
    name: str
    id_masked: str
    sex: str | None
    birth_date: str | None
    station_id: str | None = Field(description="the station that last acted on the file")
    source: Literal["hq"]
    person_updated: SeqRefModel
    permits: list[PermitBriefModel]


class SearchModel(BaseModel):
    results: list[PersonHitModel]
    truncated: bool


class OpenModel(BaseModel):
    ref: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    purpose: str | None = Field(None, max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")
    model_config = ConfigDict(extra="forbid", strict=True)


class FileModel(BaseModel):
    person: dict[str, Any]
    registrations: list[dict[str, Any]]
    permits: list[dict[str, Any]]
    history: list[dict[str, Any]]
    entries: list[dict[str, Any]] = Field(description="the person's journal entries as HQ stores them")
    access_id: int


class LastModel(BaseModel):
    station_id: str
    seq: int
    kind: str
    at: str


class PermitStatusModel(BaseModel):
    number: str
    status: str
    valid_until: str
    last: LastModel | None
    conflict: bool


class CheckpointModel(BaseModel):
    last_seq: int
    head_hash: str
    key_id: str
    signature: str = Field(description="the station key of the time over db.journal.head_message(...)")


class JournalPageModel(BaseModel):
    """Entries after seq `after` (at most `limit`), the checkpoints ending among them, HQ's signed cursor."""

    station_id: str
    after: int
    entries: list[EntryModel]
    checkpoints: list[CheckpointModel]
    cursor: AckModel


class RefusalModel(BaseModel):
    error: str = Field(description="malformed | unknown_station | key_rejected | quarantined | gap | fork"
                                   " | too_large | timeout | rate_limited | not_found | method_not_allowed"
                                   " | unavailable | upgrade_required | forbidden")
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


_WORDS = {400: "malformed", 404: "not_found", 405: "method_not_allowed", 408: "timeout", 413: "too_large",
          415: "malformed"}


def _one_line(text: str, limit: int = 300) -> str:
    """A message safe to send: one line, bounded, and encodable (a lone surrogate from the input is escaped)."""
    line = " ".join(str(text).split())[:limit]
    return line.encode("utf-8", "backslashreplace").decode("utf-8")


def refusal(status: int, error: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": _one_line(message)}, status_code=status, headers=headers)


MIN_PROTOCOL_ENV = "COUNTER_HQ_MIN_PROTOCOL"
PROTOCOL_HEADER = "counter-protocol"  # the station's sync protocol version; absent = 1


def create_app(store: Store, limits: Limits | None = None, min_protocol: int | None = None) -> FastAPI:
    """HQ's app: the refusals in one shape, then the route groups (sync, health, metrics, register
    lookups, the /dash pages). Every route that reveals anything takes the signed-request dependency."""
    limits = limits or Limits()
    if min_protocol is None:
        min_protocol = int(os.environ.get(MIN_PROTOCOL_ENV) or 1)
    metrics_registry = monitoring.registry_for(store)
    store.alarm_window_s = limits.alarm_window_s
    rate = RateLimiter(limits.rate)
    app = FastAPI(title="counter HQ", version="1",
                  description="Headquarters ingest for station journals: signed, resumable, idempotent.",
                  docs_url=None, redoc_url=None)
    app.add_middleware(BodyLimits, max_bytes=limits.max_body_bytes, timeout_s=limits.body_timeout_s)
    if limits.trusted_proxies:  # the client address from X-Forwarded-For, from these peers only (limits.py)
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        from counter.hq.limits import trusted_networks

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted_networks(limits.trusted_proxies)))
    refusals: dict[int | str, dict[str, Any]] = {
        code: {"model": RefusalModel} for code in (400, 401, 403, 408, 409, 413, 423)
    }
    refusals[429] = {"model": RefusalModel, "headers": {"Retry-After": {
        "description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}}}
    auth.ensure_schema(store)
    shared = _Shared(store, Depends(auth.dependency(store)), rate, refusals)
    _refuse_in_one_shape(app, limits, min_protocol)
    app.include_router(sync_routes(shared))
    app.include_router(health_routes(store))
    app.include_router(metrics_routes(metrics_registry))
    app.include_router(register_routes(shared))

    from counter.hq import dashboard

    dashboard.mount(app, store, limits.signin_rate)
    return app


@dataclass(frozen=True)
class _Shared:
    """What the station-facing route groups share."""
    store: Store
    signed: Any  # Depends(auth.dependency(store)): the request is signed by an enrolled station key
    rate: RateLimiter
    refusals: dict[int | str, dict[str, Any]]


def client_of(request: Request) -> str:
    return request.client.host if request.client else "-"


def _refuse_in_one_shape(app: FastAPI, limits: Limits, min_protocol: int) -> None:
    """Every refusal as {"error", "message"}, FastAPI's own included; and the protocol floor."""

    @app.exception_handler(IngestError)
    def ingest_refused(_request: Request, exc: IngestError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.middleware("http")
    async def protocol_floor(request: Request, call_next):
        # a station older than this HQ accepts is told so, before anything else is read
        if request.url.path.startswith("/v1/") and not request.url.path.startswith("/v1/health"):
            spoken = request.headers.get(PROTOCOL_HEADER, "1")
            version = int(spoken) if spoken.isdigit() and len(spoken) < 6 else 0
            if version < min_protocol:
                return refusal(426, "upgrade_required",
                               f"this station speaks sync protocol {spoken[:8]}, HQ requires at least {min_protocol}:"
                               " upgrade the counter software on this station (entries stay queued)",
                               headers={"connection": "close"})
        return await call_next(request)

    @app.exception_handler(RateLimited)
    def rate_limited(_request: Request, exc: RateLimited) -> JSONResponse:
        monitoring.RATE_LIMITED.inc()
        return refusal(429, "rate_limited", f"too many requests for this station; retry in {exc.retry_after} s",
                       headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(CounterError)
    def counter_error(_request: Request, exc: CounterError) -> JSONResponse:
        log.error("request failed: %s", exc)
        return refusal(503, "server", str(exc))

    @app.exception_handler(StarletteHTTPException)
    def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI's and Starlette's own refusals (404, 405, 413, a body that cannot be parsed) in our shape.
        status = exc.status_code if 400 <= exc.status_code < 500 else 400
        message = {413: too_large_message(limits.max_body_bytes),
                   400: "malformed request: the body cannot be parsed (not UTF-8 JSON, nested too deep, or a"
                        " number too long)"}.get(status, str(exc.detail))
        headers = dict(exc.headers or {})  # e.g. Allow on a 405
        if status in (408, 413):
            headers["connection"] = "close"  # the rest of the body is not read
        return refusal(status, _WORDS.get(status, "malformed"), message, headers or None)

    @app.exception_handler(RequestValidationError)
    def malformed_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default answer echoes each bad field's input (a payload full of names) and has no
        # 'message', so the station could only say 'not a counter HQ'. Name the places, not the values.
        where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                          for e in exc.errors()[:3])
        return refusal(400, "malformed", f"malformed request: {where}")

    @app.exception_handler(RecursionError)
    def nested_too_deep(_request: Request, _exc: RecursionError) -> JSONResponse:
        return refusal(400, "malformed", "malformed request: JSON nested too deep")

    def database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        # One line, the error's class only: a driver's message can quote row values (personal data).
        log.error("HQ database error (%s); the request was not stored", type(exc).__name__)
        return refusal(503, "unavailable", "HQ's database is unavailable; nothing was stored, retry later")

    import sqlite3

    import psycopg

    app.add_exception_handler(sqlite3.Error, database_unavailable)
    app.add_exception_handler(psycopg.Error, database_unavailable)


def sync_routes(shared: _Shared) -> APIRouter:
    """A station's batches in, its signed cursor and its own journal back."""
    store, signed, rate, refusals = shared.store, shared.signed, shared.rate, shared.refusals
    router = APIRouter()

    @router.post("/v1/batches", response_model=AckModel, responses=refusals)
    def push_batch(batch: BatchModel, request: Request, caller: auth.Caller = signed) -> dict:
        """Ingest one batch in one transaction; duplicates are acknowledged, never stored twice."""
        rate.hit(batch.station_id, client_of(request))
        data = batch.model_dump()
        if data["station_id"] != caller.station_id or data["key_id"] != caller.key_id:
            raise auth.Unauthorized("the batch is not the signing station's; sign with that station's key")
        with monitoring.Timer():
            try:
                ack = ingest_batch(store, data, fault=_fault_hook())
            except IngestError as exc:
                monitoring.BATCHES.labels(exc.code).inc()
                raise
        monitoring.BATCHES.labels("accepted").inc()
        monitoring.ENTRIES.inc(ack.inserted)
        return ack.as_dict()

    @router.get("/v1/stations/{station_id}/cursor", response_model=AckModel,
             responses={k: v for k, v in refusals.items() if k in (400, 401, 429)})
    def station_cursor(station_id: Annotated[str, PathParam(pattern=STATION_ID)], request: Request,
                       caller: auth.Caller = signed) -> dict:
        rate.hit(station_id, client_of(request))
        if station_id != caller.station_id:
            raise auth.Unauthorized("a station may read only its own cursor")
        return cursor_ack(store, station_id).as_dict()

    @router.get("/v1/stations/{station_id}/journal", response_model=JournalPageModel,
             responses={k: v for k, v in refusals.items() if k in (400, 401, 403, 429)})
    def station_journal(station_id: Annotated[str, PathParam(pattern=STATION_ID)], request: Request,
                        after: Annotated[int, Query(ge=0, le=MAX_BIGINT)] = 0,
                        limit: Annotated[int, Query(ge=1, le=restore.MAX_PAGE)] = 2000,
                        caller: auth.Caller = signed) -> dict:
        """The station's own journal after seq `after` (for a replaced PC or a restored backup)."""
        rate.hit(station_id, client_of(request))
        if station_id != caller.station_id:
            raise auth.Unauthorized("a station may read only its own journal")
        page = restore.journal_page(store, station_id, after, limit)
        if page["entries"]:
            log.info("journal of station %s read back: seq %d-%d (key %s)", station_id, page["entries"][0]["seq"],
                     page["entries"][-1]["seq"], caller.key_id)
        return page
    return router


def health_routes(store: Store) -> APIRouter:
    """Liveness and readiness, unauthenticated: they say nothing about the backend, keys or stations."""
    router = APIRouter()

    @router.get("/v1/health", response_class=PlainTextResponse, responses={200: {
        "content": {"text/plain": {"schema": {"type": "string", "enum": ["ok"]}}}}})
    def health() -> str:
        """'ok' while the process serves requests; nothing about the backend, keys or stations."""
        return "ok"

    @router.get("/v1/health/live", response_class=PlainTextResponse, responses={200: {
        "content": {"text/plain": {"schema": {"type": "string", "enum": ["ok"]}}}}})
    def health_live() -> str:
        """'ok' while the process serves requests (restart it when this fails)."""
        return "ok"

    @router.get("/v1/health/ready", response_class=PlainTextResponse, responses={
        200: {"content": {"text/plain": {"schema": {"type": "string", "enum": ["ready"]}}}},
        503: {"model": RefusalModel}})
    def health_ready():
        """'ready' when the database answers with this software's schema; else 503 (send no traffic here)."""
        try:
            store.require_schema()
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; its class only, no values
            log.warning("not ready: database check failed (%s)", type(exc).__name__)
            return refusal(503, "unavailable", "HQ's database is not available or its schema does not match")
        return PlainTextResponse("ready")

    return router


def metrics_routes(metrics_registry) -> APIRouter:
    """Prometheus text, to loopback clients or with the bearer token."""
    router = APIRouter()

    @router.get("/metrics", response_class=PlainTextResponse, include_in_schema=False)
    def metrics(request: Request):
        if not monitoring.may_scrape(request.client.host if request.client else None,
                                     request.headers.get("authorization")):
            return refusal(403, "forbidden", "metrics are served to loopback clients, or with the bearer token of"
                                             f" {monitoring.TOKEN_ENV}")
        return PlainTextResponse(monitoring.scrape(metrics_registry),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")
    return router


def clerk_of(caller: auth.Caller) -> str:
    clerk = caller.clerk_id
    if not clerk:
        raise auth.Unauthorized("register lookups name the clerk: sign the request with the clerk's id"
                                " (Counter-Clerk)")
    if len(clerk) > 64 or not clerk.isprintable():
        raise auth.Unauthorized("the clerk id in the signed request is not a clerk id (1-64 printable characters)")
    return clerk


def register_routes(shared: _Shared) -> APIRouter:
    """The district register for a clerk at another window: search, open a file, re-check a permit."""
    store, signed, rate, refusals = shared.store, shared.signed, shared.rate, shared.refusals
    router = APIRouter()
    register_refusals = {k: v for k, v in refusals.items() if k in (400, 401, 429)}
    register_refusals[404] = {"model": RefusalModel}

    @router.get("/v1/register/persons", response_model=SearchModel, responses=register_refusals)
    def register_search(request: Request, caller: auth.Caller = signed,
                        q: Annotated[str, QueryParam(max_length=400)] = "",
                        limit: Annotated[int, QueryParam(ge=1, le=lookup.MAX_LIMIT)] = lookup.DEFAULT_LIMIT
                        ) -> dict:
        """Find persons in the district by ID number, permit or application number, name (plus birth date)
        or pinyin (full or initials). Masked list; the search is recorded."""
        rate.hit(caller.station_id, client_of(request))
        clerk = clerk_of(caller)
        try:
            return lookup.search(store, caller.station_id, clerk, q, limit)
        except ValueError as exc:
            return refusal(400, "malformed", f"malformed q: {exc}")

    @router.post("/v1/register/open", response_model=FileModel, responses=register_refusals)
    def register_open(body: OpenModel, request: Request, caller: auth.Caller = signed) -> dict:
        """The full file of one person (from a search's ref) with its source entries; the opening is recorded."""
        rate.hit(caller.station_id, client_of(request))
        clerk = clerk_of(caller)
        try:
            return lookup.open_person(store, caller.station_id, clerk, body.ref, body.purpose)
        except lookup.NotFound:
            return refusal(404, "not_found", "no person with this ref in the district register")

    @router.get("/v1/register/permits/{number}", response_model=PermitStatusModel, responses=register_refusals)
    def register_permit(number: Annotated[str, PathParam(pattern=r"^[A-Za-z0-9-]{1,64}$")], request: Request,
                        caller: auth.Caller = signed) -> dict:
        """A permit's status and the last entry HQ applied to it: the re-check before a service."""
        rate.hit(caller.station_id, client_of(request))
        clerk = clerk_of(caller)
        try:
            return lookup.permit_status(store, caller.station_id, clerk, number)
        except lookup.NotFound:
            return refusal(404, "not_found", "no permit with this number in the district register")
    return router


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` with several workers: COUNTER_HQ_DB and COUNTER_HQ_KEY_DIR."""
    store = open_store(os.environ["COUNTER_HQ_DB"], admin.load_key(Path(os.environ["COUNTER_HQ_KEY_DIR"])))
    store.require_schema()
    return create_app(store, Limits.from_env())
