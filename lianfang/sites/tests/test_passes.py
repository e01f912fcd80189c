"""Signed passes: what a gate accepts with the public key alone, and what it refuses."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from django.utils import timezone

from lianfang.sites import passes
from lianfang.sites.choices import DenyReason, PassKind
from lianfang.sites.models import PassKey

NOW = datetime.datetime(2026, 12, 7, 0, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


def phone_pass(**kw):
    fields = {
        "kind": PassKind.PHONE,
        "subject": 42,
        "name": "张*伟",
        "unit": "热力公司",
        "colour": "green",
        "expires": NOW + passes.PHONE_TTL,
    }
    fields.update(kw)
    return passes.sign(**fields)


def reason(text, now=NOW):
    with pytest.raises(passes.PassError) as caught:
        passes.verify(text, now=now)
    return caught.value.reason


def test_a_genuine_pass_gives_back_what_it_carries():
    claims = passes.verify(phone_pass(), now=NOW)
    assert (claims.kind, claims.subject, claims.name, claims.unit, claims.colour) == (
        "p",
        42,
        "张*伟",
        "热力公司",
        "green",
    )
    assert claims.expires == NOW + passes.PHONE_TTL
    assert len(claims.token_id) >= 12


def test_two_passes_for_the_same_person_differ_so_one_can_be_told_from_the_other():
    first, second = passes.verify(phone_pass(), now=NOW), passes.verify(phone_pass(), now=NOW)
    assert first.token_id != second.token_id


def test_the_pass_carries_no_more_than_the_gate_shows():
    claims_b64 = phone_pass().split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims_b64 + "=" * (-len(claims_b64) % 4)))
    assert set(claims) == {"k", "t", "s", "n", "u", "c", "x", "j"}


def test_an_expired_pass_is_refused_as_expired_after_a_short_grace():
    text = phone_pass()
    assert passes.verify(text, now=NOW + passes.PHONE_TTL + datetime.timedelta(seconds=10))
    assert reason(text, now=NOW + passes.PHONE_TTL + passes.SKEW + datetime.timedelta(seconds=1)) == "expired"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:10] + ("A" if t[10] != "A" else "B") + t[11:],  # a claim byte changed
        lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # signature changed
        lambda t: "LF2" + t[3:],  # another format
        lambda t: t.split(".")[0] + "." + t.split(".")[1],  # signature cut off
        lambda t: "",
        lambda t: "LF1.not-json.sig",
    ],
)
def test_a_tampered_pass_is_refused_as_forged(tamper):
    assert reason(tamper(phone_pass())) == DenyReason.FORGED


def test_changing_the_colour_inside_the_claims_breaks_the_signature():
    text = phone_pass(colour="red")
    head, claims_b64, signature = text.split(".")
    claims = json.loads(base64.urlsafe_b64decode(claims_b64 + "=" * (-len(claims_b64) % 4)))
    claims["c"] = "green"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert reason(f"{head}.{forged}.{signature}") == DenyReason.FORGED


def test_a_pass_signed_with_another_key_is_forged():
    text = phone_pass()
    key = PassKey.objects.get()
    PassKey.objects.filter(pk=key.pk).delete()  # the gate's group never had this key
    passes.signing_key()
    assert reason(text) == DenyReason.FORGED


def test_after_a_rotation_new_passes_use_the_new_key_and_old_cards_still_pass():
    card = passes.sign(kind=PassKind.CARD, subject=7, name="李*", unit="甲", expires=NOW + passes.CARD_TTL)
    old = passes.signing_key()
    new = passes.key_rotate(now=NOW)
    assert new.kid != old.kid
    assert passes.verify(phone_pass(), now=NOW).kid == new.kid
    assert passes.verify(card, now=NOW + datetime.timedelta(days=200)).subject == 7
    assert set(passes.public_keys(NOW)) == {old.kid, new.kid}


def test_a_revoked_key_is_refused_at_once():
    card = passes.sign(kind=PassKind.CARD, subject=7, name="李*", unit="甲", expires=NOW + passes.CARD_TTL)
    passes.key_rotate(now=NOW, revoke=True)
    assert reason(card, now=NOW + datetime.timedelta(seconds=1)) == DenyReason.FORGED
    assert len(passes.public_keys(NOW + datetime.timedelta(seconds=1))) == 1


def test_the_scheduled_rotation_waits_for_the_key_to_age():
    first = passes.signing_key(NOW)
    assert passes.keys_rotate_due(now=NOW + datetime.timedelta(days=30)) is None
    rotated = passes.keys_rotate_due(now=NOW + passes.KEY_SIGNS_FOR + datetime.timedelta(minutes=1))
    assert rotated is not None and rotated.kid != first.kid


def test_the_private_key_is_stored_encrypted():
    from django.db import connection

    key = passes.signing_key()
    with connection.cursor() as cursor:
        cursor.execute("select private_key from sites_passkey where id = %s", [key.pk])
        stored = cursor.fetchone()[0]
    assert stored != key.private_key
    assert timezone.now()
