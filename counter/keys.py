"""Ed25519 keys: the station's identity (made at `counter init`) and HQ's."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from counter import files
from counter.errors import ConfigError


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(public: Ed25519PublicKey | bytes) -> str:
    raw = public if isinstance(public, bytes) else raw_public(public)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

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


def load_private(path: Path) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise ConfigError("key file {path} is missing", path=path) from None
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
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise ConfigError("{where} is not a valid PEM public key", where=where) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError("{where} is not an Ed25519 public key", where=where)
    return key
