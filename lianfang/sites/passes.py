"""Signed passes: what a gate can check with the public key alone (docs/adr/0016-pass-signing-keys.md).

A pass is the text ``LF1.<claims>.<signature>``: the claims are compact JSON in base64url, the
signature is Ed25519 over ``LF1.<claims>`` (the same shape as a JWS compact token, without its
algorithm negotiation: one algorithm, fixed by the prefix). The claims carry only what the gate must
show or decide on:

=====  ======================================================================
``k``  the signing key's id
``t``  kind: ``p`` phone pass, ``c`` printed card, ``v`` visitor pass
``s``  subject: the person's (or visitor's) id
``n``  the masked name (张*伟), ``u`` the unit's short name
``c``  colour (phone passes only: a card carries no colour, the gate asks)
``x``  valid until, seconds since the epoch
``j``  a random id: a gate refuses a second entry with the same pass
=====  ======================================================================

The gate's script (``static/sites/gate.js``) checks the same things in the browser with the vendored
@noble/ed25519 when it is offline; the server checks again on upload.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import transaction
from django.utils import timezone

from lianfang.sites.choices import DenyReason, PassKind
from lianfang.sites.models import PassKey

PREFIX = "LF1."
# A phone pass is valid this long and the page fetches a new one well before (every minute), so a
# screenshot is useless within minutes and a slow network never shows an expired pass.
PHONE_TTL = datetime.timedelta(minutes=3)
PHONE_REFRESH = datetime.timedelta(minutes=1)
# A printed card identifies its holder for a year; the colour is asked of the server at the gate.
CARD_TTL = datetime.timedelta(days=365)
# A key signs for this long, then its successor takes over; it is still accepted until the longest
# pass it signed has expired.
KEY_SIGNS_FOR = datetime.timedelta(days=90)
# How far a gate's clock may disagree with the phone's.
SKEW = datetime.timedelta(seconds=30)
# Each process keeps the keys this long before reading them again (every check needs them): a key
# withdrawn in one process is refused by the others within this time.
KEYS_CACHE_SECONDS = 30.0

_keys_cache: tuple[float, dict[str, PassKey]] | None = None


class PassError(Exception):
    """A pass the gate refuses; ``reason`` is a :class:`DenyReason`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claims:
    kind: str
    subject: int
    name: str
    unit: str
    colour: str
    expires: datetime.datetime
    token_id: str
    kid: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- keys ----------------------------------------------------------------------------------------


def cached_keys() -> dict[str, PassKey]:
    """Every key by id, from this process's copy when it is fresh."""
    global _keys_cache
    now = time.monotonic()
    if _keys_cache is None or now - _keys_cache[0] > KEYS_CACHE_SECONDS:
        _keys_cache = (now, {key.kid: key for key in PassKey.objects.all()})
    return _keys_cache[1]


def forget_keys() -> None:
    global _keys_cache
    _keys_cache = None


def _new_key(now: datetime.datetime) -> PassKey:
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes_raw()
    raw_public = private.public_key().public_bytes_raw()
    key = PassKey.objects.create(
        kid=secrets.token_hex(4), public_key=_b64(raw_public), private_key=_b64(raw_private), created=now
    )
    transaction.on_commit(forget_keys)
    forget_keys()
    return key


def signing_key(now: datetime.datetime | None = None) -> PassKey:
    """The key that signs now: the newest not retired; the first is made on first use."""
    key = PassKey.objects.filter(retired_at__isnull=True).order_by("-created", "-pk").first()
    # Two first signers at once may each make a key: both are accepted, the newer signs.
    return key or _new_key(now or timezone.now())


def key_rotate(*, now: datetime.datetime | None = None, revoke: bool = False) -> PassKey:
    """Start signing with a new key. The old one stops signing; it is still accepted until every
    card it signed has expired — or, when ``revoke`` (the key leaked), not at all from now: its
    cards must be printed again and phone passes renew within minutes."""
    now = now or timezone.now()
    with transaction.atomic():
        for old in PassKey.objects.select_for_update().filter(retired_at__isnull=True):
            old.retired_at = now
            old.verify_until = now if revoke else now + CARD_TTL + SKEW
            old.save(update_fields=["retired_at", "verify_until"])
        if revoke:
            PassKey.objects.filter(verify_until__gt=now).update(verify_until=now)
        forget_keys()
        return _new_key(now)


def keys_rotate_due(*, now: datetime.datetime | None = None) -> PassKey | None:
    """The scheduled rotation: a new key when the signing one is older than :data:`KEY_SIGNS_FOR`."""
    now = now or timezone.now()
    key = signing_key(now)
    if now - key.created < KEY_SIGNS_FOR:
        return None
    return key_rotate(now=now)


def public_keys(now: datetime.datetime | None = None) -> dict[str, str]:
    """The keys a gate may accept now, by id (what the gate page caches for its offline checks)."""
    now = now or timezone.now()
    return {
        kid: public
        for kid, public, until in PassKey.objects.values_list("kid", "public_key", "verify_until")
        if until is None or now < until
    }


# --- passes --------------------------------------------------------------------------------------


def sign(
    *,
    kind: str,
    subject: int,
    name: str,
    unit: str,
    expires: datetime.datetime,
    colour: str = "",
    key: PassKey | None = None,
) -> str:
    """A signed pass with these claims (the name must already be masked)."""
    key = key or signing_key()
    claims: dict[str, Any] = {
        "k": key.kid,
        "t": kind,
        "s": subject,
        "n": name,
        "u": unit,
        "x": int(expires.timestamp()),
        "j": secrets.token_urlsafe(9),
    }
    if colour:
        claims["c"] = colour
    body = PREFIX + _b64(json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())
    private = Ed25519PrivateKey.from_private_bytes(_unb64(key.private_key))
    return body + "." + _b64(private.sign(body.encode("ascii")))


def looks_like_pass(text: str) -> bool:
    return text.startswith(PREFIX)


def verify(text: str, *, now: datetime.datetime | None = None, keys: dict[str, PassKey] | None = None) -> Claims:
    """The claims of a genuine pass still valid at ``now``; :class:`PassError` otherwise — forged
    (malformed, unknown or withdrawn key, bad signature) or expired."""
    now = now or timezone.now()
    text = text.strip()
    try:
        prefix, claims_b64, signature_b64 = text.split(".")
        body = f"{prefix}.{claims_b64}"
        if prefix + "." != PREFIX:
            raise ValueError
        claims = json.loads(_unb64(claims_b64))
        signature = _unb64(signature_b64)
        kid = str(claims["k"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise PassError(DenyReason.FORGED) from None
    key = (keys if keys is not None else cached_keys()).get(kid)
    if key is None or not key.accepts(now):
        raise PassError(DenyReason.FORGED)
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(key.public_key)).verify(signature, body.encode("ascii"))
    except (InvalidSignature, ValueError):
        raise PassError(DenyReason.FORGED) from None
    try:
        result = Claims(
            kind=str(claims["t"]),
            subject=int(claims["s"]),
            name=str(claims.get("n", "")),
            unit=str(claims.get("u", "")),
            colour=str(claims.get("c", "")),
            expires=datetime.datetime.fromtimestamp(int(claims["x"]), tz=datetime.UTC),
            token_id=str(claims["j"])[:24],
            kid=kid,
        )
    except (KeyError, TypeError, ValueError):
        raise PassError(DenyReason.FORGED) from None
    if result.kind not in PassKind.values:
        raise PassError(DenyReason.FORGED)
    if now > result.expires + SKEW:
        raise PassError(DenyReason.EXPIRED)
    return result
