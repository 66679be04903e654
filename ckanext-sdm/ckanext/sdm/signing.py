"""Ed25519 signatures for submission certificates (R7).

Ed25519 rather than HMAC because a certificate must be checkable by whoever
holds it — a project-acceptance panel, a funder — without a secret that
would also let them forge one: the data centre signs with its private key,
anyone verifies with the published public key (docs/submission.md).

Run `python -m ckanext.sdm.signing KEYFILE` to create a private key (PEM,
PKCS#8, mode 0600) if KEYFILE does not exist; it prints the public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningKeyError(ValueError):
    """The configured signing key cannot be read."""


def load_private_key(setting: str) -> Ed25519PrivateKey:
    """The key from a setting: a path to a PEM file, or the base64 of the
    32-byte raw private key (for secret stores that hand out strings)."""
    if os.path.isfile(setting):
        with open(setting, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{setting} is not an Ed25519 private key")
        return key
    try:
        raw = base64.b64decode(setting, validate=True)
    except binascii.Error as error:
        raise SigningKeyError("neither a key file nor base64") from error
    if len(raw) != 32:
        raise SigningKeyError("a base64 Ed25519 key must decode to 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint naming the key, so certificates survive a key change."""
    return hashlib.sha256(public_raw(key)).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode()


def verify(key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def create_key_file(path: str) -> Ed25519PrivateKey:
    """Write a new private key to `path` unless one is there; return the key."""
    if not os.path.exists(path):
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
    return load_private_key(path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m ckanext.sdm.signing KEYFILE")
    print(public_pem(create_key_file(sys.argv[1]).public_key()), end="")
