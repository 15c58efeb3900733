"""ICAO 9303 Part 10 logical data structure: EF.COM, DG1, DG2, DG11, EF.SOD and passive authentication.

Pure functions over file bytes; no card I/O here.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import algos, cms, core

from devices import tlv
from devices.identity import FAILED, NOT_VERIFIED, VERIFIED

TAG_COM, TAG_DG1, TAG_DG2, TAG_DG11, TAG_SOD = 0x60, 0x61, 0x75, 0x6B, 0x77
DG_TAGS = {0x61: 1, 0x75: 2, 0x63: 3, 0x76: 4, 0x65: 5, 0x66: 6, 0x67: 7, 0x68: 8, 0x69: 9, 0x6A: 10,
           0x6B: 11, 0x6C: 12, 0x6D: 13, 0x6E: 14, 0x6F: 15, 0x70: 16}
LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"

JPEG_MAGIC = b"\xff\xd8\xff"
JP2_MAGIC = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
J2K_MAGIC = b"\xff\x4f\xff\x51"


class LdsError(ValueError):
    pass


# --- EF.COM, DG1, DG11 ------------------------------------------------------------


def parse_com(data: bytes) -> list[int]:
    """Data-group numbers present, from EF.COM's tag list (5C)."""
    body = tlv.unwrap(data, TAG_COM)
    tags = tlv.parse(body).get(0x5C, b"")
    return sorted(DG_TAGS[t] for t in tags if t in DG_TAGS)


def parse_dg1(data: bytes) -> str:
    """The MRZ text from DG1 (5F1F), as one run of characters."""
    body = tlv.unwrap(data, TAG_DG1)
    mrz = tlv.parse(body).get(0x5F1F)
    if mrz is None:
        raise LdsError("DG1 has no MRZ data object")
    return mrz.decode("ascii")


@dataclass(frozen=True)
class AdditionalDetails:
    """DG11: full name in national characters (UTF-8), personal number, place of birth."""

    full_name: str | None = None
    personal_number: str | None = None
    place_of_birth: str | None = None


def parse_dg11(data: bytes) -> AdditionalDetails:
    body = tlv.parse(tlv.unwrap(data, TAG_DG11))

    def text(tag: int) -> str | None:
        value = body.get(tag)
        return value.decode("utf-8").replace("<", " ").strip() if value else None

    return AdditionalDetails(text(0x5F0E), text(0x5F10), text(0x5F11))


# --- DG2: the face --------------------------------------------------------------


def parse_dg2(data: bytes) -> tuple[bytes, str]:
    """(image bytes, "jpeg" or "jp2") of the first face in DG2 (ISO/IEC 19794-5 record in 5F2E/7F2E)."""
    body = tlv.unwrap(data, TAG_DG2)
    block = tlv.find(body, 0x5F2E) or tlv.find(body, 0x7F2E)
    if block is None:
        raise LdsError("DG2 has no biometric data block")
    if block[:4] != b"FAC\x00":
        raise LdsError("DG2 face record does not start with 'FAC'")
    # general header: 'FAC\0', version (4), record length (4), number of faces (2)
    pos = 14
    feature_points = int.from_bytes(block[pos + 4:pos + 6], "big")
    pos += 20 + 8 * feature_points  # facial information block, feature points
    image_data_type = block[pos + 1]
    pos += 12  # image information block
    image = block[pos:]
    if image.startswith(JPEG_MAGIC):
        return image, "jpeg"
    if image.startswith(JP2_MAGIC) or image.startswith(J2K_MAGIC):
        return image, "jp2"
    raise LdsError(f"DG2 image type {image_data_type} is neither JPEG nor JPEG 2000")


def build_dg2(image: bytes, image_format: str, width: int, height: int) -> bytes:
    """DG2 with one ISO/IEC 19794-5 face record (for the simulator and tests)."""
    image_type = {"jpeg": 0, "jp2": 1}[image_format]
    facial = (bytes(4) + (0).to_bytes(2, "big") + b"\x00\x00\x00" + b"\x00\x00\x00" + b"\x00\x00"
              + b"\x00\x00\x00" + b"\x00\x00\x00")
    info = (bytes([1, image_type]) + width.to_bytes(2, "big") + height.to_bytes(2, "big")
            + bytes([1, 2]) + b"\x00\x00" + b"\x00\x00")
    face_block = facial + info + image
    face_block = (len(face_block)).to_bytes(4, "big") + face_block[4:]
    record = b"FAC\x00" + b"010\x00" + (14 + len(face_block)).to_bytes(4, "big") + (1).to_bytes(2, "big")
    record += face_block
    header = tlv.tlv(0xA1, tlv.tlv(0x80, b"\x01\x01") + tlv.tlv(0x87, b"\x01\x01") + tlv.tlv(0x88, b"\x00\x08"))
    bit = tlv.tlv(0x7F61, tlv.tlv(0x02, b"\x01") + tlv.tlv(0x7F60, header + tlv.tlv(0x5F2E, record)))
    return tlv.tlv(TAG_DG2, bit)


# --- EF.SOD ---------------------------------------------------------------------


class DataGroupHash(core.Sequence):
    _fields = [("data_group_number", core.Integer), ("data_group_hash_value", core.OctetString)]


class DataGroupHashValues(core.SequenceOf):
    _child_spec = DataGroupHash


class LDSVersionInfo(core.Sequence):
    _fields = [("lds_version", core.PrintableString), ("unicode_version", core.PrintableString)]


class LDSSecurityObject(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LDSVersionInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class SecurityObject:
    hash_algorithm: str  # "sha256" etc.
    hashes: dict[int, bytes]
    signed_data: cms.SignedData
    econtent: bytes


def parse_sod(data: bytes) -> SecurityObject:
    try:
        info = cms.ContentInfo.load(tlv.unwrap(data, TAG_SOD))
        if info["content_type"].native != "signed_data":
            raise LdsError("EF.SOD is not CMS SignedData")
        signed = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].dotted != LDS_SECURITY_OBJECT_OID:
            raise LdsError("EF.SOD does not carry an LDS security object")
        econtent = encap["content"].native
        lso = LDSSecurityObject.load(econtent)
        hashes = {int(h["data_group_number"].native): h["data_group_hash_value"].native
                  for h in lso["data_group_hash_values"]}
        return SecurityObject(lso["hash_algorithm"]["algorithm"].native, hashes, signed, econtent)
    except LdsError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise LdsError(f"EF.SOD cannot be parsed: {type(exc).__name__}") from None


def digest(algorithm: str, data: bytes) -> bytes:
    return hashlib.new(algorithm.replace("_", "-") if algorithm.startswith("sha3") else algorithm, data).digest()


# --- trust store and passive authentication ---------------------------------------


def load_csca_dir(directory: str | Path | None) -> list:
    """Every certificate (PEM or DER) in the station's CSCA directory."""
    from cryptography import x509

    if not directory:
        return []
    path = Path(directory).expanduser()
    if not path.is_dir():
        return []
    certs = []
    for file in sorted(path.iterdir()):
        if file.suffix.lower() not in (".pem", ".crt", ".cer", ".der"):
            continue
        raw = file.read_bytes()
        try:
            if b"-----BEGIN CERTIFICATE-----" in raw:
                certs.extend(x509.load_pem_x509_certificates(raw))
            else:
                certs.append(x509.load_der_x509_certificate(raw))
        except ValueError:
            continue  # not a certificate; the check-in reports the count it could load
    return certs


@dataclass(frozen=True)
class PassiveAuthResult:
    status: str  # VERIFIED, NOT_VERIFIED or FAILED
    detail: str
    hashes: dict[str, str]  # "DG1" -> hex of the hash computed over what was read


def _verify_signature(public_key, signature: bytes, data: bytes, hash_name: str, sig_algo: str) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    h = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
         "sha512": hashes.SHA512}[hash_name]()
    if isinstance(public_key, rsa.RSAPublicKey):
        if sig_algo == "rsassa_pss":
            public_key.verify(signature, data, padding.PSS(padding.MGF1(h), padding.PSS.AUTO), h)
        else:
            public_key.verify(signature, data, padding.PKCS1v15(), h)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(h))
    else:
        raise LdsError("unsupported document signer key type")


def passive_authentication(sod: bytes | None, files: dict[int, bytes], csca_certs: list,
                           now: datetime | None = None) -> PassiveAuthResult:
    """Doc 9303 Part 11 5.1: data-group hashes, the SOD signature, the signer's chain to a CSCA."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    if sod is None:
        hashes = {f"DG{n}": hashlib.sha256(data).hexdigest() for n, data in sorted(files.items())}
        return PassiveAuthResult(NOT_VERIFIED, "the document has no EF.SOD", hashes)
    try:
        so = parse_sod(sod)
    except LdsError as exc:
        hashes = {f"DG{n}": hashlib.sha256(data).hexdigest() for n, data in sorted(files.items())}
        return PassiveAuthResult(FAILED, str(exc), hashes)
    hashes = {f"DG{n}": digest(so.hash_algorithm, data).hex() for n, data in sorted(files.items())}
    for number, data in sorted(files.items()):
        expected = so.hashes.get(number)
        if expected is None or not hmac.compare_digest(digest(so.hash_algorithm, data), expected):
            return PassiveAuthResult(FAILED, f"DG{number} does not match its hash in EF.SOD", hashes)
    try:
        signer = so.signed_data["signer_infos"][0]
        digest_algo = signer["digest_algorithm"]["algorithm"].native
        attrs = signer["signed_attrs"]
        message_digest = None
        for attr in attrs:
            if attr["type"].native == "message_digest":
                message_digest = attr["values"][0].native
        if message_digest is None or not hmac.compare_digest(message_digest, digest(digest_algo, so.econtent)):
            return PassiveAuthResult(FAILED, "EF.SOD message digest does not match its content", hashes)
        certs = [c.chosen for c in so.signed_data["certificates"] or []]
        if not certs:
            return PassiveAuthResult(NOT_VERIFIED, "EF.SOD carries no document signer certificate", hashes)
        ds = x509.load_der_x509_certificate(certs[0].dump())
        signed_attrs = attrs.untag().dump()  # the signature covers the attributes as a SET OF
        _verify_signature(ds.public_key(), signer["signature"].native, signed_attrs, digest_algo,
                          signer["signature_algorithm"].signature_algo)
    except InvalidSignature:
        return PassiveAuthResult(FAILED, "EF.SOD signature does not verify", hashes)
    except (LdsError, ValueError, KeyError, TypeError) as exc:
        return PassiveAuthResult(FAILED, f"EF.SOD signature cannot be checked: {type(exc).__name__}", hashes)
    issuer = ds.issuer.rfc4514_string()
    candidates = [c for c in csca_certs if c.subject == ds.issuer]
    if not csca_certs:
        return PassiveAuthResult(NOT_VERIFIED, "no CSCA certificates configured ([reader] csca_dir)", hashes)
    if not candidates:
        return PassiveAuthResult(NOT_VERIFIED, f"no CSCA certificate for issuer {issuer}", hashes)
    moment = now or datetime.now(UTC)
    for csca in candidates:
        try:
            ds.verify_directly_issued_by(csca)
        except (InvalidSignature, ValueError, TypeError):
            continue
        if not (csca.not_valid_before_utc <= moment):
            continue
        return PassiveAuthResult(VERIFIED, f"signed by {issuer}", hashes)
    return PassiveAuthResult(FAILED, f"document signer certificate is not signed by the CSCA {issuer}", hashes)
