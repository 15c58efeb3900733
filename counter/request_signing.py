"""Signed HQ requests: RFC 9421 HTTP Message Signatures over an RFC 9530 Content-Digest.

Pure: no I/O, no clock of its own (callers pass `now`), no database. The station
signs every request to HQ with its enrolled Ed25519 key; HQ verifies it
(counter/hq/auth.py) and remembers the nonce for the replay window.

On the wire (label `counter`, tag `counter-hq/v1`):

    Content-Digest: sha-256=:<base64 of sha-256(body)>:
    Counter-Clerk: C001                      (only when a clerk asked)
    Signature-Input: counter=("@method" "@path" "@query" "content-digest" ["counter-clerk"]);
        created=1767225600;nonce="<random>";keyid="<station key id>";alg="ed25519";tag="counter-hq/v1"
    Signature: counter=:<base64 Ed25519 signature of the RFC 9421 signature base>:

The formatting, parsing and signature base come from the `http-message-signatures`
library; this module fixes the policy: which components must be covered, the
time window, and what a refusal says.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from http_message_signatures.structures import CaseInsensitiveDict

LABEL = "counter"
TAG = "counter-hq/v1"
CLERK_HEADER = "Counter-Clerk"
COVERED = ("@method", "@path", "@query", "content-digest")
# How far a request's `created` may be from HQ's clock, either way; HQ remembers nonces this long
# (plus the same again). A technical bound, not a regulation: it matches the clock tolerance
# HQ already flags (counter.hq.ingest.CLOCK_TOLERANCE_S).
REPLAY_WINDOW_S = 300
NONCE_BYTES = 18  # 24 base64url characters
MAX_NONCE_LEN = 64


class RequestRefused(ValueError):
    """A request whose signature HQ does not accept; `str()` is one line for the 401 reply (no secrets)."""


@dataclass(frozen=True)
class Verified:
    key_id: str
    created: int
    nonce: str
    clerk_id: str | None


@dataclass
class _Message:
    """The request as the library sees it: method, absolute URL and header fields."""

    method: str
    url: str
    headers: CaseInsensitiveDict


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, private: Ed25519PrivateKey | None = None,
                 lookup: Callable[[str], Ed25519PublicKey | None] | None = None):
        self.private, self.lookup = private, lookup
        self.resolved: Ed25519PublicKey | None = None
        self.error: BaseException | None = None

    def resolve_private_key(self, key_id: str):
        return self.private

    def resolve_public_key(self, key_id: str):
        try:
            self.resolved = self.lookup(key_id) if self.lookup else None
        except Exception as exc:  # the library would turn it into "bad signature": the caller re-raises it
            self.error = exc
            return None
        return self.resolved


def _epoch(now: dt.datetime) -> int:
    return int(now.timestamp())


def sign_request(private: Ed25519PrivateKey, key_id: str, method: str, url: str, body: bytes, *,
                 now: dt.datetime, clerk_id: str | None = None, nonce: str | None = None) -> dict[str, str]:
    """The headers to add to a request (Content-Digest, Signature-Input, Signature, maybe Counter-Clerk)."""
    headers = CaseInsensitiveDict()
    covered = list(COVERED)
    if clerk_id is not None:
        headers[CLERK_HEADER] = clerk_id
        covered.append(CLERK_HEADER.lower())
    message = _Message(method.upper(), url, headers)
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(private))
    signer.sign(message, key_id=key_id, created=now, nonce=nonce or secrets.token_urlsafe(NONCE_BYTES),
                label=LABEL, tag=TAG, covered_component_ids=covered, body=body)
    return dict(headers.items())


def verify_request(method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes, *,
                   lookup: Callable[[str], Ed25519PublicKey | None], now: dt.datetime,
                   window_s: int = REPLAY_WINDOW_S) -> Verified:
    """Check a request's signature; `lookup(key_id)` gives the enrolled, active key or None.

    Raises RequestRefused. An unknown key and a wrong signature get the same message, so the
    answer does not tell which stations exist. Replay (the nonce) is the caller's check.
    """
    fields = CaseInsensitiveDict()
    for name, value in headers:
        fields[name] = value if name.lower() not in fields else f"{fields[name]}, {value}"
    if "signature-input" not in fields or "signature" not in fields:
        raise RequestRefused("request is not signed; sign it with the station key (Signature-Input, Signature)")
    resolver = _OneKey(lookup=lookup)
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
    # The window is checked below against the caller's `now`; the library's own check would use its clock.
    verifier.max_clock_skew = dt.timedelta(days=36500)
    message = _Message(method.upper(), url, fields)
    try:
        results = verifier.verify(message, max_age=None, expect_tag=TAG, expect_label=LABEL,
                                  require_components=COVERED, body=body)
    except (InvalidSignature, HTTPMessageSignaturesException) as exc:
        if resolver.error is not None:  # e.g. HQ's database is down: not the caller's fault
            raise resolver.error from None
        text = str(exc)
        if "created" in text or "maximum allowable age" in text or "future" in text or "expires" in text:
            raise RequestRefused(f"request signature is outside the {window_s} s window of HQ's clock;"
                                 " check the station's clock") from None
        if "digest" in text.lower() and resolver.resolved is not None:
            raise RequestRefused("request body does not match its signed Content-Digest") from None
        raise RequestRefused("request signature does not verify with an enrolled station key") from None
    params = results[0].parameters
    created, nonce = params.get("created"), params.get("nonce")
    if not isinstance(created, int) or abs(created - _epoch(now)) > window_s:
        raise RequestRefused(f"request signature is outside the {window_s} s window of HQ's clock;"
                             " check the station's clock")
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= MAX_NONCE_LEN:
        raise RequestRefused("request signature needs a nonce of 16 to 64 characters")
    covered = results[0].covered_components
    clerk = covered.get(f'"{CLERK_HEADER.lower()}"')
    if clerk is None and CLERK_HEADER in fields:
        raise RequestRefused("the Counter-Clerk header is not covered by the request signature")
    return Verified(key_id=str(params["keyid"]), created=created, nonce=nonce, clerk_id=clerk)
