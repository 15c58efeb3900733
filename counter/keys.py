"""Ed25519 keys: the station's identity (made at `counter init`) and HQ's.

cryptography's `serialization` package (which pulls in dataclasses and inspect) is imported only where a
PEM of another shape is read or one is written: `counter journal verify` loads the station key from the
fixed RFC 8410 encoding this module writes, and must start fast. For the same reason the station key is
loaded and a signature checked through cryptography's Rust binding, whose key objects its public
`Ed25519PrivateKey` / `Ed25519PublicKey` classes are (registered as their subclasses): that Python layer
imports typing and enum, a tenth of that start-up, and is imported here only where it is needed.
"""

from __future__ import annotations

import binascii
import os
from pathlib import Path

from counter import files
from counter.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

try:
    from cryptography.hazmat.bindings._rust import openssl as _rust_openssl

    _ed25519 = _rust_openssl.ed25519  # from_private_bytes / from_public_bytes, as the public classes call them
except (ImportError, AttributeError):  # pragma: no cover - a cryptography that moved its binding
    _ed25519 = None

# RFC 8410: the DER of an Ed25519 PKCS#8 private key without attributes is this prefix and the 32-byte seed.
_PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
_PEM_PRIVATE = ("-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----")


# URL-safe base64 without padding, with binascii as base64's urlsafe functions use it: the base64 module
# (with struct) would add 2% to the start-up of `counter journal verify`, which decodes the head's signature.
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    """As base64.urlsafe_b64decode: characters outside the alphabet are skipped; ValueError if not ASCII."""
    return binascii.a2b_base64((text + "=" * (-len(text) % 4)).encode("ascii").translate(_FROM_URLSAFE))


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


def _private_from_seed(seed: bytes) -> Ed25519PrivateKey:
    if _ed25519 is None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(seed)
    return _ed25519.from_private_bytes(seed)


def _public_from_raw(raw: bytes) -> Ed25519PublicKey:
    if _ed25519 is None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        return Ed25519PublicKey.from_public_bytes(raw)
    return _ed25519.from_public_bytes(raw)


def verify(public: Ed25519PublicKey | bytes, message: bytes, signature: str | bytes) -> bool:
    key = _public_from_raw(public) if isinstance(public, bytes) else public
    try:
        key.verify(unb64(signature) if isinstance(signature, str) else signature, message)
        return True
    except ValueError:  # a signature that is not base64
        return False
    except Exception as exc:
        from cryptography.exceptions import InvalidSignature  # imported only when a signature fails

        if isinstance(exc, InvalidSignature):
            return False
        raise


def generate_keypair(private_path: Path, public_path: Path) -> SigningKey:
    """Write a new key pair; the private key file is created 0600 from the start."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

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
        der = binascii.a2b_base64("".join(line.strip() for line in lines[1:-1]), strict_mode=True)
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
        return SigningKey(_private_from_seed(seed))
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

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
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise ConfigError("{where} is not a valid PEM public key", where=where) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError("{where} is not an Ed25519 public key", where=where)
    return key
