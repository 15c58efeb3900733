"""Ed25519 keys: the station's identity (made at `counter init`) and HQ's.

cryptography's `serialization` package (which pulls in dataclasses and inspect) is imported only where a
PEM of another shape is read or one is written: `counter journal verify` loads the station key from the
fixed RFC 8410 encoding this module writes, and must start fast.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from counter import files
from counter.errors import ConfigError

# RFC 8410: the DER of an Ed25519 PKCS#8 private key without attributes is this prefix and the 32-byte seed.
_PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
_PEM_PRIVATE = ("-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes_raw()


def key_id_of(public: Ed25519PublicKey | bytes) -> str:
    import hashlib  # not at the top: `counter journal verify` needs no key id, and hashlib loads OpenSSL

    raw = public if isinstance(public, bytes) else raw_public(public)
    return hashlib.sha256(raw).hexdigest()[:16]


class SigningKey:
    """The station's (or HQ's) private key and what is derived from it."""

    __slots__ = ("private",)

    def __init__(self, private: Ed25519PrivateKey) -> None:
        object.__setattr__(self, "private", private)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"SigningKey is read-only ({name})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SigningKey) and other.public_raw == self.public_raw

    def __hash__(self) -> int:
        return hash(self.public_raw)

    def __repr__(self) -> str:  # never the key itself
        return f"SigningKey(key_id={self.key_id})"

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_raw(self) -> bytes:
        return raw_public(self.public)

    @property
    def key_id(self) -> str:
        return key_id_of(self.public)

    def sign(self, message: bytes) -> str:
        return b64(self.private.sign(message))

    def sign_raw(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def public_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def verify(public: Ed25519PublicKey | bytes, message: bytes, signature: str | bytes) -> bool:
    key = Ed25519PublicKey.from_public_bytes(public) if isinstance(public, bytes) else public
    try:
        key.verify(unb64(signature) if isinstance(signature, str) else signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


def generate_keypair(private_path: Path, public_path: Path) -> SigningKey:
    """Write a new key pair; the private key file is created 0600 from the start."""
    from cryptography.hazmat.primitives import serialization

    key = SigningKey(Ed25519PrivateKey.generate())
    files.private_dir(private_path.parent, tighten=True)
    pem = key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.PRIVATE_FILE)
    os.fchmod(fd, files.PRIVATE_FILE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    files.write_atomic(public_path, key.public_pem())
    return key


def _seed_of_plain_pem(pem: bytes) -> bytes | None:
    """The seed of an unencrypted RFC 8410 Ed25519 PEM (what generate_keypair writes), else None."""
    lines = pem.decode("ascii", "replace").strip().splitlines()
    if len(lines) < 3 or (lines[0].strip(), lines[-1].strip()) != _PEM_PRIVATE:
        return None
    try:
        der = base64.b64decode("".join(line.strip() for line in lines[1:-1]), validate=True)
    except binascii.Error:
        return None
    if len(der) != len(_PKCS8_ED25519_PREFIX) + 32 or not der.startswith(_PKCS8_ED25519_PREFIX):
        return None
    return der[len(_PKCS8_ED25519_PREFIX):]


def load_private(path: Path) -> SigningKey:
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("key file {path} is missing", path=path) from None
    seed = _seed_of_plain_pem(pem)
    if seed is not None:
        return SigningKey(Ed25519PrivateKey.from_private_bytes(seed))
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except ValueError:
        raise ConfigError("key file {path} is not a valid PEM private key", path=path) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("key file {path} is not an Ed25519 key", path=path)
    return SigningKey(key)


def load_public(path: Path) -> Ed25519PublicKey:
    try:
        data = Path(path).read_bytes()
    except OSError:
        raise ConfigError("public key file {path} cannot be read", path=path) from None
    return public_from_pem(data, str(path))


def public_from_pem(data: bytes, where: str = "public key") -> Ed25519PublicKey:
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise ConfigError("{where} is not a valid PEM public key", where=where) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError("{where} is not an Ed25519 public key", where=where)
    return key
