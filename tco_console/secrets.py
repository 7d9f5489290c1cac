"""Encryption at rest for secrets the console must read back (API SecretKeys, issue 15).

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) with a key from settings:
`SECRETS_ENCRYPTION_KEY` (a urlsafe base64 Fernet key, `Fernet.generate_key()`), or else one
derived from SECRET_KEY with HKDF, so a database dump without the settings reveals nothing.
`SECRETS_ENCRYPTION_OLD_KEYS` (comma-separated) still decrypt during a key rotation. The
kernel layer: it imports no app."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt"]


def _derived(secret: str) -> bytes:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"tco-console secrets v1"
    ).derive(secret.encode())
    return base64.urlsafe_b64encode(key)


@lru_cache(maxsize=4)
def _fernet(primary: str, old: tuple[str, ...], secret_key: str) -> MultiFernet:
    keys = [primary.encode() if primary else _derived(secret_key)]
    keys += [k.encode() for k in old]
    return MultiFernet([Fernet(k) for k in keys])


def _current() -> MultiFernet:
    old = tuple(
        k.strip() for k in getattr(settings, "SECRETS_ENCRYPTION_OLD_KEYS", "").split(",") if k
    )
    return _fernet(getattr(settings, "SECRETS_ENCRYPTION_KEY", ""), old, settings.SECRET_KEY)


def encrypt(plain: str) -> str:
    return _current().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text; raises InvalidToken when no configured key opens it."""
    return _current().decrypt(token.encode()).decode()
