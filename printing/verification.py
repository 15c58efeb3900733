"""Signed verification payloads for the QR code on receipts and certificates.

The payload is a COSE_Sign1 structure (RFC 9052, CBOR tag 18) signed with the
station's Ed25519 key (alg EdDSA, -8), carried as Base45 text with the prefix
"CNTR1:", the way the EU Digital COVID Certificate ("HC1:") and MOSIP Claim 169
carry theirs. Base45 uses only QR alphanumeric-mode characters, so the QR code
stays small and the payload is pure ASCII. (No zlib step: a ~100-byte payload
plus a random signature does not compress.)

  protected header: {1: -8 (EdDSA), 4: kid}   kid = the key id's 8 bytes
  payload (CWT-style claims map):
      1  iss   station id
     -70001    document kind (e.g. "residence_certificate", "permit_apply")
     -70002    document number
     -70003    subject's masked ID number (320583********123X)
     -70004    issue date (YYYY-MM-DD)

This module signs and checks through callables, so it never holds a key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PREFIX = "CNTR1:"
ALG_EDDSA = -8
COSE_SIGN1_TAG = 18
CLAIM_ISS, CLAIM_KIND, CLAIM_NUMBER, CLAIM_MASKED_ID, CLAIM_ISSUE_DATE = 1, -70001, -70002, -70003, -70004

Sign = Callable[[bytes], bytes]  # message -> 64-byte Ed25519 signature
Verify = Callable[[bytes, bytes], bool]  # (message, signature) -> valid


class TokenError(ValueError):
    """The payload is not valid; the message is the reason, for the person checking it."""


@dataclass(frozen=True)
class Claims:
    kind: str
    number: str
    masked_id: str
    issue_date: str
    station_id: str
    key_id: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    import cbor2

    return cbor2.dumps(["Signature1", protected, b"", payload])


def make_token(*, kind: str, number: str, masked_id: str, issue_date: str, station_id: str,
               key_id: str, sign: Sign) -> str:
    """Sign the claims; `key_id` is the 16-hex-digit station key id, `sign` the station key's raw signer."""
    import base45
    import cbor2

    try:
        kid = bytes.fromhex(key_id)
    except ValueError:
        raise TokenError(f"key id {key_id!r} is not hex") from None
    protected = cbor2.dumps({1: ALG_EDDSA, 4: kid})
    payload = cbor2.dumps({
        CLAIM_ISS: station_id,
        CLAIM_KIND: kind,
        CLAIM_NUMBER: number,
        CLAIM_MASKED_ID: masked_id,
        CLAIM_ISSUE_DATE: issue_date,
    })
    signature = sign(_sig_structure(protected, payload))
    cose = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return PREFIX + base45.b45encode(cose).decode("ascii")


@dataclass(frozen=True)
class Decoded:
    claims: Claims
    to_be_signed: bytes
    signature: bytes


def decode_token(token: str) -> Decoded:
    """Parse without checking the signature. Raises TokenError with the reason."""
    import base45
    import cbor2

    token = token.strip()
    if not token.startswith(PREFIX):
        raise TokenError(f"not a counter verification payload (it must start with {PREFIX})")
    try:
        cose = base45.b45decode(token[len(PREFIX):])
    except ValueError:
        raise TokenError("the payload is damaged: not valid Base45 (altered or misread)") from None
    try:
        obj = cbor2.loads(cose)
        if not isinstance(obj, cbor2.CBORTag) or obj.tag != COSE_SIGN1_TAG:
            raise TokenError("the payload is damaged: not a COSE_Sign1 structure")
        protected, _unprotected, payload, signature = obj.value
        header = cbor2.loads(protected)
        claims = cbor2.loads(payload)
    except TokenError:
        raise
    except Exception:
        raise TokenError("the payload is damaged: its CBOR structure cannot be read (altered or misread)") from None
    if not isinstance(header, dict) or header.get(1) != ALG_EDDSA:
        raise TokenError("the payload is not signed with EdDSA")
    kid = header.get(4)
    if not isinstance(kid, bytes) or not isinstance(claims, dict) or not isinstance(signature, bytes):
        raise TokenError("the payload is damaged: header or claims are missing")
    try:
        parsed = Claims(
            kind=str(claims[CLAIM_KIND]),
            number=str(claims[CLAIM_NUMBER]),
            masked_id=str(claims[CLAIM_MASKED_ID]),
            issue_date=str(claims[CLAIM_ISSUE_DATE]),
            station_id=str(claims[CLAIM_ISS]),
            key_id=kid.hex(),
        )
    except KeyError as exc:
        raise TokenError(f"the payload lacks claim {exc.args[0]}") from None
    return Decoded(parsed, _sig_structure(protected, payload), signature)


KeyLookup = Callable[[str], "tuple[Verify, str | None] | None"]


def verify_token(token: str, lookup: KeyLookup) -> Claims:
    """Check the signature with the key `lookup(key_id)` returns: (verify, station id the key belongs
    to, or None when not bound to one). Raises TokenError with the reason when not valid."""
    decoded = decode_token(token)
    claims = decoded.claims
    found = lookup(claims.key_id)
    if found is None:
        raise TokenError(f"signed by an unknown key (key id {claims.key_id}, station {claims.station_id}); "
                         "add that station's public key to the trust directory if it is genuine")
    verify, bound_station = found
    if not verify(decoded.to_be_signed, decoded.signature):
        raise TokenError("the signature does not match: the payload was altered or forged")
    if bound_station is not None and bound_station != claims.station_id:
        raise TokenError(f"signed with station {bound_station}'s key but claims station {claims.station_id}")
    return claims
