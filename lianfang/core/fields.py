"""Encrypted model fields for the most sensitive columns (PIPL Art. 28, DESIGN.md "Privacy").

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under ``FIELD_ENCRYPTION_KEY``.
Fernet is randomised, so equal plaintexts differ in the database: exact look-ups go through a
keyed digest column kept beside the encrypted one (see :func:`blind_index`).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def encrypt(value: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a wrong key must fail loudly, never show ciphertext as data
        raise ValueError("Encrypted column cannot be read with the configured LIANFANG_FIELD_KEY") from exc


def blind_index(value: str) -> str:
    """A keyed digest for exact-match search of an encrypted value."""
    key = settings.FIELD_ENCRYPTION_KEY.encode()
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()[:32]


class EncryptedCharField(models.TextField):
    """Text stored encrypted; Python code always sees the plaintext."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
