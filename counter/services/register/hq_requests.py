"""Signed requests from the window to HQ's district register, and the errors a clerk sees of them.

Every request is signed with the station key with the clerk's id in the signed part
(counter.request_signing); the transport rules are sync's ([sync] hq_url, hq_ca, insecure_http).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from counter.errors import CounterError

# A lookup is a clerk waiting at the window: fail over to local data quickly (a technical bound).
LOOKUP_TIMEOUT_S = 5.0


class RegisterError(CounterError):
    pass


class HQOffline(RegisterError):
    """HQ is not configured or cannot be reached: the window works on local data."""



def hq_configured(station) -> bool:
    return bool(station.config.section("sync")["hq_url"])


def request(station, method: str, path: str, *, clerk_id: str | None, body: dict | None = None,
             params: dict | None = None, client=None, now: Callable[[], datetime] | None = None):
    """One signed request to HQ; returns (status, json). Raises HQOffline when HQ cannot be reached."""
    import httpx

    from counter.sync import client as sync

    base = station.config.section("sync")["hq_url"]
    if not base:
        raise HQOffline("HQ is not configured; searching this station only")
    url = httpx.URL(f"{base}{path}", params=params or None)
    sync._transport_warning(station, url)  # refuses plain http off loopback unless allowed
    content = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
    headers = sync.signed_headers(station, method, str(url), content, (now or (lambda: datetime.now(UTC)))(),
                                  clerk_id)
    if body is not None:
        headers["content-type"] = "application/json"
    own = client is None
    http = client or httpx.Client(timeout=LOOKUP_TIMEOUT_S, verify=sync._tls_context(station))
    try:
        response = http.request(method, url, content=content if body is not None else None, headers=headers)
    except httpx.HTTPError as exc:
        raise HQOffline("HQ unreachable at {url}: {why}; working on local data", url=base,
                        why=sync._describe_transport_error(exc)) from None
    finally:
        if own:
            http.close()
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 500 or not isinstance(data, dict):
        raise HQOffline("HQ at {url} did not answer (HTTP {status}); working on local data", url=base,
                        status=response.status_code)
    if response.status_code == 401:
        raise HQOffline("HQ did not accept this station's signed request: {why}; working on local data",
                        why=" ".join(str(data.get("message", "")).split())[:200])
    return response.status_code, data


def refused(data: dict, status: int) -> RegisterError:
    message = " ".join(str(data.get("message") or data.get("error") or "").split())[:200]
    return RegisterError("HQ refused the request ({status}): {why}", status=status, why=message)
