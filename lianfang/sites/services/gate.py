"""The gate's decision: who is at the checkpoint, may they pass, and the entry that records it.

One function decides for the three ways a gate meets someone — a scanned pass, a printed card, an
employee number typed in — online (:func:`gate_check`) and when a gate that was offline uploads what
it recorded (:func:`gate_upload`). The gate's own script applies the same rules in the browser while
it is offline; what it decided stands (the person went through or did not), and the server's second
look is kept beside it as :attr:`Entry.late_check`.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.core.masking import mask_name_middle
from lianfang.core.scoping import Action
from lianfang.notify.services import message_send
from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.people.models import Person
from lianfang.sites import passes
from lianfang.sites.choices import (
    HEALTH_REASONS,
    Decision,
    DenyReason,
    Direction,
    LateCheck,
    Method,
    PassKind,
    RequiredColour,
)
from lianfang.sites.models import Checkpoint, Entry
from lianfang.sites.selectors import organisation_of
from lianfang.sites.services.base import ensure, nearest_role_holders
from lianfang.sites.services.verdicts import Verdict, deny
from lianfang.sites.services.visitors import visit_entered, visitor_at_gate
from lianfang.status import engine
from lianfang.status.choices import Colour
from lianfang.status.models import PersonStatus

MESSAGE_KIND = "gate_denied"
# An upload may carry records this old (a gate offline over a long weekend); older ones are refused.
OLDEST_UPLOAD = datetime.timedelta(days=7)
FUTURE_SKEW = datetime.timedelta(minutes=5)
MAX_UPLOAD = 500


# --- who may pass where ---------------------------------------------------------------------------


def company_of(site: Unit) -> Unit:
    """The organisation a checkpoint guards for: the site's subsidiary (the unit just under the group),
    or the group for a site of the group's own. Its people are known at the gate; anyone else is a
    visitor."""
    return organisation_of(site)


def company_path(site: Unit) -> str:
    """The path prefix of :func:`company_of`, without a query."""
    return site.path[: min(site.depth, 2) * Unit.steplen]


def person_at_gate(checkpoint: Checkpoint, *, pk: int | None = None, employee_no: str | None = None) -> Person | None:
    """The person, if they belong to the checkpoint's organisation; None otherwise, whoever they are
    (a gate outside their organisation learns nothing about them). Their status comes along."""
    people = (
        Person.objects.select_related("unit", "status")
        .defer("id_number", "id_number_digest")  # never shown at the gate: no decryption
        .filter(unit__path__startswith=company_path(checkpoint.site), employment_status="active")
    )
    if pk is not None:
        return people.filter(pk=pk).first()
    if employee_no:
        return people.filter(employee_no=employee_no.strip()).first()
    return None


def colour_of(person: Person, day: datetime.date) -> str:
    """The colour in force on ``day`` from the status fetched with the person (green when none holds)."""
    try:
        status = person.status  # type: ignore[attr-defined]
    except PersonStatus.DoesNotExist:
        return Colour.GREEN
    if status.until is not None and status.until < day:
        return Colour.GREEN
    return status.colour


def colour_now(person_id: int, day: datetime.date) -> str:
    """The person's colour in force on ``day`` (green when nothing holds): the status engine's hot
    copy answers for a green person without a query."""
    restricted = engine.restricted_on(day)
    if restricted is not None and person_id not in restricted:
        return Colour.GREEN
    row = (
        PersonStatus.objects.filter(person_id=person_id)
        .filter(Q(until__isnull=True) | Q(until__gte=day))
        .values_list("colour", flat=True)
        .first()
    )
    return row or Colour.GREEN


def colour_allowed(checkpoint: Checkpoint, colour: str) -> bool:
    if checkpoint.required_colour == RequiredColour.NOT_RED:
        return colour != Colour.RED
    return colour == Colour.GREEN


def temperature_verdict(
    checkpoint: Checkpoint, temperature: decimal.Decimal | None, within: bool | None
) -> bool | None:
    """Within range (True), a fever (False), or not taken (None)."""
    if not checkpoint.takes_temperature:
        return None
    if temperature is not None:
        return temperature < checkpoint.max_temperature
    return within


# --- the decision ---------------------------------------------------------------------------------


def identify(checkpoint: Checkpoint, code: str, *, at: datetime.datetime) -> Verdict:
    """Who the code names, as an allowed verdict to be narrowed by the rules; or a denial for a pass
    that is forged, expired or already used, and for someone unknown here."""
    code = (code or "").strip()
    if not code:
        return deny(DenyReason.UNKNOWN)
    if not passes.looks_like_pass(code):
        person = person_at_gate(checkpoint, employee_no=code)
        if person is None:
            return deny(DenyReason.UNKNOWN)
        return _known(person, kind="")
    try:
        claims = passes.verify(code, now=at)
    except passes.PassError as exc:
        return deny(exc.reason)
    if claims.kind == PassKind.VISITOR:
        return visitor_at_gate(checkpoint, claims, at=at)
    person = person_at_gate(checkpoint, pk=claims.subject)
    if person is None:
        return deny(DenyReason.UNKNOWN)
    return _known(person, kind=claims.kind, token_id=claims.token_id)


def _known(person: Person, *, kind: str, token_id: str = "") -> Verdict:
    return Verdict(
        decision=Decision.ALLOW,
        name=mask_name_middle(person.name),
        unit=person.unit.display_name,
        person=person,
        kind=kind,
        token_id=token_id,
    )


def decide(
    checkpoint: Checkpoint,
    code: str,
    *,
    direction: str,
    at: datetime.datetime,
    temperature: decimal.Decimal | None = None,
    temperature_ok: bool | None = None,
) -> Verdict:
    """The checkpoint's rules applied to the code at ``at``; writes nothing."""
    verdict = identify(checkpoint, code, at=at)
    if not verdict.allowed:
        return verdict
    shown = {
        "name": verdict.name,
        "unit": verdict.unit,
        "person": verdict.person,
        "visitor": verdict.visitor,
        "kind": verdict.kind,
        "token_id": verdict.token_id,
    }
    if not checkpoint.is_active or not checkpoint.is_open_at(at):
        return deny(DenyReason.OUTSIDE_HOURS, **shown)
    if not checkpoint.counts(direction):
        return deny(DenyReason.WRONG_WAY, **shown)
    if verdict.token_id and _used(checkpoint, verdict, direction):
        return deny(DenyReason.REPLAYED, **shown)
    if direction == Direction.OUT:
        return verdict  # leaving: who it was is all that is recorded
    if verdict.person is not None:
        verdict.colour = colour_of(verdict.person, timezone.localdate(at))
        shown["colour"] = verdict.colour
        if not colour_allowed(checkpoint, verdict.colour):
            return deny(DenyReason.COLOUR, **shown)
    verdict.temperature_ok = temperature_verdict(checkpoint, temperature, temperature_ok)
    if verdict.temperature_ok is False:
        return deny(DenyReason.FEVER, temperature_ok=False, **shown)
    return verdict


def _used(checkpoint: Checkpoint, verdict: Verdict, direction: str) -> bool:
    """A phone pass lets its holder through once per direction and checkpoint (a screenshot passed on
    is refused); a visitor pass lets in once anywhere; a printed card is the same every day."""
    if verdict.kind == PassKind.CARD:
        return False
    entries = Entry.objects.filter(token_id=verdict.token_id, decision=Decision.ALLOW)
    if verdict.kind == PassKind.VISITOR:
        return entries.filter(direction=Direction.IN).exists() if direction == Direction.IN else False
    return entries.filter(checkpoint=checkpoint, direction=direction).exists()


def _record(
    *,
    actor,
    checkpoint: Checkpoint,
    verdict: Verdict,
    direction: str,
    at: datetime.datetime,
    method: str,
    temperature: decimal.Decimal | None,
    client_id: uuid.UUID,
    offline: bool = False,
    late_check: str = "",
) -> tuple[Entry, bool]:
    """Store the entry once per client id: (entry, created)."""
    kept = temperature if checkpoint.keep_temperature and checkpoint.takes_temperature else None
    entry = Entry(
        checkpoint=checkpoint,
        site_id=checkpoint.site_id,
        person=verdict.person,
        visitor=verdict.visitor,
        pass_kind=verdict.kind,
        at=at,
        direction=direction,
        decision=verdict.decision,
        reason=verdict.reason,
        method=method,
        temperature=kept,
        temperature_ok=verdict.temperature_ok,
        colour=verdict.colour,
        token_id=verdict.token_id,
        client_id=client_id,
        offline=offline,
        late_check=late_check,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        existing = Entry.objects.filter(checkpoint=checkpoint, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return entry, True


def _ensure_gate(actor, checkpoint: Checkpoint) -> None:
    ensure(
        actor,
        Action.ADD,
        Entry,
        checkpoint.site,
        _("Only checkpoint staff of this site may record entries at its gate."),
    )


def _clean_temperature(value: Any) -> decimal.Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, decimal.Decimal)):
        raise ValidationError({"temperature": _("Give the temperature as a number, e.g. 36.5.")})
    try:
        reading = decimal.Decimal(str(value)).quantize(decimal.Decimal("0.1"))
    except (decimal.InvalidOperation, ValueError):
        raise ValidationError({"temperature": _("Give the temperature as a number, e.g. 36.5.")}) from None
    if not decimal.Decimal("34") <= reading <= decimal.Decimal("43"):
        raise ValidationError({"temperature": _("A body temperature is between 34 and 43 ℃: check the reading.")})
    return reading


def _clean_choice(value: Any, choices: Iterable[str], field: str, default: str) -> str:
    if value in (None, ""):
        return default
    if not isinstance(value, str) or value not in set(choices):
        raise ValidationError({field: _("Not a valid choice: %(value)s.") % {"value": value}})
    return str(value)


def gate_check(
    *,
    actor,
    checkpoint: Checkpoint,
    code: str,
    direction: str = Direction.IN,
    method: str = Method.CAMERA,
    temperature: Any = None,
    temperature_ok: bool | None = None,
    client_id: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
) -> tuple[Entry, Verdict]:
    """Decide at the gate now and record the entry (a retry with the same client id records nothing
    new and answers the first decision)."""
    _ensure_gate(actor, checkpoint)
    direction = _clean_choice(direction, Direction.values, "direction", Direction.IN)
    method = _clean_choice(method, Method.values, "method", Method.CAMERA)
    reading = _clean_temperature(temperature)
    at = now or timezone.now()
    client_id = client_id or uuid.uuid4()
    verdict = decide(checkpoint, code, direction=direction, at=at, temperature=reading, temperature_ok=temperature_ok)
    entry, created = _record(
        actor=actor,
        checkpoint=checkpoint,
        verdict=verdict,
        direction=direction,
        at=at,
        method=method,
        temperature=reading,
        client_id=client_id,
    )
    if not created:
        # A retry of a passage already recorded (the unique client id): the first answer stands.
        entry = Entry.objects.select_related("person__unit", "visitor__site").get(pk=entry.pk)
        return entry, verdict_of(entry)
    if not verdict.allowed and verdict.reason in HEALTH_REASONS:
        transaction.on_commit(lambda: tell_liaison(entry))
    visit_entered(entry)
    return entry, verdict


def verdict_of(entry: Entry) -> Verdict:
    person, visitor = entry.person, entry.visitor
    if person is not None:
        name, unit = mask_name_middle(person.name), person.unit.display_name
    elif visitor is not None:
        name, unit = mask_name_middle(visitor.name), visitor.site.display_name
    else:
        name, unit = "", ""
    return Verdict(
        decision=entry.decision,
        reason=entry.reason,
        name=name,
        unit=unit,
        visitor=visitor,
        colour=entry.colour,
        person=person,
        kind=entry.pass_kind,
        token_id=entry.token_id,
        temperature_ok=entry.temperature_ok,
    )


# --- the offline gate's upload ------------------------------------------------------------------------


def _parse_at(value: Any, now: datetime.datetime) -> datetime.datetime:
    try:
        if not isinstance(value, str):
            raise ValueError
        at = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(_("A record's time is not a date-time.")) from None
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + FUTURE_SKEW:
        raise ValidationError(_("A record's time is in the future: check the gate phone's clock."))
    if at < now - OLDEST_UPLOAD:
        raise ValidationError(_("A record more than 7 days old cannot be uploaded."))
    return at


def gate_upload(
    *, actor, checkpoint: Checkpoint, records: list[Mapping[str, Any]], now: datetime.datetime | None = None
) -> dict[str, Any]:
    """Store what a gate recorded offline. Each record keeps the gate's decision (it happened) and
    gets the server's second look: a phone pass is checked again as of the time it was scanned; a
    card or number let in by the offline policy is checked now for the colour of that day. A record
    already stored (the same client id) is skipped; a malformed one is refused with its reason, the
    others are stored. Answers the ids stored or already there, and the refusals."""
    _ensure_gate(actor, checkpoint)
    now = now or timezone.now()
    if len(records) > MAX_UPLOAD:
        raise ValidationError(_("Upload at most %(n)s records at a time.") % {"n": MAX_UPLOAD})
    done: list[str] = []
    refused: dict[str, list[str]] = {}
    for record in records:
        raw_id = str(record.get("client_id", ""))
        try:
            client_id = uuid.UUID(raw_id)
        except ValueError:
            refused[raw_id] = [_("A record without a valid id.")]
            continue
        try:
            created = _upload_one(actor, checkpoint, record, client_id, now)
        except ValidationError as exc:
            refused[raw_id] = exc.messages
            continue
        if created or client_id:
            done.append(str(client_id))
    return {"stored": done, "refused": refused}


def _upload_one(actor, checkpoint: Checkpoint, record: Mapping[str, Any], client_id: uuid.UUID, now) -> bool:
    if Entry.objects.filter(checkpoint=checkpoint, client_id=client_id).exists():
        return False
    at = _parse_at(record.get("at"), now)
    direction = _clean_choice(record.get("direction"), Direction.values, "direction", Direction.IN)
    method = _clean_choice(record.get("method"), Method.values, "method", Method.CAMERA)
    local_decision = _clean_choice(record.get("decision"), Decision.values, "decision", Decision.DENY)
    local_reason = _clean_choice(record.get("reason"), DenyReason.values, "reason", "")
    if local_decision == Decision.DENY and not local_reason:
        local_reason = DenyReason.OFFLINE
    reading = _clean_temperature(record.get("temperature"))
    within = record.get("temperature_ok")
    within = within if isinstance(within, bool) else None
    server = decide(
        checkpoint, str(record.get("code", "")), direction=direction, at=at, temperature=reading, temperature_ok=within
    )
    late: str = LateCheck.NONE
    if local_decision == Decision.ALLOW:
        late = LateCheck.PASSED if server.allowed else LateCheck.FAILED
        server.decision, server.reason = Decision.ALLOW, ""
    else:
        server.decision, server.reason = Decision.DENY, local_reason
    if server.temperature_ok is None:
        server.temperature_ok = within
    entry, created = _record(
        actor=actor,
        checkpoint=checkpoint,
        verdict=server,
        direction=direction,
        at=at,
        method=method,
        temperature=reading,
        client_id=client_id,
        offline=True,
        late_check=late,
    )
    if created:
        visit_entered(entry)
    if created and (
        (late == LateCheck.FAILED and entry.person_id)
        or (entry.decision == Decision.DENY and entry.reason in HEALTH_REASONS)
    ):
        transaction.on_commit(lambda: tell_liaison(entry))
    return created


# --- telling the liaison ------------------------------------------------------------------------------


def tell_liaison(entry: Entry) -> int:
    """A health-related denial (or an offline admission the server would have refused) goes to the
    liaison of the person's unit, with the full name: they call the person."""
    if entry.person_id is None:
        return 0
    entry = Entry.objects.select_related("person__unit", "checkpoint__site").get(pk=entry.pk)
    person = entry.person
    assert person is not None
    with translation.override(django_settings.LANGUAGE_CODE):
        where = f"{entry.checkpoint.site.display_name} · {entry.checkpoint.name}"
        when = f"{timezone.localtime(entry.at):%m-%d %H:%M}"
        if entry.late_check == LateCheck.FAILED:
            title = _("Let in offline, should have been refused: %(name)s at %(where)s") % {
                "name": person.name,
                "where": where,
            }
        else:
            title = _("Stopped at the gate: %(name)s at %(where)s") % {"name": person.name, "where": where}
        body = _("%(when)s: %(reason)s. Call them and see that they are looked after.") % {
            "when": when,
            "reason": DenyReason(entry.reason).label if entry.reason else _("health status does not allow entry"),
        }
    recipients = nearest_role_holders(person.unit, (Role.UNIT_ADMIN,))
    url = reverse("sites:entries") + f"?person={person.pk}"
    return message_send(recipients=recipients, kind=MESSAGE_KIND, title=title, body=body, url=url)
