"""How much one client can make HQ do: body size, read timeouts, request rate, alarm window.

- `BodyLimits` (ASGI middleware): a Content-Length over `max_body_bytes` is refused (413) before a
  byte of the body is read, a chunked body as soon as it grows past it; a body not complete within
  `body_timeout_s` of its first read gets 408. Both close the connection. (FastAPI's own
  `max_body_size` answers a declared length in plain text, outside HQ's {error, message} shape.)
- `HeaderTimeoutH11Protocol` (uvicorn's h11 protocol with one timer more): a connection whose request
  line and headers are not complete within `header_timeout_s` is closed. uvicorn itself only times out
  idle keep-alive connections.
- `RateLimiter`: requests per station and client address, in this process (the `limits` library's
  moving window). With `--workers N` each process counts for itself.
- `signin_rate`: failed dashboard sign-ins per client address, counted from the audit in the database
  (so across processes), checked before a password is hashed (counter/hq/staff.py).
- `trusted_proxies`: the reverse proxies whose X-Forwarded-For HQ believes (default: none). Only a request
  whose peer is one of them has its client address taken from the header: the right-most address in it
  that is not itself a trusted proxy (uvicorn's ProxyHeadersMiddleware). From any other peer the header
  is ignored, so a client cannot forge its way past the per-address limits.

`counter hq serve` passes the limits to its server processes in COUNTER_HQ_LIMITS (JSON).
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import time
from dataclasses import asdict, dataclass, replace

import anyio
from fastapi import HTTPException
from uvicorn.protocols.http.h11_impl import H11Protocol

from counter.errors import ConfigError

LIMITS_ENV = "COUNTER_HQ_LIMITS"
SIGNIN_RATE = "10/minute;100/hour"  # the default of `signin_rate`


@dataclass(frozen=True)
class Limits:
    # A sync batch is [sync] batch_size entries (500 by default, about 0.4 MB); a day bundle's
    # import does not go through HTTP.
    max_body_bytes: int = 8 * 1024 * 1024
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    # per station and client address; `limits` notation, several separated by ';'
    rate: str = "20/second;600/minute"
    alarm_window_s: float = 3600.0
    # failed dashboard sign-ins per client address, counted across processes (counter/hq/staff.py)
    signin_rate: str = SIGNIN_RATE
    # reverse proxies (addresses or networks) whose X-Forwarded-For names the client; none by default
    trusted_proxies: tuple[str, ...] = ()

    def check(self) -> Limits:
        if self.max_body_bytes < 1024:
            raise ConfigError("--max-body-bytes must be at least 1024, not {n}", n=self.max_body_bytes)
        for name, option in (("header_timeout_s", "--header-timeout"), ("body_timeout_s", "--body-timeout"),
                             ("alarm_window_s", "--alarm-window")):
            value = getattr(self, name)
            if not (0 < value <= 86400):
                raise ConfigError("{option} must be more than 0 and at most 86400 seconds, not {v}",
                                  option=option, v=value)
        RateLimiter(self.rate)  # a rate `limits` cannot parse fails here, in one line
        from counter.hq.staff import parse_signin_rate

        parse_signin_rate(self.signin_rate)
        return replace(self, trusted_proxies=trusted_networks(self.trusted_proxies))

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> Limits:
        text = os.environ.get(LIMITS_ENV)
        if not text:
            return cls()
        values = json.loads(text)
        return cls(**{**values, "trusted_proxies": tuple(values.get("trusted_proxies", ()))})


def trusted_networks(proxies) -> tuple[str, ...]:
    """The trusted proxies as networks (an address is its /32 or /128), or one line naming the bad one."""
    out = []
    for text in proxies:
        try:
            out.append(str(ipaddress.ip_network(text.strip(), strict=False)))
        except ValueError:
            raise ConfigError("--trusted-proxy {text!r} is not an IP address or network like 10.0.0.0/24",
                              text=text) from None
    return tuple(dict.fromkeys(out))



class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, rate: str):
        from limits import parse_many
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        try:
            self.items = parse_many(rate)
        except ValueError:
            raise ConfigError("--rate-limit {rate!r} is not a rate like '20/second;600/minute'", rate=rate) from None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, *keys: str) -> None:
        """Count one request for these keys; raise RateLimited (with the seconds to wait) over the rate."""
        for item in self.items:
            if not self.limiter.hit(item, *keys):
                reset = self.limiter.get_window_stats(item, *keys).reset_time
                raise RateLimited(max(1, math.ceil(reset - time.time())))


class BodyTimeout(HTTPException):
    """FastAPI's HTTPException, so that FastAPI's body reading passes it on instead of calling it a parse error."""

    def __init__(self, timeout_s: float):
        super().__init__(408, f"the request body did not arrive within {timeout_s:g} s")


class BodyTooLarge(HTTPException):
    def __init__(self, max_bytes: int):
        super().__init__(413, too_large_message(max_bytes))


def too_large_message(max_bytes: int) -> str:
    return f"request body over {max_bytes} bytes; send smaller batches ([sync] batch_size)"


class BodyLimits:
    """Refuse a body over `max_bytes` before or while it is read, and bound the time it takes to arrive.

    A declared Content-Length over the limit is answered here, before the app is called; a chunked body
    raises BodyTooLarge from `receive` once it has grown past the limit (it is never held whole), and a
    late one BodyTimeout, both answered by server.py's HTTPException handler."""

    def __init__(self, app, max_bytes: int, timeout_s: float):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.strip().isdigit() and int(declared) > self.max_bytes:
            from starlette.responses import JSONResponse

            response = JSONResponse({"error": "too_large", "message": too_large_message(self.max_bytes)},
                                    status_code=413, headers={"connection": "close"})
            return await response(scope, receive, send)
        deadline: float | None = None
        complete = False
        size = 0

        async def timed_receive():
            nonlocal deadline, complete, size
            if complete:  # after the body: a disconnect listener may wait as long as it likes
                return await receive()
            if deadline is None:
                deadline = anyio.current_time() + self.timeout_s
            try:
                with anyio.fail_after(max(deadline - anyio.current_time(), 0)):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(self.timeout_s) from None
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, timed_receive, send)


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol; closes a connection whose request headers are not complete in time.

    The timer runs from the connection's start, and again from the end of each response (a kept-alive
    connection's next request), until the request line and headers have arrived."""

    header_timeout_s: float | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if HeaderTimeoutH11Protocol.header_timeout_s is None:
            HeaderTimeoutH11Protocol.header_timeout_s = Limits.from_env().header_timeout_s
        self._header_timer = None
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
        self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # a new request's headers are complete
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)
