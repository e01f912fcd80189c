"""Issuing passes: a person's rotating phone pass, and the printed card of someone without a phone."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_event
from lianfang.core.masking import mask_name_middle
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.org.scoping import can
from lianfang.people.models import Person
from lianfang.sites import passes
from lianfang.sites.choices import PassKind
from lianfang.sites.services.gate import colour_now


@dataclass(frozen=True)
class IssuedPass:
    text: str
    colour: str
    expires: datetime.datetime
    refresh_at: datetime.datetime


def phone_pass(person: Person, *, now: datetime.datetime | None = None) -> IssuedPass:
    """The person's own pass for the next few minutes, with their colour now."""
    now = now or timezone.now()
    colour = colour_now(person.pk, timezone.localdate(now))
    expires = now + passes.PHONE_TTL
    text = passes.sign(
        kind=PassKind.PHONE,
        subject=person.pk,
        name=mask_name_middle(person.name),
        unit=person.unit.display_name,
        colour=colour,
        expires=expires,
    )
    return IssuedPass(text=text, colour=colour, expires=expires, refresh_at=now + passes.PHONE_REFRESH)


def cards_issue(*, actor, people: list[Person], now: datetime.datetime | None = None) -> list[tuple[Person, str]]:
    """Printed cards (long-lived identity, no colour) for people the actor may see: a liaison prints
    them for staff without phones. Each issue is audited."""
    now = now or timezone.now()
    cards = []
    for person in people:
        if not can(actor, Action.VIEW, Person, person.unit):
            raise PermissionDenied(_("You may print cards only for people of your units."))
        text = passes.sign(
            kind=PassKind.CARD,
            subject=person.pk,
            name=mask_name_middle(person.name),
            unit=person.unit.display_name,
            expires=now + passes.CARD_TTL,
        )
        cards.append((person, text))
    if cards:
        # Printing identity cards is an export of personal data: audited like one.
        record_event(
            kind=AuditKind.EXPORT,
            actor=actor,
            object_repr=f"pass cards ×{len(cards)}",
            what="pass_cards",
            people=[p.pk for p, _t in cards],
        )
    return cards
